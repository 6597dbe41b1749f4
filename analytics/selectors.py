"""Reads of client value: each client's lifetime-value working, churn and lifetime per segment, team
and RM, the segment value page and the lifecycle analytics page.

The rules (DOMAIN.md section 8), as the pages explain them:

* **Yearly contribution Q_y** of a past year y = fees on assets + other revenue + referral value.
  Fees: for each asset class, the average of the client's valuation snapshots in y (a month-end
  series; one snapshot is its own average) × that class's fee rate. A snapshot stored without a
  split by asset class is split like the client's latest snapshot that has one (or counted as
  "other" if none has). Referral value counts for the referrer in the year of the referral.
* **Yearly cost C_y** = the costs recorded for y, every kind.
* **Projection**: Q_t and C_t for every future year are the averages of Q_y and C_y over the last
  ``history_years`` full calendar years in which the client has any data (a snapshot or a record); a
  year with no data at all is unknown, not zero. With no such full year, the current year so far.
* **Prospects** (stage "potential" with an estimate, or an estimate and no history): Q = P × K × M × N.
* **Lifetime**: T = 1 / r, r = the client's segment (AUM tier) churn over the same full years, pooled:
  clients terminated in each year / clients there at its start (registered before it, not terminated
  before it), summed over the years. Constant churn makes 1 / r the remaining lifetime whatever the
  tenure. r = 0 or unknown: the default lifetime; never above the longest lifetime (settings).
* A terminated client's remaining value is 0.

Amounts in other currencies are converted to the base currency with portfolios' FX rates on the last
day of their year (today for the current year).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractYear, TruncMonth, TruncYear
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import access
from crm.models import Client, LifecycleTransition, Team, User
from portfolios.models import AssetClass, ValuationSnapshot
from portfolios.selectors import base_currency, cents, fx_rates_found, plain

from . import maths
from .models import (
    ClientValue,
    CostRecord,
    FeeRate,
    Opportunity,
    ProspectEstimate,
    Referral,
    RevenueRecord,
    ValueSettings,
)

ZERO = Decimal("0")
TERMINATION = Client.LifecycleStage.TERMINATION
POTENTIAL = Client.LifecycleStage.POTENTIAL
TIERS = [tier for tier, _label in Client.AumTier.choices]

DEFAULT_FEE_RATES = {  # % a year; the data migration's seed, and the fallback for a class without a row
    AssetClass.CASH: Decimal("0.20"), AssetClass.FIXED_INCOME: Decimal("0.40"), AssetClass.EQUITY: Decimal("0.80"),
    AssetClass.FUND: Decimal("1.00"), AssetClass.INSURANCE: Decimal("1.20"), AssetClass.REAL_ESTATE: Decimal("0.30"),
    AssetClass.PHYSICAL: Decimal("0.25"), AssetClass.ALTERNATIVES: Decimal("1.50"), AssetClass.OTHER: Decimal("0.50"),
}


def value_settings() -> ValueSettings:
    return ValueSettings.current()


def fee_rates() -> dict[str, Decimal]:
    """The yearly fee (%) per asset class: the administrator's rows over the defaults."""
    return {**DEFAULT_FEE_RATES, **dict(FeeRate.objects.values_list("asset_class", "rate_pct"))}


def history_years(*, settings: ValueSettings, today: date) -> list[int]:
    """The full calendar years looked at, oldest first."""
    return list(range(today.year - settings.history_years, today.year))


def _year_start(year: int) -> datetime:
    return timezone.make_aware(datetime(year, 1, 1))


# --- Churn ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnYear:
    year: int
    at_start: int
    lost: int


@dataclass(frozen=True)
class Churn:
    years: tuple[ChurnYear, ...]
    at_start: int
    lost: int
    rate: Decimal | None  # r, four decimals; None when nobody was there at the start of any year

    @property
    def rate_pct(self) -> Decimal | None:
        return None if self.rate is None else (self.rate * 100).quantize(Decimal("0.01"))


ChurnCounts = dict[tuple[str, int | None], dict[int, list[int]]]  # (tier, RM id) -> year -> [at start, lost]


