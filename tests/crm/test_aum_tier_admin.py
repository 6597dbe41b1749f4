"""Changing a tier threshold in the admin re-tiers every client, in a task sent after commit."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import AumTierThreshold, Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_it_retiers_the_clients_after_the_threshold_is_saved(client, administrator, celery_eager,
                                                             django_capture_on_commit_callbacks):
    # 5.5 million: mass affluent under the default 6 million threshold, high net worth under 5 million.
    wealthy = ClientFactory(aum_total=Decimal("5500000"), aum_tier=Client.AumTier.AFFLUENT)
    threshold = AumTierThreshold.objects.get(tier="hnw")  # the defaults come with the migrations
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("admin:crm_aumtierthreshold_change", args=[threshold.pk]),
                               {"tier": "hnw", "minimum_aum": "5000000", "currency": "CNY"})
        wealthy.refresh_from_db()
        assert wealthy.aum_tier == Client.AumTier.AFFLUENT  # nothing sent before the commit

    assert response.status_code == 302
    assert AumTierThreshold.objects.get(tier="hnw").minimum_aum == Decimal("5000000")
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task is sent, and runs
    wealthy.refresh_from_db()
    assert wealthy.aum_tier == Client.AumTier.HNW


def test_it_retiers_the_clients_after_a_threshold_is_deleted(client, administrator, celery_eager,
                                                             django_capture_on_commit_callbacks):
    # A 1 million mass-affluent threshold leaves 600,000 in mass; without the row the default 500,000 applies.
    threshold = AumTierThreshold.objects.get(tier="affluent")
    threshold.minimum_aum = Decimal("1000000")
    threshold.save(update_fields=["minimum_aum"])
    middling = ClientFactory(aum_total=Decimal("600000"), aum_tier=Client.AumTier.MASS)
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:crm_aumtierthreshold_delete", args=[threshold.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not AumTierThreshold.objects.filter(tier="affluent").exists()
    middling.refresh_from_db()
    assert middling.aum_tier == Client.AumTier.AFFLUENT
