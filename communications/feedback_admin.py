"""Admin for feedback: administrators edit the settings row; feedback and complaints are read here
(complaints change only through their page, so that every change is a ComplaintEvent)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import HistoryAdmin, ReadOnlyAdmin

from .models import Complaint, ComplaintEvent, Feedback, FeedbackSettings


@admin.register(FeedbackSettings)
class FeedbackSettingsAdmin(HistoryAdmin):
    list_display = ("__str__", "complaint_sla_days", "link_valid_days")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not FeedbackSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("client", "manager", "submitted_at", "nps", "csat", "is_complaint")
    list_filter = ("is_complaint", "aum_tier")
    search_fields = ("client__legal_name",)
    list_select_related = ("client", "manager")
    date_hierarchy = "submitted_at"


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "assignee", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = _("history of the complaint")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "status", "assignee", "raised_at", "due_on", "closed_at")
    list_filter = ("status",)
    search_fields = ("client__legal_name", "description")
    list_select_related = ("client", "assignee")
    inlines = [ComplaintEventInline]