def churn_counts(*, clients: QuerySet[Client], years: list[int]) -> ChurnCounts:
    """Clients at the start of each year and clients terminated in it, by (tier, primary RM): two
    queries whatever the number of clients. Someone registered and terminated within one year is in
    neither count (they were not there at its start)."""
    counts: ChurnCounts = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    if not years:
        return counts
    clients = clients.exclude(status=Client.Status.MERGED)
    ended = LifecycleTransition.objects.filter(client=OuterRef("pk"), to_stage=TERMINATION)
    at_start = {
        f"y{year}": Count("pk", filter=Q(created_at__lt=_year_start(year))
                          & ~Q(Exists(ended.filter(changed_at__lt=_year_start(year)))))
        for year in years
    }
    for row in clients.values("aum_tier", "primary_manager_id").annotate(**at_start).order_by():
        for year in years:
            counts[(row["aum_tier"], row["primary_manager_id"])][year][0] += row[f"y{year}"]
    lost = (
        LifecycleTransition.objects
        .filter(to_stage=TERMINATION, changed_at__gte=_year_start(years[0]), changed_at__lt=_year_start(years[-1] + 1),
                client__in=clients.values("pk"))
        .annotate(year_start=TruncYear("changed_at")).filter(client__created_at__lt=F("year_start"))
        .values("client__aum_tier", "client__primary_manager_id", year=ExtractYear("changed_at"))
        .annotate(clients=Count("client_id", distinct=True)).order_by()
    )
    for row in lost:
        counts[(row["client__aum_tier"], row["client__primary_manager_id"])][row["year"]][1] += row["clients"]
    return counts


def churn_of(counts: ChurnCounts, *, years: list[int], keep=lambda key: True) -> Churn:
    """The pooled churn of the (tier, RM) groups ``keep`` accepts: Σ lost / Σ at start over the years."""
    per_year = []
    for year in years:
        at_start = sum(by_year[year][0] for key, by_year in counts.items() if keep(key) and year in by_year)
        lost = sum(by_year[year][1] for key, by_year in counts.items() if keep(key) and year in by_year)
        per_year.append(ChurnYear(year, at_start, min(lost, at_start)))
    at_start = sum(row.at_start for row in per_year)
    lost = sum(row.lost for row in per_year)
    return Churn(tuple(per_year), at_start, lost, maths.churn_rate(lost=lost, at_start=at_start))


TIER_CHURN_CACHE_SECONDS = 3600


def tier_churn(*, settings: ValueSettings, today: date, fresh: bool = False) -> dict[str, Churn]:
    """The bank's churn per AUM tier (every client, whoever looks): the r behind each client's T.

    It counts the whole book (two aggregate queries over every client), and moves only when clients
    leave, so pages read it from the cache for up to an hour; ``fresh`` (the daily recompute) counts
    again and refreshes the cache."""
    years = history_years(settings=settings, today=today)
    key = f"analytics:tier-churn:{today.isoformat()}:{years[0] if years else ''}"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    counts = churn_counts(clients=Client.objects.all(), years=years)
    churn = {tier: churn_of(counts, years=years, keep=lambda key, tier=tier: key[0] == tier) for tier in TIERS}
    cache.set(key, churn, TIER_CHURN_CACHE_SECONDS)
    return churn


def lifetime_for(churn: Churn | None, *, settings: ValueSettings) -> Decimal:
    return maths.lifetime_years(churn=churn.rate if churn else None, default=settings.default_lifetime_years,
                                maximum=settings.max_lifetime_years)


# --- One client's working ---------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    asset_class: str
    label: str
    average: Decimal   # the average value held in the class over the year's snapshots
    rate_pct: Decimal
    fee: Decimal

    @property
    def rate_text(self) -> str:
        return plain(self.rate_pct)


