"""Valuation: prices revalue holdings, the day's snapshot and the client's AUM and tier are
stored, concentration alerts open and close, and running it all again changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from crm.models import Client
from portfolios import services, tasks
from portfolios.models import Alert, AssetClass, ConcentrationLimit, ValuationSnapshot

from .factories import (
    TODAY,
    AccountFactory,
    AlertFactory,
    FxRateFactory,
    HoldingFactory,
    InstrumentFactory,
    concentration_limits_set,
)

pytestmark = pytest.mark.django_db

TODAY_AWARE = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def portfolio(client_record):
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=AssetClass.CASH, code="DEP"),
                   market_value=Decimal("300000"))
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=AssetClass.EQUITY, code="AAPL",
                                                                 currency="USD"),
                   market_value=Decimal("50000"))  # 355,000 CNY
    return client_record


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


def test_it_records_the_snapshot_and_the_clients_aum_and_tier(portfolio):
    concentration_limits_set()

    snapshot = services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)

    assert (snapshot.valuation_date, snapshot.aum, snapshot.currency) == (TODAY, Decimal("655000.00"), "CNY")
    assert snapshot.by_asset_class == {"cash": "300000.00", "equity": "355000.00"}
    portfolio.refresh_from_db()
    assert (portfolio.aum_total, portfolio.aum_currency) == (Decimal("655000.00"), "CNY")
    assert portfolio.aum_tier == Client.AumTier.AFFLUENT  # 500,000 ≤ AUM < 6,000,000 by default


def test_it_changes_nothing_when_run_twice(portfolio):
    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)
    snapshot_ids = list(ValuationSnapshot.objects.values_list("pk", flat=True))
    alerts = list(Alert.objects.values_list("pk", "message", "resolved_at"))
    assert alerts  # both holdings are above the default 20 % single-holding limit

    with CaptureQueriesContext(connection) as queries:
        tasks.valuation_refresh(portfolio.pk, TODAY.isoformat())

    assert writes(queries.captured_queries) == []
    assert list(ValuationSnapshot.objects.values_list("pk", flat=True)) == snapshot_ids
    assert list(Alert.objects.values_list("pk", "message", "resolved_at")) == alerts


def test_it_updates_the_days_snapshot_when_values_change(portfolio):
    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)
    services.holding_upsert(account=portfolio.accounts.get(), instrument=InstrumentFactory(code="DEP"),
                            quantity=Decimal("1000"), cost=Decimal("1000"), market_value=Decimal("400000"),
                            currency="CNY", valuation_date=TODAY)

    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)

    snapshot = ValuationSnapshot.objects.get(client=portfolio)
    assert snapshot.aum == Decimal("755000.00")


def test_it_raises_one_concentration_alert_and_resolves_it_when_back_within_limits(portfolio):
    concentration_limits_set(single_holding=60)
    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)  # AAPL 54.20 %, DEP 45.80 %
    assert not Alert.objects.exists()

    services.holding_upsert(account=portfolio.accounts.get(), instrument=InstrumentFactory(code="AAPL"),
                            quantity=Decimal("1000"), cost=Decimal("50000"), market_value=Decimal("80000"),
                            currency="USD", valuation_date=TODAY)  # 568,000 CNY: 65.44 %
    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)
    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)

    [alert] = Alert.objects.all()
    assert (alert.kind, alert.subject, alert.resolved_at) == (Alert.Kind.SINGLE_HOLDING, "AAPL", None)
    assert (alert.details["actual"], alert.details["limit"]) == ("65.44", "60.00")
    assert alert.message == "Holding AAPL is 65.44% of AUM, above the 60% limit."

    ConcentrationLimit.objects.filter(kind=ConcentrationLimit.Kind.SINGLE_HOLDING).update(threshold=70)
    services.valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)

    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_the_database_refuses_a_second_open_alert_on_the_same_subject(client_record):
    AlertFactory(client=client_record, kind=Alert.Kind.ISSUER, subject="Evergrande")
    AlertFactory(client=client_record, kind=Alert.Kind.ISSUER, subject="Evergrande", resolved_at=TODAY_AWARE)

    with pytest.raises(IntegrityError), transaction.atomic():
        AlertFactory(client=client_record, kind=Alert.Kind.ISSUER, subject="Evergrande")


def test_it_revalues_holdings_at_the_new_price_rounded_half_up(client_record):
    instrument = InstrumentFactory(code="600036")
    account = AccountFactory(client=client_record)
    holding = HoldingFactory(account=account, instrument=instrument, quantity=Decimal("3"),
                             valuation_date=datetime.date(2026, 11, 19))
    later = HoldingFactory(account=AccountFactory(), instrument=instrument, quantity=Decimal("5"),
                           market_value=Decimal("55.00"), valuation_date=datetime.date(2026, 11, 21))

    affected = services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("9.995"),
                                                currency="cny")

    assert affected == {client_record.pk}
    holding.refresh_from_db()
    assert (holding.market_value, holding.valuation_date, holding.currency) == (Decimal("29.99"), TODAY, "CNY")
    later.refresh_from_db()
    assert (later.market_value, later.valuation_date) == (Decimal("55.00"), datetime.date(2026, 11, 21))
    assert instrument.prices.get().price == Decimal("9.995")


def test_it_records_the_same_price_again_without_a_change(client_record):
    instrument = InstrumentFactory()
    HoldingFactory(account=AccountFactory(client=client_record), instrument=instrument,
                   valuation_date=datetime.date(2026, 11, 19))
    services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("2"), currency="CNY")

    with CaptureQueriesContext(connection) as queries:
        affected = services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("2.000"),
                                                    currency="CNY")

    assert affected == set()
    assert writes(queries.captured_queries) == []


def test_it_corrects_a_days_price(client_record):
    instrument = InstrumentFactory()
    holding = HoldingFactory(account=AccountFactory(client=client_record), instrument=instrument,
                             valuation_date=datetime.date(2026, 11, 19))
    services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("2"), currency="CNY")

    affected = services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("2.5"),
                                                currency="CNY")

    assert affected == {client_record.pk}
    assert instrument.prices.get().price == Decimal("2.5")
    holding.refresh_from_db()
    assert holding.market_value == Decimal("2500.00")


def test_it_upserts_a_holding_and_reports_whether_it_changed(client_record):
    account, instrument = AccountFactory(client=client_record), InstrumentFactory()
    values = {"account": account, "instrument": instrument, "quantity": Decimal("10"), "cost": Decimal("100"),
              "market_value": Decimal("120.004"), "currency": "cny", "valuation_date": TODAY}

    holding, changed = services.holding_upsert(**values, is_illiquid=True)
    assert changed
    assert (holding.market_value, holding.currency, holding.is_illiquid) == (Decimal("120.00"), "CNY", True)

    again, changed = services.holding_upsert(**values)
    assert (again.pk, changed) == (holding.pk, False)
    again.refresh_from_db()
    assert again.is_illiquid  # None keeps the flag

    _holding, changed = services.holding_upsert(**{**values, "quantity": Decimal("11")})
    assert changed


def test_it_stores_a_price_to_six_places_and_finds_it_unchanged_next_time(client_record):
    instrument = InstrumentFactory()
    HoldingFactory(account=AccountFactory(client=client_record), instrument=instrument, quantity=Decimal("1"),
                   valuation_date=datetime.date(2026, 11, 19))

    first = services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("1.2345675"),
                                             currency="CNY")
    again = services.instrument_price_record(instrument=instrument, price_date=TODAY, price=Decimal("1.2345675"),
                                             currency="CNY")

    assert (first, again) == ({client_record.pk}, set())
    assert instrument.prices.get().price == Decimal("1.234568")  # half up
