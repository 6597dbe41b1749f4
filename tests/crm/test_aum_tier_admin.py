"""Changing a tier threshold in the admin re-tiers every client, in a task sent after commit."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm import tasks
from crm.models import AumTierThreshold

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.client_aum_tiers_refresh, "delay", lambda *a, **kw: calls.append((a, kw)))
    return calls


def test_it_enqueues_the_refresh_after_the_threshold_is_saved(client, administrator, sent,
                                                              django_capture_on_commit_callbacks):
    threshold = AumTierThreshold.objects.get(tier="hnw")  # the defaults come with the migrations
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("admin:crm_aumtierthreshold_change", args=[threshold.pk]),
                               {"tier": "hnw", "minimum_aum": "5000000", "currency": "CNY"})
    assert response.status_code == 302
    assert AumTierThreshold.objects.get(tier="hnw").minimum_aum == Decimal("5000000")
    assert len(callbacks) == 1
    assert sent == [((), {})]


def test_it_enqueues_the_refresh_after_a_threshold_is_deleted(client, administrator, sent,
                                                              django_capture_on_commit_callbacks):
    threshold = AumTierThreshold.objects.get(tier="affluent")
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:crm_aumtierthreshold_delete", args=[threshold.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AumTierThreshold.objects.filter(tier="affluent").exists()
    assert sent == [((), {})]
