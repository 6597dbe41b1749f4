"""Reads of a book's suitability mismatches (dashboard, risk overview, team report).

A book's count of unsuitable holdings used to visit every holding of it (a team lead's ~100,000);
these read one ``ClientRatedHoldings`` row per client instead, and add the ratings above the
client's highest suitable one. That rating is computed here, at read time, because it follows the
client's level and today's date (an assessment expires), which the stored counts do not."""

from datetime import date

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from crm.models import Client
from crm.scales import RiskBasis, RiskLevel, rating_highest_suitable

from .models import ClientRatedHoldings
from .selectors import OVERVIEW_ROWS, holding_list_unsuitable


def _rated_above(highest: str):
    """The client's counted holdings rated above ``highest`` (an expression on the client row)."""
    fields = [F(f"rated_holdings__{field}") for rating, field in ClientRatedHoldings.FIELDS.items() if rating > highest]
    return sum(fields[1:], fields[0]) if fields else Value(0)


def unsuitable_holdings_expression(*, today: date):
    """Per client (the outer row): how many holdings of its active accounts are rated above what its
    level allows today, with no exception covering them; ``holding_list_unsuitable``'s count."""
    valid = Q(risk_level_basis=RiskBasis.ASSESSMENT, risk_valid_until__gte=today)
    return Case(
        *[When(valid & Q(risk_level=level), then=_rated_above(rating_highest_suitable(level=level, assessment_valid=True)))
          for level in RiskLevel.values],
        default=_rated_above(rating_highest_suitable(level="", assessment_valid=False)),
        output_field=IntegerField(),
    )


def client_list_unsuitable(*, clients: QuerySet[Client], today: date | None = None) -> QuerySet[Client]:
    """Those of ``clients`` holding at least one unsuitable holding without an exception, with how
    many (``unsuitable_holdings``, an alias to filter on; sum ``unsuitable_holdings_expression``)."""
    today = today or timezone.localdate()
    return (
        clients.filter(rated_holdings__isnull=False)
        .alias(unsuitable_holdings=unsuitable_holdings_expression(today=today))
        .filter(unsuitable_holdings__gt=0)
    )


def unsuitable_aggregates(*, today: date) -> dict:
    """Aggregates over clients, to add to an ``aggregate`` or ``values().annotate`` the caller makes
    anyway (one pass over the clients for both): ``unsuitable_holdings``, how many unsuitable holdings
    without an exception they hold, and ``unsuitable_clients``, how many of them hold one."""
    expression = unsuitable_holdings_expression(today=today)  # NULL for a client without a row: none
    return {"unsuitable_holdings": Coalesce(Sum(expression), 0),
            "unsuitable_clients": Count("pk", filter=GreaterThan(expression, 0))}


def unsuitable_totals(*, clients: QuerySet[Client], today: date | None = None) -> dict:
    """How many unsuitable holdings without an exception ``clients`` hold, and how many of them hold
    one (``holdings``, ``clients``); one query."""
    today = today or timezone.localdate()
    totals = client_list_unsuitable(clients=clients.order_by(), today=today).aggregate(
        holdings=Sum(unsuitable_holdings_expression(today=today)), clients=Count("pk"))
    return {"holdings": totals["holdings"] or 0, "clients": totals["clients"]}


def risk_overview_suitability_panel(*, request, clients: QuerySet[Client]) -> dict:
    """The risk overview's unsuitable holdings without an exception, among the page's clients: the
    count and the first rows (two queries). The rows are read among the first clients, by name,
    that hold one: the first ``OVERVIEW_ROWS`` holdings belong to them."""
    today = timezone.localdate()
    first_clients = (client_list_unsuitable(clients=clients.order_by(), today=today)
                     .order_by("legal_name", "pk").values("pk")[:OVERVIEW_ROWS])
    holdings = holding_list_unsuitable(clients=Client.objects.filter(pk__in=first_clients), today=today)
    return {
        "count": unsuitable_totals(clients=clients, today=today)["holdings"],
        "holdings": list(holdings.select_related("account__client__primary_manager", "account__institution",
                                                 "instrument")
                         .order_by("account__client__legal_name", "instrument__code")[:OVERVIEW_ROWS]),
    }
