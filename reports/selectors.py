"""Reads of the dashboards and reports: figures summed in the database, a fixed number of queries
whatever the size of the book or the number of RMs (GROUP BY, never a query per row).

Which clients: ``crm.access`` (``client_list_visible``), as everywhere. Merged-away records are left
out of every figure (their assets moved to the surviving client).

AUM on a past day is each client's latest ``ValuationSnapshot`` on or before that day (a client
valued on the 28th still counts on the 30th), summed; today's AUM is the stored ``aum_total``
(kept by the valuation). Both in the base currency.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from communications import feedback_selectors
from communications import selectors as communications_selectors
from communications.models import ContactLog, Feedback, Reminder, Review, ReviewSchedule
from crm import access
from crm.models import Client, Team
from crm.scales import RiskBasis
from portfolios import selectors as portfolio_selectors
from portfolios import suitability_selectors
from portfolios.models import AssetClass, ConcentrationLimit, Holding, ValuationSnapshot

ZERO = Decimal(0)
CHANGE_DAYS = 30  # "AUM change" compares with this many days ago (and with the start of the year)
HISTORY_MONTHS = 12  # points on the AUM chart: the last 11 month-ends and today
REVIEWS_DUE_DAYS = 30  # "reviews due" on the team dashboard: within this many days
FEEDBACK_DAYS = 90  # the dashboards' NPS / CSAT window
RECENT_FEEDBACK_SHOWN = 5
URGENT_REMINDERS_SHOWN = 6
TIERS = (Client.AumTier.HNW, Client.AumTier.AFFLUENT, Client.AumTier.MASS)
MONEY = DecimalField(max_digits=20, decimal_places=2)


def book_clients(*, user) -> QuerySet[Client]:
    """The clients the user may see, without merged-away records."""
    return client_scope(access.client_list_visible(user=user))


def client_scope(clients: QuerySet[Client]) -> QuerySet[Client]:
    return clients.exclude(status=Client.Status.MERGED).order_by()


def percent(part, whole, places: str = "0.1") -> Decimal | None:
    """``part`` as a percentage of ``whole``, rounded half up; None when ``whole`` is zero."""
    if not whole:
        return None
    return (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(Decimal(places))


# ---------------------------------------------------------------------------
# AUM history from valuation snapshots
# ---------------------------------------------------------------------------

def history_dates(today: date, months: int = HISTORY_MONTHS) -> list[date]:
    """The last day of each of the ``months - 1`` months before today's, then today; oldest first."""
    first_of_month = today.replace(day=1)
    ends = [first_of_month - relativedelta(months=back) - timedelta(days=1) for back in range(months - 1, 0, -1)]
    return [*ends, first_of_month - timedelta(days=1), today][-months:] if months > 1 else [today]


def change_dates(today: date) -> dict[str, date]:
    """The days the AUM change compares with: 30 days ago and the close of last year."""
    return {"days": today - timedelta(days=CHANGE_DAYS), "year": date(today.year - 1, 12, 31)}


def _aum_on(day: date) -> Sum:
    """The sum, over the grouped clients, of each one's latest snapshot on or before ``day``."""
    latest = ValuationSnapshot.objects.filter(client=OuterRef("pk"), valuation_date__lte=day).order_by(
        "-valuation_date").values("aum")[:1]
    return Sum(Subquery(latest, output_field=MONEY))


def aum_history_aggregates(days) -> dict[str, Sum]:
    """Aggregates named ``aum_on_<yyyymmdd>`` for ``days`` (to ``aggregate`` or ``annotate`` clients)."""
    return {f"aum_on_{day:%Y%m%d}": _aum_on(day) for day in days}


def past_aum_sums(clients: QuerySet[Client], days) -> dict[date, Decimal]:
    """Per day, the sum over ``clients`` of each one's latest snapshot on or before it; one query."""
    row = clients.aggregate(**aum_history_aggregates(days))
    return {day: aum_on(row, day) for day in days}


def aum_on(row, day: date) -> Decimal:
    value = row.get(f"aum_on_{day:%Y%m%d}") if isinstance(row, dict) else getattr(row, f"aum_on_{day:%Y%m%d}")
    return value or ZERO


def _seconds_to_midnight() -> int:
    now = timezone.localtime()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60, int((midnight - now).total_seconds()))


