"""Admin for feedback: administrators edit the settings row; feedback and complaints are read here
(complaints change only through their page, so that every change is a ComplaintEvent)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import HistoryAdmin

from .models import Complaint, ComplaintEvent, Feedback, FeedbackSettings


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FeedbackSettings)
class FeedbackSettingsAdmin(HistoryAdmin):
    list_display = ("__str__", "complaint_sla_days", "link_valid_days")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not FeedbackSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("client", "manager", "submitted_at", "nps", "csat", "is_complaint")
    list_filter = ("is_complaint", "aum_tier")
    search_fields = ("client__legal_name",)
    list_select_related = ("client", "manager")
    date_hierarchy = "submitted_at"


class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "assignee", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = _("history of the complaint")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ("client", "status", "assignee", "raised_at", "due_on", "closed_at")
    list_filter = ("status",)
    search_fields = ("client__legal_name", "description")
    list_select_related = ("client", "assignee")
    inlines = [ComplaintEventInline]
