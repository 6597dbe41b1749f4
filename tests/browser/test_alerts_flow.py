"""An RM's alerts in a real browser, in Chinese: the dashboard counts them by severity, the alerts
page groups them per client with the stop-loss first, the client picker narrows the list, an
alert is acknowledged, the texts carry no English asset-class name, and a phone shows the page
without sideways scrolling."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolios import services
from portfolios.models import Alert, AssetClass
from tests.factories import ClientFactory
from tests.portfolios.factories import TODAY, HoldingFactory, InstrumentFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    # serialized_rollback restores the roles, default limits and allocations the data migrations made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ENGLISH_CLASS_LABELS = [str(label) for label in AssetClass.labels]


@pytest.fixture
def alerts(owner, client_record):
    """Zhang Wei, balanced (C3), all in one Chinese bank's shares below their stop-loss: a stop-loss
    and several concentration alerts; Li Na, in Chinese deposits only: concentration alerts."""
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    HoldingFactory(account__client=client_record,
                   instrument=InstrumentFactory(code="600036", region="China", industry="Banking",
                                                issuer="China Merchants Bank"),
                   quantity=Decimal("1000"), cost=Decimal("50000"), market_value=Decimal("40000"),
                   stop_loss_pct=Decimal("10"))
    second = ClientFactory(legal_name="Li Na", manager=owner, risk_level="C3")
    HoldingFactory(account__client=second, instrument=InstrumentFactory(code="DEP", asset_class="cash",
                                                                        region="China", industry="Banking"),
                   market_value=Decimal("100000"))
    for customer in (client_record, second):
        services.valuation_refresh(client_id=customer.pk, valuation_date=TODAY)
    assert Alert.objects.filter(kind=Alert.Kind.STOP_LOSS, client=client_record).exists()
    return client_record, second


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_an_rm_triages_alerts_in_chinese(page, live_server, owner, alerts):
    zhang, li = alerts
    login(page, live_server, owner)
    with page.expect_navigation():
        page.get_by_test_id("language-switcher").locator("select").select_option("zh-hans")
    page.goto("/dashboard/")

    # The dashboard: counts by severity (the stop-loss is high) and the way to the alerts page.
    panel = page.get_by_test_id("dashboard-alerts")
    expect(panel.get_by_test_id("dashboard-severity-3")).to_contain_text("高: 1")
    expect(panel.get_by_test_id("dashboard-alert-group").first).to_contain_text("Zhang Wei")
    panel.get_by_role("link", name=re.compile("全部")).click()
    expect(page).to_have_url(re.compile(r"/portfolios/alerts/$"))

    # One group per client, Zhang Wei (stop-loss) first, its first alert the high one, in red.
    groups = page.get_by_test_id("alert-group")
    expect(groups).to_have_count(2)
    expect(groups.first).to_contain_text("Zhang Wei")
    first_alert = groups.first.get_by_test_id("alert").first
    expect(first_alert).to_have_attribute("data-severity", "3")
    expect(first_alert.locator(".badge").first).to_have_class(re.compile("text-bg-danger"))

    # No English asset class, region or industry inside the Chinese sentences.
    texts = page.get_by_test_id("alert").all_inner_texts()
    assert texts
    assert not [t for t in texts for label in ENGLISH_CLASS_LABELS + ["China", "Banking"] if label in t], texts
    page.screenshot(path="test-artifacts/alerts-zh-1366.png", full_page=True)

    # The client picker searches as one types and narrows the page to the client picked.
    picker = page.locator(".ts-control").first
    picker.click()
    page.keyboard.type("Li Na")
    page.locator(".ts-dropdown .option", has_text="Li Na").first.click()
    page.get_by_role("heading", level=1).click()  # leave the picker, as one does before the button
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(rf"client={li.pk}"))
    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("Li Na")

    # Acknowledging keeps the alert open, marked as seen; the page comes back with its filter.
    before = groups.first.get_by_role("button", name="确认").count()
    groups.first.get_by_role("button", name="确认").first.click()
    expect(page).to_have_url(re.compile(rf"client={li.pk}"))
    expect(groups.first.get_by_role("button", name="确认")).to_have_count(before - 1)
    assert Alert.objects.filter(client=li, acknowledged_by=owner, resolved_at__isnull=True).count() == 1

    # On a phone the page fits the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/portfolios/alerts/")
    assert no_sideways_scroll(page)
    page.screenshot(path="test-artifacts/alerts-zh-390.png", full_page=True)
