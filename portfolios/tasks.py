"""Celery wrappers: each takes ids, re-fetches inside its service, and is safe to run twice."""

from datetime import date

from celery import shared_task
from django.db import OperationalError

from . import services

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def valuation_refresh(client_id: int, date_iso: str) -> int:
    """Revalue one client on one day; returns the snapshot's id."""
    return services.valuation_refresh(client_id=client_id, valuation_date=date.fromisoformat(date_iso)).pk


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