@dataclass
class YearRow:
    year: int
    snapshots: int = 0
    fee_lines: list[FeeLine] = field(default_factory=list)
    fees: Decimal = ZERO
    other_revenue: Decimal = ZERO
    referral_value: Decimal = ZERO
    costs: dict[str, Decimal] = field(default_factory=dict)
    has_data: bool = False

    @property
    def contribution(self) -> Decimal:
        return self.fees + self.other_revenue + self.referral_value

    @property
    def cost(self) -> Decimal:
        return sum(self.costs.values(), ZERO)

    @property
    def cost_lines(self) -> list[tuple[str, Decimal]]:
        labels = dict(CostRecord.Kind.choices)
        return [(labels[kind], amount) for kind, amount in sorted(self.costs.items())]


@dataclass(frozen=True)
class ProspectInputs:
    purchase: Decimal
    currency: str
    purchase_base: Decimal
    wallet_share_pct: Decimal
    margin_pct: Decimal
    transactions: Decimal
    contribution: Decimal


@dataclass
class Working:
    """Every step of one client's lifetime value, for the page and for the stored result."""

    client_id: int
    tier: str
    stage: str
    currency: str
    method: str                      # "history", "prospect" or "ended"
    basis: str                       # "full_years", "current_year" or "none"
    years: list[YearRow]             # the years averaged, oldest first
    prospect: ProspectInputs | None
    contribution: Decimal            # Q
    cost: Decimal                    # C
    churn: Churn | None
    lifetime: Decimal                # T
    rate_pct: Decimal                # i, %
    terms: list[maths.Term]
    clv: Decimal
    warnings: list[str] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.contribution - self.cost

    def inputs(self) -> dict:
        """What the stored result keeps of the working (JSON)."""
        return {
            "basis": self.basis, "years": [row.year for row in self.years], "rate_pct": str(self.rate_pct),
            "churn": None if self.churn is None or self.churn.rate is None else str(self.churn.rate),
            "prospect": None if self.prospect is None else {
                "P": str(self.prospect.purchase_base), "K": str(self.prospect.wallet_share_pct),
                "M": str(self.prospect.margin_pct), "N": str(self.prospect.transactions)},
            "warnings": self.warnings,
        }


@dataclass
class _Loaded:
    """The records of a batch of clients the working needs, loaded in a fixed number of queries."""

    snapshots: dict = field(default_factory=lambda: defaultdict(list))    # id -> [(date, aum, cur, split)]
    revenue: dict = field(default_factory=lambda: defaultdict(list))      # id -> [(year, currency, amount)]
    costs: dict = field(default_factory=lambda: defaultdict(list))        # id -> [(year, kind, currency, amount)]
    referrals: dict = field(default_factory=lambda: defaultdict(list))    # id -> [(year, currency, amount)]
    estimates: dict = field(default_factory=dict)                         # id -> ProspectEstimate
    currencies: set = field(default_factory=set)


def _load(client_ids: list[int], *, first_year: int, today: date) -> _Loaded:
    loaded = _Loaded()
    start = date(first_year, 1, 1)
    for client_id, day, aum, currency, split in (
            ValuationSnapshot.objects.filter(client_id__in=client_ids, valuation_date__gte=start,
                                             valuation_date__lte=today)
            .order_by("client_id", "valuation_date")
            .values_list("client_id", "valuation_date", "aum", "currency", "by_asset_class")):
        loaded.snapshots[client_id].append((day, aum, currency, split))
        loaded.currencies.add(currency)
    for row in (RevenueRecord.objects.filter(client_id__in=client_ids, year__gte=first_year)
                .values("client_id", "year", "currency").annotate(total=Sum("amount")).order_by()):
        loaded.revenue[row["client_id"]].append((row["year"], row["currency"], row["total"]))
        loaded.currencies.add(row["currency"])
    for row in (CostRecord.objects.filter(client_id__in=client_ids, year__gte=first_year)
                .values("client_id", "year", "kind", "currency").annotate(total=Sum("amount")).order_by()):
        loaded.costs[row["client_id"]].append((row["year"], row["kind"], row["currency"], row["total"]))
        loaded.currencies.add(row["currency"])
    for row in (Referral.objects.filter(referrer_id__in=client_ids, referred_on__gte=start, referred_on__lte=today)
                .values("referrer_id", "currency", year=ExtractYear("referred_on"))
                .annotate(total=Sum("value")).order_by()):
        loaded.referrals[row["referrer_id"]].append((row["year"], row["currency"], row["total"]))
        loaded.currencies.add(row["currency"])
    for estimate in ProspectEstimate.objects.filter(client_id__in=client_ids):
        loaded.estimates[estimate.client_id] = estimate
        loaded.currencies.add(estimate.currency)
    return loaded


