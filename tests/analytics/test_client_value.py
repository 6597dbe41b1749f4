"""One client's lifetime value from its history, a prospect's from P x K x M x N, and the stored result."""

from datetime import date
from decimal import Decimal

import pytest

from analytics import selectors, services
from analytics.models import ClientValue, CostRecord, ProspectEstimate, Referral, RevenueRecord
from portfolios.models import FxRate, ValuationSnapshot
from tests.factories import ClientFactory

from .conftest import registered, snapshot, terminate

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 6, 30)


def history_client(owner):
    """2025: snapshots 30 June (equity 1,000,000, cash 200,000) and 31 Dec (equity 1,200,000);
    other revenue 500; a referral worth 1,000; costs: servicing 1,200, price concession 300."""
    client = ClientFactory(manager=owner, lifecycle_stage="maturity")
    snapshot(client, date(2025, 6, 30), equity="1000000", cash="200000")
    snapshot(client, date(2025, 12, 31), equity="1200000")
    RevenueRecord.objects.create(client=client, year=2025, amount=D("500"), currency="CNY", description="FX")
    Referral.objects.create(referrer=client, referred=ClientFactory(), referred_on=date(2025, 9, 1), value=D("1000"))
    CostRecord.objects.create(client=client, year=2025, kind="servicing", amount=D("1200"))
    CostRecord.objects.create(client=client, year=2025, kind="price_concession", amount=D("300"))
    return client


def test_it_values_a_client_from_last_years_history(owner, value_settings):
    """Fees 2025: equity average (1,000,000 + 1,200,000) / 2 = 1,100,000 x 0.80 % = 8,800.00;
    cash (200,000 + 0) / 2 = 100,000 x 0.20 % = 200.00; fees 9,000.00.
    Q = 9,000 + 500 + 1,000 = 10,500.00; C = 1,200 + 300 = 1,500.00; Q - C = 9,000.00.
    No one left the segment: T = the default 3 years; i = 8 %:
    9000/1.08 = 8333.33, 9000/1.1664 = 7716.05, 9000/1.259712 = 7144.49 -> CLV = 23,193.87."""
    client = history_client(owner)

    working = selectors.client_value_working(client=client, today=TODAY)

    assert working.method == "history" and working.basis == "full_years"
    [year] = working.years
    assert [(line.asset_class, line.average, line.fee) for line in year.fee_lines] == [
        ("cash", D("100000.00"), D("200.00")), ("equity", D("1100000.00"), D("8800.00"))]
    assert (year.fees, year.other_revenue, year.referral_value, year.contribution, year.cost) == (
        D("9000.00"), D("500.00"), D("1000.00"), D("10500.00"), D("1500.00"))
    assert (working.contribution, working.cost, working.lifetime) == (D("10500.00"), D("1500.00"), D("3.00"))
    assert [term.value for term in working.terms] == [D("8333.33"), D("7716.05"), D("7144.49")]
    assert working.clv == D("23193.87")


def test_amounts_in_another_currency_are_converted_at_the_years_last_rate(owner, value_settings):
    """100 USD of 2025 revenue at the 31 Dec 2025 rate 7.10 = 710.00 (the June rate 7.30 is not used)."""
    client = ClientFactory(manager=owner, lifecycle_stage="growth")
    FxRate.objects.create(currency="USD", quote_currency="CNY", rate_date=date(2025, 6, 1), rate=D("7.30"))
    FxRate.objects.create(currency="USD", quote_currency="CNY", rate_date=date(2025, 12, 31), rate=D("7.10"))
    RevenueRecord.objects.create(client=client, year=2025, amount=D("100"), currency="USD")

    working = selectors.client_value_working(client=client, today=TODAY)

    assert working.years[0].other_revenue == D("710.00")


def test_churn_of_the_segment_sets_the_lifetime(owner, value_settings):
    """HNW in 2025: 4 clients registered in 2024 were there on 1 Jan 2025; one left in March:
    r = 1/4 = 0.2500, T = 4.00. One registered and gone within 2025 and one gone in 2024 count in
    neither figure. The valued client (Q - C = 1,000 from a 2025 cost-free revenue):
    1000/1.08 + 1000/1.1664 + 1000/1.259712 + 1000/1.36048896 = 925.93 + 857.34 + 793.83 + 735.03 = 3312.13."""
    valued = registered(ClientFactory(manager=owner, aum_tier="hnw", lifecycle_stage="maturity"), date(2024, 5, 1))
    RevenueRecord.objects.create(client=valued, year=2025, amount=D("1000"))
    for _index in range(2):
        registered(ClientFactory(aum_tier="hnw"), date(2024, 5, 1))
    terminate(registered(ClientFactory(aum_tier="hnw"), date(2024, 5, 1)), date(2025, 3, 1))
    terminate(registered(ClientFactory(aum_tier="hnw"), date(2025, 2, 1)), date(2025, 8, 1))
    terminate(registered(ClientFactory(aum_tier="hnw"), date(2023, 2, 1)), date(2024, 8, 1))
    terminate(registered(ClientFactory(aum_tier="mass"), date(2023, 2, 1)), date(2025, 8, 1))

    working = selectors.client_value_working(client=valued, today=TODAY)

    assert (working.churn.at_start, working.churn.lost, working.churn.rate) == (4, 1, D("0.2500"))
    assert working.lifetime == D("4.00")
    assert working.clv == D("3312.13")


