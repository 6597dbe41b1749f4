"""Exporting the filtered client list: CSV and XLSX, only what the user can see."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(owner, outsider):
    ClientFactory(legal_name="王芳", aum_total=Decimal("8000000"), aum_tier="hnw", manager=owner)
    ClientFactory(legal_name="Chen Jie", manager=owner)
    ClientFactory(legal_name="Outsider Client", manager=outsider)


def read_csv(response) -> list[dict]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_it_exports_the_rms_own_clients_as_csv(client, owner, clients):
    client.force_login(owner)
    response = client.get(reverse("crm:client-export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())  # Excel reads Chinese names only with the BOM
    assert [row["Legal name"] for row in read_csv(response)] == ["Chen Jie", "王芳"]


def test_it_exports_only_the_filtered_list(client, owner, clients):
    client.force_login(owner)
    response = client.get(reverse("crm:client-export"), {"format": "csv", "tier": "hnw"})
    rows = read_csv(response)
    assert [(row["Legal name"], row["AUM tier"], row["Risk level"]) for row in rows] == [
        ("王芳", "High net worth", "Not assessed")]


def test_it_exports_xlsx(client, owner, clients):
    client.force_login(owner)
    response = client.get(reverse("crm:client-export"), {"format": "xlsx", "sort": "-aum"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][1] == "Legal name"
    assert [row[1] for row in values[1:]] == ["王芳", "Chen Jie"]


def test_compliance_exports_everyone(client, compliance, clients):
    client.force_login(compliance)
    rows = read_csv(client.get(reverse("crm:client-export"), {"format": "csv"}))
    assert len(rows) == 3


def test_an_unknown_format_is_not_found(client, owner):
    client.force_login(owner)
    assert client.get(reverse("crm:client-export"), {"format": "pdf"}).status_code == 404