def fx_table(*, currencies: set[str], years: list[int], today: date) -> dict[int, dict[str, Decimal]]:
    """Rates to the base currency on the last day of each year (today for the current one): one query a
    year with foreign currencies. A currency with no rate is left out (its amounts are skipped, with a
    warning) rather than stopping every client's value."""
    return {year: fx_rates_found(currencies=currencies, on_date=min(date(year, 12, 31), today)) for year in years}


class _Converter:
    def __init__(self, table: dict[int, dict[str, Decimal]], warnings: list[str]):
        self.table, self.warnings = table, warnings

    def rate(self, currency: str, year: int) -> Decimal | None:
        """The year's rate to the base currency; None (and a warning, once) when there is none."""
        rate = self.table.get(year, {}).get(currency.upper())
        if rate is None:
            message = _("No exchange rate for %(currency)s in %(year)s: its amounts are left out.") % {
                "currency": currency, "year": year}
            if message not in self.warnings:
                self.warnings.append(message)
        return rate

    def __call__(self, amount: Decimal, currency: str, year: int) -> Decimal:
        rate = self.rate(currency, year)
        return ZERO if rate is None else amount * rate


def _latest_mix(snapshots: list) -> dict[str, Decimal]:
    """The split by asset class of the client's latest snapshot that has one ({} if none has)."""
    return next(({c: Decimal(v) for c, v in known.items()} for *_rest, known in reversed(snapshots) if known), {})


def _split(aum: Decimal, split: dict, mix: dict) -> dict[str, Decimal]:
    """A snapshot's value per asset class: its own split, else the given mix, else all "other"."""
    if split:
        return {asset_class: Decimal(amount) for asset_class, amount in split.items()}
    total = sum(mix.values(), ZERO)
    if not total:
        return {AssetClass.OTHER: aum}
    return {asset_class: aum * amount / total for asset_class, amount in mix.items()}


_CLASS_ORDER = {asset_class: index for index, asset_class in enumerate(AssetClass.values)}


def _year_rows(client_id: int, loaded: _Loaded, *, years: list[int], rates: dict[str, Decimal],
               convert: _Converter, labels: dict[str, str]) -> dict[int, YearRow]:
    rows = {year: YearRow(year) for year in years}
    snapshots = loaded.snapshots.get(client_id, [])
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    mix = None  # looked up once, when a snapshot without its own split needs it
    for day, aum, currency, split in snapshots:
        if day.year not in rows:
            continue
        rows[day.year].snapshots += 1
        rows[day.year].has_data = True
        rate = convert.rate(currency, day.year)
        if rate is None:
            continue
        if not split and mix is None:
            mix = _latest_mix(snapshots)
        target = totals[day.year]
        for asset_class, amount in _split(aum, split, mix or {}).items():
            target[asset_class] += amount if rate == 1 else amount * rate
    for year, by_class in totals.items():
        row = rows[year]
        for asset_class in sorted(by_class, key=lambda c: _CLASS_ORDER.get(c, len(_CLASS_ORDER))):
            average = cents(by_class[asset_class] / row.snapshots)
            rate = rates.get(asset_class, rates[AssetClass.OTHER])
            row.fee_lines.append(FeeLine(asset_class, labels.get(asset_class, asset_class), average, rate,
                                         cents(average * maths.rate_from_pct(rate))))
        row.fees = sum((line.fee for line in row.fee_lines), ZERO)
    for year, currency, amount in loaded.revenue.get(client_id, []):
        if year in rows:
            rows[year].other_revenue += cents(convert(amount, currency, year))
            rows[year].has_data = True
    for year, currency, amount in loaded.referrals.get(client_id, []):
        if year in rows:
            rows[year].referral_value += cents(convert(amount, currency, year))
            rows[year].has_data = True
    for year, kind, currency, amount in loaded.costs.get(client_id, []):
        if year in rows:
            rows[year].costs[kind] = rows[year].costs.get(kind, ZERO) + cents(convert(amount, currency, year))
            rows[year].has_data = True
    return rows


