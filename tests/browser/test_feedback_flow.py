"""Client feedback in a real browser: the RM gets a feedback link from the client page, the client
opens it on a phone (390 px) in Chinese and sends NPS 9 with a complaint, the RM sees both on the
client page and in the complaints list, and the used link shows a clear page."""

import re

import pytest
from playwright.sync_api import expect

from communications.models import Complaint, Feedback

from .conftest import TIMEOUT_MS, login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    # serialized_rollback restores the roles and the feedback settings row the migrations made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


def test_a_client_sends_feedback_with_a_complaint_from_a_phone_in_chinese(browser, page, live_server, owner,
                                                                           client_record):
    login(page, live_server, owner)

    # The RM gets a link on the client page; it is shown once, to copy.
    page.goto(f"/clients/{client_record.pk}/")
    panel = page.get_by_test_id("feedback-panel")
    expect(panel).to_contain_text("No feedback yet.")
    panel.get_by_test_id("feedback-link-copy").click()
    link = page.get_by_test_id("feedback-link-url").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/communications/feedback/[^/]+/", link)

    # The client, on a phone, without an account, switches the page to Chinese.
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        form = phone.new_page()
        form.goto(link)
        expect(form.get_by_role("heading", name="How are we doing?")).to_be_visible()
        with form.expect_navigation():
            form.get_by_label("Language").select_option("zh-hans")
        expect(form.get_by_role("heading", name="我们做得怎么样？")).to_be_visible()
        # Nothing is wider than the phone's screen.
        assert form.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

        form.get_by_test_id("field-nps").get_by_text("9", exact=True).click()
        form.get_by_test_id("field-csat").get_by_text("2", exact=True).click()
        form.get_by_label("意见和建议").fill("转账一直失败，<script>alert(1)</script> 没有人回电话。")
        form.get_by_label("这是一项投诉").check()
        form.get_by_role("button", name="发送反馈").click()
        expect(form.get_by_test_id("feedback-thanks")).to_contain_text("感谢您的反馈")

        # The link is used up: opening it again says so and saves nothing.
        form.goto(link)
        expect(form.get_by_test_id("feedback-link-used")).to_contain_text("此反馈链接无法使用")
    finally:
        phone.close()

    feedback = Feedback.objects.get()
    assert (feedback.client_id, feedback.manager_id, feedback.nps, feedback.csat) == (
        client_record.pk, owner.pk, 9, 2)
    assert feedback.language == "zh-hans"
    complaint = Complaint.objects.get()
    assert (complaint.assignee_id, complaint.status) == (owner.pk, Complaint.Status.OPEN)

    # The RM sees the answers and the complaint on the client page ...
    page.goto(f"/clients/{client_record.pk}/")
    expect(panel.get_by_test_id("feedback-recent")).to_contain_text("NPS 9")
    expect(panel.get_by_test_id("complaints-open")).to_contain_text("转账一直失败")
    expect(panel.get_by_test_id("feedback-link-url")).to_have_count(0)  # shown once only
    # ... and in the complaints list, as text, never as markup.
    page.get_by_test_id("nav-service").click()  # the navbar groups satisfaction and complaints
    page.get_by_test_id("nav-complaints").click()
    row = page.get_by_test_id("complaint-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(client_record.legal_name)
    expect(row).to_contain_text("<script>alert(1)</script>")
    row.get_by_role("link", name=re.compile("转账一直失败")).click()

    # The RM takes the complaint on; the change is recorded.
    transition = page.get_by_test_id("complaint-transition")
    transition.get_by_label("New status").select_option("in_progress")
    transition.get_by_label("Note").fill("Called the client back")
    transition.get_by_role("button", name="Change status").click()
    expect(page.get_by_test_id("complaint-status")).to_have_text("In progress")
    expect(page.get_by_test_id("complaint-event")).to_have_count(2)
    expect(page.get_by_test_id("complaint-events")).to_contain_text("Called the client back")
