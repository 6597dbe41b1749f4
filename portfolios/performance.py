"""Performance of a client's assets: time-weighted return (TWR) per calendar month, year to date and
over the trailing 12 months, with the client's contributions and withdrawals separated from market
movement; and the cost basis with the unrealised profit or loss of every holding.

Public API (read-only selectors; ``reports`` and the portfolio page call them):

- ``client_performance(*, client, on_date=None, summary=None) -> ClientPerformance``
- ``period_returns(*, points, flows, windows) -> list[PeriodReturn]`` (the maths, no database)
- ``holding_pnl(*, summary) -> PnlReport`` (no database)

How a return is measured (the convention; tests work examples by hand):

- Valuation points are the client's ``ValuationSnapshot`` rows: AUM at the end of the day, in the
  snapshot's currency (the base currency). Flows (``CashFlow``) count in the base currency at the rate
  of their own day (fixed when recorded, with ``selectors.fx_convert``).
- A flow happens at the **end of its day**: a flow dated on a valuation day is already in that day's
  value. So a flow dated ``d`` belongs to the sub-period ``(d0, d1]`` with ``d0 < d <= d1``.
- Sub-period between consecutive points (value ``V0`` on ``d0``, ``V1`` on ``d1``), flows ``F_k`` on
  ``d_k``, weight ``w_k = (d1 - d_k) / (d1 - d0)`` (the part of the sub-period the money was invested)::

      r = (V1 - V0 - ΣF_k) / (V0 + Σ w_k F_k)          (modified Dietz)

  With a snapshot every day (the daily revaluation writes one) every weight is 0 and this is the exact
  time-weighted return ``r = (V1 - F) / V0 - 1``; with sparse or missing days it is the modified
  Dietz approximation of the sub-period, which treats a mid-period flow by the time it was invested.
  When the denominator is not above zero (nothing was invested during the sub-period: ``V0 = 0`` and
  the first funding arrives on ``d1``) the sub-period's return is 0; its gain, if any, still shows in
  market movement.
- Sub-periods are chain-linked: ``TWR = Π(1 + r_i) - 1``.
- A window (a month, year to date, the trailing 12 months) runs from its start boundary (the day
  before the month, 31 December, the same day a year earlier) to its end (the month's last day, or
  ``on_date``). It starts at the latest point on or before the start boundary and ends at the latest
  point on or before its end. A client whose valuation history begins inside the window is measured
  from its first point (``since`` says from when, ``is_partial`` is true); flows on or before that
  first point are in its value.
- Market movement = ``V_end - V_start - net flows`` over the same points: what the market did, in money.

Decimal throughout; returns are fractions (0.0795 is 7.95 %), shown as percentages to 2 dp (``*_pct``).
"""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Client

from .models import CashFlow, ValuationSnapshot
from .selectors import FxRateMissing, PortfolioSummary, base_currency, cents, portfolio_summary

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
PCT_PLACES = Decimal("0.01")
MONTHS_SHOWN = 12
RECENT_FLOWS_SHOWN = 10


def as_pct(fraction: Decimal | None) -> Decimal | None:
    """A return as a fraction (0.079487…) shown as a percentage to two decimals (7.95), half up."""
    if fraction is None:
        return None
    return (fraction * HUNDRED).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


# --- The maths (no database) --------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """The portfolio's value at the end of a day."""

    day: date
    value: Decimal


@dataclass(frozen=True)
class Flow:
    """A flow in the points' currency: positive in (contribution), negative out (withdrawal)."""

    day: date
    amount: Decimal


@dataclass(frozen=True)
class Window:
    """A period to measure: after ``start`` (a boundary day) up to and including ``end``."""

    key: str
    start: date
    end: date


