"""Time-weighted return: hand-worked examples, to the basis point (0.01 %), of the convention written in
portfolios/performance.py (flows at the end of their day; modified Dietz inside a sub-period, which is the
exact TWR when there is a valuation every day; sub-periods chain-linked)."""

from datetime import date
from decimal import Decimal

import pytest

from portfolios.performance import (
    Flow,
    Point,
    Window,
    as_pct,
    client_performance,
    month_windows,
    period_returns,
    sub_period_return,
    year_ago,
)
from portfolios.models import CashFlow, ValuationSnapshot

D = Decimal


def one(points, flows, start, end):
    return period_returns(points=points, flows=flows, windows=[Window(key="w", start=start, end=end)])[0]


def test_it_measures_a_mid_month_contribution_by_the_time_it_was_invested():
    """V0 = 100,000 at the end of 28 February; a contribution of 50,000 on 15 March; V1 = 160,000 at the
    end of 31 March. The month has 31 days; the 50,000 was invested for 31 - 15 = 16 of them, weight 16/31.

        gain        = 160,000 - 100,000 - 50,000            = 10,000
        invested    = 100,000 + 50,000 × 16/31              = 125,806.4516…
        r           = 10,000 / 125,806.4516…                = 7.9487 %  → 7.95 %
        market mvt  = 10,000; contributions 50,000; withdrawals 0
    """
    points = [Point(date(2026, 2, 28), D("100000")), Point(date(2026, 3, 31), D("160000"))]
    flows = [Flow(date(2026, 3, 15), D("50000"))]

    march = one(points, flows, date(2026, 2, 28), date(2026, 3, 31))

    assert march.twr.quantize(D("0.000001")) == D("0.079487")
    assert march.twr_pct == D("7.95")
    assert (march.contributions, march.withdrawals, march.market_movement) == (D("50000"), D("0"), D("10000"))


def test_it_is_the_exact_twr_with_a_valuation_every_day():
    """Daily points: 100,000 (1 March), 156,000 (2 March), 148,200 (3 March); a contribution of 50,000 dated
    2 March is in that day's 156,000 (flows at the end of their day).

        day 1→2:  r1 = (156,000 - 50,000) / 100,000 - 1 = 6.00 %
        day 2→3:  r2 = 148,200 / 156,000 - 1            = -5.00 %
        TWR      = 1.06 × 0.95 - 1                      = 0.70 %
        market mvt = 148,200 - 100,000 - 50,000         = -1,800
    """
    points = [Point(date(2026, 3, 1), D("100000")), Point(date(2026, 3, 2), D("156000")),
              Point(date(2026, 3, 3), D("148200"))]
    flows = [Flow(date(2026, 3, 2), D("50000"))]

    result = one(points, flows, date(2026, 3, 1), date(2026, 3, 3))

    assert result.twr == D("0.007")
    assert result.twr_pct == D("0.70")
    assert result.market_movement == D("-1800")


def test_it_measures_a_withdrawal():
    """V0 = 200,000 (30 April); withdrawal of 30,000 at the end of 31 May, the valuation day, so weight 0;
    V1 = 174,000 (31 May).

        r          = (174,000 + 30,000) / 200,000 - 1 = 2.00 %
        market mvt = 174,000 - 200,000 - (-30,000)    = 4,000
    """
    points = [Point(date(2026, 4, 30), D("200000")), Point(date(2026, 5, 31), D("174000"))]
    flows = [Flow(date(2026, 5, 31), D("-30000"))]

    may = one(points, flows, date(2026, 4, 30), date(2026, 5, 31))

    assert may.twr_pct == D("2.00")
    assert (may.contributions, may.withdrawals, may.net_flows) == (D("0"), D("30000"), D("-30000"))
    assert may.market_movement == D("4000")


def test_it_starts_from_zero_with_the_first_funding():
    """V0 = 0 (a valuation of the empty portfolio on 31 May). 100,000 arrives on 10 June (invested for 20 of
    June's 30 days, weight 2/3); V1 = 101,000 on 30 June.

        r = (101,000 - 0 - 100,000) / (0 + 100,000 × 20/30) = 1,000 / 66,666.67 = 1.50 %

    Funding on the valuation day itself leaves nothing invested during the sub-period: its return is 0 and
    the gain shows only in market movement.
    """
    points = [Point(date(2026, 5, 31), D("0")), Point(date(2026, 6, 30), D("101000"))]

    june = one(points, [Flow(date(2026, 6, 10), D("100000"))], date(2026, 5, 31), date(2026, 6, 30))
    same_day = one(points, [Flow(date(2026, 6, 30), D("100000"))], date(2026, 5, 31), date(2026, 6, 30))

    assert june.twr_pct == D("1.50")
    assert june.market_movement == D("1000")
    assert same_day.twr == D("0")
    assert same_day.market_movement == D("1000")


