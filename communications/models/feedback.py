"""Client feedback (CSAT, NPS, comments) sent through a signed link, and the complaints it raises.

Writes go through ``communications.feedback_services`` only; the database refuses scores out of
range, a second submission on one link, and a closed complaint without its closing time.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.history import audited_history
from crm.models import Client, PublicLink

from .settings_row import SettingsRow

__all__ = ["Complaint", "ComplaintEvent", "Feedback", "FeedbackSettings"]

COMMENTS_MAX_LENGTH = 2000


class FeedbackSettings(SettingsRow):
    """The one row of feedback settings an administrator edits (a data migration creates it)."""

    complaint_sla_days = models.PositiveSmallIntegerField(
        _("complaint SLA (days)"), default=15,
        help_text=_("Days from receipt within which a complaint must be resolved or rejected."))
    link_valid_days = models.PositiveSmallIntegerField(
        _("feedback link valid for (days)"), default=14,
        help_text=_("How long a feedback link sent to a client can be used."))
    history = audited_history()

    class Meta:
        verbose_name = _("feedback settings")
        verbose_name_plural = _("feedback settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="feedback_settings_single_row"),
            models.CheckConstraint(condition=Q(complaint_sla_days__gte=1, complaint_sla_days__lte=365),
                                   name="feedback_settings_sla_range"),
            models.CheckConstraint(condition=Q(link_valid_days__gte=1, link_valid_days__lte=90),
                                   name="feedback_settings_link_days_range"),
        ]

    def __str__(self) -> str:
        return str(_("Feedback settings"))


class Feedback(models.Model):
    """One submission of the public feedback form (or a demo row without a link)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("client"))
    # The RM and the AUM tier when the client answered, so satisfaction per RM and per tier
    # stays true to the time after a handover or a re-tiering.
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("relationship manager"))
    aum_tier = models.CharField(_("AUM tier"), max_length=10, choices=Client.AumTier, blank=True)
    link = models.OneToOneField(
        PublicLink, on_delete=models.PROTECT, null=True, blank=True, related_name="feedback",
        verbose_name=_("link"))
    csat = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("likelihood to recommend (0–10)"), null=True, blank=True)
    comments = models.TextField(_("comments"), max_length=COMMENTS_MAX_LENGTH, blank=True)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)

    history = audited_history()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                                   name="feedback_csat_1_to_5"),
            models.CheckConstraint(condition=Q(nps__isnull=True) | Q(nps__lte=10), name="feedback_nps_0_to_10"),
            models.CheckConstraint(condition=Q(csat__isnull=False) | Q(nps__isnull=False) | ~Q(comments=""),
                                   name="feedback_not_empty"),
        ]
        indexes = [models.Index(fields=["client", "-submitted_at"], name="feedback_client_recent_idx")]

    def __str__(self) -> str:
        return f"{self.client} · {self.submitted_at:%Y-%m-%d}"


class Complaint(models.Model):
    """A client's complaint, tracked to resolution within the SLA; every change of status or
    assignee is a ``ComplaintEvent`` (and a simple-history row)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("Rejected")

    CLOSED = (Status.RESOLVED, Status.REJECTED)

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("client"))
    feedback = models.OneToOneField(
        Feedback, on_delete=models.PROTECT, null=True, blank=True, related_name="complaint",
        verbose_name=_("feedback"))
    description = models.TextField(_("description"), max_length=COMMENTS_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.OPEN, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"))
    raised_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_on = models.DateField(_("due on"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"), help_text=_("Empty when the client raised it through the feedback form."))
    history = audited_history()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status__in=["resolved", "rejected"], closed_at__isnull=False)
                           | (~Q(status__in=["resolved", "rejected"]) & Q(closed_at__isnull=True))),
                name="complaint_closed_at_iff_closed"),
            models.CheckConstraint(condition=Q(status__in=["open", "in_progress", "resolved", "rejected"]),
                                   name="complaint_status_known"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="complaint_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.client} · {self.raised_at:%Y-%m-%d}"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED

    def is_overdue(self, today=None) -> bool:
        return not self.is_closed and self.due_on < (today or timezone.localdate())


class ComplaintEvent(models.Model):
    """One change of a complaint: who, when, from which status to which, the assignee after it, why."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events",
                                  verbose_name=_("complaint"))
    from_status = models.CharField(_("from"), max_length=12, choices=Complaint.Status, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Complaint.Status)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"))
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("by"), help_text=_("Empty for the client, through the feedback form."))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.from_status or '—'} → {self.to_status}"
