"""Writes of risk tolerance: publishing and copying questionnaire versions, completing an
assessment (with the RM or through a signed link), and the questionnaire links themselves.

The client's current level lives on the client record (crm) and changes only through
``crm.services.client_risk_level_set``, which ``assessment_complete`` calls.
"""

import calendar
from collections.abc import Mapping
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Client, PublicLink
from crm.public_links import public_link_consume, public_link_issue
from crm.scales import RiskBasis, RiskLevel
from crm.services import client_risk_level_set

from . import selectors
from .models import (
    Answer,
    Assessment,
    ConsistencyRule,
    Option,
    Question,
    QuestionnaireVersion,
    ScoreBand,
)


def months_later(day: date, months: int) -> date:
    """The same day ``months`` months on; the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until_for(*, completed_on: date, validity_months: int) -> date:
    """The last day an assessment completed on ``completed_on`` is valid: the day before the same
    date ``validity_months`` later (completed 15 Jan 2026, 12 months: valid through 14 Jan 2027)."""
    return months_later(completed_on, validity_months) - timedelta(days=1)


# --- Questionnaire versions -------------------------------------------------------------


def _publish_problems(version: QuestionnaireVersion) -> list[str]:
    problems = []
    questions = list(version.questions.all())
    if not questions:
        problems.append(_("The version has no questions."))
    for question in questions:
        if len(question.options.all()) < 2:
            problems.append(_("Question %(key)s needs at least two answer options.") % {"key": question.key})
    bands = sorted(version.bands.all(), key=lambda band: band.min_score)
    if sorted(band.level for band in bands) != list(RiskLevel.values):
        problems.append(_("Each risk level C1 to C5 needs exactly one score band."))
    elif [band.level for band in bands] != list(RiskLevel.values):
        problems.append(_("The score bands must rise from C1 to C5."))
    for lower, upper in zip(bands, bands[1:]):
        if upper.min_score != lower.max_score + 1:
            problems.append(_("The score bands %(lower)s and %(upper)s must meet without a gap or an overlap.")
                            % {"lower": lower.level, "upper": upper.level})
    if bands and questions and not problems:
        lowest, highest = selectors.score_range(version)
        if bands[0].min_score > lowest or bands[-1].max_score < highest:
            problems.append(_("The score bands must cover every possible score, %(low)s to %(high)s.")
                            % {"low": lowest, "high": highest})
    return problems


@transaction.atomic
def questionnaire_version_publish(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """Publish a complete draft; from then on it cannot change. Raises ValidationError listing
    what is missing (questions, options, bands covering every possible score)."""
    version = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise ValidationError(_("This version is already published."), code="published")
    version = selectors.version_get(pk=version.pk)
    problems = _publish_problems(version)
    if problems:
        raise ValidationError(problems)
    version.status, version.published_at = QuestionnaireVersion.Status.PUBLISHED, timezone.now()
    version.save(update_fields=["status", "published_at"])
    return version


@transaction.atomic
def questionnaire_version_copy(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """A new draft with the next number and the same questions, options, bands and rules, to edit
    and publish in place of ``version`` (which stays as it is, for its assessments)."""
    numbers = QuestionnaireVersion.objects.select_for_update().filter(questionnaire_id=version.questionnaire_id)
    number = (numbers.aggregate(latest=Max("number"))["latest"] or 0) + 1
    source = selectors.version_get(pk=version.pk)
    copy = QuestionnaireVersion(questionnaire_id=source.questionnaire_id, number=number,
                                validity_months=source.validity_months, intro_en=source.intro_en,
                                intro_zh=source.intro_zh)
    copy.full_clean()
    copy.save()
    option_map = {}
    for question in source.questions.all():
        new_question = Question.objects.create(version=copy, position=question.position, key=question.key,
                                               text_en=question.text_en, text_zh=question.text_zh)
        for option in question.options.all():
            option_map[option.pk] = Option.objects.create(
                question=new_question, position=option.position, key=option.key, text_en=option.text_en,
                text_zh=option.text_zh, score=option.score)
    ScoreBand.objects.bulk_create([ScoreBand(version=copy, level=band.level, min_score=band.min_score,
                                             max_score=band.max_score) for band in source.bands.all()])
    ConsistencyRule.objects.bulk_create([
        ConsistencyRule(version=copy, first_option=option_map[rule.first_option_id],
                        second_option=option_map[rule.second_option_id], message_en=rule.message_en,
                        message_zh=rule.message_zh)
        for rule in source.rules.all()])
    return copy


# --- Assessments ------------------------------------------------------------------------


def _options_chosen(version: QuestionnaireVersion, answers: Mapping[int, int]) -> dict[int, Option]:
    """Question id → the chosen option, checking every question of the version has exactly one of its own."""
    chosen, missing = {}, []
    for question in version.questions.all():
        options = {option.pk: option for option in question.options.all()}
        option_id = answers.get(question.pk)
        if option_id is None:
            missing.append(question)
        elif int(option_id) not in options:
            raise ValidationError(_("That answer does not belong to question %(position)s.")
                                  % {"position": question.position})
        else:
            chosen[question.pk] = options[int(option_id)]
    extra = set(answers) - {question.pk for question in version.questions.all()}
    if extra:
        raise ValidationError(_("Some answers are to questions of another questionnaire."))
    if missing:
        raise ValidationError(_("Please answer every question (%(positions)s unanswered).")
                              % {"positions": ", ".join(str(q.position) for q in missing)}, code="incomplete")
    return chosen


@transaction.atomic
def assessment_complete(
    *, client: Client, version: QuestionnaireVersion, answers: Mapping[int, int], channel: str,
    recorded_by=None, link: PublicLink | None = None, language: str = "", completed_at=None,
) -> Assessment:
    """Score the answers (question id → option id) of a published version, save the assessment
    and make its level the client's current one, valid for the version's months.

    Contradictory answers (the version's consistency rules) are saved with it for the RM. An
    assessment older than the client's latest one is kept as history without changing the level.
    """
    if "questions" not in getattr(version, "_prefetched_objects_cache", {}):
        version = selectors.version_get(pk=version.pk)  # a version passed with its content is used as it is
    if not version.is_published:
        raise ValidationError(_("Only a published questionnaire version can be completed."))
    options = _options_chosen(version, answers)
    result = selectors.assessment_result(version=version, options=options)
    completed_at = completed_at or timezone.now()
    completed_on = timezone.localdate(completed_at)
    client = Client.objects.select_for_update().get(pk=client.pk)  # one completion at a time per client
    assessment = Assessment(
        client=client, version=version, score=result.score, level=result.level, completed_at=completed_at,
        valid_until=valid_until_for(completed_on=completed_on, validity_months=version.validity_months),
        channel=channel, recorded_by=recorded_by, link=link, language=language[:10],
    )
    assessment.full_clean()
    assessment.save()
    Answer.objects.bulk_create([Answer(assessment=assessment, question_id=question_id, option=option)
                                for question_id, option in options.items()])
    assessment.flagged_rules.set(result.flagged_rules)
    newer = Assessment.objects.filter(client=client, completed_at__gt=completed_at).exists()
    if not newer:
        client._change_reason = "Risk questionnaire"
        client_risk_level_set(client=client, level=result.level, basis=RiskBasis.ASSESSMENT,
                              assessed_on=completed_on, valid_until=assessment.valid_until)
    return assessment


def assessment_link_issue(*, client: Client, issued_by) -> tuple[PublicLink, str]:
    """A signed, single-use link to the default questionnaire's current version for the client,
    valid for the questionnaire's number of days; returns the link and its token (shown once)."""
    version = selectors.questionnaire_version_current()
    if version is None:
        raise ValidationError(_("No risk questionnaire is published yet; an administrator must publish one."))
    return public_link_issue(client=client, purpose=selectors.LINK_PURPOSE, issued_by=issued_by,
                             valid_for=timedelta(days=version.questionnaire.link_valid_days),
                             payload={"version": version.pk})


@transaction.atomic
def assessment_submit_by_link(*, token: str, answers: Mapping[int, int], language: str = "") -> Assessment:
    """The client's own answers through a link: the link is used up in the same transaction, so a
    replay, a double click or an invalid answer set saves nothing (``PublicLinkInvalid`` or
    ``ValidationError``)."""
    link = public_link_consume(token=token, purpose=selectors.LINK_PURPOSE)
    version = QuestionnaireVersion.objects.get(pk=link.payload["version"])
    return assessment_complete(client=link.client, version=version, answers=answers,
                               channel=Assessment.Channel.CLIENT_LINK, link=link, language=language)
