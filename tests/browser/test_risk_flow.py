"""Risk tolerance in a real browser: an RM sends the questionnaire link, the client completes it on a
phone (390 px) in Chinese, the RM's client page and list show the new level at once; an expired
link shows a clear page; a rebalance proposal adding an R5 fund for a C2 client is refused without
a suitability exception and saved with one."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import PublicLink
from crm.scales import RiskBasis
from crm.services import client_risk_level_set
from portfolios.models import RebalanceProposal, SuitabilityException
from risk import services
from risk.models import Assessment
from tests.portfolios.factories import HoldingFactory, InstrumentFactory

from .conftest import TIMEOUT_MS, login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    # serialized_rollback restores what the data migrations made (roles, the standard questionnaire).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}

# The client's answers, in Chinese as the phone shows them: 4+4+3+4+4+4+3+3+3+4 = 36 points, C4.
ANSWERS_ZH = {
    "age": "30岁以下", "income": "非常稳定（如工资、退休金、租金收入）", "share_of_assets": "10%至30%",
    "experience": "5至10年", "horizon": "5年以上", "objective": "长期资产增值", "loss_reaction": "继续持有，等待回升",
    "liquidity": "一小部分", "knowledge": "比较了解：基金、债券和股票", "max_loss": "10%至20%",
}


def phone_context(browser, locale="zh-CN"):
    context = browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_a_client_completes_the_questionnaire_on_a_phone_in_chinese_and_the_rm_sees_the_level(
        browser, page, live_server, owner, client_record):
    login(page, live_server, owner)
    page.goto(f"/clients/{client_record.pk}/")
    panel = page.get_by_test_id("risk-panel")
    expect(panel.get_by_test_id("risk-marker")).to_have_text("Not assessed")

    panel.get_by_test_id("risk-send-link").click()
    link = page.get_by_test_id("questionnaire-link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/risk/q/[^/]+/", link)

    phone = phone_context(browser)
    try:
        form = phone.new_page()
        form.goto(link)
        # The phone asks for Chinese; the client may switch to English and back.
        expect(form.get_by_test_id("questionnaire-title")).to_have_text("标准风险承受能力评估问卷")
        with form.expect_navigation():
            form.get_by_role("button", name="English").click()
        expect(form.get_by_test_id("questionnaire-title")).to_have_text("Standard risk tolerance questionnaire")
        with form.expect_navigation():
            form.get_by_role("button", name="中文").click()
        expect(form.get_by_test_id("question-age")).to_contain_text("您的年龄是？")
        assert form.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

        # Submitting with a question left out keeps the answers and saves nothing.
        for key, answer in ANSWERS_ZH.items():
            if key != "knowledge":
                form.get_by_test_id(f"question-{key}").get_by_text(answer, exact=True).click()
        form.get_by_test_id("questionnaire-submit").click()
        expect(form.get_by_test_id("question-knowledge")).to_contain_text("请选择一个答案。")
        assert not Assessment.objects.exists()
        expect(form.get_by_test_id("question-age").get_by_label("30岁以下")).to_be_checked()

        form.get_by_test_id("question-knowledge").get_by_text(ANSWERS_ZH["knowledge"], exact=True).click()
        form.get_by_test_id("questionnaire-submit").click()
        expect(form.get_by_test_id("questionnaire-done")).to_contain_text("谢谢，您的答案已保存。")
        expect(form.get_by_test_id("questionnaire-level")).to_have_text("C4 成长型")

        # The link is used up: opening it again says so.
        response = form.goto(link)
        assert response.status == 410
        expect(form.get_by_test_id("refusal-message")).to_contain_text("此链接已被使用")
    finally:
        phone.close()

    assessment = Assessment.objects.get()
    assert (assessment.level, assessment.score, assessment.channel, assessment.language) == ("C4", 36, "link",
                                                                                             "zh-hans")

    # The RM's client page and list show the new level at once.
    page.goto(f"/clients/{client_record.pk}/")
    expect(page.get_by_test_id("risk-level")).to_contain_text("C4 growth")
    expect(panel.get_by_test_id("risk-marker")).to_have_attribute("data-state", "valid")
    expect(panel.get_by_test_id("risk-pending-link")).to_have_count(0)
    page.goto("/clients/")
    row = page.locator("table.table-clients tr", has_text=client_record.legal_name)
    expect(row).to_contain_text("C4 growth")


def test_an_expired_link_shows_a_clear_page_on_a_phone(browser, live_server, owner, client_record):
    link, token = services.assessment_link_issue(client=client_record, issued_by=owner)
    PublicLink.objects.filter(pk=link.pk).update(issued_at=timezone.now() - timedelta(days=9),
                                                 expires_at=timezone.now() - timedelta(days=2))
    phone = phone_context(browser)
    try:
        form = phone.new_page()
        response = form.goto(f"{live_server.url}/risk/q/{token}/")

        assert response.status == 410
        expect(form.get_by_test_id("refusal-message")).to_have_text("此链接已过期。请向您的客户经理索取新链接。")
        expect(form.get_by_test_id("questionnaire-form")).to_have_count(0)
        assert form.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    assert not Assessment.objects.exists()


@pytest.fixture
def c2_client(client_record):
    """A moderately conservative client (valid assessment), 70 % equities, 30 % cash: far off the C2 model."""
    today = timezone.localdate()
    client_risk_level_set(client=client_record, level="C2", basis=RiskBasis.ASSESSMENT,
                          assessed_on=today - timedelta(days=20), valid_until=today + timedelta(days=340))
    HoldingFactory(account__client=client_record, quantity=Decimal("700000"),
                   instrument=InstrumentFactory(code="600519", name="Kweichow Moutai", asset_class="equity",
                                                risk_rating="R2"))
    HoldingFactory(account__client=client_record, quantity=Decimal("300000"),
                   instrument=InstrumentFactory(code="DEP-CNY", name="Time deposit", asset_class="cash",
                                                risk_rating="R1"))
    InstrumentFactory(code="000001", name="ChinaAMC Growth", asset_class="fund", risk_rating="R5")
    InstrumentFactory(code="110011", name="Bond fund", asset_class="fund", risk_rating="R2")
    return client_record


def test_a_proposal_adding_an_r5_fund_for_a_c2_client_needs_a_suitability_exception(page, live_server, owner,
                                                                                   c2_client):
    login(page, live_server, owner)
    page.goto(f"/portfolios/clients/{c2_client.pk}/rebalance/")
    page.get_by_label("Minimum trade size").fill("5000")
    page.get_by_role("button", name="Preview trades").click()

    line = page.get_by_test_id("line-fund")
    exception = page.get_by_test_id("exception-fund")
    expect(exception).to_be_hidden()
    line.get_by_label("Product", exact=True).select_option(label="000001 ChinaAMC Growth · R5 · above the client’s risk level")
    expect(exception).to_be_visible()  # the page's script shows it for a product above the client's level

    # Without the exception nothing is saved, and the page names the product and its rating.
    page.get_by_test_id("save-proposal").click()
    expect(page.locator(".alert-danger, .alert-block")).to_contain_text("000001 ChinaAMC Growth is rated R5")
    assert not RebalanceProposal.objects.exists()

    exception = page.get_by_test_id("exception-fund")
    expect(exception).to_be_visible()
    exception.get_by_label("Reason for the exception").fill("Client asked for a growth sleeve after our meeting")
    exception.get_by_label(re.compile("acknowledged it")).check()
    expect(exception.get_by_label("Acknowledged on")).to_have_value(timezone.localdate().isoformat())
    page.get_by_test_id("save-proposal").click()

    expect(page.get_by_test_id("proposal-status")).to_have_text("Saved")
    expect(page.get_by_test_id("proposal-trades")).to_contain_text("000001 ChinaAMC Growth · R5")
    expect(page.get_by_test_id("proposal-exception")).to_contain_text("Client asked for a growth sleeve")
    exception_record = SuitabilityException.objects.get()
    assert (exception_record.product_rating, exception_record.client_risk_level, exception_record.recorded_by) == (
        "R5", "C2", owner)
    assert exception_record.trade.proposal == RebalanceProposal.objects.get()
