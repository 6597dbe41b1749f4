"""Rebalance plan: once a class leaves its band every class goes back to its target,
illiquid holdings are never sold, small trades are dropped, and buys and sells net to zero."""

from decimal import Decimal

import pytest

from portfolios.models import RebalanceTrade
from portfolios.selectors import rebalance_plan

from .factories import AccountFactory, HoldingFactory, InstrumentFactory, ModelAllocationFactory

pytestmark = pytest.mark.django_db

BUY, SELL = RebalanceTrade.Action.BUY, RebalanceTrade.Action.SELL


@pytest.fixture
def account(client_record):
    client_record.risk_level = "C3"
    client_record.save()
    return AccountFactory(client=client_record)


def model(**weights):
    ModelAllocationFactory(risk_level="C3", weights=weights)


def hold(account, asset_class, amount, is_illiquid=False):
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=asset_class),
                   market_value=Decimal(amount), is_illiquid=is_illiquid)


def plan_of(client, minimum_trade="0"):
    return [(t.asset_class, t.action, t.amount, t.weight_before, t.weight_after)
            for t in rebalance_plan(client=client, minimum_trade=Decimal(minimum_trade))]


def net(client, minimum_trade="0"):
    trades = rebalance_plan(client=client, minimum_trade=Decimal(minimum_trade))
    return sum(t.amount if t.action == BUY else -t.amount for t in trades)


def test_it_brings_the_drifting_classes_to_target_not_to_the_band_edge(account):
    model(cash=(10, 5), fixed_income=(30, 5), equity=(40, 5), fund=(20, 5))
    # AUM 1,000,000: fixed income 24 % (band 25–35), equity 46 % (band 35–45).
    for asset_class, amount in [("cash", "100000"), ("fixed_income", "240000"), ("equity", "460000"),
                                ("fund", "200000")]:
        hold(account, asset_class, amount)

    # To target: 30 % − 24 % and 46 % − 40 % of 1,000,000 = 60,000 each
    # (to the band edge it would have been 10,000 each).
    assert plan_of(account.client) == [
        ("equity", SELL, Decimal("60000.00"), Decimal("46.00"), Decimal("40.00")),
        ("fixed_income", BUY, Decimal("60000.00"), Decimal("24.00"), Decimal("30.00")),
    ]


def test_it_proposes_nothing_while_every_class_is_within_its_band(account):
    model(cash=(10, 5), equity=(90, 5))
    hold(account, "cash", "140000")  # 14 %
    hold(account, "equity", "860000")  # 86 %

    assert plan_of(account.client) == []


def test_it_proposes_nothing_without_a_target(client_record):
    hold(AccountFactory(client=client_record), "cash", "1000")

    assert plan_of(client_record) == []


def test_it_drops_small_trades_and_puts_the_difference_on_the_largest(account):
    model(cash=(10, 5), fixed_income=(30, 5), equity=(40, 5), fund=(20, 5))
    # AUM 1,000,000. To target: cash −20,000, fixed income +70,000, equity −60,000, fund +10,000.
    for asset_class, amount in [("cash", "120000"), ("fixed_income", "230000"), ("equity", "460000"),
                                ("fund", "190000")]:
        hold(account, asset_class, amount)

    # A minimum of 15,000 drops the fund's 10,000 buy; sells 80,000 vs buys 70,000 leave
    # 10,000 over, which goes on the largest trade: fixed income buys 80,000 (31 %).
    assert plan_of(account.client, minimum_trade="15000") == [
        ("equity", SELL, Decimal("60000.00"), Decimal("46.00"), Decimal("40.00")),
        ("cash", SELL, Decimal("20000.00"), Decimal("12.00"), Decimal("10.00")),
        ("fixed_income", BUY, Decimal("80000.00"), Decimal("23.00"), Decimal("31.00")),
    ]
    assert net(account.client, minimum_trade="15000") == 0


def test_it_never_sells_an_illiquid_holding_and_respreads_the_rest(account):
    model(real_estate=(10, 5), equity=(50, 5), fixed_income=(40, 5))
    hold(account, "real_estate", "300000", is_illiquid=True)  # 30 %, cannot be sold
    hold(account, "equity", "500000")  # 50 %
    hold(account, "fixed_income", "200000")  # 20 %

    # Real estate keeps its 300,000; the other 700,000 is spread 50:40 over equity and
    # fixed income: 388,888.888… and 311,111.111…, so equity sells 111,111.11 and fixed
    # income buys 111,111.11 (each rounded half up to the cent; they net to zero).
    assert plan_of(account.client) == [
        ("equity", SELL, Decimal("111111.11"), Decimal("50.00"), Decimal("38.89")),
        ("fixed_income", BUY, Decimal("111111.11"), Decimal("20.00"), Decimal("31.11")),
    ]


def test_it_sells_only_the_liquid_part_of_a_class(account):
    model(real_estate=(10, 5), equity=(90, 5))
    hold(account, "real_estate", "150000", is_illiquid=True)
    hold(account, "real_estate", "50000")  # real estate 20 % in all, target 10 %
    hold(account, "equity", "800000")

    # 10 % of 1,000,000 = 100,000 is below the illiquid 150,000: sell the 50,000 liquid part only.
    assert plan_of(account.client) == [
        ("real_estate", SELL, Decimal("50000.00"), Decimal("20.00"), Decimal("15.00")),
        ("equity", BUY, Decimal("50000.00"), Decimal("80.00"), Decimal("85.00")),
    ]


def test_it_rounds_to_the_cent_and_stays_cash_neutral(account):
    model(cash=(30, 5), equity=(30, 5), fund=(40, 5))
    hold(account, "cash", "100.01")

    # Targets of 100.01: 30.003, 30.003, 40.004. Rounded: sell 70.01, buy 30.00 and 40.00,
    # one cent short; the cent comes off the largest trade, the 70.01 sell.
    assert plan_of(account.client) == [
        ("cash", SELL, Decimal("70.00"), Decimal("100.00"), Decimal("30.01")),
        ("fund", BUY, Decimal("40.00"), Decimal("0.00"), Decimal("40.00")),
        ("equity", BUY, Decimal("30.00"), Decimal("0.00"), Decimal("30.00")),
    ]
    assert net(account.client) == 0
