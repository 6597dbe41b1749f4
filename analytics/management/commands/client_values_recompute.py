"""Recompute every client's stored lifetime value now (beat does it daily): `manage.py client_values_recompute`."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics import services


class Command(BaseCommand):
    help = "Store the lifetime value of every client (safe to run any number of times, also while beat runs)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="compute as of this day (YYYY-MM-DD) instead of today")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        started = time.monotonic()
        stored = services.client_values_recompute(today=today)
        self.stdout.write(f"Lifetime values stored for {stored} clients in {time.monotonic() - started:.1f} s.")
