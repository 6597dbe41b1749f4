"""Reads of client assets: FX conversion, the portfolio summary, drift against the model
allocation, the rebalance plan, concentration breaches, goal progress and open alerts.

Money is ``Decimal`` throughout; amounts are rounded to the cent (``ROUND_HALF_UP``) once,
when a holding is converted to the base currency, and percentages to two decimals
when they are shown.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import JSONObject, TruncDate
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop

from crm import panels
from crm.attention import due_rows, url_with_id
from crm.models import Client
from crm.access import among_clients, client_list_visible
from crm.scales import RiskBasis, RiskLevel, rating_highest_suitable, rating_suitable

from .models import (
    SEVERITY_CSS,
    Account,
    Alert,
    AlertSeverity,
    AssetClass,
    ConcentrationLimit,
    DrawdownLimit,
    FxRate,
    Goal,
    Holding,
    InstrumentPrice,
    ModelAllocation,
    RebalanceProposal,
    RebalanceTrade,
    SuitabilityException,
    ValuationSnapshot,
    message_render,
)

CENT = Decimal("0.01")
PERCENT_PLACES = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def cents(amount: Decimal) -> Decimal:
    """Round an amount to the cent, half up: the one rounding rule for money."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, to two decimals; 0 when ``whole`` is 0."""
    if not whole:
        return ZERO.quantize(PERCENT_PLACES)
    return (part * HUNDRED / whole).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def plain(number: Decimal) -> str:
    """A number for a message: no trailing zeros and no exponent (20, not 2E+1 or 20.0000)."""
    return format(number.normalize(), "f")


def base_currency() -> str:
    return settings.BASE_CURRENCY


# --- FX ---------------------------------------------------------------------------------


class FxRateMissing(ValidationError):
    """No FX rate to the base currency on or before the date asked for."""

    def __init__(self, currency: str, on_date: date):
        self.currency, self.on_date = currency, on_date
        super().__init__(
            _("No exchange rate from %(currency)s to %(base)s on or before %(date)s; an administrator must enter one.")
            % {"currency": currency, "base": base_currency(), "date": on_date.isoformat()},
            code="fx_rate_missing",
        )


def fx_rates(*, currencies, on_date: date) -> dict[str, Decimal]:
    """The latest rate on or before ``on_date`` to the base currency of each currency, in one query.

    The base currency maps to 1. Raises ``FxRateMissing`` for the first currency without a rate.
    """
    rates = fx_rates_found(currencies=currencies, on_date=on_date)
    for currency in sorted({c.upper() for c in currencies}):
        if currency not in rates:
            raise FxRateMissing(currency, on_date)
    return rates


def fx_rates_found(*, currencies, on_date: date) -> dict[str, Decimal]:
    """Like ``fx_rates``, but a currency without a rate is simply absent (one query, none when
    only the base currency is asked for)."""
    base = base_currency()
    wanted = {c.upper() for c in currencies}
    rates = {base: Decimal("1")} if base in wanted else {}
    foreign = sorted(wanted - {base})
    if foreign:
        latest = FxRate.objects.filter(
            currency=OuterRef("currency"), quote_currency=base, rate_date__lte=on_date
        ).order_by("-rate_date").values("rate_date")[:1]
        rates.update(
            FxRate.objects.filter(currency__in=foreign, quote_currency=base, rate_date=Subquery(latest))
            .values_list("currency", "rate")
        )
    return rates


def fx_rate(*, currency: str, on_date: date) -> Decimal:
    """Units of the base currency one unit of ``currency`` is worth on ``on_date`` (latest rate on or before)."""
    return fx_rates(currencies=[currency], on_date=on_date)[currency.upper()]


def fx_convert(*, amount: Decimal, currency: str, on_date: date) -> Decimal:
    """``amount`` of ``currency`` in the base currency, rounded to the cent once, at the end."""
    return cents(amount * fx_rate(currency=currency, on_date=on_date))


# --- Portfolio summary ------------------------------------------------------------------


@dataclass(frozen=True)
class HoldingRow:
    holding_id: int
    account_id: int
    account: str
    institution: str
    institution_is_bank: bool
    instrument_id: int
    instrument_code: str
    instrument_name: str
    asset_class: str
    asset_class_label: str
    region: str
    industry: str
    issuer: str
    liquidity_tier: str
    risk_rating: str
    quantity: Decimal
    cost: Decimal
    market_value: Decimal  # in ``currency``
    currency: str
    fx_rate: Decimal
    market_value_base: Decimal  # in the base currency, rounded to the cent
    weight: Decimal  # % of AUM
    valuation_date: date
    is_illiquid: bool
    stop_loss_breached: bool


@dataclass(frozen=True)
class AssetClassTotal:
    asset_class: str
    label: str
    amount_base: Decimal
    weight: Decimal


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    amount: Decimal  # in ``currency``
    amount_base: Decimal
    weight: Decimal


@dataclass(frozen=True)
class AllocationRow:
    asset_class: str
    label: str
    amount_base: Decimal
    actual: Decimal  # % of AUM
    target: Decimal  # %
    tolerance: Decimal  # percentage points either side
    band_low: Decimal
    band_high: Decimal
    drift: Decimal  # actual - target, in percentage points
    outside_band: bool


@dataclass(frozen=True)
class PortfolioSummary:
    client_id: int
    on_date: date
    base_currency: str
    aum_base: Decimal
    holdings: tuple[HoldingRow, ...]
    by_asset_class: tuple[AssetClassTotal, ...]
    by_currency: tuple[CurrencyTotal, ...]
    allocation_id: int | None
    allocation_version: int | None
    allocation_rows: tuple[AllocationRow, ...]
    no_target_reason: str  # why there is no target allocation; "" when there is one
    open_alerts: tuple[Alert, ...]

    @property
    def has_target(self) -> bool:
        return self.allocation_id is not None

    @property
    def drifting(self) -> tuple[AllocationRow, ...]:
        return tuple(row for row in self.allocation_rows if row.outside_band)


# What a summary row needs of a holding, read as values rather than model instances (the daily
# revaluation reads a million holdings; four model instances each cost more than the valuation).
HOLDING_VALUES = (
    "pk", "account_id", "account__client_id", "account__account_number", "account__name",
    "account__institution__name", "account__institution__is_bank", "instrument_id", "instrument__code",
    "instrument__name", "instrument__asset_class", "instrument__region", "instrument__industry",
    "instrument__issuer", "instrument__liquidity_tier", "instrument__risk_rating", "quantity", "cost",
    "market_value", "currency", "valuation_date", "is_illiquid", "stop_loss_breached",
)