@dataclass(frozen=True)
class PeriodReturn:
    """The time-weighted return over one window, and the money that moved in it.

    ``twr`` is None when there is nothing to measure (no valuation in the window). ``start_date`` and
    ``end_date`` are the valuation days actually used; ``is_partial`` when the history begins inside the
    window (``since`` is its first valuation day).
    """

    key: str
    start: date
    end: date
    twr: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    start_value: Decimal = ZERO
    end_value: Decimal = ZERO
    contributions: Decimal = ZERO
    withdrawals: Decimal = ZERO  # a positive amount
    is_partial: bool = False

    @property
    def has_data(self) -> bool:
        return self.twr is not None

    @property
    def twr_pct(self) -> Decimal | None:
        return as_pct(self.twr)

    @property
    def net_flows(self) -> Decimal:
        return self.contributions - self.withdrawals

    @property
    def market_movement(self) -> Decimal:
        """End value - start value - net flows: the change the client's own money does not explain."""
        return self.end_value - self.start_value - self.net_flows

    @property
    def since(self) -> date | None:
        return self.start_date if self.is_partial else None

    @property
    def month(self) -> date:
        """For a calendar-month window: the month's first day."""
        return self.start + timedelta(days=1)


def sub_period_return(*, v0: Decimal, v1: Decimal, d0: date, d1: date, flows: Sequence[Flow]) -> Decimal:
    """The return from ``v0`` at the end of ``d0`` to ``v1`` at the end of ``d1`` with ``flows`` (dated in
    ``(d0, d1]``) in between: modified Dietz, which with daily points is ``(V1 - F) / V0 - 1``."""
    days = Decimal((d1 - d0).days)
    net = sum((f.amount for f in flows), ZERO)
    invested = v0 + sum((f.amount * Decimal((d1 - f.day).days) / days for f in flows), ZERO)
    if invested <= 0:
        return ZERO  # nothing at work in the market during the sub-period
    return (v1 - v0 - net) / invested


def period_returns(*, points: Sequence[Point], flows: Iterable[Flow], windows: Iterable[Window]) -> list[PeriodReturn]:
    """Each window's chain-linked TWR and flows, from ``points`` (any order, one per day) and ``flows``."""
    points = sorted(points, key=lambda p: p.day)
    days = [p.day for p in points]
    # Sub-period i runs from points[i - 1] to points[i]; flows after the last point wait for the next one.
    flows_in: list[list[Flow]] = [[] for _ in points]
    for flow in flows:
        i = bisect_right(days, flow.day - timedelta(days=1)) if days else 0  # first point on or after the flow
        if 0 < i < len(points):
            flows_in[i].append(flow)
    growth = [ONE] + [
        ONE + sub_period_return(v0=points[i - 1].value, v1=points[i].value, d0=days[i - 1], d1=days[i],
                                flows=flows_in[i])
        for i in range(1, len(points))
    ]
    return [_window_return(window, points, days, flows_in, growth) for window in windows]


def _window_return(window: Window, points, days, flows_in, growth) -> PeriodReturn:
    last = bisect_right(days, window.end) - 1  # the latest point on or before the end
    first = bisect_right(days, window.start) - 1  # the latest point on or before the start boundary
    partial = first < 0
    if partial:
        first = bisect_right(days, window.start)  # history begins inside the window: its first point
    if last < 0 or first >= last:
        return PeriodReturn(key=window.key, start=window.start, end=window.end)
    linked = ONE
    contributions = withdrawals = ZERO
    for i in range(first + 1, last + 1):
        linked *= growth[i]
        for flow in flows_in[i]:
            if flow.amount >= 0:
                contributions += flow.amount
            else:
                withdrawals -= flow.amount
    return PeriodReturn(
        key=window.key, start=window.start, end=window.end, twr=linked - ONE,
        start_date=days[first], end_date=days[last], start_value=points[first].value, end_value=points[last].value,
        contributions=contributions, withdrawals=withdrawals, is_partial=partial,
    )


def month_windows(on_date: date, count: int = MONTHS_SHOWN) -> list[Window]:
    """The last ``count`` calendar months up to the one ``on_date`` is in (month to date), oldest first."""
    windows = []
    first_of_month = on_date.replace(day=1)
    for _n in range(count):
        next_month = (first_of_month + timedelta(days=32)).replace(day=1)
        end = min(next_month - timedelta(days=1), on_date)
        windows.append(Window(key=first_of_month.strftime("%Y-%m"), start=first_of_month - timedelta(days=1), end=end))
        first_of_month = (first_of_month - timedelta(days=1)).replace(day=1)
    return windows[::-1]


