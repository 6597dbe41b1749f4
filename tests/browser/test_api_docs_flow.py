"""The API's docs page (Swagger UI from the vendored sidecar files) and the browsable API render
in a real browser under the Content-Security-Policy, with no violation reported."""

import os

import pytest
from playwright.sync_api import expect

from .conftest import login
from .test_security_csp import watch_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = os.environ.get("API_SHOTS_DIR")  # set to keep screenshots of the pages


def test_the_docs_page_lists_the_operations_under_the_policy(page, live_server, owner, client_record):
    violations = watch_violations(page)
    login(page, live_server, owner)

    response = page.goto("/api/docs/")

    assert response.status == 200
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.get_by_text("/api/v1/holdings/", exact=True)).to_be_visible()
    # "Try it out" with the signed-in session: the request goes out and the answer is shown.
    page.locator(".opblock-get .opblock-summary-path", has_text="/api/v1/reminders/").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/api-docs.png", full_page=False)
    assert violations == []


def test_the_browsable_api_renders_under_the_policy(page, live_server, owner, client_record):
    violations = watch_violations(page)
    login(page, live_server, owner)

    response = page.goto("/api/v1/clients/")

    assert response.status == 200
    expect(page.get_by_text("Zhang Wei").first).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/api-browsable.png", full_page=False)
    assert violations == []
