"""Admin of the risk app: administrators build questionnaires (versions, questions, scored options,
score bands, consistency rules) and publish them; a published version is read-only, and "copy
as a new version" starts the next draft. Assessments and recorded levels are read-only records."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.admin import ReadOnlyAdmin, ReadOnlyInline

from . import services
from .models import (
    Answer,
    Assessment,
    ConsistencyRule,
    Option,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    RecordedLevel,
    ScoreBand,
)


class PublishedReadOnly:
    """Nothing of a published version can be added, changed or deleted (``part_version`` names it)."""

    def _published(self, obj) -> bool:
        version = self.version_of(obj) if obj is not None else None
        return version is not None and version.is_published

    def version_of(self, obj):
        return obj

    def has_add_permission(self, request, obj=None):
        return not self._published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._published(obj) and super().has_delete_permission(request, obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("code", "title_en", "title_zh", "is_default", "link_valid_days")
    search_fields = ("code", "title_en", "title_zh")


class QuestionInline(PublishedReadOnly, admin.TabularInline):
    model = Question
    extra = 0
    fields = ("position", "key", "text_en", "text_zh")
    show_change_link = True


class ScoreBandInline(PublishedReadOnly, admin.TabularInline):
    model = ScoreBand
    extra = 0
    fields = ("level", "min_score", "max_score")


class ConsistencyRuleInline(PublishedReadOnly, admin.TabularInline):
    model = ConsistencyRule
    extra = 0
    fields = ("first_option", "second_option", "message_en", "message_zh")

    def get_formset(self, request, obj=None, **kwargs):
        request._risk_version = obj  # the answer choices below are this version's only
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("first_option", "second_option"):
            version = getattr(request, "_risk_version", None)
            kwargs["queryset"] = (Option.objects.filter(question__version=version)
                                  .select_related("question").order_by("question__position", "position")
                                  if version is not None else Option.objects.none())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(PublishedReadOnly, admin.ModelAdmin):
    list_display = ("questionnaire", "number", "status", "validity_months", "published_at", "created_at")
    list_filter = ("questionnaire", "status")
    readonly_fields = ("number", "status", "created_at", "published_at")
    fields = ("questionnaire", "number", "status", "validity_months", "intro_en", "intro_zh", "created_at",
              "published_at")
    inlines = [QuestionInline, ScoreBandInline, ConsistencyRuleInline]
    actions = ["publish", "copy_as_new_version"]

    def has_add_permission(self, request, obj=None):
        return admin.ModelAdmin.has_add_permission(self, request)

    def save_model(self, request, obj, form, change):
        if obj.pk is None:
            latest = QuestionnaireVersion.objects.filter(questionnaire=obj.questionnaire).aggregate(n=Max("number"))
            obj.number = (latest["n"] or 0) + 1
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected draft versions"), permissions=["change"])
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.questionnaire_version_publish(version=version)
            except ValidationError as error:
                self.message_user(request, f"{version}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, gettext("%(version)s is published.") % {"version": version})

    @admin.action(description=_("Copy as a new draft version"), permissions=["add"])
    def copy_as_new_version(self, request, queryset):
        for version in queryset:
            copy = services.questionnaire_version_copy(version=version)
            self.message_user(request, gettext("%(version)s copied as draft %(copy)s.") % {
                "version": version, "copy": copy})


class OptionInline(PublishedReadOnly, admin.TabularInline):
    model = Option
    extra = 0
    fields = ("position", "key", "text_en", "text_zh", "score")

    def version_of(self, question):
        return question.version


@admin.register(Question)
class QuestionAdmin(PublishedReadOnly, admin.ModelAdmin):
    list_display = ("version", "position", "key", "text_en", "text_zh")
    list_filter = ("version__questionnaire", "version")
    search_fields = ("key", "text_en", "text_zh")
    list_select_related = ("version__questionnaire",)
    inlines = [OptionInline]

    def version_of(self, question):
        return question.version

    def has_add_permission(self, request, obj=None):
        return admin.ModelAdmin.has_add_permission(self, request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = QuestionnaireVersion.objects.filter(status=QuestionnaireVersion.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ("question", "option")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("client", "level", "score", "completed_at", "valid_until", "channel", "recorded_by", "version")
    list_filter = ("level", "channel", "version")
    search_fields = ("client__legal_name",)
    list_select_related = ("client", "recorded_by", "version__questionnaire")
    date_hierarchy = "completed_at"
    inlines = [AnswerInline]


@admin.register(RecordedLevel)
class RecordedLevelAdmin(ReadOnlyAdmin):
    list_display = ("client", "level", "recorded_on", "note")
    list_filter = ("level",)
    search_fields = ("client__legal_name",)
    list_select_related = ("client",)