def past_aum_cached(*, user, key: str, compute):
    """``compute()``'s sums of past days' snapshots, kept until midnight.

    Past days' figures only change when a valuation is back-dated, and summing each client's
    latest snapshot costs one index probe per client and day: on a whole book (supervisors) that is
    seconds, so it is computed once a day per scope (shared by every supervisor) and then read from
    the cache. Today's AUM is never cached (it is the stored ``aum_total``)."""
    scope = "all" if access.is_supervisor(user) else f"user-{user.pk}"
    cache_key = f"reports:past-aum:{scope}:{key}"
    found = cache.get(cache_key)
    if found is None:
        found = compute()
        cache.set(cache_key, found, _seconds_to_midnight())
    return found


def _days_key(days) -> str:
    return ",".join(f"{day:%Y%m%d}" for day in sorted(set(days)))


@dataclass(frozen=True)
class Change:
    since: date
    before: Decimal
    amount: Decimal
    percent: Decimal | None


def aum_change(now: Decimal, before: Decimal, since: date) -> Change:
    return Change(since=since, before=before, amount=now - before, percent=percent(now - before, before))


# ---------------------------------------------------------------------------
# The RM dashboard (/dashboard/): panels registered in apps.py
# ---------------------------------------------------------------------------

def dashboard_book(*, user, today: date | None = None, tiers: list[dict] | None = None) -> dict:
    """The user's book: clients, AUM now, its change over 30 days and since the start of the year,
    AUM at each of the last 12 month-ends, and clients and AUM per tier. One query (none when
    ``tiers``, ``crm.selectors.client_tier_summary`` of the same user, is given), and one more for
    the past days' sums when they are not cached yet (``past_aum_cached``)."""
    today = today or timezone.localdate()
    history = history_dates(today)
    changes = change_dates(today)
    clients = book_clients(user=user)
    if tiers is None:
        by_tier = {}
        for tier in TIERS:
            in_tier = Q(aum_tier=tier)
            by_tier[f"count_{tier}"] = Count("pk", filter=in_tier)
            by_tier[f"aum_{tier}"] = Sum("aum_total", filter=in_tier)
        row = clients.aggregate(client_count=Count("pk"), aum=Sum("aum_total"), **by_tier)
    else:
        row = {"client_count": sum(t["client_count"] for t in tiers), "aum": sum((t["aum_sum"] for t in tiers), ZERO)}
        for t in tiers:
            row[f"count_{t['tier']}"], row[f"aum_{t['tier']}"] = t["client_count"], t["aum_sum"]
    past_days = {*history[:-1], *changes.values()}
    past = past_aum_cached(user=user, key=f"book:{_days_key(past_days)}",
                           compute=lambda: past_aum_sums(clients, past_days))
    row.update({f"aum_on_{day:%Y%m%d}": value for day, value in past.items()})
    aum = row["aum"] or ZERO
    points = [(day, aum_on(row, day)) for day in history[:-1]] + [(today, aum)]
    tiers = [{"tier": tier, "label": str(tier.label), "client_count": row[f"count_{tier}"],
              "aum": row[f"aum_{tier}"] or ZERO, "share": percent(row[f"aum_{tier}"] or ZERO, aum)} for tier in TIERS]
    return {
        "client_count": row["client_count"],
        "aum": aum,
        "currency": settings.BASE_CURRENCY,
        "change_days": aum_change(aum, aum_on(row, changes["days"]), changes["days"]),
        "change_year": aum_change(aum, aum_on(row, changes["year"]), changes["year"]),
        "history": points,
        "tiers": tiers,
        "chart": {
            "currency": settings.BASE_CURRENCY,
            # Month-ends as their month, the last point as today's date.
            "history": {"labels": [day.strftime("%Y-%m") for day, _value in points[:-1]] + [today.isoformat()],
                        "values": [float(value) for _day, value in points], "label": _("AUM")},
            "tiers": {"labels": [t["label"] for t in tiers], "values": [float(t["aum"]) for t in tiers],
                      "counts": [t["client_count"] for t in tiers]},
        },
    }


def dashboard_book_panel(*, request, tiers: list[dict] | None = None) -> dict:
    """``tiers``: the dashboard's own count of the book per tier, when the page passes it."""
    return {"book": dashboard_book(user=request.user, tiers=tiers), "whole_book": access.is_supervisor(request.user)}


