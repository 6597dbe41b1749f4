"""``manage.py demo_data [--clients N]``: demo staff, teams and a book of clients; safe to run again."""

import argparse
import random
import time

from django.core.management.base import BaseCommand

from crm.audit_guard import audit_rows_unlocked
from crm.demo import DEMO_PASSWORD, demo_book_create, demo_staff_create, demo_steps

HISTORY_UP_TO = 20_000


class Command(BaseCommand):
    help = (
        "Create demo staff (password %s), two teams and a bilingual book of clients. "
        "Running it again creates nothing new; a larger --clients adds the difference." % DEMO_PASSWORD
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=300, help="how many demo clients the book should hold")
        parser.add_argument(
            "--portfolios", type=int, default=2000,
            help="at most this many of the new clients get the other apps' demo records (accounts and "
                 "holdings, assessments, contacts); a large book for benchmarks needs only a sample",
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed, for a repeatable book")
        parser.add_argument(
            "--history", action=argparse.BooleanOptionalAction, default=None,
            help="write simple-history rows for the new records (default: only for books up to %d clients, "
                 "so a benchmark book is written about twice as fast)" % HISTORY_UP_TO,
        )

    def handle(self, *args, clients: int, seed: int, history: bool | None, portfolios: int, **options):
        started = time.monotonic()
        credentials = demo_staff_create()
        self.stdout.write(self.style.MIGRATE_HEADING("Demo staff (username / password / role):"))
        for item in credentials:
            flag = "created" if item["created"] else "exists, password reset"
            self.stdout.write(f"  {item['username']:<18} {item['password']:<16} {item['role']:<22} "
                              f"{item['name']} ({flag})")
        history = clients <= HISTORY_UP_TO if history is None else history
        self.stdout.write(self.style.MIGRATE_HEADING(
            f"Demo book: {clients} clients ({'with' if history else 'without'} history rows)"))
        created = demo_book_create(clients=clients, seed=seed, log=self.stdout.write, history=history)
        self.stdout.write(f"  {len(created)} clients created in {time.monotonic() - started:.1f}s")
        sample = created[:max(portfolios, 0)]
        # Made-up data, its past included: a step may backdate the demo's own records (analytics turns
        # a first stage into a later one), which the audit guard refuses anywhere else.
        with audit_rows_unlocked():
            for step in demo_steps() if sample else ():
                line = step.build(clients=sample, rng=random.Random(f"{seed}-{step.key}"))
                self.stdout.write(f"  {step.key}: {line} ({time.monotonic() - started:.1f}s)")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
