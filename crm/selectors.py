"""Reads of the client registry. Which clients a user may see or change: ``crm.access``."""

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy

from .access import (
    among_clients,
    client_list_editable,
    client_list_visible,
    manager_list_assignable,
    registration_conflict_list_visible,
)
from .models import Client, ClientListPreference, Household, HouseholdMember, SavedFilter


def aum_tier_thresholds() -> dict[str, Decimal]:
    """The admin-set minimum AUM per tier; a tier with no row falls back to the domain default."""
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


# ---------------------------------------------------------------------------
# Client list: search, filters, sorting
# ---------------------------------------------------------------------------

# Stage order for display and sorting; also the order of the lifecycle itself.
LIFECYCLE_ORDER = [
    Client.LifecycleStage.POTENTIAL, Client.LifecycleStage.DEVELOPMENT, Client.LifecycleStage.GROWTH,
    Client.LifecycleStage.MATURITY, Client.LifecycleStage.DECLINE, Client.LifecycleStage.TERMINATION,
]

# The only moves the business allows; termination keeps the record and can be re-activated.
LIFECYCLE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Client.LifecycleStage.POTENTIAL: (Client.LifecycleStage.DEVELOPMENT, Client.LifecycleStage.TERMINATION),
    Client.LifecycleStage.DEVELOPMENT: (
        Client.LifecycleStage.GROWTH, Client.LifecycleStage.DECLINE, Client.LifecycleStage.TERMINATION),
    Client.LifecycleStage.GROWTH: (
        Client.LifecycleStage.MATURITY, Client.LifecycleStage.DECLINE, Client.LifecycleStage.TERMINATION),
    Client.LifecycleStage.MATURITY: (
        Client.LifecycleStage.DECLINE, Client.LifecycleStage.GROWTH, Client.LifecycleStage.TERMINATION),
    Client.LifecycleStage.DECLINE: (
        Client.LifecycleStage.GROWTH, Client.LifecycleStage.MATURITY, Client.LifecycleStage.TERMINATION),
    Client.LifecycleStage.TERMINATION: (Client.LifecycleStage.DEVELOPMENT,),
}

RISK_NOT_ASSESSED = "none"
SEARCH_INVALID = "search_invalid"  # set by ClientFilterForm when the search term was refused
MANAGER_NONE = "none"
STATUS_ALL = "all"


def lifecycle_stages_next(*, client: Client) -> list[tuple[str, str]]:
    """The (value, label) stages the client may move to from its current stage."""
    allowed = LIFECYCLE_TRANSITIONS.get(client.lifecycle_stage, ())
    return [(stage.value, stage.label) for stage in Client.LifecycleStage if stage in allowed]


def _ordered_case(field: str, values: list) -> Case:
    return Case(*[When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)],
                default=Value(len(values)), output_field=IntegerField())


def _sort_keys() -> dict[str, list]:
    tier_rank = _ordered_case("aum_tier", [Client.AumTier.HNW, Client.AumTier.AFFLUENT, Client.AumTier.MASS])
    stage_rank = _ordered_case("lifecycle_stage", LIFECYCLE_ORDER)
    return {
        "name": [F("legal_name").asc(), F("id").asc()],
        "aum": [F("aum_total").asc(), F("id").asc()],
        "tier": [tier_rank.asc(), F("aum_total").desc(), F("id").asc()],
        "lifecycle": [stage_rank.asc(), F("legal_name").asc(), F("id").asc()],
        "rm": [F("primary_manager__first_name").asc(nulls_last=True),
               F("primary_manager__last_name").asc(nulls_last=True), F("legal_name").asc(), F("id").asc()],
        "created": [F("created_at").asc(), F("id").asc()],
    }


CLIENT_SORTS = ("name", "aum", "tier", "lifecycle", "rm", "created")


def _reverse(order):
    return [expr.copy().reverse_ordering() if hasattr(expr, "reverse_ordering") else expr for expr in order]