def holding_list_for_client(*, client: Client) -> QuerySet:
    """The client's holdings in active accounts, as named rows of ``HOLDING_VALUES``, in one query."""
    return (
        Holding.objects.filter(account__client=client, account__is_active=True)
        .order_by("instrument__asset_class", "instrument__code", "account_id")
        .values_list(*HOLDING_VALUES, named=True)
    )


def holding_list_for_clients(*, client_ids) -> QuerySet:
    """``holding_list_for_client`` of many clients in one query, in client order."""
    return (
        Holding.objects.filter(account__client_id__in=list(client_ids), account__is_active=True)
        .order_by("account__client_id", "instrument__asset_class", "instrument__code", "account_id")
        .values_list(*HOLDING_VALUES, named=True)
    )


def model_allocation_current(*, risk_level: str, on_date: date) -> ModelAllocation | None:
    """The newest active version of the model allocation for ``risk_level`` in effect on ``on_date``,
    with its weights prefetched (two queries)."""
    if not risk_level:
        return None
    return (
        ModelAllocation.objects.filter(risk_level=risk_level, is_active=True, effective_from__lte=on_date)
        .prefetch_related("weights")
        .order_by("-version")
        .first()
    )


def model_allocations_current(*, on_date: date) -> dict[str, ModelAllocation]:
    """``model_allocation_current`` of every risk level at once, by risk level (two queries)."""
    current: dict[str, ModelAllocation] = {}
    versions = (ModelAllocation.objects.filter(is_active=True, effective_from__lte=on_date)
                .exclude(risk_level="").prefetch_related("weights").order_by("risk_level", "-version"))
    for allocation in versions:
        current.setdefault(allocation.risk_level, allocation)
    return current


def alert_list_open_for_client(*, client: Client) -> QuerySet[Alert]:
    """The client's unresolved alerts with their ``severity``, most severe first, then newest."""
    return Alert.objects.filter(client=client, resolved_at__isnull=True).annotate(
        severity=alert_severity_expression()).order_by("-severity", "-raised_at")


def portfolio_summary(*, client: Client, on_date: date | None = None) -> PortfolioSummary:
    """Everything the client's portfolio page shows, valued in the base currency on ``on_date``.

    Queries do not grow with the number of holdings: holdings with accounts, institutions
    and instruments (1), the FX rates of all foreign currencies held (1, only if any), the
    model allocation and its weights (2, only if the client has a risk level) and the open
    alerts (1). Raises ``FxRateMissing`` when a currency held has no rate.
    """
    on_date = on_date or timezone.localdate()
    holdings = list(holding_list_for_client(client=client))
    return portfolio_summary_build(
        client=client, on_date=on_date, holdings=holdings,
        rates=fx_rates(currencies={h.currency for h in holdings}, on_date=on_date),
        allocation=model_allocation_current(risk_level=client.risk_level, on_date=on_date),
        open_alerts=tuple(alert_list_open_for_client(client=client)),
    )


def portfolio_summary_build(*, client: Client, on_date: date, holdings: list, rates: dict[str, Decimal],
                            allocation: ModelAllocation | None, open_alerts: tuple[Alert, ...]) -> PortfolioSummary:
    """``portfolio_summary`` from data already loaded (no query; the allocation's weights
    prefetched), so the daily revaluation can load it for many clients at once."""
    base = base_currency()
    labels = _class_labels()
    values = [cents(h.market_value * rates[h.currency.upper()]) for h in holdings]
    aum = sum(values, ZERO)

    rows = tuple(
        HoldingRow(
            holding_id=h.pk, account_id=h.account_id,
            account=Account.label(h.account__institution__name, h.account__account_number, h.account__name),
            institution=h.account__institution__name, institution_is_bank=h.account__institution__is_bank,
            instrument_id=h.instrument_id, instrument_code=h.instrument__code, instrument_name=h.instrument__name,
            asset_class=h.instrument__asset_class, asset_class_label=_class_label(h.instrument__asset_class, labels),
            region=h.instrument__region, industry=h.instrument__industry, issuer=h.instrument__issuer,
            liquidity_tier=h.instrument__liquidity_tier, risk_rating=h.instrument__risk_rating,
            quantity=h.quantity, cost=h.cost, market_value=h.market_value, currency=h.currency.upper(),
            fx_rate=rates[h.currency.upper()], market_value_base=value, weight=percent(value, aum),
            valuation_date=h.valuation_date, is_illiquid=h.is_illiquid, stop_loss_breached=h.stop_loss_breached,
        )
        for h, value in zip(holdings, values, strict=True)
    )

    class_amounts: dict[str, Decimal] = {}
    for row in rows:
        class_amounts[row.asset_class] = class_amounts.get(row.asset_class, ZERO) + row.market_value_base
    by_class = tuple(
        AssetClassTotal(asset_class=c, label=_class_label(c, labels), amount_base=amount, weight=percent(amount, aum))
        for c, amount in sorted(class_amounts.items(), key=lambda item: _class_order(item[0]))
    )

    currency_amounts: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        amount, amount_base = currency_amounts.get(row.currency, (ZERO, ZERO))
        currency_amounts[row.currency] = (amount + row.market_value, amount_base + row.market_value_base)
    by_currency = tuple(
        CurrencyTotal(currency=c, amount=amount, amount_base=amount_base, weight=percent(amount_base, aum))
        for c, (amount, amount_base) in sorted(currency_amounts.items(), key=lambda item: (item[0] != base, item[0]))
    )

    if allocation is None:
        reason = no_target_reason(client)
        allocation_rows: tuple[AllocationRow, ...] = ()
    else:
        reason = ""
        allocation_rows = _allocation_rows(allocation, class_amounts, aum, labels)

    return PortfolioSummary(
        client_id=client.pk, on_date=on_date, base_currency=base, aum_base=aum, holdings=rows,
        by_asset_class=by_class, by_currency=by_currency,
        allocation_id=allocation.pk if allocation else None,
        allocation_version=allocation.version if allocation else None,
        allocation_rows=allocation_rows, no_target_reason=reason,
        open_alerts=open_alerts,
    )


def no_target_reason(client: Client) -> str:
    """Why the client has no target allocation (no risk level, or no model for it)."""
    if not client.risk_level:
        return _("The client has no risk level, so there is no target allocation.")
    return _("No active model allocation for risk level %(level)s.") % {"level": client.risk_level}


