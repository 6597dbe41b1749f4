"""The demo step: assessments (some expired, some with contradictions), levels recorded without
one, a few clients unassessed; safe to run again."""

import random

import pytest
from django.utils import timezone

from crm import demo
from crm.models import Client
from risk.demo import risk_demo_create
from risk.models import Assessment, RecordedLevel
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_it_is_registered_before_the_portfolios_step():
    keys = [step.key for step in demo.demo_steps()]
    assert keys.index("risk") < keys.index("portfolios")


def test_it_gives_demo_clients_assessments_some_expired_and_some_recorded_levels(standard, owner):
    ids = [client.pk for client in ClientFactory.create_batch(80, manager=owner)]

    counts = risk_demo_create(clients=ids, rng=random.Random(7))
    again = risk_demo_create(clients=ids, rng=random.Random(8))

    assert sum(counts.values()) == 80 and counts["assessed"] > 50 and counts["recorded"] > 3
    assert again == {"assessed": 0, "recorded": 0, "missing": counts["missing"]}
    today = timezone.localdate()
    clients = Client.objects.filter(pk__in=ids)
    assert clients.filter(risk_level_basis="assessment", risk_valid_until__lt=today).exists()
    assert clients.filter(risk_level_basis="assessment", risk_valid_until__gte=today).exists()
    assert clients.filter(risk_level_basis="recorded").count() == RecordedLevel.objects.count() == counts["recorded"]
    assert Assessment.objects.count() == counts["assessed"]
    assert Assessment.objects.filter(flagged_rules__isnull=False).exists()
    assert len({assessment.level for assessment in Assessment.objects.all()}) >= 4