def test_it_chain_links_months_into_year_to_date_across_the_year_boundary():
    """Month ends: 31 Dec 2025 100,000; 31 Jan 2026 110,000 (+10.00 %); 28 Feb 2026 99,000 (-10.00 %).
    December 2025 (30 Nov 95,000 → 31 Dec 100,000, +5.26 %) belongs to the trailing year, not to YTD.

        YTD 2026  = 1.10 × 0.90 - 1                = -1.00 %
        Dec–Feb   = (100,000 / 95,000) × 0.99 - 1  = 4.21 %  (1.0421052…)
    """
    points = [Point(date(2025, 11, 30), D("95000")), Point(date(2025, 12, 31), D("100000")),
              Point(date(2026, 1, 31), D("110000")), Point(date(2026, 2, 28), D("99000"))]
    windows = [Window("ytd", date(2025, 12, 31), date(2026, 2, 28)), Window("3m", date(2025, 11, 30), date(2026, 2, 28)),
               *month_windows(date(2026, 2, 28), count=3)]

    ytd, three, dec, jan, feb = period_returns(points=points, flows=[], windows=windows)

    assert [m.key for m in (dec, jan, feb)] == ["2025-12", "2026-01", "2026-02"]
    assert [m.twr_pct for m in (dec, jan, feb)] == [D("5.26"), D("10.00"), D("-10.00")]
    assert ytd.twr_pct == D("-1.00")
    assert (ytd.start_date, ytd.start_value) == (date(2025, 12, 31), D("100000"))
    assert three.twr_pct == D("4.21")


def test_sparse_and_missing_valuations_use_the_latest_one_on_or_before_each_boundary():
    """No valuation on 31 January: February runs from the latest before it (20 January, 100,000) to the
    latest in it (28 February, 103,000): +3.00 %. March has no valuation at all: no return."""
    points = [Point(date(2026, 1, 20), D("100000")), Point(date(2026, 2, 28), D("103000"))]

    jan, feb, mar = period_returns(points=points, flows=[], windows=month_windows(date(2026, 3, 31), count=3))

    assert feb.twr_pct == D("3.00") and feb.start_date == date(2026, 1, 20)
    assert mar.twr is None and not mar.has_data
    # January: the history begins inside the month and has one valuation only: nothing to measure yet.
    assert jan.twr is None


def test_a_history_beginning_inside_the_window_is_measured_from_its_first_valuation():
    """First valuation 10 March 100,000 (its funding on that day is in it); 31 March 102,000: +2.00 % since
    10 March, and the funding is not a flow of the period."""
    points = [Point(date(2026, 3, 10), D("100000")), Point(date(2026, 3, 31), D("102000"))]

    march = one(points, [Flow(date(2026, 3, 10), D("100000"))], date(2026, 2, 28), date(2026, 3, 31))

    assert march.twr_pct == D("2.00")
    assert march.is_partial and march.since == date(2026, 3, 10)
    assert march.contributions == D("0")
    assert march.market_movement == D("2000")


def test_sub_period_return_with_nothing_invested_is_zero():
    assert sub_period_return(v0=D("0"), v1=D("0"), d0=date(2026, 1, 1), d1=date(2026, 1, 2), flows=[]) == 0


def test_helpers():
    assert as_pct(D("0.0794871")) == D("7.95") and as_pct(None) is None
    assert year_ago(date(2028, 2, 29)) == date(2027, 2, 28)
    windows = month_windows(date(2026, 11, 20))
    assert len(windows) == 12 and windows[0].key == "2025-12" and windows[-1].end == date(2026, 11, 20)


@pytest.mark.django_db
def test_client_performance_reads_snapshots_and_flows_in_the_base_currency(client_record, owner):
    """Snapshots over a year and one USD contribution of 1,000 at 7.10 (7,100 CNY), on the last
    valuation day (weight 0):

        Oct: 100,000 (30 Sep) → 102,000 (31 Oct)                     = +2.00 %
        Nov: 102,000 → 110,200 with 7,100 in: (110,200 - 7,100) / 102,000 - 1 = +1.08 %  (1.0784…)
        12 months: 1.02 × 1.010784… - 1 = 3.10 %; market mvt = 110,200 - 100,000 - 7,100 = 3,100
    """
    from tests.portfolios.factories import FxRateFactory

    FxRateFactory(currency="USD", rate=D("7.10"), rate_date=date(2026, 11, 1))
    for day, aum in [(date(2025, 11, 15), "100000"), (date(2026, 9, 30), "100000"), (date(2026, 10, 31), "102000"),
                     (date(2026, 11, 20), "110200")]:
        ValuationSnapshot.objects.create(client=client_record, valuation_date=day, aum=D(aum), currency="CNY")
    from portfolios.cash_flows import cash_flow_record

    cash_flow_record(client=client_record, kind=CashFlow.Kind.CONTRIBUTION, flow_date=date(2026, 11, 20),
                     amount=D("1000"), currency="usd", recorded_by=owner, today=date(2026, 11, 20))

    performance = client_performance(client=client_record, on_date=date(2026, 11, 20))

    months = {m.key: m for m in performance.months}
    assert months["2026-10"].twr_pct == D("2.00")
    assert months["2026-11"].twr_pct == D("1.08")
    assert performance.twelve_months.twr_pct == D("3.10")
    assert performance.twelve_months.contributions == D("7100.00")
    assert performance.twelve_months.market_movement == D("3100.00")
    assert performance.ytd.twr_pct == D("3.10")  # nothing moved from 15 Nov 2025 to 30 Sep 2026
    assert not performance.twelve_months.is_partial
    assert [f.currency for f in performance.recent_flows] == ["USD"]
