"""Prices import: dry run, per-row errors, commit revalues holdings, idempotent, stop-loss alerts."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolios import imports
from portfolios.models import Alert, Holding, InstrumentPrice, ValuationSnapshot

from .factories import (
    TODAY,
    FxRateFactory,
    HoldingFactory,
    InstrumentFactory,
    InstrumentPriceFactory,
    concentration_limits_set,
)

pytestmark = pytest.mark.django_db

HEADER = "instrument code,price date,price,currency"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows, ""]).encode()


def table(*rows: str, header: str = HEADER):
    return imports.table_read(content=csv_bytes(*rows, header=header), file_name="prices.csv")


@pytest.fixture
def after_commit(celery_eager, django_capture_on_commit_callbacks):
    """``with after_commit():`` runs what a commit queued (the revaluations) once it commits, as the
    worker would; an import never revalues inside its own transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def holding(client_record):
    """100 shares bought at 10.00 with a stop-loss at 8.00; concentration limits off, so the
    only alerts are the stop-loss's."""
    concentration_limits_set()
    return HoldingFactory(
        account__client=client_record, instrument=InstrumentFactory(code="600036", name="China Merchants Bank"),
        quantity=Decimal("100"), cost=Decimal("1000"), market_value=Decimal("1000"),
        valuation_date=TODAY.replace(day=10), stop_loss_price=Decimal("8"),
    )


def test_it_dry_runs_without_changing_anything(holding):
    report = imports.prices_import_check(table=table(f"600036,{TODAY},9.50,CNY"))

    assert report.ok
    assert [(c.row, c.action, c.subject) for c in report.changes] == [(2, "new", f"600036 · {TODAY}")]
    assert not InstrumentPrice.objects.exists()
    holding.refresh_from_db()
    assert holding.market_value == Decimal("1000.00")


def test_it_records_the_price_and_revalues_the_holders(holding, client_record, after_commit):
    with after_commit():
        report = imports.prices_import_commit(table=table(f"600036,{TODAY},9.50,CNY"))

    assert report.committed and report.refreshed_client_count == 1
    assert InstrumentPrice.objects.get().price == Decimal("9.5")
    holding.refresh_from_db()
    assert (holding.market_value, holding.valuation_date) == (Decimal("950.00"), TODAY)
    assert ValuationSnapshot.objects.get(client=client_record, valuation_date=TODAY).aum == Decimal("950.00")
    assert not Alert.objects.exists()


def test_it_changes_nothing_when_the_same_file_is_imported_again(holding, after_commit):
    with after_commit():
        imports.prices_import_commit(table=table(f"600036,{TODAY},9.50,CNY"))
    history = Holding.history.count()

    with after_commit():
        again = imports.prices_import_commit(table=table(f"600036,{TODAY},9.50,CNY"))

    assert [c.action for c in again.changes] == ["unchanged"]
    assert again.refreshed_client_count == 0
    assert Holding.history.count() == history
    assert InstrumentPrice.objects.count() == 1


def test_a_price_through_the_stop_loss_raises_exactly_one_alert(holding, client_record, after_commit):
    with after_commit():
        report = imports.prices_import_commit(table=table(f"600036,{TODAY},7.80,CNY"))
    with after_commit():
        imports.prices_import_commit(table=table(f"600036,{TODAY},7.80,CNY"))

    assert report.committed
    alert = Alert.objects.get()
    assert (alert.client, alert.kind) == (client_record, Alert.Kind.STOP_LOSS)
    assert "600036" in alert.message
    holding.refresh_from_db()
    assert holding.stop_loss_breached


def test_a_lower_price_the_day_after_does_not_raise_a_second_alert(holding, after_commit):
    yesterday = TODAY.replace(day=TODAY.day - 1)
    with after_commit():
        imports.prices_import_commit(table=table(f"600036,{yesterday},7.80,CNY", f"600036,{TODAY},7.50,CNY"))

    assert Alert.objects.filter(kind=Alert.Kind.STOP_LOSS).count() == 1
    assert ValuationSnapshot.objects.filter(valuation_date__in=[yesterday, TODAY]).count() == 2


