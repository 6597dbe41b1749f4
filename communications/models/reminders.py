"""Reminders and the notifications that deliver them.

A ``Reminder`` is one thing that needs an RM's attention, made from a ``crm.attention`` item by
the reminder scan: it exists exactly once per (client, kind, due date), which the database
enforces, so a repeated scan, two scans at once or a scan killed half-way and run again never
duplicate one. A ``Notification`` delivers a reminder to one person, in the notification centre
and by e-mail: exactly once per (reminder, recipient, reason), again enforced by the database;
``emailed_at`` is its outbox flag.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from crm.history import audited_history
from crm.models import Client

from .settings_row import SettingsRow

__all__ = ["Notification", "Reminder", "ReminderPolicy"]


class ReminderPolicy(SettingsRow):
    """The one row of reminder settings an administrator edits (a data migration creates it)."""

    due_soon_days = models.PositiveSmallIntegerField(
        _("remind this many days ahead"), default=7,
        help_text=_("Reminders are created for reviews, follow-ups and other items due within this many days."))
    escalation_days = models.PositiveSmallIntegerField(
        _("escalate after this many days overdue"), default=7,
        help_text=_("An item still open this many days after its due date is escalated to the team lead."))
    history = audited_history()

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="reminder_policy_single_row"),
            models.CheckConstraint(condition=Q(due_soon_days__gte=1, due_soon_days__lte=90),
                                   name="reminder_policy_due_soon_range"),
            models.CheckConstraint(condition=Q(escalation_days__gte=1, escalation_days__lte=365),
                                   name="reminder_policy_escalation_range"),
        ]

    def __str__(self) -> str:
        return str(_("Reminder settings"))


class Reminder(models.Model):
    """One item needing attention: a review or follow-up due, an expiring assessment, an open alert,
    an overdue complaint. Open until ``done_at``: marked done by someone (``done_by``), or closed
    by the scan or a service when the item no longer needs attention (``done_by`` empty)."""

    # No index of its own: the unique (client, kind, due date) and reminder_client_idx lead with it
    # (one index fewer to write for each of the scan's 100,000s of rows).
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("client"),
                               db_index=False)
    kind = models.CharField(_("kind"), max_length=50)
    due_on = models.DateField(_("due on"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("relationship manager"), help_text=_("Whom it concerned when it was raised; empty for an "
                                                            "unassigned client (team leads are told)."))
    # Untranslated text with %(name)s parameters, rendered in the reader's language (``text``).
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("done by"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "due_on"], name="reminder_once_per_client_kind_due"),
            models.CheckConstraint(condition=Q(done_by__isnull=True) | Q(done_at__isnull=False),
                                   name="reminder_done_by_needs_done_at"),
        ]
        indexes = [
            models.Index(fields=["kind", "due_on"], condition=Q(done_at__isnull=True), name="reminder_open_idx"),
            models.Index(fields=["client", "done_at"], name="reminder_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} · {self.kind} · {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def text(self) -> str:
        """The summary in the active language."""
        if not self.summary:
            return ""
        try:
            return _gettext(self.summary) % self.params
        except (KeyError, TypeError, ValueError):
            return self.summary


class Notification(models.Model):
    """A reminder delivered to one person: in the notification centre (``read_at``) and by e-mail
    (``emailed_at``, the outbox flag set by ``notifications_email_send``)."""

    class Reason(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalation")

    # No index of their own: the unique (reminder, recipient, reason) and notification_recipient_idx
    # lead with them (fewer indexes to write for each of the scan's notifications).
    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="notifications",
                                 verbose_name=_("reminder"), db_index=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"), db_index=False)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason, default=Reason.REMINDER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "recipient", "reason"], name="notification_once_per_recipient"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The navbar's unread count: one index-only lookup per page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
            # The e-mail outbox.
            models.Index(fields=["recipient"], condition=Q(emailed_at__isnull=True), name="notification_outbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} → {self.recipient_id}: {self.reminder}"
