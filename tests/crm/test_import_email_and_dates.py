"""E-mail stored lower-cased and matched without regard to case; a birth date ahead is a row error."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm import imports
from crm.models import Client
from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db


def upload(user, rows):
    return imports.client_import_upload(user=user, file_name="clients.csv", data=csv_bytes(rows))


def test_it_stores_the_whole_address_in_lower_case(owner):
    client_import = upload(owner, [["Name", "E-mail"], ["Client 25", "CLIENT25@Example.COM"]])
    assert client_import.report["rows"][0]["values"]["email"] == "client25@example.com"

    imports.client_import_commit(client_import=client_import, user=owner)

    assert Client.objects.get().email == "client25@example.com"


def test_it_matches_an_existing_address_whatever_its_case(owner):
    # Written around the normaliser, as rows stored before addresses were lower-cased were.
    existing = ClientFactory(legal_name="Client 4908", email="", phone="", manager=owner)
    Client.objects.filter(pk=existing.pk).update(email="CLIENT4908@example.com")

    client_import = upload(owner, [["Name", "E-mail"], ["Client 4908", "client4908@example.com"]])

    duplicate = client_import.report["rows"][0]["duplicate"]
    assert (duplicate["source"], duplicate["match"], duplicate["client_id"]) == ("registry", "likely", existing.pk)


def test_a_file_repeating_an_address_in_another_case_is_one_client(owner):
    client_import = upload(owner, [["Name", "E-mail"], ["Li Na", "Li.Na@example.com"], ["Li Na", "LI.NA@EXAMPLE.COM"]])
    assert client_import.report["rows"][1]["duplicate"]["row"] == 2

    imports.client_import_commit(client_import=client_import, user=owner)

    assert list(Client.objects.values_list("email", flat=True)) == ["li.na@example.com"]


def test_the_data_migration_lower_cases_existing_addresses(owner):
    from importlib import import_module

    from django.apps import apps

    mixed = ClientFactory(email="", manager=owner)
    lower = ClientFactory(email="kept@example.com", manager=owner)
    Client.objects.filter(pk=mixed.pk).update(email="Wang.Fang@EXAMPLE.com")
    migration = import_module("crm.migrations.0009_client_email_lower_case")

    migration.emails_lower(apps, connection.schema_editor())

    mixed.refresh_from_db()
    lower.refresh_from_db()
    assert (mixed.email, lower.email) == ("wang.fang@example.com", "kept@example.com")


def test_a_birth_date_in_the_future_is_a_row_error_worded_as_the_forms_word_it(owner):
    ahead = (timezone.localdate() + timedelta(days=1)).isoformat()
    client_import = upload(owner, [["Name", "Phone", "Date of birth"], ["Li Na", "13900139000", ahead],
                                   ["Wang Fang", "13800138000", "1980-05-17"]])
    rows = client_import.report["rows"]
    # One rule (crm.models.date_not_in_future, the field's validator): the import reports what it raises.
    assert rows[0]["errors"] == [{"field": "birth_date", "column": "Date of birth",
                                  "message": f"The date {ahead} is in the future."}]
    assert rows[1]["errors"] == []

    imports.client_import_commit(client_import=client_import, user=owner)

    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Wang Fang"]
