"""Celery wrapper of the lifetime-value recompute: it only calls the service, which is idempotent."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def client_values_recompute(date_iso: str | None = None) -> int:
    """Every client's stored CLV (beat: daily, after the morning revaluation)."""
    from datetime import date

    today = date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    return services.client_values_recompute(today=today)