_CLASS_ORDER = {asset_class: index for index, asset_class in enumerate(AssetClass.values)}


def _class_order(asset_class: str) -> int:
    return _CLASS_ORDER.get(asset_class, len(_CLASS_ORDER))


_CLASS_LABELS: dict[str, dict[str, str]] = {}  # by language: the asset class labels looked up so far


def _class_labels() -> dict[str, str]:
    """The asset class labels of the active language looked up so far (gettext per row would cost
    more than the valuation of the row)."""
    return _CLASS_LABELS.setdefault(translation.get_language() or "", {})


def _class_label(asset_class: str, labels: dict[str, str]) -> str:
    """The class's label in the active language; ``labels`` is ``_class_labels()``."""
    if asset_class not in labels:
        labels[asset_class] = str(AssetClass(asset_class).label)
    return labels[asset_class]


def _allocation_rows(allocation: ModelAllocation, class_amounts: dict[str, Decimal], aum: Decimal,
                     labels: dict[str, str]):
    """One row per class in the model or held. A class held but absent from the model has a
    target of 0 ± 0. An empty portfolio has no drift (nothing is outside a band)."""
    weights = {w.asset_class: w for w in allocation.weights.all()}
    classes = sorted(set(weights) | set(class_amounts), key=_class_order)
    rows = []
    for c in classes:
        weight = weights.get(c)
        target = weight.target_weight if weight else ZERO
        tolerance = weight.tolerance if weight else ZERO
        amount = class_amounts.get(c, ZERO)
        actual = percent(amount, aum)
        low, high = max(ZERO, target - tolerance), min(HUNDRED, target + tolerance)
        rows.append(AllocationRow(
            asset_class=c, label=_class_label(c, labels), amount_base=amount, actual=actual,
            target=target, tolerance=tolerance, band_low=low, band_high=high,
            drift=(actual - target).quantize(PERCENT_PLACES),
            # The shown (two-decimal) percentage decides, so the page and the flag never disagree.
            outside_band=bool(aum) and not (low <= actual <= high),
        ))
    return tuple(rows)


def allocation_drift(*, client: Client, summary: PortfolioSummary | None = None) -> list[AllocationRow]:
    """Actual vs target weight per asset class, with the drift in percentage points; empty
    when the client has no target allocation (``summary.no_target_reason`` says why)."""
    summary = summary or portfolio_summary(client=client)
    return list(summary.allocation_rows)


# --- Rebalancing ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedTrade:
    asset_class: str
    label: str
    action: str  # RebalanceTrade.Action
    amount: Decimal  # base currency, > 0, to the cent
    currency: str
    weight_before: Decimal
    weight_after: Decimal
    target: Decimal


def rebalance_plan(
    *, client: Client, minimum_trade: Decimal, summary: PortfolioSummary | None = None
) -> list[PlannedTrade]:
    """The buys and sells per asset class (base currency) that bring the portfolio back to its model.

    The rule: nothing is proposed while every class is within its band. Once any class is
    outside, every class is brought **to its target** (not just to the band edge, which would
    leave it on the brink of the next breach). Illiquid holdings are never sold: their value
    stays where it is, and a class whose illiquid value alone exceeds its target keeps exactly
    that value, the rest of the portfolio being re-spread over the other classes in proportion
    to their targets. Trades below ``minimum_trade`` are dropped, amounts are rounded to the
    cent, and whatever then keeps buys and sells from netting to zero is put on the largest
    trade, so the plan is cash-neutral. Sells come first, then buys, largest first.
    """
    summary = summary or portfolio_summary(client=client)
    aum = summary.aum_base
    if not summary.has_target or aum <= 0 or not summary.drifting:
        return []
    targets = {row.asset_class: row.target for row in summary.allocation_rows}
    current = {row.asset_class: row.amount_base for row in summary.allocation_rows}
    illiquid: dict[str, Decimal] = {}
    for row in summary.holdings:
        if row.is_illiquid:
            illiquid[row.asset_class] = illiquid.get(row.asset_class, ZERO) + row.market_value_base

    # Water-filling: pin classes whose illiquid value exceeds their share, re-spread the rest.
    pinned: set[str] = set()
    while True:
        free = [c for c in targets if c not in pinned]
        remaining = aum - sum((illiquid.get(c, ZERO) for c in pinned), ZERO)
        free_target = sum((targets[c] for c in free), ZERO)
        wanted = {c: remaining * targets[c] / free_target if free_target else ZERO for c in free}
        newly_pinned = {c for c in free if illiquid.get(c, ZERO) > wanted[c]}
        if not newly_pinned:
            break
        pinned |= newly_pinned
    wanted.update({c: illiquid.get(c, ZERO) for c in pinned})

    trades = {c: cents(wanted[c] - current[c]) for c in targets}
    trades = {c: amount for c, amount in trades.items() if abs(amount) >= minimum_trade and amount}
    residual = sum(trades.values(), ZERO)
    if residual:
        liquid = {c: current[c] - illiquid.get(c, ZERO) for c in targets}
        for c in sorted(trades, key=lambda c: (-abs(trades[c]), _class_order(c))):
            adjusted = trades[c] - residual
            # The adjustment must not flip the trade nor sell more than the class's liquid part.
            if adjusted and (adjusted > 0) == (trades[c] > 0) and -adjusted <= liquid[c]:
                trades[c] = adjusted
                break
        else:
            return []

    rows_by_class = {row.asset_class: row for row in summary.allocation_rows}
    plan = [
        PlannedTrade(
            asset_class=c, label=rows_by_class[c].label,
            action=RebalanceTrade.Action.BUY if amount > 0 else RebalanceTrade.Action.SELL,
            amount=abs(amount), currency=summary.base_currency,
            weight_before=rows_by_class[c].actual, weight_after=percent(current[c] + amount, aum),
            target=targets[c],
        )
        for c, amount in trades.items()
    ]
    return sorted(plan, key=lambda t: (t.action != RebalanceTrade.Action.SELL, -t.amount, _class_order(t.asset_class)))


# --- Concentration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    kind: str  # ConcentrationLimit.Kind, also an Alert.Kind
    subject: str
    actual: Decimal  # % of AUM, or an amount in the base currency for bank deposits
    limit: Decimal
    # An untranslated message and its parameters, so each reader sees it in their language.
    template: str
    params: dict

    @property
    def message(self) -> str:
        return message_render(self.template, self.params)


