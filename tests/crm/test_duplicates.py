"""Duplicate detection (去重): exact on the ID document, likely on name + phone or name + e-mail."""

import pytest

from crm import imports
from crm.models import Client
from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db


def analyse(user, rows):
    client_import = imports.client_import_upload(user=user, file_name="c.csv", data=csv_bytes(rows))
    return client_import.report["rows"]


@pytest.mark.parametrize("name,phone", [
    ("Li Na", "13900139000"),
    ("  li   na ", "+86 139 0013 9000"),
    ("ＬＩ　ＮＡ", "0086-139-0013-9000"),
])
def test_it_matches_names_and_phones_however_they_are_written(owner, name, phone):
    existing = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    [row] = analyse(owner, [["Name", "Phone"], [name, phone]])
    assert row["duplicate"]["client_id"] == existing.pk
    assert row["duplicate"]["match"] == "likely"


def test_it_matches_name_and_email_with_the_domain_in_any_case(owner):
    existing = ClientFactory(legal_name="王芳", email="wang.fang@example.com", manager=owner)
    [row] = analyse(owner, [["姓名", "邮箱"], ["王 芳", "wang.fang@EXAMPLE.COM"]])
    assert row["duplicate"]["client_id"] == existing.pk


def test_it_does_not_call_namesakes_with_other_contacts_duplicates(owner):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", email="a@example.com", manager=owner)
    [row] = analyse(owner, [["Name", "Phone", "E-mail"], ["Li Na", "13700137000", "b@example.com"]])
    assert "duplicate" not in row


def test_it_does_not_call_the_same_phone_under_another_name_a_duplicate(owner):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    [row] = analyse(owner, [["Name", "Phone"], ["Li Ming", "13900139000"]])
    assert "duplicate" not in row


def test_it_prefers_the_exact_match_over_a_likely_one(owner):
    exact = ClientFactory(legal_name="Zhang Wei", id_type="passport", id_number="E10000001", phone="", manager=owner)
    ClientFactory(legal_name="Zhang Wei", phone="+8613800138000", manager=owner)
    [row] = analyse(owner, [["Name", "ID type", "ID number", "Phone"],
                            ["Zhang Wei", "护照", "e1000 0001", "13800138000"]])
    assert row["duplicate"]["client_id"] == exact.pk
    assert row["duplicate"]["match"] == "exact"


def test_it_ignores_merged_records_as_likely_duplicates(owner):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", status=Client.Status.MERGED, manager=owner)
    [row] = analyse(owner, [["Name", "Phone"], ["Li Na", "13900139000"]])
    assert "duplicate" not in row


def test_it_finds_only_clients_the_importer_may_edit_as_likely_duplicates(owner, outsider):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=outsider)
    [row] = analyse(owner, [["Name", "Phone"], ["Li Na", "13900139000"]])
    assert "duplicate" not in row
    assert row["errors"] == []


def test_it_points_repeated_rows_at_the_first_one(owner):
    rows = analyse(owner, [["Name", "Phone", "E-mail"], ["Li Na", "13900139000", ""], ["Li Na", "", "ln@x.cn"],
                           ["Li Na", "139 0013 9000", "ln@x.cn"], ["Li Na", "", "ln@x.cn"]])
    assert "duplicate" not in rows[0]
    assert "duplicate" not in rows[1]  # another contact: not known to be the same person
    assert rows[2]["duplicate"]["row"] == 2
    assert rows[3]["duplicate"]["row"] == 3


def test_it_matches_a_legacy_15_digit_id_to_its_18_digit_form(owner):
    existing = ClientFactory(legal_name="Zhang Wei", id_type="resident_id", id_number="11010519491231002X",
                             manager=owner)
    [row] = analyse(owner, [["姓名", "身份证号"], ["张伟", "110105491231002"]])
    assert row["duplicate"]["client_id"] == existing.pk
    assert row["duplicate"]["match"] == "exact"


def test_it_suggests_duplicates_for_a_manual_merge(owner, outsider):
    mine = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    twin = ClientFactory(legal_name="Li Na", phone="+8613700137000", manager=owner)
    ClientFactory(legal_name="Li Na", manager=outsider)
    assert imports.client_duplicates_suggest(user=owner, client=mine) == [twin]