def dashboard_reminders(*, user, today: date | None = None) -> dict:
    """Open reminders on the clients the user serves, per kind: due today and overdue; and the most
    urgent few due by today. Two queries."""
    today = today or timezone.localdate()
    reminders = communications_selectors.reminder_list_open(user=user)
    labels = communications_selectors.kind_labels()
    rows = reminders.order_by().values("kind").annotate(
        due_today=Count("pk", filter=Q(due_on=today)), overdue=Count("pk", filter=Q(due_on__lt=today)))
    kinds = sorted(
        ({"kind": r["kind"], "label": labels.get(r["kind"], r["kind"]), "due_today": r["due_today"],
          "overdue": r["overdue"]} for r in rows if r["due_today"] or r["overdue"]),
        key=lambda r: (-r["overdue"], -r["due_today"], r["label"]))
    urgent = list(reminders.filter(due_on__lte=today)[:URGENT_REMINDERS_SHOWN])
    for reminder in urgent:
        reminder.kind_label = labels.get(reminder.kind, reminder.kind)
    return {
        "kinds": kinds,
        "due_today": sum(r["due_today"] for r in kinds),
        "overdue": sum(r["overdue"] for r in kinds),
        "urgent": urgent,
        "today": today,
    }



def dashboard_risk(*, user, today: date | None = None,
                   alerts: portfolio_selectors.AlertTotals | None = None) -> dict:
    """What needs a look in the user's book besides reminders: open concentration and drawdown /
    stop-loss alerts, holdings unsuitable for their client without an exception, and expired,
    expiring and missing risk assessments (of the clients not inactive). Two queries: the alerts
    (none when ``alerts``, their ``alert_totals``, is given), then one pass over the book's clients
    for the rest."""
    today = today or timezone.localdate()
    totals = alerts if alerts is not None else portfolio_selectors.alert_totals(
        portfolio_selectors.alert_list_open(user=user))
    by_kind = {kind: count for kind, _label, count in totals.by_kind}
    assessed = Q(risk_level_basis=RiskBasis.ASSESSMENT) & ~Q(status=Client.Status.INACTIVE)
    soon = today + timedelta(days=CHANGE_DAYS)
    figures = book_clients(user=user).aggregate(
        expired=Count("pk", filter=assessed & Q(risk_valid_until__lt=today)),
        expiring=Count("pk", filter=assessed & Q(risk_valid_until__gte=today, risk_valid_until__lte=soon)),
        missing=Count("pk", filter=~Q(risk_level_basis=RiskBasis.ASSESSMENT) & ~Q(status=Client.Status.INACTIVE)),
        **suitability_selectors.unsuitable_aggregates(today=today),
    )
    return {
        "concentration": sum(by_kind.get(kind, 0) for kind in ConcentrationLimit.Kind.values),
        "drawdown": sum(by_kind.get(kind, 0) for kind in portfolio_selectors.DRAWDOWN_ALERT_KINDS),
        "expiring_days": CHANGE_DAYS,
        **figures,
    }


def dashboard_attention_panel(*, request) -> dict:
    """Reminders due today and overdue beside the book's risk signals (five queries; three for those
    who serve no clients of their own)."""
    serves = access.serves_clients(request.user)  # compliance and administrators have no reminders of their own
    return {"reminders": dashboard_reminders(user=request.user) if serves else None,
            # The alert counts the alerts panel shows too: counted once per page.
            "risk": dashboard_risk(user=request.user, alerts=portfolio_selectors.alert_totals_visible(request=request)),
            "whole_book": access.is_supervisor(request.user)}


def feedback_scores(feedback: QuerySet[Feedback]) -> dict:
    """NPS and CSAT of ``feedback`` in one aggregate query (communications' arithmetic)."""
    return feedback_scores_of(feedback.order_by().aggregate(**feedback_selectors.FEEDBACK_COUNTS))


def feedback_scores_of(row: dict) -> dict:
    """Answers, NPS and CSAT from a row of communications' ``FEEDBACK_COUNTS``."""
    score = feedback_selectors.Score()
    score.add(row)
    return {"answers": score.answers, "nps": score.nps, "csat": score.csat}


