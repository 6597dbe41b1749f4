"""Positions import: dry run, per-row errors, bad files, commit, idempotent re-import, access."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from portfolios import imports
from portfolios.models import Account, Holding, Instrument, ValuationSnapshot
from tests.factories import ClientFactory

from .factories import TODAY, AccountFactory, FxRateFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

HEADER = ["client ID number", "account number", "institution", "account kind", "instrument code", "name",
          "asset class", "region", "industry", "issuer", "currency", "liquidity tier", "risk rating", "quantity",
          "cost", "market value", "valuation date"]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def position(client, **overrides) -> list:
    row = {
        "client ID number": client.id_number, "account number": "SEC-001", "institution": "ICBC",
        "account kind": "brokerage", "instrument code": "600519", "name": "Kweichow Moutai",
        "asset class": "equity", "region": "China", "industry": "Consumer", "issuer": "Moutai",
        "currency": "CNY", "liquidity tier": "same_day", "risk rating": "R4", "quantity": "100",
        "cost": "150000", "market value": "168000.50", "valuation date": TODAY.isoformat(),
    }
    row.update(overrides)
    return [row[column] for column in HEADER]


def table(rows, **kwargs):
    return imports.table_read(content=csv_bytes(rows, **kwargs), file_name="positions.csv")


@pytest.fixture
def after_commit(celery_eager, django_capture_on_commit_callbacks):
    """``with after_commit():`` runs what a commit queued (the revaluations) once it commits, as the
    worker would; an import never revalues inside its own transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_it_dry_runs_without_changing_anything(owner, client_record):
    report = imports.positions_import_check(table=table([position(client_record)]), user=owner)

    assert report.ok
    assert [(c.row, c.action) for c in report.changes] == [(2, "new")]
    assert "opens account SEC-001 at ICBC" in report.changes[0].detail
    assert not Holding.objects.exists()
    assert not Instrument.objects.filter(code="600519").exists()


def test_it_commits_opens_the_account_and_revalues_the_client(owner, client_record, after_commit):
    with after_commit():
        report = imports.positions_import_commit(table=table([position(client_record)]), user=owner)

    assert report.committed and report.refreshed_client_count == 1
    holding = Holding.objects.get()
    assert holding.account.client == client_record
    assert holding.account.kind == Account.Kind.BROKERAGE
    assert holding.account.institution.name == "ICBC"
    assert (holding.quantity, holding.cost, holding.market_value) == (
        Decimal("100"), Decimal("150000.00"), Decimal("168000.50"))
    assert holding.instrument.asset_class == "equity" and holding.instrument.risk_rating == "R4"
    snapshot = ValuationSnapshot.objects.get(client=client_record)
    assert (snapshot.valuation_date, snapshot.aum) == (TODAY, Decimal("168000.50"))
    client_record.refresh_from_db()
    assert client_record.aum_total == Decimal("168000.50")


def test_it_changes_nothing_when_the_same_file_is_imported_again(owner, client_record, after_commit):
    rows = [position(client_record), position(client_record, **{"instrument code": "019547", "name": "CGB 2032",
                                                              "asset class": "fixed_income", "market value": "5000"})]
    with after_commit():
        imports.positions_import_commit(table=table(rows), user=owner)
    history = Holding.history.count()
    snapshot = ValuationSnapshot.objects.get()

    with after_commit():
        again = imports.positions_import_commit(table=table(rows), user=owner)

    assert again.committed
    assert [c.action for c in again.changes] == ["unchanged", "unchanged"]
    assert again.refreshed_client_count == 0
    assert Holding.history.count() == history
    assert Holding.objects.count() == 2 and Account.objects.count() == 1
    assert ValuationSnapshot.objects.get().pk == snapshot.pk


def test_it_updates_a_changed_position_and_reports_the_difference(owner, client_record):
    imports.positions_import_commit(table=table([position(client_record)]), user=owner)

    report = imports.positions_import_check(table=table([position(client_record, quantity="120")]), user=owner)

    assert [c.action for c in report.changes] == ["update"]
    assert "quantity: 100 → 120" in report.changes[0].detail


