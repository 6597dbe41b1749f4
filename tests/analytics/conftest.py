"""Client value fixtures: settings simple enough to redo by hand (i = 8 %, T = 3 years when no one
left, one year of history), and helpers to write snapshots, records and endings."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import ValueSettings
from crm.models import LifecycleTransition
from portfolios.models import ValuationSnapshot


@pytest.fixture
def value_settings(db):
    settings, _created = ValueSettings.objects.update_or_create(pk=1, defaults={
        "discount_rate_pct": Decimal("8"), "default_lifetime_years": Decimal("3"),
        "max_lifetime_years": Decimal("30"), "history_years": 1})
    return settings


def snapshot(client, day: date, **by_class) -> ValuationSnapshot:
    amounts = {name: Decimal(value) for name, value in by_class.items()}
    return ValuationSnapshot.objects.create(
        client=client, valuation_date=day, aum=sum(amounts.values(), Decimal("0")), currency="CNY",
        by_asset_class={name: str(value) for name, value in amounts.items()})


def aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10))


def registered(client, day: date):
    """The client joined the bank on ``day``."""
    client.created_at = aware(day)
    client.save(update_fields=["created_at"])
    return client


def terminate(client, day: date):
    """The client left on ``day`` (its stage and the transition, as crm records them)."""
    LifecycleTransition.objects.create(client=client, from_stage=client.lifecycle_stage, to_stage="termination",
                                       reason="Left", changed_at=aware(day))
    client.lifecycle_stage = "termination"
    client.save(update_fields=["lifecycle_stage"])
    return client