def dashboard_feedback(*, user, today: date | None = None) -> dict:
    """Feedback of the user's visible clients: NPS and CSAT over the last 90 days and the latest
    answers. Two queries."""
    today = today or timezone.localdate()
    since = today - timedelta(days=FEEDBACK_DAYS)
    feedback = feedback_selectors.feedback_list_visible(user=user)
    recent = feedback.filter(submitted_at__gte=timezone.make_aware(
        timezone.datetime(since.year, since.month, since.day)))
    return {
        "scores": feedback_scores(recent),
        "days": FEEDBACK_DAYS,
        "latest": list(feedback.select_related("client").order_by("-submitted_at", "-id")[:RECENT_FEEDBACK_SHOWN]),
    }


def dashboard_feedback_panel(*, request) -> dict:
    return dashboard_feedback(user=request.user)


# ---------------------------------------------------------------------------
# The team-lead dashboard (/reports/team/)
# ---------------------------------------------------------------------------

def may_read_team_dashboard(user) -> bool:
    """Team leads and administrators (``may_use_team_pages``), and compliance, who reads everything."""
    return access.may_use_team_pages(user) or access.is_supervisor(user)


def teams_visible(*, user) -> QuerySet[Team]:
    """The teams whose figures the user may read: all for supervisors, a lead's own teams."""
    if access.is_supervisor(user):
        return Team.objects.order_by("name")
    return Team.objects.filter(lead=user).order_by("name")


@dataclass
class ManagerRow:
    manager: object
    client_count: int = 0
    hnw_count: int = 0
    aum: Decimal = ZERO
    aum_days_ago: Decimal = ZERO
    aum_year_start: Decimal = ZERO
    expired_assessments: int = 0
    reminders_today: int = 0
    reminders_overdue: int = 0
    reviews_due: int = 0
    reviews_overdue: int = 0
    concentration: int = 0
    drawdown: int = 0
    unsuitable_clients: int = 0
    feedback: dict = field(default_factory=dict)

    @property
    def change_days(self) -> Change:
        return aum_change(self.aum, self.aum_days_ago, date.min)

    @property
    def change_year(self) -> Change:
        return aum_change(self.aum, self.aum_year_start, date.min)

    @property
    def overdue_items(self) -> int:
        return self.reminders_overdue


def _manager_rows(managers: list, row_by_id: dict) -> list[ManagerRow]:
    return [row_by_id.setdefault(m.pk, ManagerRow(manager=m)) for m in managers]


