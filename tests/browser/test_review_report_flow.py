"""The client review report in a real browser: from the client page to the report, as it looks on a
laptop and a phone in English and Chinese, and as it prints (no navigation, no buttons)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.reports.review_world import review_world_build

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: REVIEW_SHOTS_DIR to keep them and look at them, else the test's tmp folder."""
    folder = Path(os.environ.get("REVIEW_SHOTS_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_rm_opens_the_review_report_and_prints_it(page, live_server, owner, client_record, shots):
    review_world_build(client_record, recorded_by=owner)
    login(page, live_server, owner)

    page.goto(f"/portfolios/clients/{client_record.pk}/")
    expect(page.get_by_test_id("review-report-link")).to_be_visible()
    page.goto(f"/clients/{client_record.pk}/")
    page.screenshot(path=str(shots / "client-page.png"), full_page=True)
    page.get_by_test_id("review-panel").get_by_test_id("review-report-link").click()
    expect(page).to_have_url(re.compile(rf"/reports/clients/{client_record.pk}/review/$"))
    expect(page.get_by_test_id("review-title")).to_contain_text("Zhang Wei")
    expect(page.get_by_test_id("review-aum")).to_contain_text("400,006.00 CNY")
    expect(page.get_by_test_id("review-allocation-table")).to_contain_text("Equity")

    for language in ("en", "zh-hans"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            page.screenshot(path=str(shots / f"review-{language}-{width}.png"), full_page=True)
            # A phone scrolls the tables, not the page.
            assert page.evaluate("document.documentElement.scrollWidth") <= width

    expect(page.get_by_test_id("review-title")).to_contain_text("客户检视报告")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("review-print")).to_be_hidden()
    expect(page.get_by_test_id("review-pdf-link")).to_be_hidden()
    expect(page.get_by_test_id("review-goals")).to_be_visible()
    page.screenshot(path=str(shots / "review-print.png"), full_page=True)
    page.pdf(path=str(shots / "review-print.pdf"), format="A4", prefer_css_page_size=True)

    response = page.request.get(f"{live_server.url}/reports/clients/{client_record.pk}/review.pdf")
    assert response.headers["content-type"] == "application/pdf"
    (shots / "review.pdf").write_bytes(response.body())