@dataclass(frozen=True)
class _Context:
    settings: ValueSettings
    today: date
    years: list[int]
    rates: dict[str, Decimal]
    churn: dict[str, Churn]


def value_context(today: date | None = None, *, fresh: bool = False) -> _Context:
    """What every client's working shares: settings, fee rates, the tiers' churn (``fresh``: counted now)."""
    today = today or timezone.localdate()
    settings = value_settings()
    return _Context(settings, today, history_years(settings=settings, today=today), fee_rates(),
                    tier_churn(settings=settings, today=today, fresh=fresh))


def workings(clients: list[tuple[int, str, str]], *, context: _Context) -> list[Working]:
    """The working of each (id, tier, stage): a fixed number of queries for the whole batch."""
    ids = [client_id for client_id, _tier, _stage in clients]
    all_years = [*context.years, context.today.year]
    loaded = _load(ids, first_year=all_years[0], today=context.today)
    table = fx_table(currencies=loaded.currencies, years=all_years, today=context.today)
    rate = maths.rate_from_pct(context.settings.discount_rate_pct)
    labels = {asset_class: str(label) for asset_class, label in AssetClass.choices}  # translated once
    result = []
    for client_id, tier, stage in clients:
        warnings: list[str] = []
        convert = _Converter(table, warnings)
        rows = _year_rows(client_id, loaded, years=all_years, rates=context.rates, convert=convert, labels=labels)
        observed = [rows[year] for year in context.years if rows[year].has_data]
        basis = "full_years"
        if not observed:
            current = rows[context.today.year]
            observed, basis = ([current], "current_year") if current.has_data else ([], "none")
        contribution = maths.mean([row.contribution for row in observed])
        cost = maths.mean([row.cost for row in observed])
        estimate = loaded.estimates.get(client_id)
        prospect = None
        method = "history"
        if estimate is not None and (stage == POTENTIAL or basis != "full_years"):
            method = "prospect"
            purchase_base = cents(convert(estimate.purchase_amount, estimate.currency, context.today.year))
            contribution = maths.prospect_contribution(
                purchase=purchase_base, wallet_share_pct=estimate.wallet_share_pct, margin_pct=estimate.margin_pct,
                transactions=estimate.transactions_per_year)
            prospect = ProspectInputs(estimate.purchase_amount, estimate.currency, purchase_base,
                                      estimate.wallet_share_pct, estimate.margin_pct, estimate.transactions_per_year,
                                      contribution)
        elif basis == "none":
            warnings.append(_("No history yet: record costs and revenue, or a prospect estimate (P × K × M × N)."))
        churn = context.churn.get(tier)
        if stage == TERMINATION:
            method, lifetime, terms = "ended", ZERO, []
        else:
            lifetime = lifetime_for(churn, settings=context.settings)
            terms = maths.discounted_terms(net=contribution - cost, rate=rate, years=lifetime)
        result.append(Working(
            client_id=client_id, tier=tier, stage=stage, currency=base_currency(), method=method, basis=basis,
            years=observed, prospect=prospect, contribution=contribution, cost=cost, churn=churn, lifetime=lifetime,
            rate_pct=context.settings.discount_rate_pct, terms=terms, clv=maths.clv_sum(terms), warnings=warnings,
        ))
    return result


def client_value_working(*, client: Client, today: date | None = None) -> Working:
    """Every step of one client's lifetime value, computed now (the page shows it)."""
    return workings([(client.pk, client.aum_tier, client.lifecycle_stage)], context=value_context(today))[0]


# --- Records shown on the client value page ---------------------------------------------


def client_value_records(*, client: Client) -> dict:
    """The client's recorded costs, other revenue, referrals (both ways) and prospect estimate."""
    return {
        "costs": list(CostRecord.objects.filter(client=client).select_related("recorded_by")[:100]),
        "revenue": list(RevenueRecord.objects.filter(client=client).select_related("recorded_by")[:100]),
        "referrals_made": list(Referral.objects.filter(referrer=client).select_related("referred")[:100]),
        "referred_by": Referral.objects.filter(referred=client).select_related("referrer").first(),
        "estimate": ProspectEstimate.objects.filter(client=client).first(),
        "stored": ClientValue.objects.filter(client=client).first(),
    }


