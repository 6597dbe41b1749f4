"""FX: the latest rate on or before a day, conversion rounded once to the cent, totals per currency."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portfolios.selectors import FxRateMissing, fx_convert, fx_rate, fx_rates, portfolio_summary

from .factories import TODAY, AccountFactory, FxRateFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def usd_rates(db):
    FxRateFactory(currency="USD", rate_date=NOV, rate=Decimal("7.00"))
    FxRateFactory(currency="USD", rate_date=NOV.replace(day=10), rate=Decimal("7.10"))
    FxRateFactory(currency="USD", rate_date=NOV.replace(day=20), rate=Decimal("7.20"))
    # A rate quoted in another currency never counts as a rate to the base currency.
    FxRateFactory(currency="USD", quote_currency="HKD", rate_date=NOV.replace(day=15), rate=Decimal("7.80"))


def test_it_values_the_base_currency_at_one(db):
    assert fx_rate(currency="CNY", on_date=TODAY) == Decimal("1")


def test_it_uses_the_latest_rate_on_or_before_the_day(usd_rates):
    assert fx_rate(currency="USD", on_date=NOV.replace(day=15)) == Decimal("7.10")
    assert fx_rate(currency="USD", on_date=NOV.replace(day=10)) == Decimal("7.10")
    assert fx_rate(currency="usd", on_date=NOV.replace(day=25)) == Decimal("7.20")


def test_it_refuses_a_day_before_the_first_rate(usd_rates):
    with pytest.raises(FxRateMissing) as raised:
        fx_rate(currency="USD", on_date=datetime.date(2026, 10, 31))
    assert isinstance(raised.value, ValidationError)
    assert "USD" in raised.value.messages[0]


def test_it_refuses_a_currency_with_no_rate(usd_rates):
    with pytest.raises(FxRateMissing):
        fx_rates(currencies={"CNY", "USD", "EUR"}, on_date=TODAY)


def test_it_rounds_the_converted_amount_half_up_to_the_cent(usd_rates):
    # 0.15 × 7.10 = 1.065: half up gives 1.07 (banker's rounding would give 1.06).
    assert fx_convert(amount=Decimal("0.15"), currency="USD", on_date=NOV.replace(day=10)) == Decimal("1.07")
    # 123.45 × 7.20 = 888.84 exactly.
    assert fx_convert(amount=Decimal("123.45"), currency="USD", on_date=TODAY) == Decimal("888.84")


def test_it_totals_the_portfolio_in_the_base_and_the_original_currency(client_record, usd_rates):
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, instrument=InstrumentFactory(currency="USD"), market_value=Decimal("1000.00"))
    HoldingFactory(account=account, instrument=InstrumentFactory(currency="USD"), market_value=Decimal("500.05"))
    HoldingFactory(account=account, instrument=InstrumentFactory(currency="CNY"), market_value=Decimal("2000.00"))

    summary = portfolio_summary(client=client_record, on_date=TODAY)

    # Each holding converts at 7.20 and is rounded once: 7200.00 + 3600.36 (3600.36 exactly) + 2000.00.
    assert [row.market_value_base for row in summary.holdings if row.currency == "USD"] == [
        Decimal("7200.00"), Decimal("3600.36")]
    assert summary.aum_base == Decimal("12800.36")
    assert summary.base_currency == "CNY"
    by_currency = {total.currency: total for total in summary.by_currency}
    assert by_currency["USD"].amount == Decimal("1500.05")
    assert by_currency["USD"].amount_base == Decimal("10800.36")
    assert by_currency["CNY"].amount_base == Decimal("2000.00")
    # 10800.36 / 12800.36 = 84.375… %
    assert by_currency["USD"].weight == Decimal("84.38")