def concentration_limits(*, client: Client) -> dict[str, Decimal]:
    """The thresholds that apply to the client, by kind, in one query.

    Per kind, the most specific rule matching the client's risk level and AUM tier wins
    (``ConcentrationLimit.specificity``); when that rule is switched off, or no rule matches,
    the kind is not checked for the client.
    """
    rules = ConcentrationLimit.objects.filter(risk_level__in=["", client.risk_level],
                                              aum_tier__in=["", client.aum_tier])
    return concentration_limits_pick(rules=rules, risk_level=client.risk_level, aum_tier=client.aum_tier)


def concentration_limits_pick(*, rules, risk_level: str, aum_tier: str) -> dict[str, Decimal]:
    """``concentration_limits`` from rules already loaded (any superset of the client's; no query)."""
    winners: dict[str, ConcentrationLimit] = {}
    for rule in rules:
        if rule.risk_level not in ("", risk_level) or rule.aum_tier not in ("", aum_tier):
            continue
        if rule.kind not in winners or rule.specificity > winners[rule.kind].specificity:
            winners[rule.kind] = rule
    return {kind: rule.threshold for kind, rule in winners.items() if rule.is_active}


def concentration_breaches(
    *, client: Client, summary: PortfolioSummary | None = None, limits: dict[str, Decimal] | None = None
) -> list[Breach]:
    """Every concentration limit the client's portfolio exceeds (strictly above the threshold).

    - single holding: one instrument (summed over the client's accounts) above X % of AUM;
    - asset class band: a class outside its model band; a threshold of 0 uses the model's
      own tolerance, a positive threshold replaces it with ± that many percentage points;
    - region / industry / issuer: one value (blanks ignored) above its % of AUM;
    - bank deposit: cash-class holdings in accounts at one deposit-taking bank above the
      cover amount, compared in the base currency.
    """
    summary = summary or portfolio_summary(client=client)
    limits = concentration_limits(client=client) if limits is None else limits
    kinds = ConcentrationLimit.Kind
    aum = summary.aum_base
    breaches: list[Breach] = []
    if aum <= 0:
        return breaches

    def share_breaches(kind: str, amounts: dict[str, Decimal], message) -> None:
        if kind not in limits:
            return
        for subject, amount in sorted(amounts.items()):
            actual = percent(amount, aum)
            if actual > limits[kind]:
                breaches.append(Breach(kind=kind, subject=subject, actual=actual, limit=limits[kind], template=message,
                                       params={"subject": subject, "actual": str(actual), "limit": plain(limits[kind])}))

    by_instrument: dict[str, Decimal] = {}
    for row in summary.holdings:
        by_instrument[row.instrument_code] = by_instrument.get(row.instrument_code, ZERO) + row.market_value_base
    share_breaches(kinds.SINGLE_HOLDING, by_instrument,
                   gettext_noop("Holding %(subject)s is %(actual)s%% of AUM, above the %(limit)s%% limit."))

    if kinds.ASSET_CLASS_BAND in limits:
        override = limits[kinds.ASSET_CLASS_BAND]
        for row in summary.allocation_rows:
            low, high = row.band_low, row.band_high
            if override > 0:
                low, high = max(ZERO, row.target - override), min(HUNDRED, row.target + override)
            if not (low <= row.actual <= high):
                breaches.append(Breach(
                    kind=kinds.ASSET_CLASS_BAND, subject=row.asset_class, actual=row.actual, limit=row.target,
                    template=gettext_noop("%(label)s is %(actual)s%% of AUM, outside its band of %(low)s–%(high)s%%."),
                    params={"label": row.asset_class, "actual": str(row.actual), "low": plain(low), "high": plain(high)},
                ))

    for kind, attribute, message in [
        (kinds.REGION, "region", gettext_noop("Region %(subject)s is %(actual)s%% of AUM, above the %(limit)s%% limit.")),
        (kinds.INDUSTRY, "industry", gettext_noop("Industry %(subject)s is %(actual)s%% of AUM, above the %(limit)s%% limit.")),
        (kinds.ISSUER, "issuer", gettext_noop("Issuer %(subject)s is %(actual)s%% of AUM, above the %(limit)s%% limit.")),
    ]:
        amounts: dict[str, Decimal] = {}
        for row in summary.holdings:
            if key := getattr(row, attribute).strip():
                amounts[key] = amounts.get(key, ZERO) + row.market_value_base
        share_breaches(kind, amounts, message)

    if kinds.BANK_DEPOSIT in limits:
        cover = limits[kinds.BANK_DEPOSIT]
        deposits: dict[str, Decimal] = {}
        for row in summary.holdings:
            if row.asset_class == AssetClass.CASH and row.institution_is_bank:
                deposits[row.institution] = deposits.get(row.institution, ZERO) + row.market_value_base
        for bank, amount in sorted(deposits.items()):
            if amount > cover:
                breaches.append(Breach(
                    kind=kinds.BANK_DEPOSIT, subject=bank, actual=amount, limit=cover,
                    template=gettext_noop("Deposits at %(bank)s are %(amount)s %(currency)s, above the %(cover)s "
                                          "%(currency)s deposit-insurance cover."),
                    params={"bank": bank, "amount": str(amount), "cover": str(cents(cover)),
                            "currency": summary.base_currency},
                ))
    return breaches


# --- Goals ------------------------------------------------------------------------------


class Horizon:
    """Goal horizons by months left: short under 3 years, medium 3 to under 5, long 5 years or more."""

    SHORT, MEDIUM, LONG = "short", "medium", "long"
    LABELS = {
        SHORT: gettext_lazy("Short term (up to 3 years)"),
        MEDIUM: gettext_lazy("Medium term (3 to 5 years)"),
        LONG: gettext_lazy("Long term (5 years or more)"),
    }
    MEDIUM_FROM_MONTHS, LONG_FROM_MONTHS = 36, 60

    @classmethod
    def for_months(cls, months: int) -> str:
        if months >= cls.LONG_FROM_MONTHS:
            return cls.LONG
        if months >= cls.MEDIUM_FROM_MONTHS:
            return cls.MEDIUM
        return cls.SHORT


@dataclass(frozen=True)
class GoalProgress:
    goal_id: int
    horizon: str  # Horizon.SHORT / MEDIUM / LONG
    horizon_label: str
    months_left: int
    currency: str
    target_amount: Decimal
    funded_amount: Decimal
    funded_ratio: Decimal  # funded / target, in percent
    projected_funding: Decimal  # today's funding grown at the expected return to the target date
    shortfall: Decimal  # target - projected funding, never below 0
    monthly_saving: Decimal  # level end-of-month payment that closes the shortfall

    @property
    def on_track(self) -> bool:
        return self.shortfall == 0


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 if ``end`` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(0, months)


