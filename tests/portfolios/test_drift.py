"""Drift: actual vs target weight per asset class, from the newest active model allocation."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolios.models import AssetClass
from portfolios.selectors import allocation_drift, portfolio_summary
from portfolios.services import valuation_refresh

from .factories import TODAY, AccountFactory, HoldingFactory, InstrumentFactory, ModelAllocationFactory

pytestmark = pytest.mark.django_db

MODEL = {"cash": (10, 5), "fixed_income": (30, 5), "equity": (40, 5), "fund": (20, 5)}


def hold(client, **amounts):
    account = AccountFactory(client=client)
    for asset_class, amount in amounts.items():
        HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=asset_class),
                       market_value=Decimal(amount))


@pytest.fixture
def balanced_client(client_record):
    client_record.risk_level = "C3"
    client_record.save()
    ModelAllocationFactory(risk_level="C3", weights=MODEL)
    return client_record


def test_it_measures_drift_in_percentage_points(balanced_client):
    # AUM 1,000,000: cash 10 %, fixed income 24 %, equity 46 %, fund 20 %.
    hold(balanced_client, cash="100000", fixed_income="240000", equity="460000", fund="200000")

    rows = {row.asset_class: row for row in allocation_drift(client=balanced_client)}

    assert rows["fixed_income"].actual == Decimal("24.00")
    assert rows["fixed_income"].drift == Decimal("-6.00")  # 24 − 30
    assert (rows["fixed_income"].band_low, rows["fixed_income"].band_high) == (Decimal("25"), Decimal("35"))
    assert rows["fixed_income"].outside_band
    assert rows["equity"].drift == Decimal("6.00")  # 46 − 40, above the 45 % band edge
    assert rows["equity"].outside_band
    assert rows["cash"].drift == Decimal("0.00") and not rows["cash"].outside_band
    assert rows["fund"].drift == Decimal("0.00") and not rows["fund"].outside_band


def test_it_counts_the_band_edges_as_inside(balanced_client):
    # Every class sits exactly on an edge of its ±5 band: 15, 25, 45, 15.
    hold(balanced_client, cash="150000", fixed_income="250000", equity="450000", fund="150000")

    assert not any(row.outside_band for row in allocation_drift(client=balanced_client))


def test_it_flags_a_class_held_but_missing_from_the_model(balanced_client):
    hold(balanced_client, cash="100000", fixed_income="300000", equity="400000", fund="190000", physical="10000")

    row = {row.asset_class: row for row in allocation_drift(client=balanced_client)}["physical"]

    assert (row.target, row.band_low, row.band_high, row.actual) == (0, 0, 0, Decimal("1.00"))
    assert row.outside_band


def test_it_rounds_the_weights_shown_to_two_decimals(balanced_client):
    # One third each of cash, fixed income and equity: 33.333… % shown as 33.33.
    hold(balanced_client, cash="100000", fixed_income="100000", equity="100000")

    rows = {row.asset_class: row for row in allocation_drift(client=balanced_client)}

    assert rows["cash"].actual == Decimal("33.33")
    assert rows["cash"].drift == Decimal("23.33")
    assert rows["fund"].actual == Decimal("0.00") and rows["fund"].outside_band  # 0 % against 15–25 %


def test_it_uses_the_newest_active_version(balanced_client):
    ModelAllocationFactory(risk_level="C3", weights={"cash": (100, 0)}, is_active=False)  # newer, inactive
    newest = ModelAllocationFactory(risk_level="C3", weights={"cash": (50, 10), "equity": (50, 10)})
    ModelAllocationFactory(risk_level="C4", weights={"equity": (100, 0)})  # another level, even newer
    hold(balanced_client, cash="600000", equity="400000")

    summary = portfolio_summary(client=balanced_client, on_date=TODAY)

    assert summary.allocation_id == newest.pk
    assert [(row.asset_class, row.target) for row in summary.allocation_rows] == [
        ("cash", Decimal("50")), ("equity", Decimal("50"))]
    assert not summary.drifting  # 60 and 40 are both within 50 ± 10


def test_it_says_why_a_client_without_a_risk_level_has_no_target(client_record):
    hold(client_record, cash="1000")

    summary = portfolio_summary(client=client_record, on_date=TODAY)

    assert not summary.has_target
    assert summary.allocation_rows == ()
    assert "no risk level" in summary.no_target_reason
    assert summary.by_asset_class[0].asset_class == AssetClass.CASH


def test_it_reports_no_drift_for_an_empty_portfolio(balanced_client):
    rows = allocation_drift(client=balanced_client)

    assert len(rows) == 4
    assert not any(row.outside_band for row in rows)


def test_the_client_page_panel_shows_targets_as_people_write_them(client, owner, balanced_client):
    hold(balanced_client, cash="100000", fixed_income="240000", equity="460000", fund="200000")
    valuation_refresh(client_id=balanced_client.pk, valuation_date=TODAY)
    client.force_login(owner)

    page = client.get(reverse("crm:client-detail", args=[balanced_client.pk])).content.decode()

    assert "10% ± 5" in page and "40% ± 5" in page
    assert "10.0000" not in page