def team_dashboard(*, user, team_id: int | None = None, today: date | None = None) -> dict:
    """Per RM of the user's teams (every team for supervisors, or the one chosen): clients, AUM and
    its change, expired assessments, reminders due today and overdue, reviews due within 30 days
    and overdue, open alerts, unsuitable holdings and NPS / CSAT over 90 days; with totals.

    Seven queries whatever the number of RMs and clients: teams, RMs, then one GROUP BY per table
    (clients with their unsuitable holdings, reminders, reviews, alerts, feedback); one more for the
    past days' AUM when it is not cached yet (``past_aum_cached``).
    """
    today = today or timezone.localdate()
    changes = change_dates(today)
    teams = list(teams_visible(user=user))
    team = next((t for t in teams if t.pk == team_id), None)
    managers = access.manager_list_filterable(user=user)
    if team is not None:
        managers = managers.filter(teams=team)
    managers = list(managers.order_by("first_name", "last_name", "username"))
    manager_ids = [m.pk for m in managers]
    rows: dict[int, ManagerRow] = {m.pk: ManagerRow(manager=m) for m in managers}
    clients = book_clients(user=user).filter(primary_manager_id__in=manager_ids)
    client_ids = clients.values("pk")

    assessed_expired = Q(risk_level_basis=RiskBasis.ASSESSMENT, risk_valid_until__lt=today) & ~Q(
        status=Client.Status.INACTIVE)
    for r in clients.values("primary_manager_id").annotate(
            client_count=Count("pk"), hnw_count=Count("pk", filter=Q(aum_tier=Client.AumTier.HNW)),
            aum=Sum("aum_total"), expired=Count("pk", filter=assessed_expired),
            **suitability_selectors.unsuitable_aggregates(today=today)):
        row = rows[r["primary_manager_id"]]
        row.client_count, row.hnw_count, row.aum, row.expired_assessments, row.unsuitable_clients = (
            r["client_count"], r["hnw_count"], r["aum"] or ZERO, r["expired"], r["unsuitable_clients"])

    def past_by_manager() -> dict[int, dict]:
        return {r["primary_manager_id"]: {day: aum_on(r, day) for day in changes.values()}
                for r in clients.values("primary_manager_id").annotate(**aum_history_aggregates(changes.values()))}

    past = past_aum_cached(user=user, key=f"team:{team.pk if team else 'all'}:{_days_key(changes.values())}",
                           compute=past_by_manager)
    for manager_id, sums in past.items():
        if manager_id in rows:
            rows[manager_id].aum_days_ago, rows[manager_id].aum_year_start = sums[changes["days"]], sums[
                changes["year"]]

    for r in Reminder.objects.filter(access.among_clients(clients), done_at__isnull=True, due_on__lte=today).values(
            "client__primary_manager_id").annotate(
            due_today=Count("pk", filter=Q(due_on=today)), overdue=Count("pk", filter=Q(due_on__lt=today))):
        row = rows[r["client__primary_manager_id"]]
        row.reminders_today, row.reminders_overdue = r["due_today"], r["overdue"]

    for r in ReviewSchedule.objects.filter(
            client__in=client_ids, client__status=Client.Status.ACTIVE,
            due_on__lte=today + timedelta(days=REVIEWS_DUE_DAYS)).values("client__primary_manager_id").annotate(
            due=Count("pk", filter=Q(due_on__gte=today)), overdue=Count("pk", filter=Q(due_on__lt=today))):
        row = rows[r["client__primary_manager_id"]]
        row.reviews_due, row.reviews_overdue = r["due"], r["overdue"]

    for r in portfolio_selectors.alert_list_open(user=user).filter(client__in=client_ids).order_by().values(
            "client__primary_manager_id").annotate(
            concentration=Count("pk", filter=Q(kind__in=ConcentrationLimit.Kind.values)),
            drawdown=Count("pk", filter=Q(kind__in=portfolio_selectors.DRAWDOWN_ALERT_KINDS))):
        row = rows[r["client__primary_manager_id"]]
        row.concentration, row.drawdown = r["concentration"], r["drawdown"]

    since = today - timedelta(days=FEEDBACK_DAYS)
    for r in Feedback.objects.filter(
            client__in=client_ids, submitted_at__gte=timezone.make_aware(
                timezone.datetime(since.year, since.month, since.day))).values("client__primary_manager_id").annotate(
            **feedback_selectors.FEEDBACK_COUNTS):
        rows[r["client__primary_manager_id"]].feedback = feedback_scores_of(r)

    ordered = [rows[pk] for pk in manager_ids]
    total = ManagerRow(manager=None)
    for row in ordered:
        for name in ("client_count", "hnw_count", "aum", "aum_days_ago", "aum_year_start", "expired_assessments",
                     "reminders_today", "reminders_overdue", "reviews_due", "reviews_overdue", "concentration",
                     "drawdown", "unsuitable_clients"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return {
        "teams": teams,
        "team": team,
        "rows": ordered,
        "total": total,
        "currency": settings.BASE_CURRENCY,
        "changes": changes,
        "reviews_due_days": REVIEWS_DUE_DAYS,
        "feedback_days": FEEDBACK_DAYS,
        "chart": {
            "currency": settings.BASE_CURRENCY,
            "labels": [str(row.manager) for row in ordered],
            "aum": [float(row.aum) for row in ordered],
            "clients": [row.client_count for row in ordered],
            "overdue": [row.reminders_overdue for row in ordered],
            "reviews_due": [row.reviews_due + row.reviews_overdue for row in ordered],
            "names": {"aum": _("AUM"), "clients": _("Clients"), "overdue": _("Overdue reminders"),
                      "reviews_due": _("Reviews due")},
        },
    }


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------

def book_of_business(clients: QuerySet[Client]) -> QuerySet[Client]:
    """``clients`` (already filtered by ``crm.selectors.client_list_search``) with their last contact
    and next review date, for the book of business: one query, whatever the page or export size."""
    last_contact = ContactLog.objects.filter(client=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    return clients.prefetch_related(None).annotate(
        last_contact_at=Subquery(last_contact), next_review_on=F("review_schedule__due_on"))


AUM_DIMENSIONS = ("tier", "rm", "asset_class")


def aum_by_tier(clients: QuerySet[Client]) -> list[dict]:
    """Clients and AUM per tier, in tier order; one query."""
    found = {r["aum_tier"]: r for r in client_scope(clients).values("aum_tier").annotate(
        client_count=Count("pk"), aum=Sum("aum_total"))}
    return [{"key": tier, "label": str(tier.label), "client_count": found.get(tier, {}).get("client_count", 0),
             "aum": portfolio_selectors.cents(found.get(tier, {}).get("aum") or ZERO)} for tier in TIERS]


def aum_by_manager(clients: QuerySet[Client]) -> list[dict]:
    """Clients and AUM per primary RM (unassigned clients as one row), largest AUM first; one query."""
    rows = client_scope(clients).values(
        "primary_manager_id", "primary_manager__first_name", "primary_manager__last_name",
        "primary_manager__username").annotate(client_count=Count("pk"), aum=Sum("aum_total"))
    result = []
    for r in rows:
        name = " ".join(filter(None, [r["primary_manager__first_name"], r["primary_manager__last_name"]]))
        result.append({"key": r["primary_manager_id"], "client_count": r["client_count"],
                       "aum": portfolio_selectors.cents(r["aum"] or ZERO),
                       "label": (name or r["primary_manager__username"]) if r["primary_manager_id"] else _(
                           "Unassigned")})
    return sorted(result, key=lambda r: (-r["aum"], r["label"]))


def aum_by_asset_class(clients: QuerySet[Client], *, today: date | None = None) -> list[dict]:
    """Market value of the holdings in active accounts per asset class, in the base currency at the
    latest FX rates: summed per (asset class, currency) in the database, then converted (two queries).
    A currency without a rate is left out and named in the row's ``missing_currencies``."""
    today = today or timezone.localdate()
    rows = list(Holding.objects.filter(account__client__in=client_scope(clients).values("pk"),
                                       account__is_active=True).values("instrument__asset_class", "currency").annotate(
        value=Sum("market_value"), clients=Count("account__client", distinct=True)).order_by())
    rates = portfolio_selectors.fx_rates_found(currencies={r["currency"] for r in rows}, on_date=today)
    totals: dict[str, dict] = {}
    for r in rows:
        entry = totals.setdefault(r["instrument__asset_class"], {"aum": ZERO, "missing_currencies": set()})
        rate = rates.get(r["currency"].upper())
        if rate is None:
            entry["missing_currencies"].add(r["currency"].upper())
            continue
        entry["aum"] += portfolio_selectors.cents(r["value"] * rate)
    grand = sum((entry["aum"] for entry in totals.values()), ZERO)
    return [{"key": asset_class, "label": str(AssetClass(asset_class).label) if asset_class in AssetClass.values
             else asset_class, "aum": entry["aum"], "share": percent(entry["aum"], grand),
             "missing_currencies": sorted(entry["missing_currencies"])}
            for asset_class, entry in sorted(totals.items(), key=lambda item: -item[1]["aum"])]


def aum_report(*, clients: QuerySet[Client], dimension: str) -> list[dict]:
    if dimension == "rm":
        rows = aum_by_manager(clients)
    elif dimension == "asset_class":
        return aum_by_asset_class(clients)
    else:
        rows = aum_by_tier(clients)
    grand = sum((r["aum"] for r in rows), ZERO)
    for r in rows:
        r["share"] = percent(r["aum"], grand)
    return rows


REVIEW_GROUPS = ("rm", "team")


@dataclass
class ComplianceCell:
    due: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0  # due that month, still not done and now overdue

    @property
    def on_time_percent(self) -> Decimal | None:
        return percent(self.on_time, self.due)

    def add(self, other: "ComplianceCell") -> None:
        self.due += other.due
        self.on_time += other.on_time
        self.late += other.late
        self.missed += other.missed


@dataclass
class ComplianceGroup:
    key: object
    label: str
    total: ComplianceCell = field(default_factory=ComplianceCell)
    by_month: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)  # one per month of the report, set by review_compliance

    def months(self, months: list[date]) -> list[ComplianceCell]:
        return [self.by_month.get(month, ComplianceCell()) for month in months]


def _month_of(value) -> date:
    return value.date().replace(day=1) if hasattr(value, "date") else value.replace(day=1)


def _review_group_fields(group: str, prefix: str) -> tuple[str, ...]:
    if group == "team":
        return (f"{prefix}primary_manager__teams__id", f"{prefix}primary_manager__teams__name")
    return (f"{prefix}primary_manager_id", f"{prefix}primary_manager__first_name",
            f"{prefix}primary_manager__last_name", f"{prefix}primary_manager__username")


def _review_group_key(group: str, prefix: str, row: dict) -> tuple:
    if group == "team":
        key = row[f"{prefix}primary_manager__teams__id"]
        return key, row[f"{prefix}primary_manager__teams__name"] if key else _("No team")
    key = row[f"{prefix}primary_manager_id"]
    if key is None:
        return None, _("Unassigned")
    name = " ".join(filter(None, [row[f"{prefix}primary_manager__first_name"],
                                  row[f"{prefix}primary_manager__last_name"]]))
    return key, name or row[f"{prefix}primary_manager__username"]


def review_due_expression() -> Coalesce:
    """The day a completed review was due: as recorded (``was_due_on``), or, for reviews recorded
    without it, the next due date the client's previous review set. A first review without it has
    none and is left out (nothing says when it was due)."""
    previous = Review.objects.filter(client=OuterRef("client"), completed_on__lt=OuterRef("completed_on")).order_by(
        "-completed_on", "-id").values("next_due_on")[:1]
    return Coalesce(F("was_due_on"), Subquery(previous), output_field=DateField())


def review_compliance(*, clients: QuerySet[Client], group: str = "rm", today: date | None = None) -> dict:
    """Reviews falling due in each of the last 12 months, per RM or team of the client's current
    primary RM: how many were due, done on time (completed on or before the day they were due), done
    late, and missed (due that month, still open and overdue now); and the share on time.

    Four queries whatever the size of the book: completed reviews and open overdue schedules, per
    group and month, then the same for the overall row. An RM in two teams counts in both teams'
    rows; the overall row counts each review once.
    """
    today = today or timezone.localdate()
    months = feedback_selectors.months_back(today)
    client_ids = client_scope(clients).values("pk")
    done = Review.objects.filter(client__in=client_ids).annotate(due_on=review_due_expression()).filter(
        due_on__gte=months[0], due_on__lte=today).annotate(month=TruncMonth("due_on")).order_by()
    missed = ReviewSchedule.objects.filter(
        client__in=client_ids, client__status=Client.Status.ACTIVE, due_on__gte=months[0], due_on__lt=today,
    ).annotate(month=TruncMonth("due_on")).order_by()
    counts_done = {"due": Count("pk"), "on_time": Count("pk", filter=Q(completed_on__lte=F("due_on")))}

    def cells(fields: tuple[str, ...]):
        for r in done.values("month", *fields).annotate(**counts_done):
            yield r, _month_of(r["month"]), ComplianceCell(due=r["due"], on_time=r["on_time"],
                                                           late=r["due"] - r["on_time"])
        for r in missed.values("month", *fields).annotate(missed=Count("pk")):
            yield r, _month_of(r["month"]), ComplianceCell(due=r["missed"], missed=r["missed"])

    overall = ComplianceGroup(key="all", label=_("All visible clients"))
    for _row, month, cell in cells(()):
        overall.by_month.setdefault(month, ComplianceCell()).add(cell)
        overall.total.add(cell)
    groups: dict = {}
    for row, month, cell in cells(_review_group_fields(group, "client__")):
        key, label = _review_group_key(group, "client__", row)
        entry = groups.setdefault(key, ComplianceGroup(key=key, label=str(label)))
        entry.by_month.setdefault(month, ComplianceCell()).add(cell)
        entry.total.add(cell)
    ordered = sorted(groups.values(), key=lambda g: (g.key is None, g.label))
    for entry in (overall, *ordered):
        entry.cells = entry.months(months)
    return {"months": months, "overall": overall, "groups": ordered, "group": group}


def review_compliance_rows(report: dict) -> list[list]:
    """The review compliance report as table rows: one per group and month with reviews due."""
    rows = []
    for group in [report["overall"], *report["groups"]]:
        for month, cell in zip(report["months"], group.months(report["months"]), strict=True):
            if cell.due:
                rows.append([group.label, month.strftime("%Y-%m"), cell.due, cell.on_time, cell.late, cell.missed,
                             cell.on_time_percent])
    return rows


def satisfaction_rows(report: dict) -> list[list]:
    """communications' satisfaction report as table rows: one per group and month with answers."""
    rows = []
    for group in [report["overall"], *report["groups"]]:
        for month, score in zip(report["months"], group.months(report["months"]), strict=True):
            if not score.responses:
                continue
            rows.append([group.label, month.strftime("%Y-%m"), score.responses, score.nps_responses, score.promoters,
                         score.passives, score.detractors, score.nps, score.csat_responses, score.csat])
    return rows

