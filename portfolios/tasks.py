"""Celery wrappers: each takes ids, re-fetches inside its service, and is safe to run twice."""

from datetime import date

from celery import shared_task
from django.db import OperationalError

from . import revaluation, services

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def valuation_refresh(client_id: int, date_iso: str) -> int:
    """Revalue one client on one day; returns the snapshot's id."""
    return services.valuation_refresh(client_id=client_id, valuation_date=date.fromisoformat(date_iso)).pk


@shared_task(**RETRY)
def valuations_refresh_daily(date_iso: str | None = None) -> int:
    """Revalue every client with holdings (beat, daily), so drawdown and concentration alerts follow
    prices and FX even on days nothing was imported; resumes a run a dead worker left. Returns how
    many clients the day's run has valued."""
    from django.utils import timezone

    on_date = date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    return revaluation.valuations_refresh_daily(valuation_date=on_date).clients_done
