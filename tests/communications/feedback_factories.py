"""Factories and helpers for the feedback and complaint tests."""

from datetime import timedelta

import factory
from django.utils import timezone

from communications.feedback_services import feedback_link_issue
from communications.models import Complaint, ComplaintEvent, Feedback
from tests.factories import ClientFactory


class FeedbackFactory(factory.django.DjangoModelFactory):
    """A feedback row as the form saves it: the client's RM and tier at the time."""

    class Meta:
        model = Feedback

    client = factory.SubFactory(ClientFactory)
    manager = factory.LazyAttribute(lambda f: f.client.primary_manager)
    aum_tier = factory.LazyAttribute(lambda f: f.client.aum_tier)
    nps = 9
    csat = 5
    submitted_at = factory.LazyFunction(timezone.now)


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    description = "The fee was charged twice."
    assignee = factory.LazyAttribute(lambda c: c.client.primary_manager)
    raised_at = factory.LazyFunction(timezone.now)
    due_on = factory.LazyAttribute(lambda c: timezone.localdate(c.raised_at) + timedelta(days=15))

    @factory.post_generation
    def received(self, create, extracted, **kwargs):
        if create:
            ComplaintEvent.objects.create(complaint=self, from_status="", to_status=self.status,
                                          assignee=self.assignee, at=self.raised_at)


def token_issue(client, issued_by) -> str:
    """A fresh feedback link's token, as the RM would send it."""
    issued = feedback_link_issue(client=client, issued_by=issued_by)
    return issued.url.rstrip("/").rsplit("/", 1)[-1]