def test_a_prospect_is_valued_from_p_k_m_n(owner, value_settings):
    """P = 200,000, K = 25 %, M = 2 %, N = 4: Q = 4,000.00. This year's acquisition cost 1,000 (no full
    year yet): C = 1,000.00; Q - C = 3,000; T = 3, i = 8 %:
    3000/1.08 = 2777.78, 3000/1.1664 = 2572.02, 3000/1.259712 = 2381.50 -> CLV = 7,731.30."""
    client = ClientFactory(manager=owner, lifecycle_stage="potential")
    ProspectEstimate.objects.create(client=client, purchase_amount=D("200000"), wallet_share_pct=D("25"),
                                    margin_pct=D("2"), transactions_per_year=D("4"))
    CostRecord.objects.create(client=client, year=2026, kind="acquisition", amount=D("1000"))

    working = selectors.client_value_working(client=client, today=TODAY)

    assert (working.method, working.basis) == ("prospect", "current_year")
    assert (working.prospect.contribution, working.cost) == (D("4000.00"), D("1000.00"))
    assert working.clv == D("7731.30")


def test_a_terminated_client_has_no_remaining_value(owner, value_settings):
    client = terminate(history_client(owner), date(2026, 1, 10))

    working = selectors.client_value_working(client=client, today=TODAY)

    assert (working.method, working.lifetime, working.terms, working.clv) == ("ended", D("0"), [], D("0"))


def test_a_zero_discount_rate_sums_the_years(owner, value_settings):
    """i = 0: CLV = 3 x (Q - C) = 3 x 9,000.00 = 27,000.00."""
    value_settings.discount_rate_pct = D("0")
    value_settings.save()

    assert selectors.client_value_working(client=history_client(owner), today=TODAY).clv == D("27000.00")


def test_a_client_without_history_or_estimate_is_worth_nothing_and_says_why(owner, value_settings):
    working = selectors.client_value_working(client=ClientFactory(manager=owner), today=TODAY)

    assert (working.basis, working.clv) == ("none", D("0"))
    assert working.warnings


def test_recompute_stores_every_value_and_is_idempotent(owner, value_settings):
    client = history_client(owner)
    prospect = ClientFactory(manager=owner, lifecycle_stage="potential")
    merged = ClientFactory(status="merged")
    ClientValue.objects.create(client=merged, clv=D("1"), yearly_contribution=D("1"), yearly_cost=D("0"),
                               lifetime_years=D("1"), currency="CNY", method="history", computed_at=merged.created_at)

    first = services.client_values_recompute(today=TODAY)
    stored = {value.client_id: value.clv for value in ClientValue.objects.all()}
    second = services.client_values_recompute(today=TODAY)

    assert first == second == ClientValue.objects.count()
    assert {value.client_id: value.clv for value in ClientValue.objects.all()} == stored
    assert stored[client.pk] == D("23193.87")
    assert prospect.pk in stored and merged.pk not in stored


def test_a_snapshot_without_a_split_is_split_like_the_latest_one_with(owner, value_settings):
    """2025: 31 Mar 400,000 with no split; 31 Dec 600,000 = equity 450,000 + cash 150,000 (3:1).
    March split 3:1: equity 300,000, cash 100,000. Averages: equity (300,000 + 450,000) / 2 = 375,000
    x 0.80 % = 3,000.00; cash (100,000 + 150,000) / 2 = 125,000 x 0.20 % = 250.00."""
    client = ClientFactory(manager=owner, lifecycle_stage="growth")
    ValuationSnapshot.objects.create(client=client, valuation_date=date(2025, 3, 31), aum=D("400000"),
                                     currency="CNY", by_asset_class={})
    snapshot(client, date(2025, 12, 31), equity="450000", cash="150000")

    [year] = selectors.client_value_working(client=client, today=TODAY).years

    assert [(line.asset_class, line.average, line.fee) for line in year.fee_lines] == [
        ("cash", D("125000.00"), D("250.00")), ("equity", D("375000.00"), D("3000.00"))]


def test_pages_read_the_tiers_churn_from_the_cache_and_the_daily_recompute_counts_it_afresh(owner, value_settings):
    """HNW: 2 there on 1 Jan 2025. Before anyone left r = 0 (cached); one leaves: a page still reads the
    cached 0 until the recompute of every client counts 1 / 2 = 0.5000."""
    valued = registered(ClientFactory(manager=owner, aum_tier="hnw", lifecycle_stage="growth"), date(2024, 5, 1))
    leaving = registered(ClientFactory(aum_tier="hnw", lifecycle_stage="growth"), date(2024, 5, 1))
    assert selectors.client_value_working(client=valued, today=TODAY).churn.rate == D("0.0000")
    terminate(leaving, date(2025, 3, 1))

    assert selectors.client_value_working(client=valued, today=TODAY).churn.rate == D("0.0000")
    services.client_values_recompute(today=TODAY)
    assert selectors.client_value_working(client=valued, today=TODAY).churn.rate == D("0.5000")
