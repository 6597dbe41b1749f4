"""The browser harness: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Fixtures: ``browser`` (one Chromium per session), ``page`` (a fresh context, so fresh cookies, per
test) and the helper ``login(page, live_server, user)``. Every test here is marked ``browser``.
On failure, a screenshot and the page's HTML land in test-artifacts/<test name>.png/.html
(or under $TEST_ARTIFACTS_DIR).

Playwright's own browser download does not work on our machines; this uses /usr/bin/chromium
(`apt-get install chromium`). Without it the tests skip, and fail under CI=true.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import require_server
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread, which Django's ORM takes for async
# code; the ORM calls in these tests (factories, assertions) are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machines have no network but the package registries: no background calls home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000  # for actions and for expect(): generous, as a CI machine may be busy


def pytest_collection_modifyitems(config, items):
    browser_dir = Path(__file__).parent
    for item in items:
        if browser_dir in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the ``page`` fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; Playwright gives each launch a fresh, empty profile
    (user data dir) of its own and removes it afterwards."""
    if not CHROMIUM.exists():
        require_server(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API leaves this thread in another contextvars context, where Django's
    # connection handler (an asgiref Local) would hand out fresh connection objects without the
    # state pytest-django keeps on the originals (serialized_rollback's copy of the test data):
    # put the originals back.
    originals = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in originals.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(request, browser, live_server):
    """A page in a new browser context (fresh cookies, English) aimed at the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        reports = (getattr(request.node, f"report_{when}", None) for when in ("setup", "call"))
        if any(report is not None and report.failed for report in reports):
            _save_artifacts(page, request.config.rootpath, request.node.name)
        context.close()


def _save_artifacts(page, rootpath: Path, test_name: str) -> None:
    folder = rootpath / os.environ.get("TEST_ARTIFACTS_DIR", "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", test_name)
    try:
        page.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
        (folder / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may be the thing that broke; the test's own error matters more
        print(f"Could not save the failure artifacts of {test_name}: {exc}")
    else:
        print(f"Screenshot and HTML of the failed page: {folder / stem}.png / .html")


def login(page, live_server, user, *, password: str = PASSWORD) -> None:
    """Sign ``user`` in through the real login form and wait for the page it leads to."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action$='/accounts/login/'] button[type=submit]")
    if "/accounts/login/" in page.url:
        raise AssertionError(f"Signing in as {user.username} failed; still on {page.url}")
