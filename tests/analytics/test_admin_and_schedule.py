"""Admin for fee rates, settings and records; the panel's and the value page's query counts; the daily task."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import services
from analytics.models import ClientValue, CostRecord, FeeRate, ValueSettings
from config.celery import app
from crm import panels
from tests.factories import ClientFactory
from tests.panels import panel_html

from .conftest import snapshot

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_fee_rates_for_every_asset_class_and_the_settings_row():
    assert FeeRate.objects.count() == 9
    assert FeeRate.objects.get(asset_class="equity").rate_pct == Decimal("0.8000")
    current = ValueSettings.current()
    assert (current.pk, current.discount_rate_pct, current.history_years) == (1, Decimal("8.000"), 3)


def test_an_administrator_edits_a_fee_rate_with_history(client, administrator):
    rate = FeeRate.objects.get(asset_class="fund")
    client.force_login(administrator)

    response = client.post(reverse("admin:analytics_feerate_change", args=[rate.pk]),
                           {"asset_class": "fund", "rate_pct": "1.25"})

    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.rate_pct == Decimal("1.2500")
    assert rate.history.get().history_user == administrator  # the seed has no history row; the change has


def test_compliance_reads_records_in_admin_and_changes_nothing(client, compliance, owner):
    cost = CostRecord.objects.create(client=ClientFactory(manager=owner), year=2025, kind="servicing",
                                     amount=Decimal("100"))
    client.force_login(compliance)

    assert client.get(reverse("admin:analytics_costrecord_changelist")).status_code == 200
    assert client.get(reverse("admin:analytics_feerate_changelist")).status_code == 200
    response = client.post(reverse("admin:analytics_costrecord_change", args=[cost.pk]),
                           {"year": "2024", "kind": "servicing", "amount": "1", "currency": "CNY"})
    assert response.status_code == 403
    cost.refresh_from_db()
    assert cost.year == 2025


def test_the_settings_row_cannot_be_added_twice_or_deleted(client, administrator):
    client.force_login(administrator)

    assert client.get(reverse("admin:analytics_valuesettings_add")).status_code == 403
    assert client.post(reverse("admin:analytics_valuesettings_delete", args=[1]), {"post": "yes"}).status_code == 403
    assert ValueSettings.objects.filter(pk=1).exists()


def test_the_panel_shows_the_stored_value_in_one_query(owner, client_record, value_settings):
    services.client_values_recompute(client_ids=[client_record.pk])
    panel = next(panel for panel in panels.registered(panels.CLIENT_SIDE) if panel.key == "client-value")

    html = panel_html(panels.CLIENT_SIDE, "client-value", user=owner, client=client_record)
    with CaptureQueriesContext(connection) as queries:
        panel.context(request=None, client=client_record)

    assert 'data-testid="client-value-clv"' in html
    assert len(queries) == 1  # the stored value


@pytest.mark.parametrize("records", [1, 12])
def test_the_value_page_keeps_its_query_count_as_records_grow(client, owner, client_record, value_settings,
                                                              django_assert_num_queries, records):
    for index in range(records):
        snapshot(client_record, date(2025, 1 + index % 12, 28), equity="100000")
        CostRecord.objects.create(client=client_record, year=2025, kind="servicing", amount=Decimal("10"))
    client.force_login(owner)
    client.get(reverse("analytics:client-value", args=[client_record.pk]))
    # session, user, roles, notifications; client, may-edit; working: settings, fee rates (the tiers'
    # churn is cached), snapshots, revenue, costs, referrals, estimate; records: costs, revenue,
    # referrals made, referred by, estimate, stored value; opportunities; the referral form's picker
    # renders no clients
    with django_assert_num_queries(20):
        assert client.get(reverse("analytics:client-value", args=[client_record.pk])).status_code == 200


def test_the_daily_task_is_scheduled_and_stores_every_value(owner, value_settings, celery_eager):
    ClientFactory(manager=owner)
    app.loader.import_default_modules()
    task = app.tasks[settings.CELERY_BEAT_SCHEDULE["analytics-client-values-daily"]["task"]]

    assert task.delay("2026-06-30").get() == 1
    assert ClientValue.objects.count() == 1


def test_saving_a_fee_rate_queues_the_recompute_after_the_commit(client, administrator, django_capture_on_commit_callbacks,
                                                                 monkeypatch):
    sent = []
    monkeypatch.setattr("analytics.tasks.client_values_recompute.delay", lambda *args: sent.append(args))
    rate = FeeRate.objects.get(asset_class="cash")
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:analytics_feerate_change", args=[rate.pk]), {"asset_class": "cash",
                                                                                 "rate_pct": "0.3"})

    assert sent == [()]
