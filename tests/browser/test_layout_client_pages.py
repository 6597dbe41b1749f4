"""The RM's client pages fit the screen (issue 11): at 1366 px and on a 390 px phone, in English and
Simplified Chinese, the client list shows AUM without scrolling sideways, the client page opens with
its header strip above the fold, no page scrolls sideways on a phone, and Chinese amounts are
grouped by thousands."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portfolios.models import Alert
from portfolios.services import valuation_refresh
from tests.factories import ClientFactory, TagFactory
from tests.portfolios.factories import TODAY, AlertFactory, GoalFactory, HoldingFactory, InstrumentFactory

from .conftest import TIMEOUT_MS, login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ["en", "zh-hans"]
GROUPED = re.compile(r"\d{1,3}(,\d{3})+\.\d{2}")  # 36,173,000.63


@pytest.fixture
def book(owner, client_record):
    """A dozen of the owner's clients with long names and many tags, and one client (``client_record``)
    with a portfolio, goals and alerts, whose texts run long."""
    tags = [TagFactory(name=name) for name in ("高净值 VIP", "企业主 Business owner", "子女教育 Education",
                                               "退休规划 Retirement planning")]
    for index in range(12):
        other = ClientFactory(legal_name=f"欧阳明轩 Alexander Maximilian Ouyang-{index:02d}", manager=owner,
                              phone=f"+86139{index:08d}", aum_total=Decimal("36173000.63") + index,
                              risk_level="C4")
        other.tags.add(*tags)
    client_record.legal_name = "欧阳明轩 Alexander Maximilian Ouyang"
    client_record.phone, client_record.email = "+8613912345678", "alexander.maximilian.ouyang@example.com"
    client_record.risk_level = "C3"
    client_record.save()
    HoldingFactory(account__client=client_record, quantity=Decimal("2400000"), market_value=Decimal("24000000"),
                   instrument=InstrumentFactory(code="600036", name="China Merchants Bank Co., Ltd. A shares"))
    HoldingFactory(account__client=client_record, quantity=Decimal("12173000.63"),
                   instrument=InstrumentFactory(code="DEP1", asset_class="cash", name="Term deposit 3 years"))
    GoalFactory(client=client_record, name="Daughter's university in the United Kingdom")
    valuation_refresh(client_id=client_record.pk, valuation_date=TODAY)
    AlertFactory(client=client_record, kind=Alert.Kind.STOP_LOSS, subject="600036",
                 message="China Merchants Bank Co., Ltd. A shares fell below its stop-loss price of 38.00")
    AlertFactory(client=client_record, kind=Alert.Kind.DRAWDOWN, subject="", message="Maximum drawdown breached")
    return client_record


@pytest.fixture
def signed_in(browser, live_server, owner):
    """``signed_in(screen, language)``: a page of a fresh browser context of that size and language,
    signed in as the owner; the contexts close after the test."""
    contexts = []

    def open_page(screen: str, language: str):
        context = browser.new_context(base_url=live_server.url, viewport=SCREENS[screen])
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        login(page, live_server, owner)
        return page

    yield open_page
    for context in contexts:
        context.close()


# Table headers, buttons and dates whose text runs over more than one line (确/认, 2026-/11-23).
BROKEN_LABELS_JS = """() => {
  const lines = (el) => { const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size; };
  const dates = [...document.querySelectorAll("main *")].filter((el) => el.children.length === 0
    && /^\\d{4}-\\d{2}-\\d{2}$/.test(el.textContent.trim()));
  return [...document.querySelectorAll("main th, main .btn"), ...dates]
    .filter((el) => el.offsetParent !== null && el.textContent.trim() && lines(el) > 1)
    .map((el) => el.textContent.trim());
}"""


def _scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_the_client_list_shows_aum_without_scrolling_sideways(signed_in, book, screen, language):
    page = signed_in(screen, language)
    page.goto(reverse("crm:client-list"))
    assert not _scrolls_sideways(page)
    assert page.evaluate(BROKEN_LABELS_JS) == []
    width = SCREENS[screen]["width"]
    if screen == "desktop":
        aum = page.get_by_test_id("client-aum").first
        expect(aum).to_be_visible()
        box = aum.bounding_box()
        table_box = page.get_by_test_id("client-table").locator("xpath=..").bounding_box()
        # Inside the table's (scrollable) box and inside the window: seen without scrolling.
        assert box["x"] + box["width"] <= min(width, table_box["x"] + table_box["width"]) + 1
        assert GROUPED.search(aum.inner_text())
    else:
        expect(page.get_by_test_id("client-table")).to_be_hidden()
        card_aum = page.get_by_test_id("client-cards").get_by_test_id("card-aum").first
        expect(card_aum).to_be_visible()
        box = card_aum.bounding_box()
        assert box["x"] + box["width"] <= width
        # The filters fold away on a phone, so the clients come first; one tap opens them.
        expect(page.get_by_test_id("client-filter")).to_be_hidden()
        page.get_by_test_id("filters-toggle").click()
        expect(page.get_by_test_id("client-filter")).to_be_visible()
    summary = page.get_by_test_id("list-summary")
    expect(summary).to_contain_text("13")
    assert GROUPED.search(page.get_by_test_id("list-aum-sum").get_attribute("title"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_the_client_page_opens_with_its_header_strip_above_the_fold(signed_in, book, screen, language):
    page = signed_in(screen, language)
    page.goto(reverse("crm:client-detail", args=[book.pk]))
    header = page.get_by_test_id("client-header")
    expect(header).to_be_visible()
    box = header.bounding_box()
    assert box["y"] + box["height"] <= SCREENS[screen]["height"], "the header strip is below the fold"
    for key in ("aum", "tier", "risk", "stage", "rm", "alerts", "last-contact", "next-review"):
        expect(header.get_by_test_id(f"fact-{key}")).to_be_visible()
    expect(header.get_by_test_id("fact-alerts")).to_contain_text("2")  # stop-loss and drawdown: high
    assert not _scrolls_sideways(page)
    expect(page.locator('a[href="tel:+8613912345678"]')).to_be_visible()
    assert page.evaluate(BROKEN_LABELS_JS) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_portfolio_page_fits_a_phone(signed_in, book, language):
    page = signed_in("phone", language)
    page.goto(reverse("portfolios:client-portfolio", args=[book.pk]))
    expect(page.get_by_test_id("alerts")).to_be_visible()
    assert not _scrolls_sideways(page)
    acknowledge = page.get_by_test_id("alerts").locator("button[type=submit]").first
    box = acknowledge.bounding_box()
    assert box["x"] + box["width"] <= SCREENS["phone"]["width"], "an Acknowledge button is cut off"
    assert page.evaluate(BROKEN_LABELS_JS) == []


def test_a_chinese_amount_has_thousand_separators(signed_in, book):
    page = signed_in("desktop", "zh-hans")
    page.goto(reverse("crm:client-detail", args=[book.pk]))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    strip_aum = page.get_by_test_id("fact-aum").locator("dd")
    assert GROUPED.search(strip_aum.get_attribute("title")), strip_aum.get_attribute("title")
    expect(strip_aum).to_contain_text("万")
    expect(page.get_by_test_id("panel-aum")).to_have_text(GROUPED)
    page.goto(reverse("portfolios:client-portfolio", args=[book.pk]))
    expect(page.get_by_test_id("aum")).to_have_text(GROUPED)


def test_the_navbar_marks_the_current_page_and_offers_recent_clients(signed_in, book):
    page = signed_in("desktop", "en")
    page.goto(reverse("crm:client-detail", args=[book.pk]))
    page.goto(reverse("crm:client-list"))
    expect(page.locator(".navbar a.nav-link.active")).to_have_text("Clients")
    search = page.get_by_test_id("nav-search").locator("input[name=q]")
    search.focus()
    recent = page.get_by_test_id("nav-recent")
    expect(recent).to_be_visible()
    expect(recent.locator("a.dropdown-item")).to_have_count(1)
    expect(recent).to_contain_text(book.legal_name)
    search.fill(str(book.pk))
    search.press("Enter")
    page.wait_for_url(re.compile(r"q="))
    expect(page.get_by_test_id("list-summary")).to_contain_text("1 client")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_client_list_pages_on_a_phone_without_scrolling_sideways(signed_in, owner, language):
    """Page links (numbers, Next, Last; keyset cursors past the first pages) fit a 390 px screen."""
    ClientFactory.create_batch(320, manager=owner, aum_total=Decimal("36173000.63"))
    page = signed_in("phone", language)
    page.goto(reverse("crm:client-list"))
    pages = page.get_by_test_id("pagination")
    expect(pages).to_be_visible()
    assert not _scrolls_sideways(page)
    pages.get_by_test_id("last-page").click()
    page.wait_for_url(re.compile(r"last=1"))
    expect(page.get_by_test_id("page-range")).to_contain_text("301")
    pages.locator("a[rel=prev]").click()
    page.wait_for_url(re.compile(r"before="))
    expect(page.get_by_test_id("page-range")).to_contain_text("251")
    assert not _scrolls_sideways(page)
    assert page.evaluate(BROKEN_LABELS_JS) == []