def test_it_reports_every_bad_row_and_records_nothing(holding):
    InstrumentFactory(code="AAPL", currency="USD")
    report = imports.prices_import_commit(table=table(
        f"600036,{TODAY},9.50,CNY",       # row 2: fine
        f"NOSUCH,{TODAY},1,CNY",          # row 3
        f"600036,{TODAY},-1,CNY",         # row 4: negative, and the same day as row 2
        "600036,2026-02-30,9,CNY",        # row 5
        "600036,2099-01-01,9,CNY",        # row 6
        f"600036,{TODAY.replace(day=1)},nine,CNY",  # row 7
        f"600036,{TODAY.replace(day=2)},9,HKD",     # row 8: not the instrument's currency
        f"AAPL,{TODAY},190.5,USD",        # row 9: no USD rate
    ))

    assert not report.committed
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "instrument code", "Unknown instrument NOSUCH."),
        (4, "price", "Cannot be negative."),
        (4, "price date", "A second price for the same day as row 2."),
        (5, "price date", "“2026-02-30” is not a date; write it as 2024-03-05 (day/month/year when the year "
                          "comes last)."),
        (6, "price date", "The date 2099-01-01 is in the future."),
        (7, "price", "“nine” is not a number."),
        (8, "currency", "600036 is priced in CNY, not HKD."),
        (9, "currency", f"Unknown currency USD: no exchange rate to CNY on or before {TODAY}."),
    ]
    assert not InstrumentPrice.objects.exists()


def test_it_reports_a_changed_price(holding):
    InstrumentPriceFactory(instrument=holding.instrument, price=Decimal("9.40"))
    FxRateFactory(currency="USD")
    InstrumentFactory(code="AAPL", currency="USD")

    report = imports.prices_import_check(table=table(f"600036,{TODAY},9.5,cny", f"AAPL,{TODAY},190.5,USD"))

    assert report.ok, report.errors
    assert [(c.action, c.detail) for c in report.changes] == [("update", "9.4 CNY → 9.5 CNY"), ("new", "190.5 USD")]


def test_it_reads_chinese_headers():
    InstrumentFactory(code="000001")

    report = imports.prices_import_check(table=table(f"000001,{TODAY},12.3,人民币", header="证券代码,价格日期,收盘价,币种"))

    assert report.ok and report.new_count == 1


def test_it_refuses_a_file_without_the_required_columns():
    with pytest.raises(imports.ImportFileError) as error:
        imports.prices_import_check(table=table("600036,9.5", header="code,price"))
    assert error.value.messages == ["Required columns are missing: price date, currency."]


def test_it_shows_the_alert_after_an_import_through_the_page(client, owner, administrator, holding, client_record,
                                                            after_commit):
    client.force_login(administrator)  # market data: administrators and the data desk import prices
    url = reverse("portfolios:import-prices")
    response = client.post(url, {"file": SimpleUploadedFile("prices.csv", csv_bytes(f"600036,{TODAY},7.80,CNY"))})
    assert response.status_code == 200 and response.context["report"].ok

    with after_commit():
        response = client.post(url, {"checksum": response.context["commit_form"].initial["checksum"]})

    assert response.status_code == 200 and response.context["report"].committed
    client.force_login(owner)
    page = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk]))
    assert "at or below its stop-loss price of 8" in page.content.decode()
    assert Alert.objects.filter(kind=Alert.Kind.STOP_LOSS).count() == 1


def test_it_does_not_exist_for_compliance(client, compliance):
    client.force_login(compliance)

    assert client.get(reverse("portfolios:import-prices")).status_code == 404


def test_it_revalues_only_after_the_commit(holding, client_record, celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = imports.prices_import_commit(table=table(f"600036,{TODAY},7.80,CNY"))

    assert report.refreshed_client_count == 1
    assert not ValuationSnapshot.objects.exists() and not Alert.objects.exists()  # nothing inside the import
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the revaluation is sent, and (eagerly) runs
    assert ValuationSnapshot.objects.get(client=client_record).aum == Decimal("780.00")
    assert Alert.objects.filter(kind=Alert.Kind.STOP_LOSS).count() == 1


def test_a_price_too_large_or_a_code_too_long_fails_the_dry_run_row_by_row(holding):
    report = imports.prices_import_check(table=table(f"600036,{TODAY},1e30,CNY", f"{'X' * 10_000},{TODAY},1,CNY"))

    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "price", "The number is too large."),
        (3, "instrument code", "“XXXXXXXXXXXXXXXXXXXX…” is longer than 64 characters."),
    ]
    assert not imports.prices_import_commit(table=table(f"600036,{TODAY},1e30,CNY")).committed
    assert not InstrumentPrice.objects.exists()


def test_a_price_too_large_is_shown_on_the_page_not_a_server_error(client, administrator, holding):
    client.force_login(administrator)

    response = client.post(reverse("portfolios:import-prices"),
                           {"file": SimpleUploadedFile("prices.csv", csv_bytes(f"600036,{TODAY},1e30,CNY"))})

    assert response.status_code == 200
    assert response.context["commit_form"] is None
    assert "The number is too large." in response.content.decode()