def goal_funded_amount(*, goal: Goal, on_date: date) -> Decimal:
    """The value of the goal's linked accounts' holdings, else its recorded funding, in the goal's currency."""
    accounts = list(goal.linked_accounts.all()) if goal.pk else []
    if not accounts:
        return goal.funded_amount
    holdings = list(Holding.objects.filter(account__in=accounts).values_list("market_value", "currency"))
    rates = fx_rates(currencies={c for _value, c in holdings} | {goal.currency}, on_date=on_date)
    in_base = sum((cents(value * rates[c.upper()]) for value, c in holdings), ZERO)
    return in_base if goal.currency.upper() == base_currency() else cents(in_base / rates[goal.currency.upper()])


def goal_progress(*, goal: Goal, today: date | None = None) -> GoalProgress:
    """Horizon, funding and the monthly saving the goal needs, by standard future-value maths.

    With r = annual return / 12 and n = whole months to the target date, today's funding
    grows to F × (1 + r)^n; the shortfall S = target − that (never below 0) is closed by a
    level payment at the end of each month of S × r / ((1 + r)^n − 1), or S / n when r = 0.
    With no month left the whole shortfall is due now. Rounded to the cent once, at the end.
    """
    today = today or timezone.localdate()
    months = months_between(today, goal.target_date)
    funded = goal_funded_amount(goal=goal, on_date=today)
    rate = goal.expected_return_pct / HUNDRED / 12
    growth = (1 + rate) ** months
    projected = funded * growth
    shortfall = max(ZERO, goal.target_amount - projected)
    if not shortfall or months == 0:
        payment = shortfall
    elif rate == 0:
        payment = shortfall / months
    else:
        payment = shortfall * rate / (growth - 1)
    horizon = Horizon.for_months(months)
    return GoalProgress(
        goal_id=goal.pk, horizon=horizon, horizon_label=str(Horizon.LABELS[horizon]), months_left=months,
        currency=goal.currency, target_amount=goal.target_amount, funded_amount=cents(funded),
        funded_ratio=percent(funded, goal.target_amount), projected_funding=cents(projected),
        shortfall=cents(shortfall), monthly_saving=cents(payment),
    )


# --- Alerts -----------------------------------------------------------------------------


def alert_severity_expression() -> Case:
    """``Alert.SEVERITY_BY_KIND`` in SQL, so lists filter, count and sort by severity."""
    return Case(*[When(kind=kind, then=Value(int(severity))) for kind, severity in Alert.SEVERITY_BY_KIND.items()],
                default=Value(int(AlertSeverity.LOW)), output_field=IntegerField())


def alert_list_open(*, user, include_acknowledged: bool = True) -> QuerySet[Alert]:
    """Unresolved alerts on the clients the user may see, annotated with ``severity``, most severe
    first, then newest."""
    alerts = Alert.objects.filter(resolved_at__isnull=True, client__in=client_list_visible(user=user).values("pk"))
    if not include_acknowledged:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    return alerts.annotate(severity=alert_severity_expression()).select_related("client").order_by(
        "-severity", "-raised_at")


def alert_list_filter(alerts: QuerySet[Alert], *, params: Mapping) -> QuerySet[Alert]:
    """``alerts`` narrowed by the alerts page's filters (validated by AlertFilterForm): kind, severity,
    client (an id), rm (the primary RM's id) and unacknowledged (only alerts nobody acknowledged)."""
    if params.get("kind"):
        alerts = alerts.filter(kind=params["kind"])
    if params.get("severity"):
        alerts = alerts.filter(severity=int(params["severity"]))
    if params.get("client"):
        alerts = alerts.filter(client_id=getattr(params["client"], "pk", params["client"]))
    if params.get("rm"):
        alerts = alerts.filter(client__primary_manager_id=getattr(params["rm"], "pk", params["rm"]))
    if params.get("unacknowledged"):
        alerts = alerts.filter(acknowledged_at__isnull=True)
    return alerts


@dataclass(frozen=True)
class AlertTotals:
    total: int
    by_severity: tuple[tuple[int, str, str, int], ...]  # (severity, label, css, count), most severe first
    by_kind: tuple[tuple[str, str, int], ...]  # (kind, label, count), most severe kind first


def alert_totals(alerts: QuerySet[Alert]) -> AlertTotals:
    """How many of ``alerts`` there are, by severity and by kind, in one query (severity follows
    from kind, so the kind counts add up to it)."""
    # Counted on the kind, not the id: for open alerts their (client, kind, subject) index answers alone.
    counts = dict(alerts.order_by().values_list("kind").annotate(n=Count("kind")).values_list("kind", "n"))
    severity_counts = {int(severity): 0 for severity in AlertSeverity}
    for kind, count in counts.items():
        severity_counts[int(Alert.SEVERITY_BY_KIND.get(kind, AlertSeverity.LOW))] += count
    kinds = sorted(counts, key=lambda kind: (-Alert.SEVERITY_BY_KIND.get(kind, AlertSeverity.LOW),
                                             Alert.Kind.values.index(kind) if kind in Alert.Kind.values else 99))
    return AlertTotals(
        total=sum(counts.values()),
        by_severity=tuple((int(severity), str(severity.label), SEVERITY_CSS[severity], severity_counts[int(severity)])
                          for severity in sorted(AlertSeverity, reverse=True)),
        by_kind=tuple((kind, str(Alert.Kind(kind).label) if kind in Alert.Kind.values else kind, counts[kind])
                      for kind in kinds),
    )


@dataclass(frozen=True)
class ClientAlerts:
    """One client's alerts on the alerts page, most severe first."""

    client: Client
    severity: int  # the most severe of the client's alerts
    count: int
    alerts: tuple[Alert, ...]

    @property
    def severity_css(self) -> str:
        return SEVERITY_CSS[self.severity]


def alert_client_groups(alerts: QuerySet[Alert]) -> QuerySet:
    """One row per client with alerts among ``alerts`` (client_id, top severity, count, newest),
    the clients with the most severe and then the most alerts first: page it, then call
    ``alert_groups_load``."""
    return (alerts.order_by().values("client_id")
            .annotate(top=Max("severity"), n=Count("pk"), newest=Max("raised_at"))
            .order_by("-top", "-n", "-newest", "client_id"))