def search_term_normalise(term: str) -> str:
    """Full-width to half-width (ＡＢ１２ → AB12), collapsed whitespace, trimmed; NUL bytes dropped
    (PostgreSQL refuses them in a query)."""
    return " ".join(unicodedata.normalize("NFKC", term or "").replace("\x00", "").split())


def _search_condition(term: str) -> Q:
    """Name (legal or preferred), ID number, phone or e-mail matching a typed term.

    A term of digits (an ID, phone or client number, with an ID's check character X) is not looked
    up in names: a long digit string costs the trigram indexes many lists to intersect for nothing."""
    compact = term.replace(" ", "").replace("-", "")
    number = bool(re.fullmatch(r"\+?\d+[Xx]?", compact))
    condition = Q() if number else Q(legal_name__icontains=term) | Q(preferred_name__icontains=term)
    if compact:
        # ID numbers are stored upper-case without separators, so the exact lookup can use the index.
        condition |= Q(id_number=compact.upper()) | Q(id_number__startswith=compact.upper())
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 4 and len(digits) >= len(compact.lstrip("+")) - 2:
        # The term is (nearly) all digits: the end of a phone stored as E.164, so the last digits or
        # the whole number with or without its country code; without the 00 or 0 dialled before a
        # country or area code. By the reversed phone's prefix, which an index serves on PostgreSQL
        # (crm migration 0017): a trigram search for '00000000' read every client.
        tails = {tail[::-1] for tail in (digits, digits.lstrip("0")) if len(tail) >= 4}
        for tail in tails:
            condition |= Q(StartsWith(Reverse("phone"), tail))
    if "@" in term:
        condition |= Q(email__iexact=compact) | Q(email__istartswith=compact)
    if compact.isdigit() and len(compact) <= 12:
        condition |= Q(pk=int(compact))  # the client number (the navbar's search box takes it too)
    return condition


def _listed(clients: QuerySet[Client]) -> QuerySet[Client]:
    """What a list shows of each client besides its own columns: the primary RM (joined), the tags."""
    return clients.select_related("primary_manager").prefetch_related("tags")


def client_list_search(*, user, params: Mapping | None = None) -> QuerySet[Client]:
    """The visible clients matching search, filters and sort in ``params`` (validated by ClientFilterForm).

    Keys: q, tier, risk (a level or "none" for not assessed), lifecycle, goal, liquidity, returns,
    rm (an id or "none"),
    tags (ids, any of), status ("" hides merged records, "all" shows everything), sort (one of
    CLIENT_SORTS, "-" prefix for descending). Unknown values are ignored, never an error.
    """
    params = params or {}
    clients = _listed(client_list_visible(user=user))
    if params.get(SEARCH_INVALID):
        return clients.none()  # a refused search lists nothing, never everything
    term = search_term_normalise(params.get("q") or "")
    if term:
        clients = clients.filter(_search_condition(term))
    if params.get("tier") in Client.AumTier.values:
        clients = clients.filter(aum_tier=params["tier"])
    risk = params.get("risk")
    if risk == RISK_NOT_ASSESSED:
        clients = clients.filter(risk_level="")
    elif risk:
        clients = clients.filter(risk_level=risk)
    for key, field, choices in [
        ("lifecycle", "lifecycle_stage", Client.LifecycleStage),
        ("goal", "investment_goal", Client.InvestmentGoal),
        ("liquidity", "liquidity_need", Client.LiquidityNeed),
        ("returns", "return_expectation", Client.ReturnExpectation),
    ]:
        if params.get(key) in choices.values:
            clients = clients.filter(**{field: params[key]})
    manager = params.get("rm")
    if manager == MANAGER_NONE:
        clients = clients.filter(primary_manager__isnull=True)
    elif manager:
        clients = clients.filter(primary_manager_id=getattr(manager, "pk", manager))
    tag_ids = [getattr(tag, "pk", tag) for tag in (params.get("tags") or [])]
    if tag_ids:
        # EXISTS rather than a join, so a client with two matching tags is listed once without DISTINCT.
        clients = clients.filter(Exists(Client.tags.through.objects.filter(client=OuterRef("pk"), tag__in=tag_ids)))
    status = params.get("status") or ""
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    elif status != STATUS_ALL:
        clients = clients.exclude(status=Client.Status.MERGED)
    sort = params.get("sort") or "name"
    descending = sort.startswith("-")
    keys = _sort_keys().get(sort.lstrip("-"), _sort_keys()["name"])
    return clients.order_by(*(_reverse(keys) if descending else keys))


