"""Writes to the client registry. Every change of client data goes through here."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .models import Assignment, Client


def client_aum_set(*, client: Client, aum_total: Decimal, currency: str) -> Client:
    """Store a client's AUM (base currency) and the tier it falls in under the current thresholds."""
    client.aum_total = aum_total
    client.aum_currency = currency
    client.aum_tier = selectors.aum_tier_for(aum_total)
    client.save(update_fields=["aum_total", "aum_currency", "aum_tier", "updated_at"])
    return client


def client_aum_tiers_refresh() -> int:
    """Re-tier every client after the thresholds changed; returns how many moved. Safe to run again."""
    thresholds = selectors.aum_tier_thresholds()
    moved = 0
    for tier in Client.AumTier:
        condition = selectors.aum_tier_condition(tier, thresholds)
        moved += Client.objects.filter(condition).exclude(aum_tier=tier).update(aum_tier=tier)
    return moved


@transaction.atomic
def assignment_transfer(
    *, client: Client, manager, assigned_by, reason: str, role: str = Assignment.Role.PRIMARY
) -> Assignment:
    """Make ``manager`` the client's RM in ``role``: close the open assignment in that role
    (for primary) and open the new one, in one transaction.

    The database refuses a second open primary assignment, so two concurrent
    transfers cannot both succeed.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the assignment.")})
    now = timezone.now()
    # Lock the client row so concurrent transfers of the same client queue up.
    client = Client.objects.select_for_update().get(pk=client.pk)
    open_assignments = Assignment.objects.filter(client=client, ended_at__isnull=True)
    if role == Assignment.Role.PRIMARY:
        current = open_assignments.filter(role=Assignment.Role.PRIMARY).first()
        if current is not None and current.manager_id == manager.pk:
            raise ValidationError(_("%(manager)s is already the primary RM of %(client)s.") % {
                "manager": manager, "client": client})
        # A backup who becomes primary stops being backup.
        open_assignments.filter(manager=manager, role=Assignment.Role.BACKUP).update(ended_at=now)
        open_assignments.filter(role=Assignment.Role.PRIMARY).update(ended_at=now)
    elif open_assignments.filter(manager=manager).exists():
        raise ValidationError(_("%(manager)s already serves %(client)s.") % {"manager": manager, "client": client})
    assignment = Assignment(
        client=client, manager=manager, role=role, started_at=now, reason=reason.strip(), assigned_by=assigned_by
    )
    assignment.full_clean()
    assignment.save()
    if role == Assignment.Role.PRIMARY:
        client.primary_manager = manager
        client.save(update_fields=["primary_manager", "updated_at"])
    return assignment
