"""The Today page: the RM's home after sign-in, most urgent first, counts and "see all" links,
one-click actions; a team lead's adds their team's overdue items per RM."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communications import selectors, services
from tests.factories import ClientFactory
from tests.portfolios.factories import AlertFactory

from .factories import ContactLogFactory, ReminderFactory, schedule_due

pytestmark = pytest.mark.django_db

REVIEW, FOLLOW_UP = selectors.KIND_REVIEW, selectors.KIND_FOLLOW_UP


def test_rms_and_team_leads_land_on_today_compliance_and_administrators_on_the_dashboard(
        client, owner, team_lead, compliance, administrator):
    for user, template in [(owner, "communications/today.html"), (team_lead, "communications/today.html"),
                           (compliance, "crm/home.html"), (administrator, "crm/home.html")]:
        client.force_login(user)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert template in [t.name for t in response.templates], user
    client.force_login(owner)
    assert client.get(reverse("dashboard")).status_code == 200  # the dashboard stays one click away


def test_signing_in_leads_to_today(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": "correct-horse-battery-staple"},
                           follow=True)
    assert response.status_code == 200
    assert "communications/today.html" in [t.name for t in response.templates]


def test_it_lists_the_rms_items_most_urgent_first_with_counts(client, owner, outsider):
    today = timezone.localdate()
    soon, late, later = (ClientFactory(manager=owner, legal_name=name) for name in ("Soon", "Late", "Latest"))
    schedule_due(soon, today + timedelta(days=3))
    schedule_due(late, today - timedelta(days=20))
    schedule_due(later, today - timedelta(days=2))
    ContactLogFactory(client=soon, next_step="Send the proposal", next_step_due_on=today)
    schedule_due(ClientFactory(manager=outsider, legal_name="Not mine"), today)
    services.reminders_scan(today=today)
    client.force_login(owner)

    response = client.get(reverse("communications:today"))

    assert response.status_code == 200
    sections = {section.kind: section for section in response.context["sections"]}
    assert [r.client.legal_name for r in sections[REVIEW].items] == ["Late", "Latest", "Soon"]
    assert (sections[REVIEW].count, sections[REVIEW].overdue) == (3, 2)
    assert (sections[FOLLOW_UP].count, sections[FOLLOW_UP].overdue) == (1, 0)
    page = response.content.decode()
    assert "Not mine" not in page
    assert f"?kind={REVIEW}" in page  # see all
    assert "Send the proposal" in page


def test_the_sections_follow_the_registrys_urgency_order(client, owner):
    today = timezone.localdate()
    client_record = ClientFactory(manager=owner)
    ReminderFactory(client=client_record, kind="portfolio-alert", due_on=today)
    ReminderFactory(client=client_record, kind=REVIEW, due_on=today)
    ReminderFactory(client=client_record, kind=FOLLOW_UP, due_on=today)
    client.force_login(owner)

    kinds = [s.kind for s in client.get(reverse("communications:today")).context["sections"]]

    assert kinds == [REVIEW, FOLLOW_UP, "portfolio-alert"]


def test_each_section_shows_the_first_few_and_counts_all(client, owner):
    today = timezone.localdate()
    for days in range(selectors.TODAY_ITEMS_SHOWN + 3):
        ReminderFactory(client=ClientFactory(manager=owner), kind=REVIEW, due_on=today - timedelta(days=days))
    client.force_login(owner)

    section = client.get(reverse("communications:today")).context["sections"][0]

    assert section.count == selectors.TODAY_ITEMS_SHOWN + 3
    assert len(section.items) == selectors.TODAY_ITEMS_SHOWN
    assert section.items[0].due_on == today - timedelta(days=selectors.TODAY_ITEMS_SHOWN + 2)


def test_mark_done_takes_an_item_off_today(client, owner, client_record):
    reminder = ReminderFactory(client=client_record, kind="portfolio-alert")
    client.force_login(owner)

    response = client.post(reverse("communications:reminder-done", args=[reminder.pk]),
                           {"next": reverse("communications:today")})

    assert response.status_code == 302 and response["Location"] == reverse("communications:today")
    reminder.refresh_from_db()
    assert reminder.done_at is not None and reminder.done_by == owner
    assert client.get(reverse("communications:today")).context["sections"] == []


@pytest.mark.parametrize("who", ["teammate", "outsider", "other_lead", "compliance"])
def test_only_those_who_may_change_the_client_mark_its_reminder_done(client, request, client_record, who):
    reminder = ReminderFactory(client=client_record)
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("communications:reminder-done", args=[reminder.pk])).status_code == 404
    reminder.refresh_from_db()
    assert reminder.done_at is None


def test_a_team_leads_today_adds_the_teams_overdue_items_per_rm(client, owner, teammate, team_lead, outsider):
    today = timezone.localdate()
    ReminderFactory(client=ClientFactory(manager=owner), kind=REVIEW, due_on=today - timedelta(days=3))
    ReminderFactory(client=ClientFactory(manager=owner), kind=FOLLOW_UP, due_on=today - timedelta(days=1))
    ReminderFactory(client=ClientFactory(manager=owner), kind=REVIEW, due_on=today + timedelta(days=1))  # not overdue
    ReminderFactory(client=ClientFactory(manager=teammate), kind=REVIEW, due_on=today - timedelta(days=9))
    ReminderFactory(client=ClientFactory(manager=outsider), kind=REVIEW, due_on=today - timedelta(days=9))
    client.force_login(team_lead)

    response = client.get(reverse("communications:today"))

    team = {row["manager_id"]: row for row in response.context["team"]}
    assert set(team) == {owner.pk, teammate.pk}
    assert team[owner.pk]["total"] == 2
    assert {k["kind"]: k["count"] for k in team[owner.pk]["kinds"]} == {REVIEW: 1, FOLLOW_UP: 1}
    assert response.context["sections"] == []  # the lead serves no client of their own here
    # "see all" for one RM
    listing = client.get(reverse("communications:reminder-list"), {"rm": owner.pk, "overdue": "1"})
    assert listing.status_code == 200
    assert listing.context["page"].paginator.count == 2


def test_an_rm_has_no_team_view_and_cannot_list_another_rms_reminders(client, owner, teammate):
    client.force_login(owner)
    assert client.get(reverse("communications:today")).context["team"] == []
    assert client.get(reverse("communications:reminder-list"), {"rm": teammate.pk}).status_code == 404


def test_see_all_lists_the_open_reminders_of_a_kind(client, owner):
    today = timezone.localdate()
    for _i in range(3):
        ReminderFactory(client=ClientFactory(manager=owner), kind=REVIEW, due_on=today)
    ReminderFactory(client=ClientFactory(manager=owner), kind=FOLLOW_UP, due_on=today)
    client.force_login(owner)

    response = client.get(reverse("communications:reminder-list"), {"kind": REVIEW})

    assert response.status_code == 200
    assert {r.kind for r in response.context["page"]} == {REVIEW}
    assert response.context["page"].paginator.count == 3
    assert client.get(reverse("communications:reminder-list"), {"kind": "no-such-kind"}).status_code == 404


def test_the_today_page_costs_the_same_queries_whatever_the_book(client, owner, team_lead, django_assert_num_queries):
    today = timezone.localdate()

    def grow(n):
        for index in range(n):
            # the team's, and unassigned clients' (the lead's own list)
            for manager in (owner, None):
                record = ClientFactory(manager=manager)
                schedule_due(record, today - timedelta(days=index))
                ContactLogFactory(client=record, next_step="Call", next_step_due_on=today - timedelta(days=index))
                AlertFactory(client=record)
    grow(3)
    services.reminders_scan(today=today)
    client.force_login(team_lead)
    client.get(reverse("communications:today"))  # warm the session
    # session (1), user (1), roles (1), counts per kind (1), first items of every kind (1), unread
    # notifications (1) and their count (1, also the navbar's), the team RMs' overdue counts (1)
    with django_assert_num_queries(8):
        client.get(reverse("communications:today"))
    grow(30)
    services.reminders_scan(today=today)
    with django_assert_num_queries(8):
        response = client.get(reverse("communications:today"))
    assert response.context["team"] and response.context["sections"] and response.context["unread"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_reminder_list_costs_the_same_queries_however_many(client, owner, count, django_assert_num_queries):
    today = timezone.localdate()
    for index in range(count):
        ReminderFactory(client=ClientFactory(manager=owner), kind=(REVIEW, FOLLOW_UP)[index % 2],
                        due_on=today - timedelta(days=index))
    client.force_login(owner)
    # session (1), user (1), roles (1), the count for the paginator (1), the page of reminders with
    # their clients (1), the navbar's unread count (1)
    with django_assert_num_queries(6):
        response = client.get(reverse("communications:reminder-list"))
    assert response.context["page"].paginator.count == count
