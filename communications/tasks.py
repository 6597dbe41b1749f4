"""Celery wrappers around the reminder services: each only calls its service, and is safe to run
twice (the services' writes are idempotent). Reminders are never scheduled as ETA/countdown tasks
(Redis would redeliver those after its visibility timeout): beat runs ``reminders_scan`` over the
database, which is the source of truth."""

from smtplib import SMTPException

from celery import shared_task
from celery.signals import beat_init
from django.db import OperationalError
from django.utils import timezone

from . import services

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def reminders_scan(date_iso: str | None = None) -> dict:
    """The scan (beat: hourly, and once when beat starts); then e-mail what it raised, after commit."""
    from datetime import date

    today = date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    result = services.reminders_scan(today=today)
    notifications_email_send.delay_on_commit()
    return result.as_dict()


@shared_task(acks_late=True, autoretry_for=(OperationalError, SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def notifications_email_send() -> int:
    """Drain the e-mail outbox; the next scan enqueues it again if this one gave up."""
    return services.notifications_email_send()


@beat_init.connect
def _reminders_scan_when_beat_starts(sender=None, **kwargs) -> None:
    """Scan as soon as beat starts, not only at the next hourly run: a freshly started system (the
    embedded `scripts/run`) reminds of a review due tomorrow within seconds."""
    reminders_scan.delay()
