from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def client_aum_tiers_refresh() -> int:
    return services.client_aum_tiers_refresh()