# A list of at most this many clients is found first and sorted after; a longer one is read in sort order.
SORTED_AFTER_FINDING = 5000
# The same for a search's matches: a name search's matches cluster in name order (one surname sorts
# together), so the walk of the name index can read most of the book before it meets them (550,000
# rows for the 17,600 'wang' of a 1,000,000-client book: 2.3 s); finding them costs ~0.3 s there.
SEARCH_SORTED_AFTER_FINDING = 20_000


def client_list_for_page(clients: QuerySet[Client], *, total: int, searched: bool = False) -> QuerySet[Client]:
    """``clients`` (from ``client_list_search``) in the shape that reads one page fastest, given how
    many there are (``client_list_summary``).

    A short list (an RM's book, a lead's HNW clients, the matches of a search) is found through the
    indexes of its filters first, then fetched by id and sorted: on PostgreSQL ``id = ANY(ARRAY(SELECT
    ...))``, an InitPlan; the access rule and filters are not evaluated a second time on the rows.
    Left as one WHERE under ORDER BY legal_name LIMIT 51, the planner walked the name index hoping to
    meet 51 of them early: 7,500 rows read for a lead's 686 HNW clients, 5,900 for an RM's book,
    55,000 for the 1,729 'wang' of the whole book. A long list is cheapest read that way, in index order."""
    if total > (SEARCH_SORTED_AFTER_FINDING if searched else SORTED_AFTER_FINDING):
        return clients
    return _listed(Client.objects.filter(among_clients(clients, field="pk"))).order_by(*clients.query.order_by)


# Columns of the client list. Name and AUM are always shown (AUM must be visible without scrolling);
# the others are chosen per user in the column chooser. Order: the table's.
CLIENT_COLUMNS = ("phone", "rm", "tier", "risk", "lifecycle", "tags", "created")
CLIENT_COLUMNS_DEFAULT = ("rm", "tier", "risk", "lifecycle")


def client_list_columns(*, user) -> list[str]:
    """The optional columns the user chose (the default set until they choose); one query."""
    chosen = ClientListPreference.objects.filter(user=user).values_list("columns", flat=True).first()
    if chosen is None:
        return list(CLIENT_COLUMNS_DEFAULT)
    return [column for column in CLIENT_COLUMNS if column in chosen]


def client_list_summary(clients: QuerySet[Client]) -> dict:
    """How many clients a filtered list holds and their AUM sum, in one aggregate query.

    The sum adds each client's stored AUM (already in the base currency, as the tiers are)."""
    totals = clients.order_by().aggregate(client_count=Count("id"), aum_sum=Sum("aum_total"))
    return {"client_count": totals["client_count"], "aum_sum": totals["aum_sum"] or Decimal("0"),
            "currency": settings.BASE_CURRENCY}


RECENT_CLIENTS_KEPT = 8  # how many recently viewed clients a user's session remembers


def client_list_recent(*, user, client_ids) -> list[Client]:
    """The recently viewed clients (ids newest first) the user may still see, in that order; one query.
    A client no longer visible (handed over, merged away) simply drops out."""
    ids = [int(pk) for pk in client_ids or () if str(pk).isdigit()][:RECENT_CLIENTS_KEPT]
    if not ids:
        return []
    found = {c.pk: c for c in client_list_visible(user=user).filter(pk__in=ids).only(
        "pk", "legal_name", "preferred_name", "status")}
    return [found[pk] for pk in ids if pk in found]


