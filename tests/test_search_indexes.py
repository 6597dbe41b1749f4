"""Client search on PostgreSQL: pg_trgm indexes on the expressions the search issues (and a btree on the
reversed phone, for its last digits), used by the planner.

The planner picks a sequential scan on a table this small, so the plan tests switch sequential scans
off for their transaction: what they prove is that an index exists that serves each arm of the
search (the same expression and operator class), which is what lets PostgreSQL use it on a large book.
"""

import pytest
from django.db import connection

from crm.models import Client
from crm.selectors import _search_condition

from .factories import ClientFactory

pytestmark = pytest.mark.django_db

INDEXES = {"client_legal_name_trgm", "client_preferred_name_trgm", "client_phone_reversed", "client_email_upper_prefix"}


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm indexes exist on PostgreSQL only; SQLite keeps the plain LIKE scan")


def _plan(term: str) -> str:
    queryset = Client.objects.filter(_search_condition(term)).order_by().values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_it_creates_pg_trgm_and_the_search_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == ("pg_trgm",)
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'crm_client'")
        assert INDEXES <= {row[0] for row in cursor.fetchall()}


def test_it_serves_a_name_search_from_the_trigram_indexes():
    ClientFactory(legal_name="王子轩", preferred_name="Zixuan Wang")
    plan = _plan("zixuan")
    assert "client_legal_name_trgm" in plan and "client_preferred_name_trgm" in plan
    assert "Seq Scan" not in plan


def test_it_serves_a_phone_search_from_the_reversed_phone_index():
    for term in ("13800138000", "00000000"):  # the whole number; its last digits, however common
        plan = _plan(term)
        assert "client_phone_reversed" in plan, term
        assert "Seq Scan" not in plan and "trgm" not in plan, term  # a number is not looked up in names


def test_it_serves_an_email_search_from_the_upper_case_prefix_index():
    plan = _plan("wang.lei@example.com")
    assert "client_email_upper_prefix" in plan
    assert "Seq Scan" not in plan


def test_it_still_finds_clients_by_part_of_a_name_the_end_of_a_phone_or_an_id_number():
    found = ClientFactory(legal_name="王子轩", preferred_name="Zixuan Wang", phone="+8613800138000")
    ClientFactory(legal_name="李娜", preferred_name="Na Li", phone="+8613900139000")
    for term in ("子轩", "zixuan", "WANG", "0138000", "008613800138000", found.id_number):
        assert list(Client.objects.filter(_search_condition(term)).values_list("pk", flat=True)) == [found.pk], term
