"""Run the daily revaluation now, in this process (beat runs it daily): `manage.py valuations_refresh`."""

import logging
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portfolios import revaluation


class Command(BaseCommand):
    help = ("Revalue every client with holdings as of a day, in batches, resuming the day's run where it stopped "
            "(safe while beat runs: runs of the same day take turns per batch).")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="value as of this day (YYYY-MM-DD) instead of today")
        parser.add_argument("--batch-size", type=int, default=revaluation.BATCH_SIZE, help="clients per transaction")
        parser.add_argument("--restart", action="store_true", help="revalue the day again even if its run finished")

    def handle(self, *args, **options):
        try:
            on_date = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        if options["verbosity"] >= 1:  # the run's progress lines, as the worker logs them
            handler = logging.StreamHandler(self.stdout)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            revaluation.logger.addHandler(handler)
            revaluation.logger.setLevel(logging.INFO)
        started = time.monotonic()
        run = revaluation.valuations_refresh_daily(valuation_date=on_date, batch_size=options["batch_size"],
                                                   restart=options["restart"])
        self.stdout.write(f"Valuation of {run.valuation_date}: {run.clients_done} of {run.clients_total} clients "
                          f"valued, {run.clients_failed} not valued, in {time.monotonic() - started:.1f}s.")
