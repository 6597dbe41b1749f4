"""Periodic reviews: a cadence per segment, each client's next due date, and the reviews done."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.history import audited_history
from crm.models import Client

__all__ = ["Review", "ReviewCadence", "ReviewSchedule"]


class ReviewCadence(models.Model):
    """How often clients of one AUM tier are reviewed; administrators edit it (a data migration
    seeds HNW monthly, mass-affluent quarterly, mass yearly)."""

    tier = models.CharField(_("segment"), max_length=10, choices=Client.AumTier, unique=True)
    interval_months = models.PositiveSmallIntegerField(_("review every (months)"))
    history = audited_history()

    class Meta:
        verbose_name = _("review cadence")
        verbose_name_plural = _("review cadences")
        ordering = ["interval_months", "tier"]
        constraints = [
            models.CheckConstraint(condition=Q(interval_months__gte=1, interval_months__lte=60),
                                   name="review_cadence_1_to_60_months"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: {self.interval_months}"


class ReviewSchedule(models.Model):
    """When a client's next review is due: ``anchor_on`` (the last review, or the day the client
    was first scheduled) plus the cadence of the client's segment. Kept by
    ``communications.services`` only: ``review_complete`` moves it on, and the reminder scan
    creates missing schedules and follows changes of segment or cadence."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True,
                                  related_name="review_schedule", verbose_name=_("client"))
    anchor_on = models.DateField(_("counted from"))
    interval_months = models.PositiveSmallIntegerField(_("cadence (months)"))
    due_on = models.DateField(_("next review due"), db_index=True)

    class Meta:
        verbose_name = _("review schedule")
        verbose_name_plural = _("review schedules")
        constraints = [
            models.CheckConstraint(condition=Q(due_on__gt=models.F("anchor_on")), name="review_due_after_anchor"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.due_on}"


class Review(models.Model):
    """A completed periodic review: its checklist, and the due date it scheduled next."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("client"))
    completed_on = models.DateField(_("completed on"), default=timezone.localdate)
    was_due_on = models.DateField(_("was due on"), null=True, blank=True)
    portfolio_reviewed = models.BooleanField(_("portfolio and allocation reviewed"), default=False)
    risk_assessment_valid = models.BooleanField(_("risk assessment still valid"), default=False)
    goals_reviewed = models.BooleanField(_("goals reviewed"), default=False)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    next_due_on = models.DateField(_("next review due"))
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("completed by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    history = audited_history()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(next_due_on__gt=models.F("completed_on")),
                                   name="review_next_due_after_completion"),
        ]
        indexes = [models.Index(fields=["client", "-completed_on"], name="review_client_recent_idx")]

    def __str__(self) -> str:
        return f"{self.client} · {self.completed_on}"
