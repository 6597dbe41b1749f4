"""Levels set by hand or by demo data before questionnaires: kept, shown as recorded without an
assessment with their date, never lost when a questionnaire replaces them; and the client form
no longer sets a level by hand."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from crm.models import Client
from risk import services
from risk.models import RecordedLevel
from tests.crm.test_client_forms import form_data
from tests.factories import ClientFactory

from .conftest import answers_scoring

pytestmark = pytest.mark.django_db

recorded_levels = importlib.import_module("risk.migrations.0003_recorded_levels")


def test_the_data_migration_keeps_each_level_as_recorded_history(owner):
    recorded = ClientFactory(manager=owner, risk_level="C4", risk_level_basis="recorded",
                             risk_assessed_on=date(2024, 5, 6))
    bare = ClientFactory(manager=owner, risk_level="C2")  # set after crm 0005, e.g. by demo data
    none = ClientFactory(manager=owner)

    recorded_levels.recorded_levels_keep(apps, None)
    recorded_levels.recorded_levels_keep(apps, None)  # safe to run twice

    assert list(RecordedLevel.objects.order_by("client_id").values_list("client_id", "level", "recorded_on")) == [
        (recorded.pk, "C4", date(2024, 5, 6)), (bare.pk, "C2", timezone.localdate(bare.created_at))]
    bare.refresh_from_db()
    assert (bare.risk_level, bare.risk_level_basis) == ("C2", "recorded")
    assert not RecordedLevel.objects.filter(client=none).exists()


def test_a_questionnaire_replaces_a_recorded_level_and_the_history_keeps_it(client, owner, standard):
    customer = ClientFactory(manager=owner, risk_level="C5", risk_level_basis="recorded",
                             risk_assessed_on=date(2023, 1, 2))
    recorded_levels.recorded_levels_keep(apps, None)
    services.assessment_complete(client=customer, version=standard, channel="rm", recorded_by=owner,
                                 answers=answers_scoring(standard, 2))
    client.force_login(owner)

    page = client.get(reverse("risk:client", args=[customer.pk])).content.decode()

    customer.refresh_from_db()
    assert (customer.risk_level, customer.risk_level_basis) == ("C2", "assessment")
    assert "2023-01-02 · C5 aggressive" in page


def test_the_client_form_has_no_risk_level_and_ignores_one_posted(client, owner, client_record):
    Client.objects.filter(pk=client_record.pk).update(risk_level="C3", risk_level_basis="recorded",
                                                      risk_assessed_on=timezone.localdate() - timedelta(days=5))
    client.force_login(owner)
    url = reverse("crm:client-edit", args=[client_record.pk])

    form_page = client.get(url).content.decode()
    response = client.post(url, form_data(legal_name="Zhang Wei", risk_level="C5"))

    assert 'name="risk_level"' not in form_page
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert (client_record.risk_level, client_record.risk_level_basis) == ("C3", "recorded")
