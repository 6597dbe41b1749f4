"""What the risk app tells the reminder scan and the Today page (crm.attention): assessments
expiring within the horizon, expired ones and clients without one, set-based."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import attention
from crm.models import Client
from crm.scales import RiskBasis
from crm.services import client_risk_level_set
from risk import services
from tests.factories import ClientFactory

from .conftest import answers_scoring

pytestmark = pytest.mark.django_db


def assessed(version, owner, days_ago, **fields):
    client = ClientFactory(manager=owner, **fields)
    services.assessment_complete(client=client, version=version, channel="rm", recorded_by=owner,
                                 answers=answers_scoring(version, 2), completed_at=timezone.now() - timedelta(days=days_ago))
    client.refresh_from_db()
    return client


def items(kind, **options):
    today = timezone.localdate()
    return [item for item in attention.items_due(today=today, horizon_days=options.get("horizon", 14))
            if item.kind == kind]


def test_it_registers_its_three_sources():
    kinds = {source.kind for source in attention.sources()}
    assert {"risk-assessment-expiring", "risk-assessment-expired", "risk-assessment-missing"} <= kinds


def test_it_reports_assessments_expiring_within_the_horizon(standard, owner):
    soon = assessed(standard, owner, days_ago=360)
    assessed(standard, owner, days_ago=100)  # far from expiring

    due = items("risk-assessment-expiring")

    assert [(item.client_id, item.due_on, item.manager_id) for item in due] == [
        (soon.pk, soon.risk_valid_until, owner.pk)]
    assert due[0].url == f"/risk/clients/{soon.pk}/" and due[0].params["level"] == "C2"


def test_it_reports_expired_assessments_as_overdue_since_the_day_after(standard, owner):
    old = assessed(standard, owner, days_ago=500)
    assessed(standard, owner, days_ago=500, status=Client.Status.INACTIVE)  # left the bank: no reminder

    due = items("risk-assessment-expired")

    assert [(item.client_id, item.due_on) for item in due] == [(old.pk, old.risk_valid_until + timedelta(days=1))]


def test_it_reports_clients_without_an_assessment(standard, owner):
    recorded = ClientFactory(manager=owner)
    client_risk_level_set(client=recorded, level="C3", basis=RiskBasis.RECORDED,
                          assessed_on=timezone.localdate() - timedelta(days=300))
    never = ClientFactory(manager=owner)
    assessed(standard, owner, days_ago=10)

    due = {item.client_id: item for item in items("risk-assessment-missing")}

    assert set(due) == {recorded.pk, never.pk}
    assert due[recorded.pk].due_on == timezone.localdate() - timedelta(days=300)
    assert due[never.pk].due_on == timezone.localdate(never.created_at)


def test_each_source_is_one_query_whatever_the_book(standard, owner, django_assert_num_queries):
    for days_ago in (360, 400, 500):
        assessed(standard, owner, days_ago=days_ago)
    ClientFactory.create_batch(5, manager=owner)
    today = timezone.localdate()

    for source in attention.sources():
        if source.kind.startswith("risk-"):
            with django_assert_num_queries(1):
                list(source.collect(today=today, horizon_days=14))
