"""The nightly re-tiering works in batches that commit on their own: every client lands in its
tier with one history row, whatever the batch size, and a second run (or a run after a crash)
moves nobody twice."""

from decimal import Decimal

import pytest

from crm import services
from crm.models import AumTierThreshold, Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(owner):
    clients = [ClientFactory(manager=owner) for _ in range(7)]
    for n, client in enumerate(clients):  # set up only: AUM as a valuation left it, tiers stale
        Client.objects.filter(pk=client.pk).update(aum_total=Decimal(1_000_000 * (n + 1)), aum_tier=Client.AumTier.MASS)
    AumTierThreshold.objects.filter(tier=Client.AumTier.HNW).update(minimum_aum=Decimal(5_000_000))
    return clients


def tiers(clients):
    return [Client.objects.get(pk=c.pk).aum_tier for c in clients]


def test_it_re_tiers_in_batches_with_one_history_row_per_client_moved(book):
    rows_before = Client.history.filter(history_type="~").count()

    assert services.client_aum_tiers_refresh(batch_size=2) == 7

    assert tiers(book) == [Client.AumTier.AFFLUENT] * 4 + [Client.AumTier.HNW] * 3
    assert Client.history.filter(history_type="~").count() == rows_before + 7


def test_a_second_run_moves_nobody(book, django_assert_num_queries):
    services.client_aum_tiers_refresh(batch_size=2)
    rows = Client.history.count()

    with django_assert_num_queries(1 + 3 * 3):  # thresholds; per tier an empty batch in its savepoint
        assert services.client_aum_tiers_refresh(batch_size=2) == 0
    assert Client.history.count() == rows
