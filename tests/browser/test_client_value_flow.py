"""Client value in a real browser: an RM on a phone (390 px), in Chinese, records a cost on the client
value page and sees it in the working at once; the lifecycle page draws its chart; neither page
scrolls sideways."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import ClientValue, CostRecord

from .conftest import TIMEOUT_MS, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_rm_records_a_cost_on_a_phone_in_chinese(browser, live_server, owner, client_record):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    try:
        login(page, live_server, owner)
        page.goto(f"/analytics/clients/{client_record.pk}/")
        expect(page.locator("h1")).to_contain_text("终生价值")
        assert no_sideways_scroll(page)

        form = page.get_by_test_id("cost-form")
        form.locator("select[name=kind]").select_option("servicing")
        form.locator("input[name=amount]").fill("-5")
        form.locator("input[type=submit]").click()
        expect(page.get_by_test_id("cost-form")).to_contain_text("请输入大于零的金额。")

        form = page.get_by_test_id("cost-form")
        form.locator("input[name=year]").fill(str(timezone.localdate().year - 1))
        form.locator("select[name=kind]").select_option("servicing")
        form.locator("input[name=amount]").fill("1200")
        form.locator("input[type=submit]").click()
        expect(page.locator(".alert-success")).to_contain_text("成本已记录。")
        expect(page.get_by_test_id("cost-list")).to_contain_text("1,200.00 CNY")
        expect(page.get_by_test_id("clv-qc")).to_contain_text("C = 1,200.00")
        assert no_sideways_scroll(page)

        page.goto("/analytics/lifecycle/")
        expect(page.get_by_test_id("lifecycle-stages")).to_contain_text("潜在")
        page.wait_for_function("document.getElementById('lifecycle-chart').width > 0")
        assert no_sideways_scroll(page)
    finally:
        context.close()

    cost = CostRecord.objects.get()
    assert (cost.amount, cost.recorded_by) == (Decimal("1200.00"), owner)
    assert ClientValue.objects.get(client=client_record).yearly_cost == Decimal("1200.00")