RECORD_KINDS = {"cost": (CostRecord, "client"), "revenue": (RevenueRecord, "client"), "referral": (Referral, "referrer")}


def record_get_editable(*, user, kind: str, pk: int):
    """A cost, revenue or referral of a client the user may edit, else 404 (like the client itself)."""
    if kind not in RECORD_KINDS:
        raise Http404
    model, client_field = RECORD_KINDS[kind]
    editable = access.client_list_editable(user=user).values("pk")
    return get_object_or_404(model.objects.filter(**{f"{client_field}__in": editable}), pk=pk)


def client_value_panel(*, request, client: Client) -> dict | None:
    """The client page's side panel: the stored CLV and a link to the working (one query)."""
    stored = ClientValue.objects.filter(client=client).first()
    return {"client": client, "stored": stored, "url": reverse("analytics:client-value", args=[client.pk])}


# --- Segment and team value -------------------------------------------------------------


@dataclass(frozen=True)
class GroupValue:
    key: str
    label: str
    churn: Churn
    lifetime: Decimal
    factor: Decimal      # PVIFA(i, T)
    net: Decimal         # average Q − C of the group's clients
    clients: int
    each: Decimal        # (Q − C) × PVIFA
    total: Decimal       # × clients


TOP_CLIENTS = 10
NetCounts = dict[tuple[str, int | None], tuple[Decimal, int]]  # (tier, RM id) -> (Σ Q − C, clients)


def _net_counts(clients: QuerySet[Client]) -> NetCounts:
    rows = (ClientValue.objects
            .filter(access.among_clients(clients.exclude(status=Client.Status.MERGED)
                                         .exclude(lifecycle_stage=TERMINATION)))
            .values("client__aum_tier", "client__primary_manager_id")
            .annotate(net=Sum(F("yearly_contribution") - F("yearly_cost")), clients=Count("pk")).order_by())
    return {(row["client__aum_tier"], row["client__primary_manager_id"]): (row["net"] or ZERO, row["clients"])
            for row in rows}


def _group_value(key: str, label: str, *, churn: Churn, nets: NetCounts, keep, settings: ValueSettings) -> GroupValue:
    total_net = sum((net for group, (net, _n) in nets.items() if keep(group)), ZERO)
    clients = sum(n for group, (_net, n) in nets.items() if keep(group))
    net = cents(total_net / clients) if clients else ZERO
    lifetime = lifetime_for(churn, settings=settings)
    factor = maths.pvifa(rate=maths.rate_from_pct(settings.discount_rate_pct), years=lifetime)
    each, total = maths.group_clv(net=net, factor=factor, clients=clients)
    return GroupValue(key, label, churn, lifetime, factor, net, clients, each, total)


def segment_values(*, user, today: date | None = None) -> dict:
    """Per AUM tier (the bank's churn, the user's visible clients) and, for team leads and
    administrators, per team (the team's own churn): r, T, PVIFA, Q − C, clients, group CLV; and the
    visible clients of the highest stored value. Nine queries at most, whatever the size of the book."""
    today = today or timezone.localdate()
    settings = value_settings()
    years = history_years(settings=settings, today=today)
    visible = access.client_list_visible(user=user)
    churn = tier_churn(settings=settings, today=today)
    nets = _net_counts(visible)
    labels = dict(Client.AumTier.choices)
    tiers = [_group_value(tier, str(labels[tier]), churn=churn[tier], nets=nets, settings=settings,
                          keep=lambda group, tier=tier: group[0] == tier) for tier in TIERS]
    teams = []
    if access.may_use_team_pages(user):
        team_list = Team.objects.prefetch_related("members").order_by("name")
        if not access.is_supervisor(user):
            team_list = team_list.filter(lead=user)
        counts = churn_counts(clients=visible, years=years)
        for team in team_list:
            members = {member.pk for member in team.members.all()}
            keep = (lambda group, members=members: group[1] in members)
            teams.append(_group_value(str(team.pk), team.name, churn=churn_of(counts, years=years, keep=keep),
                                      nets=nets, keep=keep, settings=settings))
    top = list(ClientValue.objects.filter(access.among_clients(visible.exclude(status=Client.Status.MERGED)))
               .select_related("client").order_by("-clv", "client_id")[:TOP_CLIENTS])
    return {"settings": settings, "years": years, "tiers": tiers, "teams": teams, "top": top,
            "rate": maths.rate_from_pct(settings.discount_rate_pct), "currency": base_currency(),
            "book_total": sum((tier.total for tier in tiers), ZERO)}


