"""The reminder scan: reminders for reviews and follow-ups due, open alerts, exactly once per
(client, kind, due date); notifications to the RM (team leads for unassigned clients); closing what
went away; escalation to the team lead after K days overdue."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from communications import selectors, services
from communications.models import ContactLog, Notification, Reminder, ReminderPolicy, ReviewSchedule
from crm import attention
from tests.factories import ClientFactory
from tests.portfolios.factories import AlertFactory

from .factories import ContactLogFactory, ReminderFactory, schedule_due

pytestmark = pytest.mark.django_db

REVIEW, FOLLOW_UP = selectors.KIND_REVIEW, selectors.KIND_FOLLOW_UP


@pytest.fixture
def today():
    return timezone.localdate()


def keys(kind=None):
    rows = Reminder.objects.all() if kind is None else Reminder.objects.filter(kind=kind)
    return sorted(rows.values_list("client_id", "kind", "due_on"))


def test_it_reminds_of_a_review_due_within_the_horizon_and_of_an_overdue_one(owner, today):
    due_soon = ClientFactory(manager=owner)
    overdue = ClientFactory(manager=owner)
    later = ClientFactory(manager=owner)
    schedule_due(due_soon, today + timedelta(days=7))  # the default horizon: 7 days
    schedule_due(overdue, today - timedelta(days=40))
    schedule_due(later, today + timedelta(days=8))

    services.reminders_scan(today=today)

    assert keys(REVIEW) == sorted([(due_soon.pk, REVIEW, today + timedelta(days=7)),
                                   (overdue.pk, REVIEW, today - timedelta(days=40))])
    reminder = Reminder.objects.get(client=due_soon, kind=REVIEW)
    assert reminder.manager == owner and reminder.done_at is None
    assert reminder.text == "Periodic review"


def test_the_horizon_is_the_administrators_setting_not_a_constant(owner, today):
    client = ClientFactory(manager=owner)
    schedule_due(client, today + timedelta(days=20))
    services.reminders_scan(today=today)
    assert keys(REVIEW) == []

    ReminderPolicy.objects.filter(pk=1).update(due_soon_days=30)
    services.reminders_scan(today=today)

    assert keys(REVIEW) == [(client.pk, REVIEW, today + timedelta(days=20))]


def test_a_repeated_scan_creates_nothing_twice(owner, team_lead, today):
    clients = [ClientFactory(manager=owner) for _i in range(3)]
    for client in clients:
        schedule_due(client, today - timedelta(days=30))
    ContactLogFactory(client=clients[0], next_step="Send the proposal", next_step_due_on=today)
    AlertFactory(client=clients[1])

    first = services.reminders_scan(today=today)
    reminders, notifications = keys(), sorted(Notification.objects.values_list("reminder_id", "recipient_id", "reason"))
    second = services.reminders_scan(today=today)

    assert first.reminders_created >= 5 and second.reminders_created == 0
    assert second.notifications_created == 0 and second.escalations_created == 0
    assert keys() == reminders
    assert sorted(Notification.objects.values_list("reminder_id", "recipient_id", "reason")) == notifications
    # One reminder and one escalation per overdue review: 30 days is past the 7-day escalation.
    assert Notification.objects.filter(reason="escalation", recipient=team_lead, reminder__kind=REVIEW).count() == 3


def test_the_database_refuses_a_second_reminder_for_the_same_client_kind_and_day(client_record, today):
    ReminderFactory(client=client_record, kind=REVIEW, due_on=today)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderFactory(client=client_record, kind=REVIEW, due_on=today)


def test_the_database_refuses_a_second_notification_of_one_reminder_to_one_person(client_record, owner, today):
    reminder = ReminderFactory(client=client_record)
    Notification.objects.create(reminder=reminder, recipient=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(reminder=reminder, recipient=owner)


def test_it_reminds_of_follow_ups_due_one_per_client_and_day(owner, today):
    client = ClientFactory(manager=owner)
    ContactLogFactory(client=client, next_step="Send the proposal", next_step_due_on=today + timedelta(days=2))
    ContactLogFactory(client=client, next_step="Call back", next_step_due_on=today + timedelta(days=2))
    ContactLogFactory(client=client, next_step="Done already", next_step_due_on=today - timedelta(days=1),
                      next_step_done_at=timezone.now())
    ContactLogFactory(client=client)  # no next step

    services.reminders_scan(today=today)

    assert keys(FOLLOW_UP) == [(client.pk, FOLLOW_UP, today + timedelta(days=2))]
    assert Reminder.objects.get(kind=FOLLOW_UP).text == "2 next steps, first: Send the proposal"


def test_it_reminds_of_open_alerts_through_the_portfolios_source(owner, today):
    client = ClientFactory(manager=owner)
    AlertFactory(client=client)
    AlertFactory(client=client)
    AlertFactory(client=client, acknowledged_at=timezone.now())  # seen: no reminder for it
    AlertFactory(client=ClientFactory(manager=owner), resolved_at=timezone.now())

    services.reminders_scan(today=today)

    reminder = Reminder.objects.get(kind="portfolio-alert")
    assert (reminder.client_id, reminder.due_on) == (client.pk, today)
    assert reminder.params == {"count": 2}


def test_the_rm_is_notified_and_an_unassigned_clients_reminder_goes_to_every_team_lead(
        owner, team_lead, other_lead, today):
    served = ClientFactory(manager=owner)
    unassigned = ClientFactory()
    schedule_due(served, today + timedelta(days=1))
    schedule_due(unassigned, today + timedelta(days=1))

    services.reminders_scan(today=today)

    reviews = Notification.objects.filter(reminder__kind=REVIEW)
    assert list(reviews.filter(reminder__client=served).values_list("recipient_id", "reason")) == [
        (owner.pk, "reminder")]
    assert sorted(reviews.filter(reminder__client=unassigned).values_list("recipient_id", flat=True)) == \
        sorted([team_lead.pk, other_lead.pk])


def test_a_reminder_closes_when_its_item_goes_away(owner, today):
    client = ClientFactory(manager=owner)
    alert = AlertFactory(client=client)
    services.reminders_scan(today=today)
    reminder = Reminder.objects.get(kind="portfolio-alert")
    notification = reminder.notifications.get()
    assert notification.read_at is None

    alert.resolved_at = timezone.now()
    alert.save()
    result = services.reminders_scan(today=today)

    reminder.refresh_from_db()
    notification.refresh_from_db()
    assert result.reminders_closed == 1
    assert reminder.done_at is not None and reminder.done_by is None
    assert notification.read_at is not None
    # Closed is closed: the next scan neither reopens nor duplicates it.
    services.reminders_scan(today=today)
    assert Reminder.objects.filter(kind="portfolio-alert").count() == 1


def test_a_reminder_beyond_a_shortened_horizon_stays_open(owner, today):
    client = ClientFactory(manager=owner)
    schedule_due(client, today + timedelta(days=6))
    services.reminders_scan(today=today)
    ReminderPolicy.objects.filter(pk=1).update(due_soon_days=3)

    services.reminders_scan(today=today)

    assert Reminder.objects.get(kind=REVIEW).done_at is None


def test_it_escalates_to_the_rms_team_lead_once_after_k_days_overdue(owner, outsider, team_lead, other_lead, today):
    ReminderPolicy.objects.filter(pk=1).update(escalation_days=10)
    late = ClientFactory(manager=owner)
    not_yet = ClientFactory(manager=owner)
    other_team = ClientFactory(manager=outsider)
    schedule_due(late, today - timedelta(days=11))
    schedule_due(not_yet, today - timedelta(days=10))
    schedule_due(other_team, today - timedelta(days=11))

    services.reminders_scan(today=today)
    services.reminders_scan(today=today)

    escalations = Notification.objects.filter(reason=Notification.Reason.ESCALATION, reminder__kind=REVIEW)
    assert sorted(escalations.values_list("reminder__client_id", "recipient_id")) == sorted([
        (late.pk, team_lead.pk), (other_team.pk, other_lead.pk)])

    # A day later the second one is due for escalation too; the first is not escalated again.
    services.reminders_scan(today=today + timedelta(days=1))
    assert sorted(escalations.values_list("reminder__client_id", flat=True)) == sorted([late.pk, not_yet.pk,
                                                                                          other_team.pk])


def test_what_is_done_is_not_escalated(owner, team_lead, today):
    client = ClientFactory(manager=owner)
    ContactLogFactory(client=client, next_step="Send the proposal", next_step_due_on=today - timedelta(days=3))
    services.reminders_scan(today=today)
    services.reminder_done(reminder=Reminder.objects.get(kind=FOLLOW_UP), user=owner)

    services.reminders_scan(today=today + timedelta(days=30))

    assert not Notification.objects.filter(reason=Notification.Reason.ESCALATION, reminder__kind=FOLLOW_UP).exists()
    assert ContactLog.objects.get().next_step_done_at is not None  # done on Today means the next step is done


def test_a_failing_source_does_not_stop_the_others(owner, today):
    def broken(*, today, horizon_days):
        raise RuntimeError("a bug in some app")

    client = ClientFactory(manager=owner)
    schedule_due(client, today)
    attention.register(attention.AttentionSource(kind="broken", label="Broken", collect=broken, order=1))
    try:
        result = services.reminders_scan(today=today)
    finally:
        attention._sources.pop("broken")

    assert result.failed_sources == ["broken"]
    assert keys(REVIEW) == [(client.pk, REVIEW, today)]


def test_every_active_client_gets_a_review_schedule_from_the_scan(owner, today):
    client = ClientFactory(manager=owner, aum_tier="hnw")
    ClientFactory(manager=owner, status="inactive")

    services.reminders_scan(today=today)

    schedule = ReviewSchedule.objects.get()
    assert schedule.client == client
    assert schedule.due_on == selectors.months_later(timezone.localdate(client.created_at), 1)


def test_an_overdue_complaint_becomes_a_reminder_and_escalates_through_the_feedback_source(owner, team_lead, today):
    from .feedback_factories import ComplaintFactory

    ReminderPolicy.objects.filter(pk=1).update(escalation_days=5)
    client = ClientFactory(manager=owner)
    ComplaintFactory(client=client, raised_at=timezone.now() - timedelta(days=30), due_on=today - timedelta(days=6))
    ComplaintFactory(client=ClientFactory(manager=owner), due_on=today + timedelta(days=3))  # within its SLA

    services.reminders_scan(today=today)

    reminder = Reminder.objects.get(kind="complaint-overdue")
    assert (reminder.client, reminder.due_on, reminder.manager) == (client, today - timedelta(days=6), owner)
    assert sorted(reminder.notifications.values_list("recipient_id", "reason")) == sorted([
        (owner.pk, "reminder"), (team_lead.pk, "escalation")])


def a_book(owner, today, size):
    """``size`` clients with something of every kind: reviews due and overdue, follow-ups (some two
    a day), open alerts, overdue complaints, no risk assessment; every fourth client without an RM."""
    from .feedback_factories import ComplaintFactory

    for n in range(size):
        client = ClientFactory(manager=owner) if n % 4 else ClientFactory()
        schedule_due(client, today - timedelta(days=n % 20))
        ContactLogFactory(client=client, next_step="Call back", next_step_due_on=today + timedelta(days=n % 5))
        if n % 2:
            ContactLogFactory(client=client, next_step="Send the form", next_step_due_on=today + timedelta(days=n % 5))
        if n % 3 == 0:
            AlertFactory(client=client)
        if n % 5 == 0:
            ComplaintFactory(client=client, raised_at=timezone.now() - timedelta(days=30),
                             due_on=today - timedelta(days=2))


@pytest.mark.parametrize("size", [4, 40])
def test_a_rescan_of_an_unchanged_book_costs_the_same_queries_whatever_its_size(
        owner, team_lead, today, size, django_assert_num_queries):
    a_book(owner, today, size)
    first = services.reminders_scan(today=today)
    assert first.reminders_created > 3 * size  # a review, a follow-up, a missing risk assessment each, and more
    sources = len(attention.sources())

    # The policy (1), the cadences (1), the missing schedules inserted (1), whether any moved
    # segment (1); per attention source a savepoint, the insert of new reminders, the
    # ids of those to close and the savepoint's release (4); the notifications (1), the
    # escalations (1) and the open reminders counted (1). None per client, reminder or row.
    with django_assert_num_queries(4 + 4 * sources + 3):
        again = services.reminders_scan(today=today)

    assert (again.reminders_created, again.reminders_closed, again.notifications_created,
            again.escalations_created) == (0, 0, 0, 0)
    assert again.reminders_open == first.reminders_open == Reminder.objects.count()


def test_the_set_based_sources_report_what_the_reminders_say(owner, today):
    client = ClientFactory(manager=owner, legal_name="Ada Client")
    ContactLogFactory(client=client, next_step="Send the proposal", next_step_due_on=today)

    services.reminders_scan(today=today)

    follow_up = Reminder.objects.get(kind=FOLLOW_UP)
    assert (follow_up.text, follow_up.params, follow_up.url) == (
        "Send the proposal", {"step": "Send the proposal"}, f"/clients/{client.pk}/")
    missing = Reminder.objects.get(kind="risk-assessment-missing")
    assert (missing.due_on, missing.manager, missing.params) == (
        timezone.localdate(client.created_at), owner, {"client": "Ada Client", "level": ""})
    assert missing.text == "Ada Client has no risk assessment."
    # The items the Today page and other readers get through the registry are the same rows.
    items = {(item.kind, item.client_id, item.due_on): item
             for item in attention.items_due(today=today, horizon_days=7)}
    assert items[(FOLLOW_UP, client.pk, today)].params == follow_up.params
