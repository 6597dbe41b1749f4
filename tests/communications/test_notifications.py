"""The notification centre: the unread count in the navbar, marking read, and the e-mail outbox
(each notification e-mailed once, one message per recipient)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from communications import services
from communications.models import Notification
from tests.factories import ClientFactory

from .factories import ReminderFactory, schedule_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def notifications(owner):
    reminders = [ReminderFactory(client=ClientFactory(manager=owner, legal_name=f"Client {n}")) for n in range(3)]
    return [Notification.objects.create(reminder=r, recipient=owner) for r in reminders]


def test_the_navbar_shows_the_unread_count_and_the_centre_lists_them(client, owner, notifications):
    client.force_login(owner)
    page = client.get(reverse("crm:client-list")).content.decode()
    assert 'data-testid="unread-count">3<' in page

    response = client.get(reverse("communications:notification-list"))

    assert response.status_code == 200
    assert [n.pk for n in response.context["page"]] == [n.pk for n in reversed(notifications)]
    assert "Client 1" in response.content.decode()


def test_the_unread_count_is_one_query(owner, notifications, django_assert_num_queries):
    from django.test import RequestFactory

    from communications.context_processors import notifications as processor

    request = RequestFactory().get("/")
    request.user = owner
    context = processor(request)
    with django_assert_num_queries(1):
        assert int(str(context["notification_unread_count"])) == 3


def test_mark_read_and_mark_all_read(client, owner, notifications):
    client.force_login(owner)
    response = client.post(reverse("communications:notification-read", args=[notifications[0].pk]))
    assert response.status_code == 302
    notifications[0].refresh_from_db()
    assert notifications[0].read_at is not None
    assert Notification.objects.filter(read_at__isnull=True).count() == 2

    response = client.post(reverse("communications:notifications-read-all"))

    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'data-testid="unread-count"' not in client.get(reverse("crm:client-list")).content.decode()


def test_nobody_reads_someone_elses_notification(client, teammate, notifications):
    client.force_login(teammate)
    assert client.post(reverse("communications:notification-read", args=[notifications[0].pk])).status_code == 404
    client.post(reverse("communications:notifications-read-all"))
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert list(client.get(reverse("communications:notification-list")).context["page"]) == []


def test_each_recipient_gets_one_email_with_their_notifications_once(owner, teammate, team_lead, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()
    for manager in (owner, owner, teammate):
        schedule_due(ClientFactory(manager=manager, legal_name=f"Of {manager.username}"), today - timedelta(days=30))
    services.reminders_scan(today=today)

    sent = services.notifications_email_send()
    again = services.notifications_email_send()

    assert (sent, again) == (3, 0)  # owner, teammate, and the lead (escalations)
    to = sorted(message.to[0] for message in mail.outbox)
    assert to == sorted([owner.email, teammate.email, team_lead.email])
    owners = next(m for m in mail.outbox if m.to == [owner.email])
    assert owners.body.count("Reviews due") == 2 and "http://" in owners.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_reminder_done_before_its_email_is_not_emailed(owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reminder = ReminderFactory(client=ClientFactory(manager=owner))
    Notification.objects.create(reminder=reminder, recipient=owner)
    services.reminder_done(reminder=reminder, user=owner)

    assert services.notifications_email_send() == 0
    assert mail.outbox == []


def test_a_failed_send_leaves_the_notifications_for_the_next_run(owner, notifications, settings):
    settings.EMAIL_BACKEND = "tests.communications.test_notifications.FailingBackend"
    with pytest.raises(OSError):
        services.notifications_email_send()
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 3

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.notifications_email_send() == 1
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


class FailingBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("connection refused")


@pytest.mark.parametrize("count", [3, 30])
def test_the_notification_centre_costs_the_same_queries_however_many(client, owner, count,
                                                                     django_assert_num_queries):
    for _index in range(count):
        Notification.objects.create(reminder=ReminderFactory(client=ClientFactory(manager=owner)), recipient=owner)
    client.force_login(owner)
    # session (1), user (1), roles (1), the count for the paginator (1), the page of notifications
    # with their reminders and clients (1), the navbar's unread count (1)
    with django_assert_num_queries(6):
        response = client.get(reverse("communications:notification-list"))
    assert response.context["page"].paginator.count == count


def test_a_backlog_goes_out_in_a_few_messages_each_listing_the_first_and_counting_the_rest(owner, settings,
                                                                                             monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(services, "EMAIL_NOTIFICATIONS_MAX", 4)
    monkeypatch.setattr(services, "EMAIL_LINES_MAX", 3)
    for n in range(6):
        Notification.objects.create(reminder=ReminderFactory(client=ClientFactory(manager=owner)), recipient=owner)

    assert services.notifications_email_send() == 2

    first, second = mail.outbox
    assert len(first.extra_headers["X-CRM-Notifications"].split(",")) == 4
    assert first.body.count("Periodic review") == 3 and "… and 1 more." in first.body
    assert len(second.extra_headers["X-CRM-Notifications"].split(",")) == 2 and "more." not in second.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
