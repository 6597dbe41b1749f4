"""Time the main pages through Django's test client against the current database.

Prints, per page, the median and 95th-percentile time and the number of queries;
run by scripts/benchmark after it has grown the demo book.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from crm.models import Client, User  # noqa: E402


def measure(http, url: str, repeat: int) -> tuple[float, float, int]:
    timings = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = http.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries = len(captured)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--user", default="demo-lead-east", help="whose view of the book to time")
    options = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.get(username=options.user)
    http = HttpClient()
    http.force_login(user)
    client = Client.objects.filter(accounts__isnull=False, primary_manager__isnull=False).first() \
        or Client.objects.filter(primary_manager__isnull=False).first()
    pages = [
        ("client list", reverse("crm:client-list")),
        ("client list, sorted by AUM", reverse("crm:client-list") + "?sort=-aum"),
        ("client list, search by name", reverse("crm:client-list") + "?q=wang"),
        ("client list, search by phone", reverse("crm:client-list") + "?q=" + (client.phone[-8:] if client.phone else "138")),
        ("client list, HNW in growth", reverse("crm:client-list") + "?tier=hnw&lifecycle=growth"),
        ("client list, page 50", reverse("crm:client-list") + "?page=50"),
        ("today", reverse("communications:today")),
        ("dashboard", reverse("dashboard")),
        ("workload", reverse("crm:workload")),
        ("client 360", reverse("crm:client-detail", args=[client.pk])),
        ("client portfolio", reverse("portfolios:client-portfolio", args=[client.pk])),
    ]
    print(f"{Client.objects.count():,} clients on {connection.vendor}; as {user.username}; "
          f"{options.repeat} requests per page\n")
    print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, url in pages:
        if "360" in name or "portfolio" in name:
            # The lead sees this client only if it is in their team; fall back to an administrator.
            if not Client.objects.filter(pk=client.pk, primary_manager__teams__lead=user).exists():
                http.force_login(User.objects.get(username="demo-admin"))
        median, p95, queries = measure(http, url, options.repeat)
        print(f"{name:34} {median:10.1f} {p95:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
