"""The contact log: quick-add from the client page, validation, follow-ups and who may log what."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from communications import selectors, services
from communications.models import ContactLog, Reminder

from .factories import ContactLogFactory

pytestmark = pytest.mark.django_db


def contact_data(**overrides):
    data = {"channel": "meeting", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "30", "participants": "Client and spouse", "summary": "Went through the allocation.",
            "outcome": "Wants a proposal", "next_step": "", "next_step_due_on": ""}
    return {**data, **overrides}


def test_it_logs_a_contact_from_the_client_page(client, owner, client_record):
    client.force_login(owner)
    page = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()
    form_url = reverse("communications:contact-create", args=[client_record.pk])
    assert f'href="{form_url}" data-testid="quick-add-contact"' in page  # the client page links to the form
    assert 'data-testid="contact-form"' in client.get(form_url).content.decode()

    response = client.post(reverse("communications:contact-create", args=[client_record.pk]), contact_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("crm:client-detail", args=[client_record.pk])
    contact = ContactLog.objects.get()
    assert (contact.client, contact.recorded_by, contact.channel) == (client_record, owner, "meeting")
    assert contact.duration_minutes == 30 and contact.summary == "Went through the allocation."
    page = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()
    assert "Went through the allocation." in page


def test_it_goes_back_to_the_page_that_asked_but_never_off_site(client, owner, client_record):
    client.force_login(owner)
    url = reverse("communications:contact-create", args=[client_record.pk])
    response = client.post(f"{url}?next=/communications/today/", contact_data())
    assert response["Location"] == "/communications/today/"
    response = client.post(f"{url}?next=https://evil.example/", contact_data())
    assert response["Location"] == reverse("crm:client-detail", args=[client_record.pk])


def test_a_due_date_needs_a_next_step(client, owner, client_record):
    client.force_login(owner)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(reverse("communications:contact-create", args=[client_record.pk]),
                           contact_data(next_step_due_on=due))
    assert response.status_code == 200
    assert not ContactLog.objects.exists()
    with pytest.raises(ValidationError):
        services.contact_record(client=client_record, recorded_by=owner, summary="x",
                                next_step_due_on=timezone.localdate())


def test_the_database_refuses_a_due_date_without_a_next_step(client_record, owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactLogFactory(client=client_record, next_step="", next_step_due_on=timezone.localdate())


def test_a_contact_cannot_be_logged_in_the_future(client_record, owner):
    with pytest.raises(ValidationError):
        services.contact_record(client=client_record, recorded_by=owner, summary="x",
                                occurred_at=timezone.now() + timedelta(days=1))


def test_a_follow_up_due_soon_is_on_the_rms_list_at_once_and_marking_it_done_closes_it(client, owner, client_record):
    client.force_login(owner)
    due = timezone.localdate() + timedelta(days=2)
    client.post(reverse("communications:contact-create", args=[client_record.pk]),
                contact_data(next_step="Send the proposal", next_step_due_on=due.isoformat()))
    reminder = Reminder.objects.get(kind=selectors.KIND_FOLLOW_UP)
    assert (reminder.client, reminder.due_on, reminder.params) == (client_record, due, {"step": "Send the proposal"})

    contact = ContactLog.objects.get()
    response = client.post(reverse("communications:follow-up-done", args=[contact.pk]))

    assert response.status_code == 302
    contact.refresh_from_db()
    reminder.refresh_from_db()
    assert contact.next_step_done_at is not None
    assert reminder.done_at is not None and reminder.done_by == owner


def test_a_follow_up_far_ahead_waits_for_the_scan(client, owner, client_record):
    client.force_login(owner)
    client.post(reverse("communications:contact-create", args=[client_record.pk]),
                contact_data(next_step="Annual check", next_step_due_on=(timezone.localdate() + timedelta(days=60))
                             .isoformat()))
    assert ContactLog.objects.count() == 1
    assert not Reminder.objects.filter(kind=selectors.KIND_FOLLOW_UP).exists()


def test_one_of_two_follow_ups_of_a_day_done_leaves_the_reminder_open(owner, client_record):
    due = timezone.localdate()
    first = services.contact_record(client=client_record, recorded_by=owner, summary="a", next_step="One",
                                    next_step_due_on=due)
    services.contact_record(client=client_record, recorded_by=owner, summary="b", next_step="Two", next_step_due_on=due)

    services.contact_follow_up_done(contact=first, user=owner)

    assert Reminder.objects.get(kind=selectors.KIND_FOLLOW_UP).done_at is None


@pytest.mark.parametrize("who", ["teammate", "outsider", "other_lead", "compliance"])
def test_only_those_who_may_change_the_client_log_contacts(client, request, client_record, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("communications:contact-create", args=[client_record.pk]), contact_data())
    assert response.status_code == 404
    assert not ContactLog.objects.exists()


def test_an_outsider_cannot_mark_someone_elses_follow_up_done(client, outsider, client_record):
    contact = ContactLogFactory(client=client_record, next_step="Call", next_step_due_on=timezone.localdate())
    client.force_login(outsider)
    assert client.post(reverse("communications:follow-up-done", args=[contact.pk])).status_code == 404
    contact.refresh_from_db()
    assert contact.next_step_done_at is None


def test_the_timeline_lists_contacts_and_reviews_newest_first(client, owner, client_record):
    from .factories import ReviewFactory

    ContactLogFactory(client=client_record, summary="Older call", occurred_at=timezone.now() - timedelta(days=20))
    ReviewFactory(client=client_record, completed_on=timezone.localdate() - timedelta(days=10), notes="Review notes")
    ContactLogFactory(client=client_record, summary="Newest call", occurred_at=timezone.now() - timedelta(hours=1))
    client.force_login(owner)

    response = client.get(reverse("communications:client-timeline", args=[client_record.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Newest call") < page.index("Review notes") < page.index("Older call")


def test_the_client_panel_costs_the_same_queries_however_long_the_history(owner, client_record,
                                                                           django_assert_num_queries):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from .factories import ReviewFactory

    for days in range(30):
        ContactLogFactory(client=client_record, occurred_at=timezone.now() - timedelta(days=days))
        ReviewFactory(client=client_record, completed_on=timezone.localdate() - timedelta(days=days))
    request = RequestFactory().get("/")
    request.user = owner
    # may the user edit the client (1; none when the page passes it), the review schedule with the
    # tier's cadence (1), the reminder settings (1), the latest contacts (1) and reviews (1); plus the
    # user's roles (1), read once per request by the context processors
    with django_assert_num_queries(6):
        html = render_to_string("communications/includes/client_panel.html",
                                selectors.client_timeline_panel(request=request, client=client_record), request=request)
    assert html.count('data-testid="timeline-contact"') + html.count('data-testid="timeline-review"') == 10
    # The header facts (last contact, next review) read what the panel fetched for this request.
    with django_assert_num_queries(0):
        facts = {fact.key: fact.value for fact in selectors.client_facts(request=request, client=client_record)}
    assert facts["last-contact"] == timezone.localdate().isoformat()
