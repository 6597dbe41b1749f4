"""``manage.py portfolio_demo``: demo portfolios for every client that has none; safe to run again."""

import random
import time

from django.core.management.base import BaseCommand

from crm.models import Client
from portfolios.demo import portfolio_demo_create


class Command(BaseCommand):
    help = ("Give every client without accounts a demo portfolio: holdings across the asset classes, a year of "
            "prices, FX rates and valuations, goals and limits. Clients with accounts are left alone.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed, for repeatable portfolios")

    def handle(self, *args, seed: int, **options):
        started = time.monotonic()
        clients = Client.objects.exclude(status=Client.Status.MERGED).filter(accounts__isnull=True).values_list(
            "pk", flat=True)
        created = portfolio_demo_create(clients=list(clients), rng=random.Random(seed))
        self.stdout.write(self.style.SUCCESS(
            f"Demo portfolios: {created} created in {time.monotonic() - started:.1f}s."))