def client_tier_summary(*, user) -> list[dict]:
    """Per AUM tier: how many visible (non-merged) clients and their AUM, in tier order; one query."""
    rows = {
        row["aum_tier"]: row
        for row in client_list_visible(user=user).exclude(status=Client.Status.MERGED).order_by()
        .values("aum_tier").annotate(client_count=Count("id"), aum_sum=Sum("aum_total"))
    }
    return [
        {"tier": tier, "label": tier.label, "client_count": rows.get(tier, {}).get("client_count", 0),
         "aum_sum": rows.get(tier, {}).get("aum_sum") or Decimal("0"), "currency": settings.BASE_CURRENCY}
        for tier in (Client.AumTier.HNW, Client.AumTier.AFFLUENT, Client.AumTier.MASS)
    ]


# ---------------------------------------------------------------------------
# Client 360
# ---------------------------------------------------------------------------

def client_360(*, user, pk: int) -> dict:
    """Everything the client page shows, in a fixed number of queries whatever the history length."""
    client = get_object_or_404(
        client_list_visible(user=user).select_related(
            "primary_manager", "created_by", "merged_into", "household_membership__household")
        .prefetch_related("tags"),
        pk=pk,
    )
    assignments = list(client.assignments.select_related("manager", "assigned_by").order_by("-started_at", "-id"))
    transitions = list(client.lifecycle_transitions.select_related("changed_by"))
    try:
        membership = client.household_membership  # joined above: no query of its own
    except HouseholdMember.DoesNotExist:
        membership = None
    household = household_with_members(user=user, household=membership.household) if membership else None
    return {
        "client": client,
        "assignments": assignments,
        "open_assignments": [a for a in assignments if a.ended_at is None],
        "transitions": transitions,
        "membership": membership,
        "household": household,
        "next_stages": lifecycle_stages_next(client=client),
    }


# ---------------------------------------------------------------------------
# Households
# ---------------------------------------------------------------------------

def household_with_members(*, user, household: Household) -> dict:
    """A household's members the user may see, their combined AUM, and how many members are hidden.

    Combined AUM counts only visible members: another RM's client's assets are not this user's to see.
    """
    visible_ids = client_list_visible(user=user).values("pk")
    members = list(
        household.members.filter(client__in=visible_ids).select_related("client", "client__primary_manager")
        .order_by("relationship", "client__legal_name")
    )
    totals = household.members.aggregate(
        member_count=Count("id"),
        combined_aum=Sum("client__aum_total", filter=Q(client__in=visible_ids)),
    )
    return {
        "household": household,
        "members": members,
        "combined_aum": totals["combined_aum"] or Decimal("0"),
        "currency": settings.BASE_CURRENCY,
        "hidden_member_count": totals["member_count"] - len(members),
    }


# ---------------------------------------------------------------------------
# Team lead views: workload and handover
# ---------------------------------------------------------------------------

def manager_workload(*, user) -> dict:
    """Per RM the lead supervises (every RM for an administrator): active client count and AUM sum,
    in one aggregate query; plus the unassigned clients the lead can see."""
    from django.contrib.auth import get_user_model

    # Through a pk subquery: the joins that pick the managers (groups, teams) would otherwise
    # multiply each client row and inflate the counts.
    managers = get_user_model().objects.filter(pk__in=manager_list_assignable(user=user).values("pk"))
    counted = ~Q(primary_clients__status=Client.Status.MERGED)
    rows = list(
        managers.annotate(
            client_count=Count("primary_clients", filter=counted),
            aum_sum=Sum("primary_clients__aum_total", filter=counted),
            hnw_count=Count("primary_clients", filter=counted & Q(primary_clients__aum_tier=Client.AumTier.HNW)),
        ).order_by("first_name", "last_name", "username")
    )
    unassigned = (
        client_list_visible(user=user).filter(primary_manager__isnull=True).exclude(status=Client.Status.MERGED)
    )
    return {
        "managers": rows,
        "total_clients": sum(row.client_count for row in rows),
        "total_aum": sum((row.aum_sum or Decimal("0") for row in rows), Decimal("0")),
        "currency": settings.BASE_CURRENCY,
        "unassigned": unassigned.order_by("-aum_total", "id")[:UNASSIGNED_SHOWN],
        "registration_conflicts": list(registration_conflict_list_visible(user=user).select_related(
            "requested_by", "client__primary_manager")[:UNASSIGNED_SHOWN]),
        "unassigned_count": unassigned.count(),
    }


