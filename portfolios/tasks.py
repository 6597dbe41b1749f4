"""Celery wrappers: each takes ids, re-fetches inside its service, and is safe to run twice."""

from datetime import date
from decimal import Decimal

from celery import shared_task
from django.db import OperationalError

from . import services
from .models import Instrument

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def valuation_refresh(client_id: int, date_iso: str) -> int:
    """Revalue one client on one day; returns the snapshot's id."""
    return services.valuation_refresh(client_id=client_id, valuation_date=date.fromisoformat(date_iso)).pk


@shared_task(**RETRY)
def instrument_price_record(instrument_id: int, date_iso: str, price: str, currency: str) -> list[int]:
    """Record a price, then enqueue the revaluation of every client it changed (after commit)."""
    client_ids = services.instrument_price_record(
        instrument=Instrument.objects.get(pk=instrument_id), price_date=date.fromisoformat(date_iso),
        price=Decimal(price), currency=currency,
    )
    for client_id in sorted(client_ids):
        valuation_refresh.delay_on_commit(client_id, date_iso)
    return sorted(client_ids)


@shared_task(**RETRY)
def valuations_refresh_daily(date_iso: str | None = None) -> int:
    """Fan out one revaluation per client with holdings (beat, daily), so drawdown and
    concentration alerts follow prices and FX even on days nothing was imported."""
    from django.utils import timezone

    from .selectors import client_ids_with_holdings

    date_iso = date_iso or timezone.localdate().isoformat()
    count = 0
    for client_id in client_ids_with_holdings().iterator():
        valuation_refresh.delay(client_id, date_iso)
        count += 1
    return count
