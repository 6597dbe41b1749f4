"""An RM's day in a real browser: sign in, land on Today, log a contact with the client whose
review is due, complete the review, and the review is gone from Today."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communications import services
from communications.models import ContactLog, Review
from tests.communications.factories import schedule_due
from tests.factories import ClientFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_rm_works_their_today_page_from_sign_in_to_a_completed_review(page, live_server, owner):
    due = ClientFactory(legal_name="Wang Fang", manager=owner)
    schedule_due(due, timezone.localdate() + timedelta(days=1))
    services.reminders_scan(today=timezone.localdate())

    login(page, live_server, owner)

    # Home after sign-in is Today, with the review due and the bell's unread count.
    expect(page).to_have_url(re.compile(r"/$"))
    reviews = page.get_by_test_id("today-section-review")
    expect(reviews.get_by_test_id("section-count")).to_have_text("1")
    item = reviews.get_by_test_id("reminder-item").filter(has_text="Wang Fang")
    expect(item).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_contain_text("2")  # the review, and the missing risk assessment

    # Log a contact straight from the item, and come back to Today.
    item.get_by_test_id("log-contact").click()
    expect(page.get_by_test_id("contact-form")).to_be_visible()
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Summary").fill("Called to set up the annual review.")
    page.get_by_label("Next step", exact=True).fill("Send the review pack")
    page.get_by_role("button", name="Log contact").click()
    expect(page).to_have_url(re.compile(r"/$"))  # back to the page that asked: Today
    expect(page.locator(".alert-success")).to_contain_text("Contact with Wang Fang logged.")

    # Complete the review from Today: the checklist, then back to Today without it.
    page.get_by_test_id("today-section-review").get_by_test_id("complete-review").click()
    page.get_by_label("Portfolio and allocation reviewed").check()
    page.get_by_label("Goals reviewed").check()
    page.get_by_label("Notes").fill("On track; keep the bond ladder.")
    page.get_by_role("button", name="Complete review").click()
    expect(page).to_have_url(re.compile(r"/$"))  # back to the page that asked: Today
    expect(page.locator(".alert-success")).to_contain_text("Review of Wang Fang completed")
    expect(page.get_by_test_id("today-section-review")).to_have_count(0)

    assert ContactLog.objects.get().summary == "Called to set up the annual review."
    review = Review.objects.get()
    assert review.client == due and review.portfolio_reviewed and review.goals_reviewed
