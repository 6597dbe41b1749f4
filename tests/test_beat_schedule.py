"""Celery beat's schedule names tasks that exist, and the daily fan-out reaches every client with holdings."""

import pytest
from django.conf import settings

from config.celery import app
from portfolios.selectors import client_ids_with_holdings

from .factories import ClientFactory
from .portfolios.factories import HoldingFactory


def test_it_schedules_only_registered_tasks():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled
    assert scheduled <= set(app.tasks)


@pytest.mark.django_db
def test_it_revalues_each_client_with_holdings_once(owner):
    with_two = HoldingFactory().account.client
    HoldingFactory(account__client=with_two)
    ClientFactory(manager=owner)  # no holdings: nothing to revalue
    assert list(client_ids_with_holdings()) == [with_two.pk]
