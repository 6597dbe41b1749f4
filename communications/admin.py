"""Admin for contacts, reviews and reminders: administrators edit the review cadences and the
reminder settings; the records themselves are read here (they change through the app's pages and
services only)."""

from django.contrib import admin

from crm.admin import HistoryAdmin, ReadOnlyAdmin

from .models import ContactLog, Notification, Reminder, ReminderPolicy, Review, ReviewCadence, ReviewSchedule


@admin.register(ReviewCadence)
class ReviewCadenceAdmin(HistoryAdmin):
    list_display = ("tier", "interval_months")

    def has_delete_permission(self, request, obj=None):
        return False  # a tier without a row silently falls back to the default; edit it instead


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(HistoryAdmin):
    list_display = ("__str__", "due_soon_days", "escalation_days")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ReminderPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactLog)
class ContactLogAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "channel", "occurred_at", "recorded_by", "next_step_due_on", "next_step_done_at")
    list_filter = ("channel",)
    list_select_related = ("client", "recorded_by")
    search_fields = ("client__legal_name", "summary")
    raw_id_fields = ("client",)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "completed_on", "was_due_on", "next_due_on", "completed_by")
    list_select_related = ("client", "completed_by")
    search_fields = ("client__legal_name",)


@admin.register(ReviewSchedule)
class ReviewScheduleAdmin(ReadOnlyAdmin):
    list_display = ("client", "anchor_on", "interval_months", "due_on")
    list_select_related = ("client",)
    search_fields = ("client__legal_name",)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("client", "kind", "due_on", "manager", "created_at", "done_at")
    list_filter = ("kind",)
    list_select_related = ("client", "manager")
    search_fields = ("client__legal_name",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("reminder", "recipient", "reason", "created_at", "read_at", "emailed_at")
    list_filter = ("reason",)
    list_select_related = ("reminder", "recipient")
