"""Celery beat's schedule names tasks that exist, and the daily fan-out revalues every client with holdings."""

from decimal import Decimal

import pytest
from django.conf import settings

from config.celery import app
from crm.models import Client
from portfolios.models import ValuationSnapshot

from .factories import ClientFactory
from .portfolios.factories import TODAY, AccountFactory, HoldingFactory


def test_it_schedules_only_registered_tasks():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled
    assert scheduled <= set(app.tasks)


@pytest.mark.django_db
def test_the_daily_fan_out_revalues_each_client_with_holdings_once(owner, celery_eager):
    account = AccountFactory(client=ClientFactory(manager=owner))
    HoldingFactory(account=account, market_value=Decimal("400000"))
    HoldingFactory(account=account, market_value=Decimal("200000"))
    without_holdings = ClientFactory(manager=owner)
    app.loader.import_default_modules()
    daily = app.tasks[settings.CELERY_BEAT_SCHEDULE["portfolio-valuations-daily"]["task"]]

    # Sent as beat sends it; eager, the fan-out runs here and so does each revaluation it sends.
    result = daily.delay(TODAY.isoformat())

    assert result.get() == 1  # one revaluation sent, for the one client with holdings
    snapshot = ValuationSnapshot.objects.get()
    assert (snapshot.client, snapshot.valuation_date, snapshot.aum) == (account.client, TODAY, Decimal("600000.00"))
    account.client.refresh_from_db()
    assert (account.client.aum_total, account.client.aum_tier) == (Decimal("600000.00"), Client.AumTier.AFFLUENT)
    without_holdings.refresh_from_db()
    assert without_holdings.aum_total == Decimal("0")