def year_ago(on_date: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return on_date.replace(year=on_date.year - 1)
    except ValueError:
        return on_date.replace(year=on_date.year - 1, day=28)


# --- Profit and loss per holding (no database) -----------------------------------------------


@dataclass(frozen=True)
class HoldingPnl:
    """A holding's cost basis and unrealised profit or loss, in its currency and in the base currency.

    Base-currency figures convert cost and value at today's rate (the rate on the day of purchase is not
    recorded), so they show the holding's own gain, not the currency's.
    """

    holding_id: int
    account: str
    instrument_code: str
    instrument_name: str
    asset_class: str
    asset_class_label: str
    quantity: Decimal
    currency: str
    cost: Decimal
    market_value: Decimal
    pnl: Decimal
    fx_rate: Decimal
    cost_base: Decimal
    market_value_base: Decimal
    pnl_base: Decimal

    @property
    def pnl_pct(self) -> Decimal | None:
        """Against cost, to 2 dp; None when the cost is 0 (a gift, a bonus share): no percentage exists."""
        return _pnl_pct(self.pnl, self.cost)


@dataclass(frozen=True)
class PnlTotal:
    """Cost, value and unrealised profit or loss of several holdings, in the base currency."""

    key: str
    label: str
    cost_base: Decimal = ZERO
    market_value_base: Decimal = ZERO
    pnl_base: Decimal = ZERO

    @property
    def pnl_pct(self) -> Decimal | None:
        return _pnl_pct(self.pnl_base, self.cost_base)


@dataclass(frozen=True)
class PnlReport:
    currency: str
    holdings: tuple[HoldingPnl, ...] = ()
    by_asset_class: tuple[PnlTotal, ...] = ()
    total: PnlTotal = field(default_factory=lambda: PnlTotal(key="total", label=""))


def _pnl_pct(pnl: Decimal, cost: Decimal) -> Decimal | None:
    if not cost:
        return None
    return (pnl * HUNDRED / cost).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


def holding_pnl(*, summary: PortfolioSummary) -> PnlReport:
    """Cost basis and unrealised P/L of each holding in ``summary`` (in its order), per asset class and
    overall. Market values in the base currency are the summary's own (rounded to the cent once)."""
    rows = tuple(
        HoldingPnl(
            holding_id=h.holding_id, account=h.account, instrument_code=h.instrument_code,
            instrument_name=h.instrument_name, asset_class=h.asset_class, asset_class_label=h.asset_class_label,
            quantity=h.quantity, currency=h.currency, cost=h.cost, market_value=h.market_value,
            pnl=h.market_value - h.cost, fx_rate=h.fx_rate, cost_base=cents(h.cost * h.fx_rate),
            market_value_base=h.market_value_base, pnl_base=h.market_value_base - cents(h.cost * h.fx_rate),
        )
        for h in summary.holdings
    )
    classes: dict[str, PnlTotal] = {}
    for row in rows:
        total = classes.get(row.asset_class) or PnlTotal(key=row.asset_class, label=row.asset_class_label)
        classes[row.asset_class] = _add(total, row)
    overall = PnlTotal(key="total", label=_("Total"))
    for row in rows:
        overall = _add(overall, row)
    return PnlReport(currency=summary.base_currency, holdings=rows, by_asset_class=tuple(classes.values()),
                     total=overall)


def _add(total: PnlTotal, row: HoldingPnl) -> PnlTotal:
    return PnlTotal(key=total.key, label=total.label, cost_base=total.cost_base + row.cost_base,
                    market_value_base=total.market_value_base + row.market_value_base,
                    pnl_base=total.pnl_base + row.pnl_base)


# --- The selector ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPerformance:
    """What the portfolio page's performance section and the review report show.

    ``months``: the last 12 calendar months, oldest first (the current one to ``on_date``);
    ``ytd`` and ``twelve_months``: year to date and the trailing 12 months; each a ``PeriodReturn``
    with its TWR, contributions, withdrawals, net flows and market movement. ``pnl``: cost basis and
    unrealised P/L per holding (``holding_pnl`` rows), per asset class and overall; empty, with
    ``pnl_error`` saying why, when a currency held has no FX rate. ``recent_flows``: the newest flows
    of the last 12 months (at most ``RECENT_FLOWS_SHOWN``).
    """

    client_id: int
    on_date: date
    currency: str
    months: tuple[PeriodReturn, ...]
    ytd: PeriodReturn
    twelve_months: PeriodReturn
    pnl: PnlReport
    pnl_error: str = ""
    recent_flows: tuple[CashFlow, ...] = ()

    @property
    def holding_pnl(self) -> tuple[HoldingPnl, ...]:
        return self.pnl.holdings

    @property
    def periods(self) -> list[tuple[str, PeriodReturn]]:
        """Year to date and the last 12 months, with their labels."""
        return [(_("Year to date"), self.ytd), (_("Last 12 months"), self.twelve_months)]

    @property
    def has_history(self) -> bool:
        return self.twelve_months.has_data or any(month.has_data for month in self.months)

    def chart_data(self) -> dict:
        """The monthly returns bar chart's series (fed to the page with json_script)."""
        return {
            "labels": [month.key for month in self.months],
            "values": [month.twr_pct for month in self.months],
            "label": _("Monthly return %"),
        }


def client_performance(*, client: Client, on_date: date | None = None,
                       summary: PortfolioSummary | None = None) -> ClientPerformance:
    """The client's returns and P/L on ``on_date`` (default today).

    Two queries (the valuation points from the latest one on or before a year ago, and the flows after
    it, the account prefetched with them), plus ``portfolio_summary``'s when ``summary`` is not given
    (pass the page's own to save them). Does not grow with the history or the holdings.
    """
    on_date = on_date or timezone.localdate()
    months = month_windows(on_date)
    windows = [*months, Window(key="ytd", start=date(on_date.year - 1, 12, 31), end=on_date),
               Window(key="12m", start=year_ago(on_date), end=on_date)]
    earliest = min(window.start for window in windows)
    before = (ValuationSnapshot.objects.filter(client=client, valuation_date__lte=earliest)
              .order_by("-valuation_date").values("valuation_date")[:1])
    snapshots = list(
        ValuationSnapshot.objects.filter(client=client, valuation_date__lte=on_date)
        .filter(Q(valuation_date__gte=Subquery(before)) | Q(valuation_date__gt=earliest))
        .order_by("valuation_date").values_list("valuation_date", "aum", "currency")
    )
    points = [Point(day=day, value=aum) for day, aum, _currency in snapshots]
    currency = snapshots[-1][2] if snapshots else base_currency()
    flows_since = min(snapshots[0][0], earliest) if snapshots else earliest
    flows = list(CashFlow.objects.filter(client=client, flow_date__gt=flows_since, flow_date__lte=on_date)
                 .select_related("account__institution").order_by("-flow_date", "-pk"))
    results = period_returns(points=points, flows=[Flow(day=f.flow_date, amount=f.signed_amount_base) for f in flows],
                             windows=windows)
    pnl_error = ""
    if summary is None:
        try:
            summary = portfolio_summary(client=client, on_date=on_date)
        except FxRateMissing as error:
            pnl_error = " ".join(error.messages)
    pnl = holding_pnl(summary=summary) if summary is not None else PnlReport(currency=currency)
    return ClientPerformance(
        client_id=client.pk, on_date=on_date, currency=currency, months=tuple(results[:len(months)]),
        ytd=results[-2], twelve_months=results[-1], pnl=pnl, pnl_error=pnl_error,
        recent_flows=tuple(f for f in flows if f.flow_date > earliest)[:RECENT_FLOWS_SHOWN],
    )
