"""The RM dashboard and the team-lead dashboard in a real browser: the charts draw (Chart.js, fed by
json_script, from a static file) and Chromium reports no Content-Security-Policy violation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portfolios.models import ValuationSnapshot
from tests.factories import ClientFactory

from .conftest import login
from .test_security_csp import watch_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_rm_and_the_lead_see_their_dashboards_charts_drawn_under_the_policy(page, live_server, owner,
                                                                               team_lead):
    client = ClientFactory(legal_name="Chart Client", manager=owner, aum_total=Decimal("1200000.00"),
                           aum_tier="hnw")
    ValuationSnapshot.objects.create(client=client, valuation_date=timezone.localdate() - timedelta(days=60),
                                     aum=Decimal("1000000.00"), currency="CNY")
    violations = watch_violations(page)
    login(page, live_server, owner)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_test_id("book-aum")).to_contain_text("1,200,000.00")
    expect(page.get_by_test_id("book-change-days")).to_contain_text("+200,000.00")
    for chart in ("aum-history-chart", "aum-tier-chart"):
        expect(page.get_by_test_id(chart)).to_have_attribute("data-rendered", "true")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Log out").click()
    login(page, live_server, team_lead)
    page.goto(f"{live_server.url}/reports/team/")
    expect(page.get_by_test_id("team-table")).to_contain_text("Olivia Owner")
    expect(page.get_by_test_id("team-aum-chart")).to_have_attribute("data-rendered", "true")
    assert violations == []