UNASSIGNED_SHOWN = 50


def handover_clients(*, user, leaving_manager) -> QuerySet[Client]:
    """The leaving RM's clients (as primary) the user may reassign, biggest first."""
    return (
        client_list_editable(user=user).filter(primary_manager=leaving_manager)
        .exclude(status=Client.Status.MERGED).order_by("-aum_total", "legal_name", "id")
    )


def handover_plan(
    *, user, leaving_manager, targets: list, client_ids: list | None = None, mapping: dict | None = None
) -> list[tuple[Client, object]]:
    """Which client goes to whom: (client, new RM) pairs, biggest client first.

    ``client_ids`` None means the whole book. Clients are dealt round-robin over ``targets`` in
    AUM order, so big clients spread evenly; ``mapping`` (client id → target) overrides that
    client by client. The same input always gives the same plan, so preview and confirm agree.
    """
    clients = handover_clients(user=user, leaving_manager=leaving_manager)
    if client_ids is not None:
        clients = clients.filter(pk__in=client_ids)
    targets = list(targets)
    by_id = {target.pk: target for target in targets}
    mapping = mapping or {}
    plan = []
    for index, client in enumerate(clients):
        chosen = by_id.get(getattr(mapping.get(client.pk), "pk", mapping.get(client.pk)))
        plan.append((client, chosen or targets[index % len(targets)]))
    return plan


def saved_filter_list(*, user) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(owner=user)


DUPLICATE_REASONS = {
    "id_number": gettext_lazy("same ID number"),
    "phone": gettext_lazy("same phone"),
    "email": gettext_lazy("same e-mail"),
    "name_birth_date": gettext_lazy("same name and date of birth"),
}


def client_duplicate_suggestions(*, user, client: Client, limit: int = 10) -> list[tuple[Client, list[str]]]:
    """Active records the user may edit that are likely the same person or company as ``client``,
    each with why (``DUPLICATE_REASONS`` labels): the same ID number, phone or e-mail, or the same
    name *and* date of birth. A name alone is no reason: two 何洋 born in 1950 and 1973 are two
    people. One query."""
    condition = Q()
    if client.id_number:
        condition |= Q(id_number=client.id_number)  # under any document type: a mistyped type is common
    if client.phone:
        condition |= Q(phone=client.phone)
    if client.email:
        condition |= Q(email__iexact=client.email)
    if client.birth_date:
        condition |= Q(legal_name=client.legal_name, birth_date=client.birth_date)
    if not condition:
        return []
    candidates = (client_list_editable(user=user).exclude(pk=client.pk)
                  .exclude(status=Client.Status.MERGED).filter(condition).order_by("legal_name", "pk")[:limit])
    suggestions = []
    for candidate in candidates:
        reasons = [key for key, same in [
            ("id_number", bool(client.id_number) and candidate.id_number == client.id_number),
            ("phone", bool(client.phone) and candidate.phone == client.phone),
            ("email", bool(client.email) and candidate.email.casefold() == client.email.casefold()),
            ("name_birth_date", bool(client.birth_date) and (candidate.legal_name, candidate.birth_date)
             == (client.legal_name, client.birth_date)),
        ] if same]
        suggestions.append((candidate, [str(DUPLICATE_REASONS[key]) for key in reasons]))
    return suggestions
