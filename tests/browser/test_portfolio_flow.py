"""An RM's portfolio work in a real browser: allocation drift, a saved rebalance proposal, and a
stop-loss alert raised by importing a prices file."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolios.models import Alert, RebalanceProposal
from tests.portfolios.factories import TODAY, HoldingFactory, InstrumentFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    # serialized_rollback restores the roles and default allocations the data migrations made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def portfolio(client_record):
    """A balanced (C3) client 70 % in one bank's shares (stop-loss at 8.00) and 30 % in deposits."""
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    HoldingFactory(
        account__client=client_record, instrument=InstrumentFactory(code="600036", name="China Merchants Bank"),
        quantity=Decimal("70000"), market_value=Decimal("700000"), cost=Decimal("700000"),
        valuation_date=TODAY.replace(day=10), stop_loss_price=Decimal("8"),
    )
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="DEP1", asset_class="cash"),
                   quantity=Decimal("300000"))
    return client_record


def test_an_rm_rebalances_and_sees_a_stop_loss_alert_from_a_prices_import(
    page, live_server, owner, portfolio, tmp_path, celery_eager
):
    # celery_eager: the revaluation the import queues after its commit runs at once, as a worker would.
    # Prices are market data: this RM also sits on the data desk (roles combine).
    from django.contrib.auth.models import Group

    Group.objects.get(name="Data Desk").user_set.add(owner)
    login(page, live_server, owner)

    # From the client page's portfolio panel to the full portfolio.
    page.goto(f"/clients/{portfolio.pk}/")
    page.get_by_test_id("portfolio-panel").get_by_test_id("portfolio-link").click()
    expect(page).to_have_url(re.compile(rf"/portfolios/clients/{portfolio.pk}/$"))
    expect(page.get_by_test_id("aum")).to_contain_text("1,000,000.00 CNY")

    # Allocation vs target: equity (70 % against 25 ± 8) is outside its band and highlighted.
    allocation = page.get_by_test_id("allocation")
    drifting = allocation.locator("[data-testid=drift-outside]")
    expect(drifting.filter(has_text="Equity")).to_have_class(re.compile("table-danger"))
    expect(drifting.filter(has_text="Equity")).to_contain_text("outside band")
    expect(allocation.locator("canvas#allocation-chart")).to_be_visible()
    # The canvas shows before the vendored Chart.js has run: wait for the chart itself.
    page.wait_for_function("() => window.Chart && Chart.getChart('allocation-chart')")
    assert page.evaluate("() => Chart.getChart('allocation-chart').data.datasets[0].data[2]") == 70

    # Rebalance: preview, then save the proposal; nothing trades.
    page.get_by_test_id("rebalance-link").click()
    page.get_by_label("Minimum trade size").fill("5000")
    page.get_by_role("button", name="Preview trades").click()
    preview = page.get_by_test_id("rebalance-preview")
    expect(preview.locator("[data-testid=trade-sell]").filter(has_text="Equity")).to_contain_text("450,000.00 CNY")
    expect(preview.locator("[data-testid=trade-buy]").first).to_be_visible()
    page.get_by_test_id("save-proposal").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Saved")
    expect(page.get_by_test_id("proposal-trades")).to_contain_text("Sell")
    page.get_by_test_id("status-presented").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("Presented to client")
    assert RebalanceProposal.objects.get().status == RebalanceProposal.Status.PRESENTED

    # A prices file in which the stock falls through its stop-loss.
    prices = tmp_path / "prices.csv"
    prices.write_text(f"instrument code,price date,price,currency\n600036,{TODAY},7.80,CNY\n", encoding="utf-8")
    page.goto(f"/portfolios/clients/{portfolio.pk}/")
    page.get_by_test_id("import-menu").click()
    page.get_by_role("main").get_by_role("link", name="Import prices").click()
    page.get_by_label("File").set_input_files(str(prices))
    page.get_by_role("button", name="Check the file (dry run)").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("1 new, 0 updated, 0 unchanged")
    assert not Alert.objects.exists()
    page.get_by_role("button", name="Import these rows").click()
    expect(page.locator(".alert-success")).to_contain_text("Imported prices.csv")

    page.goto(f"/portfolios/clients/{portfolio.pk}/")
    alert = page.get_by_test_id("alerts").locator("[data-testid=alert-stop_loss]")
    expect(alert).to_contain_text("600036 is at 7.8, at or below its stop-loss price of 8")
    assert Alert.objects.filter(kind=Alert.Kind.STOP_LOSS).count() == 1

    # Acknowledging keeps the alert open but marks it seen.
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("alerts").locator("[data-testid=alert-stop_loss]")).to_contain_text("acknowledged on")