def alert_groups_load(alerts: QuerySet[Alert], rows, *, per_client: int | None = None) -> list[ClientAlerts]:
    """The alerts of the clients in ``rows`` (from ``alert_client_groups``), grouped per client in
    the rows' order, in one query; ``per_client`` keeps only each client's most severe few."""
    rows = list(rows)
    loaded = alerts.filter(client_id__in=[row["client_id"] for row in rows]).select_related(
        "client__primary_manager", "acknowledged_by").order_by("client_id", "-severity", "-raised_at")
    by_client: dict[int, list[Alert]] = {}
    for alert in loaded:
        by_client.setdefault(alert.client_id, []).append(alert)
    groups = []
    for row in rows:
        client_alerts = by_client.get(row["client_id"], [])
        if not client_alerts:
            continue
        groups.append(ClientAlerts(client=client_alerts[0].client, severity=row["top"], count=row["n"],
                                   alerts=tuple(client_alerts[:per_client] if per_client else client_alerts)))
    return groups


ALERT_ATTENTION_KIND = "portfolio-alert"


def alert_attention_rows(*, today: date, horizon_days: int) -> QuerySet:
    """Open alerts nobody has acknowledged yet, one row per client and day raised (due that day),
    with how many: the crm.attention source the reminder scan reads (registered in apps.py), as
    ``crm.attention.due_rows``."""
    alerts = Alert.objects.filter(
        resolved_at__isnull=True, acknowledged_at__isnull=True, client__status=Client.Status.ACTIVE,
        raised_at__date__lte=today + timedelta(days=horizon_days),
    ).order_by().values("client_id", raised_on=TruncDate("raised_at")).annotate(alerts=Count("id"))
    return due_rows(
        alerts, client_id=F("client_id"), manager_id=F("client__primary_manager_id"), due_on=F("raised_on"),
        summary=gettext_noop("Open portfolio alerts raised that day: %(count)s"), params=JSONObject(count=F("alerts")),
        url=url_with_id("portfolios:client-portfolio", F("client_id")))


def instrument_prices_latest(*, instrument_ids, on_date: date) -> dict[int, tuple[date, Decimal]]:
    """The latest (price date, price) on or before ``on_date`` of each instrument, in one query."""
    latest = InstrumentPrice.objects.filter(
        instrument=OuterRef("instrument"), price_date__lte=on_date
    ).order_by("-price_date").values("price_date")[:1]
    rows = InstrumentPrice.objects.filter(instrument__in=list(instrument_ids), price_date=Subquery(latest))
    return {instrument_id: (price_date, price)
            for instrument_id, price_date, price in rows.values_list("instrument_id", "price_date", "price")}


