"""Database settings from DATABASE_URL: persistent, health-checked connections; PostgreSQL's JIT off."""

import pytest
from django.db import connection

from config.database import database_from_url


def test_it_keeps_connections_and_checks_them_before_reuse():
    config = database_from_url("postgres://crm@db:5432/crm", conn_max_age=60, conn_health_checks=True)
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert database_from_url("postgres://crm@db/crm", conn_max_age=0, conn_health_checks=False)["CONN_MAX_AGE"] == 0


def test_it_turns_jit_off_on_postgresql_and_keeps_other_options():
    config = database_from_url("postgres://crm@db:5432/crm?options=-c%20statement_timeout%3D5000",
                               conn_max_age=60, conn_health_checks=True)
    assert config["OPTIONS"]["options"] == "-c statement_timeout=5000 -c jit=off"
    assert database_from_url("postgres://crm@db/crm", conn_max_age=60,
                             conn_health_checks=True)["OPTIONS"]["options"] == "-c jit=off"


def test_it_leaves_sqlite_alone():
    config = database_from_url("sqlite:////tmp/crm.sqlite3", conn_max_age=60, conn_health_checks=True)
    assert "options" not in config.get("OPTIONS", {})


@pytest.mark.django_db
def test_it_runs_the_app_connection_with_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting; this run is on SQLite")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
