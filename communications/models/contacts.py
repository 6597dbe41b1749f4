"""The contact log: every conversation with a client, and the next step it promised."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.history import audited_history
from crm.models import Client

__all__ = ["ContactLog"]


class ContactLog(models.Model):
    """One contact with a client. A next step with a due date is a follow-up: it is due until
    ``next_step_done_at`` is set (``contact_follow_up_done``)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        BRANCH_VISIT = "branch_visit", _("Branch visit")
        MESSAGING = "messaging", _("Messaging app")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_logs",
                               verbose_name=_("client"))
    channel = models.CharField(_("channel"), max_length=15, choices=Channel, default=Channel.PHONE)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    participants = models.CharField(_("participants"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), max_length=4000)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due_on = models.DateField(_("next step due on"), null=True, blank=True)
    next_step_done_at = models.DateTimeField(_("next step done at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    history = audited_history()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contact log")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(next_step_due_on__isnull=True) | ~Q(next_step=""),
                                   name="contact_due_date_needs_next_step"),
            models.CheckConstraint(condition=Q(next_step_done_at__isnull=True) | Q(next_step_due_on__isnull=False),
                                   name="contact_done_needs_due_date"),
            models.CheckConstraint(condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=24 * 60),
                                   name="contact_duration_at_most_a_day"),
        ]
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="contact_client_recent_idx"),
            # The follow-up scan reads open next steps by due date.
            models.Index(fields=["next_step_due_on"], condition=Q(next_step_done_at__isnull=True),
                         name="contact_follow_up_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_channel_display()} · {self.occurred_at:%Y-%m-%d}"