@dataclass(frozen=True)
class HoldingPosition:
    """What the stop-loss form shows beside its fields: where the holding stands now."""

    quantity: Decimal
    price: Decimal | None  # the latest recorded price, else market value / quantity
    price_date: date | None  # None when the price is derived from the holding's own value
    currency: str
    cost: Decimal
    market_value: Decimal
    profit: Decimal  # market value − cost, in ``currency``
    profit_pct: Decimal  # against cost

    @property
    def cost_price(self) -> Decimal | None:
        return (self.cost / self.quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if self.quantity else None


def holding_position(*, holding: Holding, on_date: date | None = None) -> HoldingPosition:
    """The holding's current price, cost and profit or loss (one query, for the price), by the
    stop-loss check's own rule: the latest price unless the holding was valued after it."""
    on_date = on_date or timezone.localdate()
    price_date, price = instrument_prices_latest(instrument_ids=[holding.instrument_id], on_date=on_date).get(
        holding.instrument_id, (None, None))
    if price_date is not None and price_date < holding.valuation_date:
        price_date, price = None, None
    if price is None and holding.quantity:
        price = (holding.market_value / holding.quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return HoldingPosition(
        quantity=holding.quantity, price=price, price_date=price_date, currency=holding.currency,
        cost=holding.cost, market_value=holding.market_value, profit=holding.market_value - holding.cost,
        profit_pct=percent(holding.market_value - holding.cost, holding.cost),
    )


def proposal_trades(*, proposal: RebalanceProposal) -> list[RebalanceTrade]:
    """A saved proposal's trades in the preview's order: sells first, then buys, largest first."""
    return list(proposal.trades.select_related("instrument", "suitability_exception__recorded_by")
                .order_by("-action", "-amount", "pk"))  # "sell" > "buy"


def valuation_peak(*, client_id: int, on_date: date) -> Decimal:
    """The highest AUM among the client's snapshots up to ``on_date``."""
    return ValuationSnapshot.objects.filter(client_id=client_id, valuation_date__lte=on_date).aggregate(
        peak=Max("aum"))["peak"] or ZERO


def client_ids_with_holdings() -> QuerySet:
    """Ids of clients with at least one holding in an active account: the ones worth revaluing."""
    return (
        Holding.objects.filter(account__is_active=True).values_list("account__client_id", flat=True).distinct()
        .order_by("account__client_id")
    )


# --- The client portfolio page ----------------------------------------------------------

AUM_CHART_DAYS = 400  # how far back the page's AUM chart goes


def allocation_chart_data(summary: PortfolioSummary) -> dict:
    """The actual against target allocation chart's series (portfolio and rebalance pages)."""
    return {
        "labels": [row.label for row in summary.allocation_rows],
        "actual": [row.actual for row in summary.allocation_rows],
        "target": [row.target for row in summary.allocation_rows],
        "outside": [row.outside_band for row in summary.allocation_rows],
        "actualLabel": _("Actual %"), "targetLabel": _("Target %"),
    }


def _drawdown_limit(client: Client) -> DrawdownLimit | None:
    """The client's drawdown limit, if any: no query when the caller fetched the client with
    ``select_related("drawdown_limit")`` (the portfolio page does), one otherwise."""
    try:
        return client.drawdown_limit
    except DrawdownLimit.DoesNotExist:
        return None


def portfolio_page(*, client: Client, today: date | None = None) -> dict:
    """What the client's portfolio page shows, valued today.

    When a currency held has no FX rate, only ``fx_error`` (the reason, for the user) and the
    client: totals without it would be wrong. Queries do not grow with the number of holdings:
    ``portfolio_summary``'s, then the concentration limits, the AUM history, the goals with their
    linked accounts (2), the latest proposals, the drawdown limit and ``portfolio_suitability``'s.
    """
    today = today or timezone.localdate()
    try:
        summary = portfolio_summary(client=client, on_date=today)
    except FxRateMissing as error:
        return {"client": client, "fx_error": " ".join(error.messages)}
    history = list(
        ValuationSnapshot.objects.filter(client=client, valuation_date__gte=today - timedelta(days=AUM_CHART_DAYS))
        .order_by("valuation_date").values_list("valuation_date", "aum")
    )
    goals = client.goals.prefetch_related("linked_accounts")
    return {
        "client": client,
        "summary": summary,
        "breaches": concentration_breaches(client=client, summary=summary),
        "goals": [(goal, goal_progress(goal=goal, today=today)) for goal in goals],
        "proposals": list(client.rebalance_proposals.order_by("-created_at")[:5]),
        "drawdown": _drawdown_limit(client),
        "chart_data": {
            "allocation": allocation_chart_data(summary),
            "aum": {
                "labels": [day.isoformat() for day, _aum in history],
                "values": [aum for _day, aum in history],
                "label": _("AUM (%(currency)s)") % {"currency": summary.base_currency},
            },
        },
        **portfolio_suitability(client=client, summary=summary),
    }


# ---------------------------------------------------------------------------
# Panels on crm's pages (registered in apps.py)
# ---------------------------------------------------------------------------



def client_portfolio_panel(*, request, client: Client) -> dict:
    """The client page's portfolio panel: AUM and tier (stored on the client); every asset class of the
    latest valuation against its model target, with the drift; the goals with their funded ratio; the
    open alerts by kind.

    Queries do not grow with holdings or alerts: 1 the latest valuation snapshot (its classes are
    stored on it), 2-3 the model allocation and its weights (only with a risk level), 4 the open alerts
    counted per kind (``client_alerts_by_kind``, shared with the header fact), 5 the goals, 6 their
    linked accounts (prefetch); then, only for a goal funded by linked accounts, that goal's holdings
    (and FX rates if foreign), for at most PANEL_GOALS_SHOWN goals.
    """
    today = timezone.localdate()
    snapshot = ValuationSnapshot.objects.filter(client=client).order_by("-valuation_date").first()
    class_rows: tuple[AllocationRow, ...] = ()
    has_target = False
    if snapshot is not None:
        amounts = {c: Decimal(v) for c, v in snapshot.by_asset_class.items()}
        allocation = model_allocation_current(risk_level=client.risk_level, on_date=today)
        has_target = allocation is not None
        if allocation is not None:
            class_rows = _allocation_rows(allocation, amounts, snapshot.aum, _class_labels())
        else:
            class_rows = tuple(
                AllocationRow(asset_class=c, label=str(AssetClass(c).label) if c in AssetClass.values else c,
                              amount_base=amount, actual=percent(amount, snapshot.aum), target=ZERO, tolerance=ZERO,
                              band_low=ZERO, band_high=HUNDRED, drift=ZERO, outside_band=False)
                for c, amount in sorted(amounts.items(), key=lambda item: _class_order(item[0]))
            )
    by_kind = client_alerts_by_kind(request=request, client=client)
    alerts_by_kind = sorted(
        ({"kind": kind, "label": Alert.Kind(kind).label if kind in Alert.Kind.values else kind, "count": count,
          "css": SEVERITY_CSS[Alert.SEVERITY_BY_KIND.get(kind, AlertSeverity.LOW)],
          "severity": Alert.SEVERITY_BY_KIND.get(kind, AlertSeverity.LOW)} for kind, count in by_kind.items()),
        key=lambda row: (-row["severity"], -row["count"]),
    )
    goals = list(client.goals.prefetch_related("linked_accounts").order_by("target_date", "id")[:PANEL_GOALS_SHOWN])
    return {
        "client": client, "snapshot": snapshot, "class_rows": class_rows, "has_target": has_target,
        "no_target_reason": "" if has_target or snapshot is None else no_target_reason(client),
        "goals": [(goal, goal_progress(goal=goal, today=today)) for goal in goals],
        "alerts_by_kind": alerts_by_kind,
        "open_alert_count": sum(by_kind.values()),
    }


PANEL_GOALS_SHOWN = 5


def client_alerts_by_kind(*, request, client: Client) -> dict[str, int]:
    """The client's open alerts counted per kind: one query, once per request (crm.panels.request_memo),
    as the client page's portfolio panel and its header fact both show them."""
    return panels.request_memo(request, ("portfolio-alerts-by-kind", client.pk), lambda: dict(
        Alert.objects.filter(client=client, resolved_at__isnull=True).order_by()
        .values_list("kind").annotate(count=Count("id"))))


def client_alert_facts(*, request, client: Client) -> list[panels.Fact]:
    """The client page's header fact from this app: open alerts by severity (``client_alerts_by_kind``:
    no query of its own after the portfolio panel), linking to the portfolio page. Registered with
    crm.panels.facts_register in apps.py."""
    counts: dict[int, int] = {}
    for kind, count in client_alerts_by_kind(request=request, client=client).items():
        severity = int(Alert.SEVERITY_BY_KIND.get(kind, AlertSeverity.LOW))
        counts[severity] = counts.get(severity, 0) + count
    badges = tuple(
        (f"{counts[severity]} {AlertSeverity(severity).label}", SEVERITY_CSS[AlertSeverity(severity)])
        for severity in sorted(counts, reverse=True)
    )
    return [panels.Fact(key="alerts", label=_("Open alerts"), value="" if badges else _("None"), badges=badges,
                        url=reverse("portfolios:client-portfolio", args=[client.pk]))]


DASHBOARD_ALERT_CLIENTS = 5  # clients on the dashboard panel, most severe first
DASHBOARD_ALERTS_PER_CLIENT = 3


def alert_totals_visible(*, request) -> AlertTotals:
    """``alert_totals`` of the open alerts on the clients the user may see: one query, once per
    request (crm.panels.request_memo): the dashboard's alerts panel and its attention panel both
    show them, and each is a pass over every open alert of the book."""
    return panels.request_memo(request, ("portfolio-alert-totals", request.user.pk),
                               lambda: alert_totals(alert_list_open(user=request.user)))


def dashboard_alerts_panel(*, request) -> dict:
    """The open alerts on the clients the user may see: counts by severity, and the clients with the
    most severe alerts, each with its most severe few (three queries; two when the attention panel
    has counted them on this request)."""
    alerts = alert_list_open(user=request.user)
    return {
        "totals": alert_totals_visible(request=request),
        "groups": alert_groups_load(alerts, alert_client_groups(alerts)[:DASHBOARD_ALERT_CLIENTS],
                                    per_client=DASHBOARD_ALERTS_PER_CLIENT),
        "user": request.user,
    }


# ---------------------------------------------------------------------------
# Investor suitability: products rated above what the client's risk level allows
# ---------------------------------------------------------------------------

OVERVIEW_ROWS = 20  # rows per list on the risk overview


def rating_highest_for(client: Client) -> str:
    """The highest product rating that suits the client without an exception (crm.scales' rule:
    their level while a questionnaire assessment is valid, else R1)."""
    return rating_highest_suitable(level=client.risk_level, assessment_valid=client.risk_assessment_valid())


def instrument_suitable(*, client: Client, instrument) -> bool:
    return rating_suitable(rating=instrument.risk_rating, level=client.risk_level,
                           assessment_valid=client.risk_assessment_valid())


@dataclass(frozen=True)
class SuitabilityFlag:
    """A holding rated above what the client's level allows, and the exception covering it, if any."""

    holding_id: int
    instrument_code: str
    instrument_name: str
    account: str
    rating: str
    highest: str
    exception: SuitabilityException | None

    @property
    def resolved(self) -> bool:
        return self.exception is not None


def exception_covers(exception: SuitabilityException, rating: str) -> bool:
    """An exception allows its product up to the rating it was recorded for."""
    return rating <= exception.product_rating


def holding_suitability_flags(*, client: Client, summary: PortfolioSummary,
                              exceptions: list[SuitabilityException] | None = None) -> list[SuitabilityFlag]:
    """The summary's holdings rated above what the client's level allows, each with the newest
    exception covering it: from ``exceptions`` (the client's, e.g. for the page's list), else one
    query, none when nothing is flagged."""
    highest = rating_highest_for(client)
    valid = client.risk_assessment_valid()
    rows = [row for row in summary.holdings
            if not rating_suitable(rating=row.risk_rating, level=client.risk_level, assessment_valid=valid)]
    if exceptions is None:
        exceptions = list(SuitabilityException.objects.filter(holding_id__in=[row.holding_id for row in rows])
                          .select_related("recorded_by")) if rows else []
    newest: dict[int, SuitabilityException] = {}
    for exception in sorted(exceptions, key=lambda e: e.recorded_at):
        if exception.holding_id is not None:
            newest[exception.holding_id] = exception
    flags = []
    for row in rows:
        exception = newest.get(row.holding_id)
        if exception is not None and not exception_covers(exception, row.risk_rating):
            exception = None
        flags.append(SuitabilityFlag(holding_id=row.holding_id, instrument_code=row.instrument_code,
                                     instrument_name=row.instrument_name, account=row.account,
                                     rating=row.risk_rating, highest=highest, exception=exception))
    return flags


def portfolio_suitability(*, client: Client, summary: PortfolioSummary) -> dict:
    """The portfolio page's suitability part: flagged holdings (with or without an exception), the
    ids the holdings table marks, and the client's recorded exceptions, newest first (one query:
    a client has few exceptions, and they are all on record here)."""
    exceptions = list(SuitabilityException.objects.filter(client=client)
                      .select_related("instrument", "recorded_by", "trade").order_by("-recorded_at"))
    flags = holding_suitability_flags(client=client, summary=summary, exceptions=exceptions)
    return {
        "rating_highest": rating_highest_for(client),
        "suitability_flags": flags,
        "unsuitable_ids": {flag.holding_id for flag in flags if not flag.resolved},
        "excepted_ids": {flag.holding_id for flag in flags if flag.resolved},
        "suitability_exceptions": exceptions,
    }


def _rating_highest_expression(*, prefix: str, today: date):
    """``rating_highest_for`` in SQL, for the client reached through ``prefix`` (e.g. "account__client__")."""
    valid = Q(**{f"{prefix}risk_level_basis": RiskBasis.ASSESSMENT, f"{prefix}risk_valid_until__gte": today})
    return Case(
        *[When(valid & Q(**{f"{prefix}risk_level": level}),
               then=Value(rating_highest_suitable(level=level, assessment_valid=True)))
          for level in RiskLevel.values],
        default=Value(rating_highest_suitable(level="", assessment_valid=False)),
    )


def holding_exception_covered() -> Exists:
    """A holding (the outer row) has an exception recorded for a rating at least its product's."""
    return Exists(SuitabilityException.objects.filter(holding=OuterRef("pk"),
                                                      product_rating__gte=OuterRef("instrument__risk_rating")))


def holding_list_unsuitable(*, clients: QuerySet[Client], today: date | None = None) -> QuerySet[Holding]:
    """Holdings in active accounts of ``clients`` rated above what their client's level allows and
    not covered by an exception, with the rating that would suit (``highest``). It visits every
    holding of ``clients``: for a book's counts see ``suitability_selectors``."""
    today = today or timezone.localdate()
    return (
        Holding.objects.filter(account__client__in=clients.order_by().values("pk"), account__is_active=True)
        .annotate(highest=_rating_highest_expression(prefix="account__client__", today=today))
        .filter(instrument__risk_rating__gt=F("highest"))  # "R1" < "R2" < … < "R5"; unrated "" never
        .exclude(holding_exception_covered())
    )


DRAWDOWN_ALERT_KINDS = [Alert.Kind.DRAWDOWN, Alert.Kind.STOP_LOSS]


def risk_overview_alerts_panel(*, request, clients: QuerySet[Client]) -> dict:
    """The risk overview's open concentration breaches and drawdown / stop-loss alerts among the
    page's clients: both counts in one pass, and the newest rows of each (three queries)."""
    open_alerts = Alert.objects.filter(among_clients(clients), resolved_at__isnull=True)
    # A concentration limit's kind is also the kind of the alert it raises.
    in_concentration = Q(kind__in=ConcentrationLimit.Kind.values)
    in_drawdown = Q(kind__in=DRAWDOWN_ALERT_KINDS)
    # Counted on the kind, not the id: the open alerts' (client, kind, subject) index answers alone.
    counts = open_alerts.order_by().aggregate(concentration=Count("kind", filter=in_concentration),
                                              drawdown=Count("kind", filter=in_drawdown))

    def newest(kinds: Q):
        # The first rows picked among the alerts alone, then joined to their clients: a join before
        # the sort fetched the client of each of a team lead's ~70,000 open alerts (0.5 s).
        first = open_alerts.filter(kinds).order_by("-raised_at").values("pk")[:OVERVIEW_ROWS]
        return list(Alert.objects.filter(pk__in=first).select_related("client").order_by("-raised_at"))

    return {
        "concentration_count": counts["concentration"], "concentration": newest(in_concentration),
        "drawdown_count": counts["drawdown"], "drawdown": newest(in_drawdown),
    }