def test_it_reports_every_bad_row_and_imports_nothing(owner, client_record, outsider):
    others = ClientFactory(manager=outsider)
    AccountFactory(client=others, account_number="THEIRS", institution__name="ICBC")
    rows = [
        position(client_record),                                               # row 2: fine
        position(others, **{"account number": "X1"}),                         # row 3: another RM's client
        position(client_record, **{"client ID number": "NOSUCHID"}),           # row 4: no such client
        position(client_record, quantity="-5", **{"instrument code": "A1"}),   # row 5
        position(client_record, **{"market value": "12.3x", "instrument code": "A2"}),  # row 6
        position(client_record, **{"valuation date": "31/13/2026", "instrument code": "A3"}),  # row 7
        position(client_record, currency="USD", **{"instrument code": "A4"}),  # row 8: no USD rate
        position(client_record, **{"account number": "THEIRS", "instrument code": "A5"}),  # row 9
        position(client_record, **{"asset class": "tulips", "instrument code": "A6"}),  # row 10
        position(client_record),                                               # row 11: duplicate of row 2
    ]

    report = imports.positions_import_commit(table=table(rows), user=owner)

    assert not report.committed
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (3, "client ID number", "Unknown client."),
        (4, "client ID number", "Unknown client."),
        (5, "quantity", "Cannot be negative."),
        (6, "market value", "“12.3x” is not an amount of money."),
        (7, "valuation date",
         "“31/13/2026” is not a date; write it as 2024-03-05 (day/month/year when the year comes last)."),
        (8, "currency", f"Unknown currency USD: no exchange rate to CNY on or before {TODAY.isoformat()}."),
        (9, "account number", "Unknown account."),
        (10, "asset class", "“tulips” is not one of the choices: Cash and deposits, Fixed income, Equity, Fund, "
                            "Insurance, Real estate, Precious metals and physical assets, Alternatives, Other."),
        (11, "instrument code", "The same position as row 2."),
    ]
    assert not Holding.objects.exists()
    assert not Account.objects.filter(client=client_record).exists()


def test_it_accepts_foreign_currency_with_a_rate(owner, client_record, after_commit):
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    rows = [position(client_record, currency="USD", **{"market value": "1000"})]

    with after_commit():
        imports.positions_import_commit(table=table(rows), user=owner)

    assert ValuationSnapshot.objects.get().aum == Decimal("7100.00")


def test_it_finds_the_client_by_id_and_an_existing_account(owner, client_record):
    account = AccountFactory(client=client_record, account_number="DEP-9", institution__name="CMB")
    instrument = InstrumentFactory(code="CASH-CNY", asset_class="cash")
    header = ["client id", "account number", "instrument code", "currency", "quantity", "market value",
              "valuation date"]
    rows = [[client_record.pk, "DEP-9", "CASH-CNY", "CNY", "50000", "50000", TODAY.isoformat()]]

    report = imports.positions_import_commit(table=table(rows, header=header), user=owner)

    assert report.committed
    holding = Holding.objects.get()
    assert (holding.account, holding.instrument, holding.cost) == (account, instrument, Decimal("50000.00"))


def test_it_reads_chinese_headers_in_gb18030(owner, client_record):
    header = ["证件号码", "账号", "开户机构", "产品代码", "产品名称", "资产类别", "币种", "数量", "成本", "市值", "估值日期"]
    rows = [[client_record.id_number, "6222-01", "招商银行", "DEP1", "定期存款", "存款", "人民币", "1", "300000",
             "300000", "2026年11月20日"]]

    report = imports.positions_import_commit(table=table(rows, header=header, encoding="gb18030"), user=owner)

    assert report.committed, report.errors
    holding = Holding.objects.get()
    assert holding.instrument.asset_class == "cash" and holding.account.kind == Account.Kind.DEPOSIT
    assert holding.account.institution.name == "招商银行"


def test_it_reads_xlsx(owner, client_record):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    row = position(client_record)
    row[HEADER.index("quantity")] = 100
    row[HEADER.index("market value")] = 168000.5
    row[HEADER.index("valuation date")] = TODAY
    sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)

    parsed = imports.table_read(content=buffer.getvalue(), file_name="positions.xlsx")
    report = imports.positions_import_commit(table=parsed, user=owner)

    assert report.committed, report.errors
    assert Holding.objects.get().market_value == Decimal("168000.50")


