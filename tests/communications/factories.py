"""Factories for contacts, reviews and reminders (the feedback tests have feedback_factories.py)."""

from datetime import timedelta

import factory
from django.utils import timezone

from communications import selectors
from communications.models import ContactLog, Reminder, Review, ReviewSchedule
from tests.factories import ClientFactory, ManagerFactory


class ContactLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactLog

    client = factory.SubFactory(ClientFactory)
    recorded_by = factory.LazyAttribute(lambda c: c.client.primary_manager or ManagerFactory())
    channel = ContactLog.Channel.PHONE
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    summary = "Talked about the bond ladder."


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    client = factory.SubFactory(ClientFactory)
    completed_by = factory.LazyAttribute(lambda r: r.client.primary_manager or ManagerFactory())
    completed_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    portfolio_reviewed = True
    next_due_on = factory.LazyAttribute(lambda r: selectors.months_later(r.completed_on, 3))


def schedule_due(client, due_on, months: int = 12) -> ReviewSchedule:
    """Put the client's next review on ``due_on`` (as if the last one was ``months`` earlier)."""
    anchor = due_on - timedelta(days=31 * months)
    return ReviewSchedule.objects.update_or_create(
        client=client, defaults={"anchor_on": anchor, "interval_months": months, "due_on": due_on})[0]


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    client = factory.SubFactory(ClientFactory)
    kind = selectors.KIND_REVIEW
    due_on = factory.LazyFunction(timezone.localdate)
    manager = factory.LazyAttribute(lambda r: r.client.primary_manager)
    summary = "Periodic review"
