"""Run the reminder scan now, in this process (beat runs it hourly): `manage.py reminders_scan`."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from communications import services


class Command(BaseCommand):
    help = ("Create the reminders, notifications and escalations due now (safe to run any number of "
            "times, also while beat runs), then e-mail them.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="scan as of this day (YYYY-MM-DD) instead of today")
        parser.add_argument("--no-email", action="store_true", help="leave the e-mails to the worker")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        result = services.reminders_scan(today=today)
        self.stdout.write(
            f"Scan of {result.today}: {result.reminders_created} new reminders, "
            f"{result.reminders_closed} closed, {result.reminders_open} open, {result.notifications_created} notifications, "
            f"{result.escalations_created} escalations, {result.schedules_written} review schedules written.")
        if result.failed_sources:
            self.stderr.write(f"Sources that failed (see the log): {', '.join(result.failed_sources)}")
        if not options["no_email"]:
            self.stdout.write(f"E-mails sent: {services.notifications_email_send()}")
