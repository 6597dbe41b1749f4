"""Two reminder scans (and two e-mail senders) at the same moment, each on its own database
connection: every reminder and notification exists exactly once, every e-mail goes out once.

Meant for PostgreSQL (``DATABASE_URL=postgres://…``, as in CI's second run), where the two really
interleave and the unique constraints and ``SKIP LOCKED`` decide; on SQLite the database lock
serialises them, and the test still holds."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from communications import services
from communications.models import Notification, Reminder
from tests.factories import ClientFactory, ManagerFactory, TeamFactory, TeamLeadFactory

from .factories import ContactLogFactory, schedule_due

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_together(function, times: int = 2) -> list:
    """Run ``function`` in ``times`` threads released at once; their results, or re-raise the first error."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(function())
        except Exception as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    assert len(results) == times
    return results


@pytest.fixture
def book(db):
    """Three RMs in one team, 40 clients each: reviews overdue (so also escalated), due soon, and follow-ups."""
    today = timezone.localdate()
    rms = [ManagerFactory() for _i in range(3)]
    TeamFactory(lead=TeamLeadFactory(), members=rms)
    for index in range(120):
        client = ClientFactory(manager=rms[index % 3])
        schedule_due(client, today - timedelta(days=30) if index % 2 else today + timedelta(days=3))
        if index % 5 == 0:
            ContactLogFactory(client=client, next_step="Call back", next_step_due_on=today + timedelta(days=1))
    return today


def test_two_scans_at_once_create_each_reminder_notification_and_escalation_once(book):
    today = book

    run_together(lambda: services.reminders_scan(today=today))

    assert not Reminder.objects.values("client_id", "kind", "due_on").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Notification.objects.values("reminder_id", "recipient_id", "reason").annotate(
        n=Count("id")).filter(n__gt=1).exists()
    assert Reminder.objects.filter(kind="review").count() == 120
    assert Reminder.objects.filter(kind="follow-up").count() == 24
    assert Notification.objects.filter(reason="escalation", reminder__kind="review").count() == 60
    # Nothing was lost either: a third scan finds nothing left to do.
    again = services.reminders_scan(today=today)
    assert (again.reminders_created, again.notifications_created, again.escalations_created) == (0, 0, 0)


def test_two_senders_at_once_email_each_notification_once(book, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.reminders_scan(today=book)
    expected = set(Notification.objects.values_list("pk", flat=True))
    mail.outbox = []

    run_together(services.notifications_email_send)

    sent = [int(n) for message in mail.outbox for n in message.extra_headers["X-CRM-Notifications"].split(",")]
    assert sorted(sent) == sorted(expected)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