@pytest.mark.parametrize("content, code", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_spreadsheet"),
    (b"PK\x03\x04 not really a zip", "not_spreadsheet"),
    (b"code,price\n\xff\xfe\xff,1\n", "encoding"),
    (b"", "empty"),
    (b"instrument code,quantity\n", "empty"),
])
def test_it_refuses_a_file_it_cannot_read(content, code):
    """The reading is the client import's (dataimport.reading.table_read), so are the messages."""
    with pytest.raises(imports.ImportFileError) as error:
        imports.table_read(content=content, file_name="positions.csv")
    assert error.value.code == code


def test_it_refuses_a_file_without_the_required_columns(owner):
    parsed = imports.table_read(content=b"instrument code,quantity\nA,1\n", file_name="positions.csv")

    with pytest.raises(imports.ImportFileError) as error:
        imports.positions_import_check(table=parsed, user=owner)
    assert error.value.messages == [
        "Required columns are missing: client ID number, account number, currency, market value, valuation date."]


def test_it_refuses_a_file_above_the_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 10

    with pytest.raises(imports.ImportFileError) as error:
        imports.table_read(content=b"x" * 11, file_name="positions.csv")
    assert error.value.code == "too_large"


# --- Through the page -------------------------------------------------------------------


def upload(client, content: bytes, name="positions.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("portfolios:import-positions"), {"file": SimpleUploadedFile(name, content)})


def test_it_shows_the_dry_run_then_commits_the_checked_file(client, owner, client_record):
    client.force_login(owner)

    response = upload(client, csv_bytes([position(client_record)]))

    assert response.status_code == 200
    assert response.context["report"].new_count == 1
    assert not Holding.objects.exists()
    checksum = response.context["commit_form"].initial["checksum"]

    response = client.post(reverse("portfolios:import-positions"), {"checksum": checksum}, follow=True)

    assert response.status_code == 200
    assert response.context["report"].committed
    assert Holding.objects.count() == 1


def test_it_commits_nothing_for_another_checksum(client, owner, client_record):
    client.force_login(owner)
    upload(client, csv_bytes([position(client_record)]))

    response = client.post(reverse("portfolios:import-positions"), {"checksum": "0" * 64})

    assert response.status_code == 302
    assert not Holding.objects.exists()


def test_it_offers_no_commit_when_a_row_has_an_error(client, owner, client_record):
    client.force_login(owner)

    response = upload(client, csv_bytes([position(client_record, quantity="lots")]))

    assert response.context["commit_form"] is None
    assert "“lots” is not a number." in response.content.decode()


def test_it_shows_a_bad_file_on_the_form(client, owner):
    client.force_login(owner)

    response = upload(client, b"%PDF-1.4 not a table", name="positions.csv")

    assert response.status_code == 200
    assert response.context["upload_form"].errors["file"] == ["This is not a spreadsheet: upload a CSV or XLSX file."]
    assert "import-report" not in response.content.decode()


def test_it_does_not_exist_for_compliance(client, compliance):
    client.force_login(compliance)

    assert client.get(reverse("portfolios:import-positions")).status_code == 404
    assert upload(client, b"a,b\n1,2\n").status_code == 404


def test_it_keeps_a_holding_the_file_does_not_mention(owner, client_record):
    kept = HoldingFactory(account__client=client_record)

    imports.positions_import_commit(table=table([position(client_record)]), user=owner)

    assert Holding.objects.filter(pk=kept.pk).exists()


def test_a_new_instrument_needs_a_name_and_an_asset_class(owner, client_record):
    rows = [position(client_record, name="", **{"asset class": ""})]

    report = imports.positions_import_commit(table=table(rows), user=owner)

    assert [(e.column, e.message) for e in report.errors] == [
        ("name", "Unknown instrument 600519: give its name to add it."),
        ("asset class", "Unknown instrument 600519: give its asset class to add it."),
    ]
    assert not Instrument.objects.exists()


def test_a_new_account_number_belongs_to_one_client(owner, client_record):
    second = ClientFactory(manager=owner)
    rows = [position(client_record), position(second, **{"instrument code": "019547"})]

    report = imports.positions_import_commit(table=table(rows), user=owner)

    assert [(e.row, e.column, e.message) for e in report.errors] == [(3, "account number", "Unknown account.")]
    assert not Account.objects.exists()


# --- The dry run refuses what the commit would refuse ------------------------------------


@pytest.mark.parametrize("column", ["quantity", "market value", "cost"])
def test_a_number_too_large_for_its_column_is_a_row_error_in_the_dry_run_and_the_commit(owner, client_record,
                                                                                        column):
    rows = [position(client_record, **{column: "1e30"})]

    checked = imports.positions_import_check(table=table(rows), user=owner)
    committed = imports.positions_import_commit(table=table(rows), user=owner)

    for report in (checked, committed):
        assert [(e.row, e.column, e.message) for e in report.errors] == [(2, column, "The number is too large.")]
    assert not committed.committed
    assert not Holding.objects.exists()


def test_an_instrument_code_longer_than_its_column_fails_the_dry_run(owner, client_record):
    rows = [position(client_record, **{"instrument code": "X" * 10_000})]

    report = imports.positions_import_check(table=table(rows), user=owner)

    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "instrument code", "“XXXXXXXXXXXXXXXXXXXX…” is longer than 64 characters.")]
    assert not imports.positions_import_commit(table=table(rows), user=owner).committed
    assert not Instrument.objects.exists()