# --- Lifecycle analytics ----------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    clients: int
    share_pct: Decimal


@dataclass(frozen=True)
class MonthRow:
    month: date
    counts: tuple[int, ...]   # transitions into each stage, in stage order
    total: int


@dataclass(frozen=True)
class ChurnRow:
    label: str
    churn: Churn
    lifetime: Decimal


def _months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _index in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def lifecycle_summary(*, user, today: date | None = None) -> dict:
    """The visible book's lifecycle: clients per stage, transitions into each stage per month (last 12
    months), churn and expected lifetime per segment and per RM, and the average lifetime of the
    clients who left. Seven queries, whatever the size of the book."""
    today = today or timezone.localdate()
    settings = value_settings()
    years = history_years(settings=settings, today=today)
    visible = access.client_list_visible(user=user).exclude(status=Client.Status.MERGED)
    stages = list(Client.LifecycleStage.choices)
    by_stage = dict(visible.values("lifecycle_stage").annotate(n=Count("pk")).order_by().values_list(
        "lifecycle_stage", "n"))
    total = sum(by_stage.values())
    stage_counts = [StageCount(stage, str(label), by_stage.get(stage, 0),
                               (Decimal(by_stage.get(stage, 0) * 100) / total).quantize(Decimal("0.1")) if total
                               else ZERO) for stage, label in stages]
    months = _months_back(today, 12)
    moves: dict[tuple[date, str], int] = defaultdict(int)
    for row in (LifecycleTransition.objects
                .filter(client__in=visible.values("pk"), changed_at__gte=timezone.make_aware(
                    datetime.combine(months[0], datetime.min.time())))
                .annotate(month=TruncMonth("changed_at")).values("month", "to_stage")
                .annotate(n=Count("pk")).order_by()):
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        moves[(month, row["to_stage"])] += row["n"]
    month_rows = []
    for month in months:
        counts = tuple(moves.get((month, stage), 0) for stage, _label in stages)
        month_rows.append(MonthRow(month, counts, sum(counts)))
    counts = churn_counts(clients=visible, years=years)
    labels = dict(Client.AumTier.choices)
    segments = []
    for tier in TIERS:
        churn = churn_of(counts, years=years, keep=lambda key, tier=tier: key[0] == tier)
        segments.append(ChurnRow(str(labels[tier]), churn, lifetime_for(churn, settings=settings)))
    manager_ids = {key[1] for key in counts}
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[pk for pk in manager_ids if pk])}
    managers = []
    for manager_id in sorted(manager_ids, key=lambda pk: (pk is None, names.get(pk, ""))):
        churn = churn_of(counts, years=years, keep=lambda key, pk=manager_id: key[1] == pk)
        managers.append(ChurnRow(names.get(manager_id) or _("No RM"), churn, lifetime_for(churn, settings=settings)))
    tenure = (LifecycleTransition.objects.filter(client__in=visible.values("pk"), to_stage=TERMINATION)
              .aggregate(average=Avg(ExpressionWrapper(F("changed_at") - F("client__created_at"),
                                                       output_field=DurationField())), clients=Count("client_id")))
    average = tenure["average"]
    overall = churn_of(counts, years=years)
    return {
        "years": years, "stages": stage_counts, "total": total,
        "stage_labels": [str(label) for _stage, label in stages], "months": month_rows,
        "segments": segments, "managers": managers, "overall": overall,
        "overall_lifetime": lifetime_for(overall, settings=settings),
        "left_clients": tenure["clients"],
        "left_average_years": (Decimal(average.days) / Decimal("365.25")).quantize(Decimal("0.1"))
        if average else None,
        "chart": {"labels": [month.strftime("%Y-%m") for month in months],
                  "series": [{"label": str(label), "data": [row.counts[index] for row in month_rows]}
                             for index, (_stage, label) in enumerate(stages)]},
    }


