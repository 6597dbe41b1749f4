"""Reads of the client registry. ``client_list_visible`` is the one access rule."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Assignment, Client, Team
from .roles import Role, has_role


def client_list_visible(*, user) -> QuerySet[Client]:
    """Every client the user may see; views, form choices and exports all start here.

    An RM sees the clients they are the current primary RM of, or an open backup RM
    of; a team lead also sees their teams' clients and clients with no primary RM;
    compliance and administrators see everyone.
    """
    clients = Client.objects.all()
    if has_role(user, Role.ADMINISTRATOR, Role.COMPLIANCE):
        return clients
    if not has_role(user, Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD):
        return clients.none()
    backup = Assignment.objects.filter(
        client=OuterRef("pk"), manager=user, role=Assignment.Role.BACKUP, ended_at__isnull=True
    )
    served = Q(primary_manager=user) | Exists(backup)
    if has_role(user, Role.TEAM_LEAD):
        team_members = Team.objects.filter(lead=user).values("members")
        served |= Q(primary_manager__in=team_members) | Q(primary_manager__isnull=True)
    return clients.filter(served)


def client_list_editable(*, user) -> QuerySet[Client]:
    """The visible clients the user may change: compliance reads everything and edits nothing."""
    if has_role(user, Role.ADMINISTRATOR):
        return Client.objects.all()
    if not has_role(user, Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD):
        return Client.objects.none()
    return client_list_visible(user=user)


def client_get_visible(*, user, pk: int) -> Client:
    """The client if the user may see it, else 404: another RM's client does not exist for them."""
    return get_object_or_404(client_list_visible(user=user), pk=pk)


def client_get_editable(*, user, pk: int) -> Client:
    return get_object_or_404(client_list_editable(user=user), pk=pk)


def manager_list_assignable(*, user) -> QuerySet:
    """Staff this user may hand clients to: active RMs and team leads, the lead's own team for a lead."""
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(
        is_active=True, groups__name__in=[Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD]
    ).distinct()
    if has_role(user, Role.ADMINISTRATOR):
        return staff
    if has_role(user, Role.TEAM_LEAD):
        return staff.filter(Q(teams__lead=user) | Q(pk=user.pk)).distinct()
    return staff.none()


def aum_tier_thresholds() -> dict[str, "Decimal"]:
    """The admin-set minimum AUM per tier; a tier with no row falls back to the domain default."""
    from decimal import Decimal

    from .models import AumTierThreshold

    defaults = {Client.AumTier.HNW: Decimal("6000000"), Client.AumTier.AFFLUENT: Decimal("500000"),
                Client.AumTier.MASS: Decimal("0")}
    defaults.update(dict(AumTierThreshold.objects.values_list("tier", "minimum_aum")))
    return defaults


def aum_tier_for(aum_total, thresholds: dict | None = None) -> str:
    """The highest tier whose minimum the AUM reaches."""
    thresholds = thresholds or aum_tier_thresholds()
    for tier, minimum in sorted(thresholds.items(), key=lambda item: item[1], reverse=True):
        if aum_total >= minimum:
            return tier
    return Client.AumTier.MASS


def aum_tier_condition(tier: str, thresholds: dict) -> Q:
    """The AUM range of one tier, as a filter (used to re-tier in bulk)."""
    ordered = sorted(thresholds.items(), key=lambda item: item[1])
    for index, (name, minimum) in enumerate(ordered):
        if name == tier:
            condition = Q(aum_total__gte=minimum) if index else Q()
            if index + 1 < len(ordered):
                condition &= Q(aum_total__lt=ordered[index + 1][1])
            return condition
    return Q(pk__in=[])