def test_an_account_number_longer_than_its_column_fails_the_dry_run_instead_of_being_cut(owner, client_record):
    AccountFactory(client=client_record, account_number="A" * 64, institution__name="ICBC")
    rows = [position(client_record, **{"account number": "A" * 65})]

    report = imports.positions_import_check(table=table(rows), user=owner)

    assert [(e.column, e.message) for e in report.errors] == [
        ("account number", "“AAAAAAAAAAAAAAAAAAAA…” is longer than 64 characters.")]


def test_a_new_instruments_long_description_is_cut_to_fit(owner, client_record):
    rows = [position(client_record, name="N" * 300, region="R" * 100)]

    report = imports.positions_import_commit(table=table(rows), user=owner)

    assert report.committed, report.errors
    instrument = Instrument.objects.get(code="600519")
    assert (len(instrument.name), len(instrument.region)) == (200, 60)


def test_a_number_too_large_is_shown_on_the_page_not_a_server_error(client, owner, client_record):
    client.force_login(owner)

    response = upload(client, csv_bytes([position(client_record, quantity="1e30", **{"market value": "1e30"})]))

    assert response.status_code == 200
    assert response.context["commit_form"] is None
    assert [e.column for e in response.context["report"].errors] == ["quantity", "market value"]
    assert "The number is too large." in response.content.decode()


def test_the_page_stages_the_checked_file_in_the_database_not_the_session(client, owner, client_record):
    from dataimport.models import ImportUpload

    client.force_login(owner)
    response = upload(client, csv_bytes([position(client_record)]))

    staged = ImportUpload.objects.get(kind="positions", uploaded_by=owner)
    assert staged.status == ImportUpload.Status.DRY_RUN
    assert staged.file_sha256 == response.context["commit_form"].initial["checksum"]
    assert not any(key.startswith("portfolios_import") for key in client.session.keys())
    client.post(reverse("portfolios:import-positions"), {"checksum": staged.file_sha256})
    staged.refresh_from_db()
    assert (staged.status, staged.created_count) == (ImportUpload.Status.COMMITTED, 1)
    response = client.post(reverse("portfolios:import-positions"), {"checksum": staged.file_sha256})
    assert response.status_code == 302  # committed already: nothing waits under that checksum
    assert Holding.objects.count() == 1


def test_it_describes_a_new_position_in_plain_numbers(owner, client_record):
    report = imports.positions_import_check(table=table([position(client_record)]), user=owner)

    assert report.changes[0].detail.startswith("100 at 168000.50 CNY;")  # not 1E+2
