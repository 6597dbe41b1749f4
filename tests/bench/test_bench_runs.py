"""The benchmark (bench/run.py) runs end to end on a tiny data set, so it does not rot between runs."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_it_builds_a_data_set_and_times_the_pages_and_jobs_next_to_their_floors(settings):
    if connection.vendor != "postgresql":
        pytest.skip("The benchmark runs on PostgreSQL only (COPY, pg_trgm); this run is on SQLite")
    from bench import dataset
    from bench.run import job_import, job_reminders, job_tiers, pages_run, table

    quiet = lambda line: None  # noqa: E731
    counts = dataset.dataset_build(clients=40, log=quiet)
    assert counts["clients"] == 40 and counts["contacts"] == 40 * dataset.CONTACTS_PER_CLIENT
    assert counts["holdings"] >= 40 * (dataset.HOLDINGS_PER_CLIENT - 4)
    assert dataset.marker()["clients"] == 40

    settings.ALLOWED_HOSTS = ["*"]
    results = pages_run(repeat=1, log=quiet)
    measured = {r.name: r for r in results if r.p95 is not None}
    assert {"client list, HNW filter (RM)", "client 360 (RM)", "portfolio page (RM)", "risk overview (lead)"} \
        <= set(measured)
    assert all(r.floor and r.queries for r in measured.values())

    rows = [*job_tiers(), *job_reminders(), *job_import(10)]
    assert [row["name"] for row in rows][-2:] == ["client import 10 rows: upload + dry run",
                                                 "client import 10 rows: commit"]
    assert "created 10," in rows[-1]["note"]
    assert "| client 360 (RM) |" in table(results)
