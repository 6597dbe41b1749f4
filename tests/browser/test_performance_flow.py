"""An RM records a client's contribution on the portfolio page in a real browser: the form opens in the
performance section, a future date is refused with its message, the saved contribution counts as a flow,
not as market movement, and a phone shows the section without sideways scrolling."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portfolios.models import CashFlow, ValuationSnapshot
from tests.portfolios.factories import HoldingFactory, InstrumentFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def valued_portfolio(client_record):
    """100,000 at the end of the month before last, 120,000 yesterday."""
    today = timezone.localdate()
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="DEP1", asset_class="cash"),
                   quantity=Decimal("120000"), cost=Decimal("100000"))
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    for day, aum in [(start, "100000"), (today - timedelta(days=1), "120000")]:
        ValuationSnapshot.objects.create(client=client_record, valuation_date=day, aum=Decimal(aum), currency="CNY")
    return client_record


def test_an_rm_records_a_contribution_which_is_not_counted_as_a_gain(page, live_server, owner, valued_portfolio):
    today = timezone.localdate()
    login(page, live_server, owner)
    page.goto(f"/portfolios/clients/{valued_portfolio.pk}/")
    section = page.get_by_test_id("performance")
    expect(section.get_by_test_id("period-12m")).to_contain_text("20.00%")  # 120,000 / 100,000 with no flows

    section.get_by_test_id("cash-flow-toggle").click()
    form = page.locator("#cash-flow-record")
    form.locator("select[name=kind]").select_option("contribution")
    form.locator("input[name=flow_date]").fill((today + timedelta(days=3)).isoformat())
    form.locator("input[name=amount]").fill("15000")
    with page.expect_navigation():
        form.locator("input[type=submit]").click()
    form = page.locator("#cash-flow-record")
    expect(form).to_contain_text("The date cannot be in the future.")

    form.locator("input[name=flow_date]").fill((today - timedelta(days=1)).isoformat())
    with page.expect_navigation():
        form.locator("input[type=submit]").click()

    expect(page.locator(".alert-success")).to_contain_text("recorded")
    expect(page.get_by_test_id("cash-flows")).to_contain_text("15,000.00")
    # (120,000 - 15,000) / 100,000 - 1 = 5.00 %: the contribution is a flow, not performance.
    expect(page.get_by_test_id("period-12m")).to_contain_text("5.00%")
    assert CashFlow.objects.get(client=valued_portfolio).recorded_by == owner

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