# --- Opportunity pipeline ---------------------------------------------------------------


def client_opportunities(*, client: Client) -> list[Opportunity]:
    """The client's opportunities: open ones first (soonest expected close), then the decided ones."""
    rows = list(Opportunity.objects.filter(client=client).select_related("owner", "stage_changed_by")[:200])
    return sorted(rows, key=lambda row: (not row.is_open, row.expected_close_on if row.is_open else date.min,
                                         -row.stage_changed_at.timestamp() if not row.is_open else 0))


def opportunity_get_editable(*, user, pk: int) -> Opportunity:
    """An opportunity of a client the user may edit, else 404 (like the client itself)."""
    opportunities = Opportunity.objects.filter(access.among_clients(access.client_list_editable(user=user)))
    return get_object_or_404(opportunities.select_related("client"), pk=pk)


@dataclass
class MoneyLine:
    """A count and the amounts it adds up to, one total per currency (amounts are not converted)."""

    count: int = 0
    amounts: dict = field(default_factory=dict)  # currency -> Decimal

    def add(self, currency: str, count: int, amount) -> None:
        self.count += count
        self.amounts[currency] = self.amounts.get(currency, ZERO) + (amount or ZERO)

    @property
    def totals(self) -> list[tuple[str, Decimal]]:
        return sorted(self.amounts.items())


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def pipeline_summary(*, user, today: date | None = None) -> dict:
    """The visible book's opportunity pipeline: open ones per stage, expected to close this month and this
    quarter, won and lost in the last 12 months (counts, amounts per currency), and the next open ones.
    Four queries, whatever the size of the book."""
    today = today or timezone.localdate()
    visible = Opportunity.objects.filter(access.among_clients(access.client_list_visible(user=user)))
    open_rows = visible.filter(stage__in=Opportunity.OPEN)
    by_stage = {stage: MoneyLine() for stage in Opportunity.OPEN}
    month_start, quarter_start = date(today.year, today.month, 1), _quarter_start(today)
    month_end = _next_month(month_start)
    quarter_end = _next_month(_next_month(_next_month(quarter_start)))
    this_month, this_quarter, overdue = MoneyLine(), MoneyLine(), MoneyLine()
    for row in (open_rows.values("stage", "currency", "expected_close_on").annotate(n=Count("pk"), total=Sum("amount"))
                .order_by()):
        by_stage[row["stage"]].add(row["currency"], row["n"], row["total"])
        close = row["expected_close_on"]
        if month_start <= close < month_end and close >= today:
            this_month.add(row["currency"], row["n"], row["total"])
        if quarter_start <= close < quarter_end and close >= today:
            this_quarter.add(row["currency"], row["n"], row["total"])
        if close < today:
            overdue.add(row["currency"], row["n"], row["total"])
    since = timezone.now() - timedelta(days=365)
    decided = {stage: MoneyLine() for stage in Opportunity.FINAL}
    for row in (visible.filter(stage__in=Opportunity.FINAL, stage_changed_at__gte=since)
                .values("stage", "currency").annotate(n=Count("pk"), total=Sum("amount")).order_by()):
        decided[row["stage"]].add(row["currency"], row["n"], row["total"])
    labels = dict(Opportunity.Stage.choices)
    return {
        "stages": [(stage, labels[stage], line) for stage, line in by_stage.items()],
        "open_total": sum((line.count for line in by_stage.values()), 0),
        "this_month": this_month, "this_quarter": this_quarter, "overdue": overdue,
        "won": decided[Opportunity.Stage.WON], "lost": decided[Opportunity.Stage.LOST],
        "upcoming": list(open_rows.select_related("client").order_by("expected_close_on", "pk")[:50]),
        "today": today,
    }
