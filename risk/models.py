"""Risk tolerance: versioned questionnaires (questions, scored options, score bands, consistency
rules), the assessments clients complete with them, and levels recorded before questionnaires.

A published questionnaire version is immutable: assessments point at its questions and options,
so the answers a client gave stay readable as they were asked. Editing means copying the version
into a new draft (``services.questionnaire_version_copy``) and publishing that.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.history import audited_history
from crm.models import Client, PublicLink
from crm.scales import RiskLevel


class Bilingual(models.Model):
    """Text kept in English and Simplified Chinese as data; ``text`` is the one for the active language."""

    text_en = models.CharField(_("text (English)"), max_length=300)
    text_zh = models.CharField(_("text (Simplified Chinese)"), max_length=300)

    class Meta:
        abstract = True

    @property
    def text(self) -> str:
        return _in_active_language(self.text_en, self.text_zh)


def _in_active_language(english: str, chinese: str) -> str:
    if (get_language() or "").lower().startswith("zh") and chinese:
        return chinese
    return english


def _published_refusal():
    return ValidationError(
        _("This questionnaire version is published and cannot be changed; copy it as a new version instead."),
        code="published",
    )


class Questionnaire(models.Model):
    """A questionnaire whose content lives in numbered versions; RMs send the default one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Simplified Chinese)"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False,
                                     help_text=_("The questionnaire relationship managers use."))
    link_valid_days = models.PositiveSmallIntegerField(
        _("links valid for (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("How long a link sent to a client can be used."),
    )

    class Meta:
        verbose_name = _("risk questionnaire")
        verbose_name_plural = _("risk questionnaires")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="risk_questionnaire_one_default"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_active_language(self.title_en, self.title_zh)


class QuestionnaireVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="versions",
                                      verbose_name=_("questionnaire"))
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT, editable=False)
    validity_months = models.PositiveSmallIntegerField(
        _("assessment valid for (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)])
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    intro_zh = models.TextField(_("introduction (Simplified Chinese)"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="risk_version_unique_number"),
            models.CheckConstraint(
                condition=Q(status="draft", published_at__isnull=True) | Q(status="published",
                                                                          published_at__isnull=False),
                name="risk_version_published_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def intro(self) -> str:
        return _in_active_language(self.intro_en, self.intro_zh)

    def clean(self):
        if self.pk and QuestionnaireVersion.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise _published_refusal()


class VersionPart(models.Model):
    """A part of a questionnaire version; refuses changes once the version is published."""

    class Meta:
        abstract = True

    def part_version(self) -> QuestionnaireVersion | None:
        raise NotImplementedError

    def clean(self):
        version = self.part_version()
        if version is not None and version.is_published:
            raise _published_refusal()


class Question(Bilingual, VersionPart):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions",
                                verbose_name=_("version"))
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=40, help_text=_("Stable name, the same in every version."))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="risk_question_unique_key"),
            models.UniqueConstraint(fields=["version", "position"], name="risk_question_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    def part_version(self):
        return self.version if self.version_id else None


class Option(Bilingual, VersionPart):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options",
                                 verbose_name=_("question"))
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=40)
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="risk_option_unique_key"),
            models.UniqueConstraint(fields=["question", "position"], name="risk_option_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}: {self.text} ({self.score})"

    def part_version(self):
        return self.question.version if self.question_id else None


class ScoreBand(VersionPart):
    """Total scores from ``min_score`` to ``max_score`` (inclusive) give ``level``."""

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="bands",
                                verbose_name=_("version"))
    level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel)
    min_score = models.PositiveSmallIntegerField(_("from score"))
    max_score = models.PositiveSmallIntegerField(_("to score"))

    class Meta:
        verbose_name = _("score band")
        verbose_name_plural = _("score bands")
        ordering = ["version", "min_score"]
        constraints = [
            models.UniqueConstraint(fields=["version", "level"], name="risk_band_unique_level"),
            models.CheckConstraint(condition=Q(min_score__lte=F("max_score")), name="risk_band_min_not_above_max"),
        ]

    def __str__(self) -> str:
        return f"{self.level}: {self.min_score}–{self.max_score}"

    def part_version(self):
        return self.version if self.version_id else None


class ConsistencyRule(VersionPart):
    """Two answers that contradict each other: an assessment choosing both is flagged for the RM."""

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="rules",
                                verbose_name=_("version"))
    first_option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("when this answer"))
    second_option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+",
                                      verbose_name=_("is given with this one"))
    message_en = models.CharField(_("message (English)"), max_length=300)
    message_zh = models.CharField(_("message (Simplified Chinese)"), max_length=300)

    class Meta:
        verbose_name = _("consistency rule")
        verbose_name_plural = _("consistency rules")
        ordering = ["version", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(first_option=F("second_option")), name="risk_rule_two_options"),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        return _in_active_language(self.message_en, self.message_zh)

    def part_version(self):
        return self.version if self.version_id else None

    def clean(self):
        super().clean()
        if self.version_id and self.first_option_id and self.second_option_id:
            for option in (self.first_option, self.second_option):
                if option.question.version_id != self.version_id:
                    raise ValidationError(_("Both answers must belong to this version's questions."))
            if self.first_option.question_id == self.second_option.question_id:
                raise ValidationError(_("The two answers must answer different questions."))


class Assessment(models.Model):
    """A completed questionnaire: answers, score, level and how long it stays valid."""

    class Channel(models.TextChoices):
        WITH_RM = "rm", _("With the relationship manager")
        CLIENT_LINK = "link", _("By the client, through a link")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="risk_assessments",
                               verbose_name=_("client"))
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="assessments",
                                verbose_name=_("questionnaire version"))
    score = models.PositiveSmallIntegerField(_("score"))
    level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel)
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)
    valid_until = models.DateField(_("valid until"))
    channel = models.CharField(_("completed"), max_length=4, choices=Channel)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    link = models.OneToOneField(PublicLink, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="risk_assessment", verbose_name=_("link"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    flagged_rules = models.ManyToManyField(ConsistencyRule, blank=True, related_name="+",
                                           verbose_name=_("contradictory answers"))

    history = audited_history()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="rm", recorded_by__isnull=False, link__isnull=True)
                | Q(channel="link", link__isnull=False),
                name="risk_assessment_channel_has_its_source"),
        ]
        indexes = [models.Index(fields=["client", "-completed_at"], name="risk_assessment_client_idx")]

    def __str__(self) -> str:
        return f"{self.client} · {self.level} · {self.completed_at:%Y-%m-%d}"

    def is_valid(self, on_date=None) -> bool:
        return self.valid_until >= (on_date or timezone.localdate())


class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers",
                                   verbose_name=_("assessment"))
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question"))
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+", verbose_name=_("answer"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["assessment", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="risk_answer_one_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}: {self.option.key}"


class RecordedLevel(models.Model):
    """A level set by hand or by demo data before questionnaires existed, kept as history; the
    client's current level stays on the client record until an assessment replaces it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="recorded_risk_levels",
                               verbose_name=_("client"))
    level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel)
    recorded_on = models.DateField(_("recorded on"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = audited_history()

    class Meta:
        verbose_name = _("level recorded without an assessment")
        verbose_name_plural = _("levels recorded without an assessment")
        ordering = ["client", "-recorded_on"]
        constraints = [
            models.UniqueConstraint(fields=["client", "level", "recorded_on"], name="risk_recorded_level_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.level} · {self.recorded_on}"
