"""Stop-loss per holding and maximum drawdown per portfolio: a valuation that crosses the
limit raises an alert exactly once per crossing; recovering resets it, the next crossing raises again."""

import datetime
from decimal import Decimal

import pytest

from portfolios import services
from portfolios.models import Alert, DrawdownLimit

from .factories import (
    AccountFactory,
    DrawdownLimitFactory,
    HoldingFactory,
    InstrumentFactory,
    concentration_limits_set,
)

pytestmark = pytest.mark.django_db


def day(n: int) -> datetime.date:
    return datetime.date(2026, 11, n)


@pytest.fixture(autouse=True)
def no_concentration_limits(db):
    concentration_limits_set()  # a one-holding portfolio would breach them; not what these tests are about


@pytest.fixture
def holding(client_record):
    return HoldingFactory(
        account=AccountFactory(client=client_record), instrument=InstrumentFactory(code="000001"),
        quantity=Decimal("1000"), cost=Decimal("10000"), market_value=Decimal("10000"),
        valuation_date=day(1), stop_loss_price=Decimal("9.00"),
    )


def price(holding, on: datetime.date, value: str) -> None:
    """Record a price and revalue the clients it touched, as the prices import does."""
    for client_id in services.instrument_price_record(
        instrument=holding.instrument, price_date=on, price=Decimal(value), currency="CNY"
    ):
        services.valuation_refresh(client_id=client_id, valuation_date=on)


def stop_loss_alerts(client):
    return list(Alert.objects.filter(client=client, kind=Alert.Kind.STOP_LOSS).order_by("raised_at", "pk"))


def test_it_raises_a_stop_loss_alert_exactly_once_per_crossing(client_record, holding):
    price(holding, day(2), "10.00")
    assert stop_loss_alerts(client_record) == []

    price(holding, day(3), "8.90")  # crosses 9.00
    [alert] = stop_loss_alerts(client_record)
    assert alert.resolved_at is None
    assert alert.message == "000001 is at 8.9, at or below its stop-loss price of 9."
    holding.refresh_from_db()
    assert holding.stop_loss_breached
    assert holding.market_value == Decimal("8900.00")

    services.valuation_refresh(client_id=client_record.pk, valuation_date=day(3))  # the same valuation again
    price(holding, day(4), "8.50")  # still below: the same crossing
    assert len(stop_loss_alerts(client_record)) == 1

    price(holding, day(5), "9.50")  # recovers: the flag resets and the alert is resolved
    holding.refresh_from_db()
    assert not holding.stop_loss_breached
    [alert] = stop_loss_alerts(client_record)
    assert alert.resolved_at is not None

    price(holding, day(6), "8.00")  # a second crossing raises a second alert
    first, second = stop_loss_alerts(client_record)
    assert first.resolved_at is not None and second.resolved_at is None
    holding.refresh_from_db()
    assert holding.stop_loss_breached


def test_it_counts_a_price_at_the_stop_as_a_crossing(client_record, holding):
    price(holding, day(2), "9.00")

    assert len(stop_loss_alerts(client_record)) == 1


def test_it_uses_the_recorded_price_not_the_rounded_market_value(client_record):
    # 3 × 9.995 = 29.985, stored as 29.99: 29.99 / 3 = 9.9967 would miss a 9.995 stop.
    holding = HoldingFactory(account=AccountFactory(client=client_record), quantity=Decimal("3"),
                             valuation_date=day(1), stop_loss_price=Decimal("9.995"))

    price(holding, day(2), "9.995")

    holding.refresh_from_db()
    assert holding.market_value == Decimal("29.99")
    assert len(stop_loss_alerts(client_record)) == 1


def test_it_raises_a_percentage_stop_loss_at_the_loss_against_cost(client_record, holding):
    holding.stop_loss_price, holding.stop_loss_pct = None, Decimal("10")
    holding.save()

    price(holding, day(2), "9.01")  # 9,010 against a cost of 10,000: 9.9 % down
    assert stop_loss_alerts(client_record) == []

    price(holding, day(3), "9.00")  # exactly 10 % down
    [alert] = stop_loss_alerts(client_record)
    assert alert.message == "000001 has lost 10.00% against cost, at or beyond its 10% stop-loss."


def test_it_raises_a_drawdown_alert_exactly_once_per_crossing(client_record):
    DrawdownLimitFactory(client=client_record, max_drawdown_pct=Decimal("10"))
    holding = HoldingFactory(account=AccountFactory(client=client_record), valuation_date=day(1))

    def value(on: datetime.date, amount: str) -> list[Alert]:
        services.holding_upsert(account=holding.account, instrument=holding.instrument, quantity=holding.quantity,
                                cost=holding.cost, market_value=Decimal(amount), currency="CNY", valuation_date=on)
        services.valuation_refresh(client_id=client_record.pk, valuation_date=on)
        return list(Alert.objects.filter(client=client_record, kind=Alert.Kind.DRAWDOWN).order_by("raised_at", "pk"))

    assert value(day(1), "1000000") == []  # the peak
    assert value(day(2), "950000") == []  # 5 % down
    [alert] = value(day(3), "900000")  # 10 % down: at the limit counts
    assert alert.message == "AUM is 10.00% below its peak of 1000000.00 CNY, beyond the 10% maximum drawdown."
    assert DrawdownLimit.objects.get(client=client_record).is_breached

    services.valuation_refresh(client_id=client_record.pk, valuation_date=day(3))
    assert len(value(day(4), "880000")) == 1  # deeper, the same crossing

    [alert] = value(day(5), "950000")  # recovers to 5 % down: resolved, reset
    assert alert.resolved_at is not None
    client_record.drawdown_limit.refresh_from_db()
    assert not client_record.drawdown_limit.is_breached

    first, second = value(day(6), "890000")  # crosses again
    assert first.resolved_at is not None and second.resolved_at is None


def test_it_uses_positions_imported_after_the_last_price(client_record, holding):
    price(holding, day(2), "10.00")
    # A custodian file on day 5 values the position at 8,800 (8.80 a share); no price for day 5.
    services.holding_upsert(account=holding.account, instrument=holding.instrument, quantity=Decimal("1000"),
                            cost=Decimal("10000"), market_value=Decimal("8800"), currency="CNY",
                            valuation_date=day(5))

    services.valuation_refresh(client_id=client_record.pk, valuation_date=day(5))

    [alert] = stop_loss_alerts(client_record)
    assert alert.message == "000001 is at 8.8, at or below its stop-loss price of 9."
