"""The Content-Security-Policy in a real browser: the main pages run (menus, charts, the language
switcher) and Chromium reports no violation, so nothing the policy blocks is left on them."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.portfolios.factories import HoldingFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Each is visited signed in as the client's RM; add new pages here.
PAGES = [
    "/",
    "/clients/",
    "/clients/{client}/",
    "/portfolios/clients/{client}/",
    "/portfolios/clients/{client}/rebalance/",
    "/clients/imports/upload/",
    "/accounts/password_change/",
]


def watch_violations(page) -> list[str]:
    """Chromium reports each blocked script, style or resource as a console error naming the policy."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def test_the_main_pages_run_under_the_policy(page, live_server, owner, client_record):
    client_record.risk_level = "C3"  # a model allocation to chart against
    client_record.save(update_fields=["risk_level"])
    HoldingFactory(account__client=client_record, market_value=Decimal("1000"))
    violations = watch_violations(page)
    login(page, live_server, owner)

    for path in PAGES:
        response = page.goto(path.format(client=client_record.pk))
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        if path == "/portfolios/clients/{client}/":  # Chart.js draws under the policy
            page.wait_for_function("() => window.Chart && Chart.getChart('allocation-chart')")

    assert violations == []


def test_the_scripts_work_the_menu_and_the_language_switcher(page, live_server, owner):
    violations = watch_violations(page)
    login(page, live_server, owner)

    page.get_by_test_id("user-menu").click()
    expect(page.get_by_role("link", name="Change password")).to_be_visible()  # Bootstrap's dropdown ran
    with page.expect_navigation():
        page.get_by_test_id("language-switcher").locator("select").select_option("zh-hans")  # static/js/app.js

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert violations == []


def test_the_browser_refuses_an_inline_script(page, live_server, owner):
    # The policy really is enforced: a script injected into a page does not run.
    violations = watch_violations(page)
    login(page, live_server, owner)

    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = true'; document.body.appendChild(s); }""")

    assert page.evaluate("() => window.injected === undefined")
    assert any("script-src 'self'" in text for text in violations)
