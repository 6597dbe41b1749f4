"""Periodic reviews: the cadence per segment (administrators' data), completing a review schedules
the next one, and the schedule follows a change of segment or cadence."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from communications import selectors, services
from communications.models import Reminder, Review, ReviewCadence, ReviewSchedule
from crm.models import Client
from tests.factories import ClientFactory

from .factories import schedule_due

pytestmark = pytest.mark.django_db


def test_the_default_cadences_are_hnw_monthly_affluent_quarterly_mass_yearly():
    assert dict(ReviewCadence.objects.values_list("tier", "interval_months")) == {"hnw": 1, "affluent": 3, "mass": 12}


@pytest.mark.parametrize(("tier", "completed_on", "next_due_on"), [
    ("hnw", date(2026, 1, 31), date(2026, 2, 28)),  # a month on; February is shorter
    ("affluent", date(2026, 5, 15), date(2026, 8, 15)),
    ("mass", date(2024, 2, 29), date(2025, 2, 28)),
])
def test_completing_a_review_schedules_the_next_by_the_segments_cadence(owner, tier, completed_on, next_due_on):
    client = ClientFactory(manager=owner, aum_tier=tier)

    review = services.review_complete(client=client, completed_by=owner, completed_on=completed_on,
                                      portfolio_reviewed=True)

    assert review.next_due_on == next_due_on
    schedule = ReviewSchedule.objects.get(client=client)
    assert (schedule.anchor_on, schedule.due_on) == (completed_on, next_due_on)


def test_completing_a_review_closes_its_reminder_and_the_next_scan_does_not_raise_it_again(owner, client_record):
    today = timezone.localdate()
    schedule_due(client_record, today + timedelta(days=2))
    services.reminders_scan(today=today)
    reminder = Reminder.objects.get(kind=selectors.KIND_REVIEW)

    services.review_complete(client=client_record, completed_by=owner, portfolio_reviewed=True, goals_reviewed=True)
    services.reminders_scan(today=today)

    reminder.refresh_from_db()
    assert reminder.done_at is not None and reminder.done_by == owner
    assert Reminder.objects.filter(kind=selectors.KIND_REVIEW).count() == 1
    assert Review.objects.get().was_due_on == today + timedelta(days=2)


def test_an_administrator_changing_a_cadence_moves_the_schedules_of_that_segment(owner):
    today = timezone.localdate()
    hnw = ClientFactory(manager=owner, aum_tier="hnw")
    mass = ClientFactory(manager=owner, aum_tier="mass")
    services.review_complete(client=hnw, completed_by=owner, completed_on=today - timedelta(days=5), notes="ok")
    services.review_complete(client=mass, completed_by=owner, completed_on=today - timedelta(days=5), notes="ok")

    ReviewCadence.objects.filter(tier="hnw").update(interval_months=2)
    services.reminders_scan(today=today)

    assert ReviewSchedule.objects.get(client=hnw).due_on == selectors.months_later(today - timedelta(days=5), 2)
    assert ReviewSchedule.objects.get(client=mass).due_on == selectors.months_later(today - timedelta(days=5), 12)


def test_a_client_moving_up_a_segment_is_reviewed_at_the_new_cadence(owner):
    today = timezone.localdate()
    client = ClientFactory(manager=owner, aum_tier="mass")
    services.review_complete(client=client, completed_by=owner, completed_on=today - timedelta(days=40), notes="ok")
    Client.objects.filter(pk=client.pk).update(aum_tier="hnw")  # what the nightly re-tiering does

    services.reminders_scan(today=today)

    assert ReviewSchedule.objects.get(client=client).due_on == selectors.months_later(today - timedelta(days=40), 1)
    assert Reminder.objects.filter(client=client, kind=selectors.KIND_REVIEW).exists()  # now overdue


def test_a_review_records_what_was_checked_and_cannot_be_empty_or_in_the_future(owner, client_record):
    with pytest.raises(ValidationError):
        services.review_complete(client=client_record, completed_by=owner)
    with pytest.raises(ValidationError):
        services.review_complete(client=client_record, completed_by=owner, notes="x",
                                 completed_on=timezone.localdate() + timedelta(days=1))
    assert not Review.objects.exists()


def test_the_rm_completes_a_review_through_its_page(client, owner, client_record):
    client.force_login(owner)
    url = reverse("communications:review-complete", args=[client_record.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"completed_on": timezone.localdate().isoformat(), "portfolio_reviewed": "on",
                                 "risk_assessment_valid": "on", "goals_reviewed": "on", "notes": "All on track."})

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.client, review.completed_by, review.notes) == (client_record, owner, "All on track.")
    assert review.portfolio_reviewed and review.risk_assessment_valid and review.goals_reviewed
    assert ReviewSchedule.objects.get(client=client_record).due_on == review.next_due_on


@pytest.mark.parametrize("who", ["teammate", "outsider", "other_lead", "compliance"])
def test_only_those_who_may_change_the_client_complete_its_review(client, request, client_record, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("communications:review-complete", args=[client_record.pk]),
                           {"completed_on": timezone.localdate().isoformat(), "notes": "x"})
    assert response.status_code == 404
    assert not Review.objects.exists()


def test_the_client_page_shows_the_next_review_date(client, owner, client_record):
    schedule_due(client_record, date(2027, 3, 1))
    client.force_login(owner)
    page = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()
    assert "2027-03-01" in page


def test_administrators_edit_the_cadences_and_reminder_settings_in_admin_and_compliance_only_reads(
        client, administrator, compliance):
    from communications.models import ReminderPolicy

    cadence = ReviewCadence.objects.get(tier="hnw")
    client.force_login(administrator)
    response = client.post(reverse("admin:communications_reviewcadence_change", args=[cadence.pk]),
                           {"tier": "hnw", "interval_months": "2"})
    assert response.status_code == 302
    cadence.refresh_from_db()
    assert cadence.interval_months == 2
    response = client.post(reverse("admin:communications_reminderpolicy_change", args=[1]),
                           {"due_soon_days": "14", "escalation_days": "3"})
    assert response.status_code == 302
    assert (ReminderPolicy.current().due_soon_days, ReminderPolicy.current().escalation_days) == (14, 3)

    client.force_login(compliance)
    assert client.get(reverse("admin:communications_reviewcadence_change", args=[cadence.pk])).status_code == 200
    client.post(reverse("admin:communications_reviewcadence_change", args=[cadence.pk]),
                {"tier": "hnw", "interval_months": "6"})
    cadence.refresh_from_db()
    assert cadence.interval_months == 2


def test_completing_a_review_can_e_mail_the_client_a_feedback_link(client, owner, client_record, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    from crm.models import PublicLink

    client_record.email = "zhang.wei@example.cn"
    client_record.save()
    client.force_login(owner)
    url = reverse("communications:review-complete", args=[client_record.pk])
    assert client.get(url).context["form"].fields["feedback_link"].initial is True

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"completed_on": timezone.localdate().isoformat(), "portfolio_reviewed": "on",
                                     "notes": "All on track.", "feedback_link": "on"})

    assert response.status_code == 302
    review = Review.objects.get()
    link = PublicLink.objects.get(client=client_record)
    assert (link.purpose, link.payload, link.issued_by) == ("feedback", {"review": review.pk}, owner)
    assert [message.to for message in mailoutbox] == [["zhang.wei@example.cn"]]
    assert "/communications/feedback/" in mailoutbox[0].body


def test_a_client_without_an_e_mail_address_is_not_offered_the_feedback_link(client, owner, client_record):
    client_record.email = ""
    client_record.save()
    client.force_login(owner)
    response = client.get(reverse("communications:review-complete", args=[client_record.pk]))
    assert "feedback_link" not in response.context["form"].fields
