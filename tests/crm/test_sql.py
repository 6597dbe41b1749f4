"""crm.sql: date arithmetic in SQL that gives Python's answers; crm.bulk: the set-based insert that
skips what a unique constraint refuses, on SQLite and PostgreSQL alike."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db.models import F

from communications.models import Reminder
from crm.bulk import insert_select, sql_of
from crm.models import Client
from crm.sql import DaysLater, MonthsLater
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

DAYS = [date(2024, 1, 31), date(2024, 2, 29), date(2023, 1, 31), date(2024, 3, 31), date(2024, 8, 31),
        date(2024, 12, 31), date(2025, 5, 15), date(2023, 11, 30)]


@pytest.fixture
def dated():
    return [ClientFactory(risk_valid_until=day).pk for day in DAYS]


@pytest.mark.parametrize("months", [1, 2, 3, 12, 13, 24])
def test_months_later_is_relativedeltas_answer_at_the_end_of_a_month_too(dated, months):
    rows = Client.objects.filter(pk__in=dated).annotate(later=MonthsLater(F("risk_valid_until"), months)).values_list(
        "risk_valid_until", "later")
    assert [(day, later) for day, later in rows] == [(day, day + relativedelta(months=months)) for day, _later in rows]


@pytest.mark.parametrize("days", [1, 30, -1])
def test_days_later_is_timedeltas_answer(dated, days):
    rows = Client.objects.filter(pk__in=dated).annotate(later=DaysLater(F("risk_valid_until"), days)).values_list(
        "risk_valid_until", "later")
    assert [(day, later) for day, later in rows] == [(day, day + timedelta(days=days)) for day, _later in rows]


def test_insert_select_skips_the_rows_a_unique_constraint_refuses_and_counts_the_new_ones(dated):
    # Columns named by annotations: an unnamed column's name in a derived table differs by database.
    clients = Client.objects.filter(pk__in=dated).values(row_client=F("pk"), row_due=F("risk_valid_until"))
    sql, params = sql_of(clients)
    select = (f"SELECT s.row_client, 'expiring', s.row_due, '', '{{}}', '', '2026-01-01 00:00:00' "
              f"FROM ({sql}) s WHERE TRUE ORDER BY s.row_client")
    fields = ["client", "kind", "due_on", "summary", "params", "url", "created_at"]
    Reminder.objects.create(client_id=dated[0], kind="expiring", due_on=DAYS[0])

    assert insert_select(Reminder, fields, select, params) == len(DAYS) - 1
    assert insert_select(Reminder, fields, select, params) == 0
    assert sorted(Reminder.objects.values_list("client_id", "due_on")) == sorted(zip(dated, DAYS))
