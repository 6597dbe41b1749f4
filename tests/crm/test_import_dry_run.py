"""The dry run: every row cleaned and checked, duplicates found, nothing written."""

import pytest
from django.urls import reverse

from crm import imports
from crm.models import Client, ClientImport
from crm.normalisers import resident_id_check_digit
from tests.factories import ClientFactory, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_digit(first17)


ID_A = resident_id("11010519491231002")
ID_B = resident_id("44030619850714123")

HEADER_ZH = ["姓名", "证件号码", "手机", "邮箱", "出生日期", "客户类型", "流动性需求", "标签"]


def upload(user, rows, *, name="clients.csv", xlsx=False):
    data = xlsx_bytes(rows) if xlsx else csv_bytes(rows)
    return imports.client_import_upload(user=user, file_name=name, data=data)


def test_it_maps_chinese_headers_and_cleans_values(owner):
    client_import = upload(owner, [
        HEADER_ZH,
        ["　张　伟 ", ID_A.lower(), "138 0013 8000", " Zhang.Wei@EXAMPLE.com", "", "个人", "高", "VIP, 退休"],
    ])
    assert client_import.column_mapping == {str(i): f for i, f in enumerate(
        ["legal_name", "id_number", "phone", "email", "birth_date", "kind", "liquidity_need", "tags"])}
    row = client_import.report["rows"][0]
    assert row["errors"] == []
    assert row["row"] == 2
    assert row["values"] == {
        "legal_name": "张伟", "id_type": "resident_id", "id_number": ID_A, "phone": "+8613800138000",
        "email": "zhang.wei@example.com", "birth_date": "1949-12-31", "kind": "individual", "liquidity_need": "high",
        "tags": ["VIP", "退休"],
    }
    assert row["warnings"]  # the birth date was filled in from the ID number
    assert client_import.status == ClientImport.Status.DRY_RUN
    assert Client.objects.count() == 0


def test_it_reports_errors_per_row_and_column(owner):
    client_import = upload(owner, [
        ["Name", "ID number", "Phone", "E-mail", "Date of birth"],
        ["Li Na", ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1"), "12345", "li@", "31/02/1990"],
        ["", "", "13800138001", "", ""],
        ["Wang Fang", "", "", "", ""],
    ])
    rows = {r["row"]: r for r in client_import.report["rows"]}
    assert {e["column"] for e in rows[2]["errors"]} == {"ID number", "Phone", "E-mail", "Date of birth"}
    assert "check digit" in " ".join(e["message"] for e in rows[2]["errors"])
    assert [e["field"] for e in rows[3]["errors"]] == ["legal_name"]
    assert [e["field"] for e in rows[4]["errors"]] == ["id_number"]
    assert client_import.report["summary"] == {"rows": 3, "errors": 3, "duplicates": 0, "new": 0}
    assert client_import.error_count == 3


def test_it_finds_exact_and_likely_duplicates_in_the_registry(owner):
    exact = ClientFactory(legal_name="Zhang Wei", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A, manager=owner)
    likely = ClientFactory(legal_name="Li Na", phone="+8613900139000", email="", manager=owner)
    client_import = upload(owner, [
        ["Name", "ID number", "Phone"],
        ["Zhang Wei", ID_A, ""],
        ["LI  NA", "", "139-0013-9000"],
        ["Li Na", "", "13700137000"],
    ])
    rows = client_import.report["rows"]
    assert rows[0]["duplicate"]["client_id"] == exact.pk
    assert rows[0]["duplicate"]["match"] == "exact"
    assert rows[0]["duplicate"]["options"] == ["merge", "skip"]
    assert rows[1]["duplicate"]["client_id"] == likely.pk
    assert rows[1]["duplicate"]["match"] == "likely"
    assert "duplicate" not in rows[2]
    assert client_import.report["summary"]["duplicates"] == 2


def test_it_finds_duplicates_within_the_file(owner):
    client_import = upload(owner, [
        ["姓名", "证件号码", "手机", "邮箱"],
        ["王芳", ID_B, "13800138000", ""],
        ["王 芳", ID_B, "", "wf@example.com"],
        ["王芳", "", "+86 138 0013 8000", ""],
        ["周杰", "", "", "wf@example.com"],
    ])
    rows = client_import.report["rows"]
    assert rows[1]["duplicate"] == {
        "source": "file", "match": "exact", "group": "file_exact", "row": 2, "row_name": "王芳",
        # The card shows what the row would change in the earlier one, as for registry matches.
        "differences": [{"field": "email", "existing": "", "incoming": "wf@example.com", "default": "incoming"}],
        "options": ["merge", "skip"], "default": "merge"}
    assert rows[2]["duplicate"]["match"] == "likely"
    assert rows[2]["duplicate"]["row"] == 2
    assert "duplicate" not in rows[3]  # same e-mail but another name


def test_it_shows_the_fields_a_merge_would_change_with_fill_blanks_defaults(owner):
    ClientFactory(legal_name="Zhang Wei", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A, email="",
                  phone="+8613800138000", manager=owner)
    client_import = upload(owner, [
        ["Name", "ID number", "Phone", "E-mail"],
        ["Zhang Wei", ID_A, "13900139000", "zw@example.com"],
    ])
    differences = {d["field"]: d for d in client_import.report["rows"][0]["duplicate"]["differences"]}
    assert differences["phone"]["default"] == "existing"
    assert differences["email"]["default"] == "incoming"
    assert differences["birth_date"]["default"] == "incoming"


def test_it_does_not_offer_another_rms_client_but_reports_the_id_clash(owner, outsider):
    ClientFactory(legal_name="Secret Client", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A, manager=outsider)
    client_import = upload(owner, [["Name", "ID number"], ["Zhang Wei", ID_A]])
    row = client_import.report["rows"][0]
    assert "duplicate" not in row
    assert "cannot be registered with this ID document" in row["errors"][0]["message"]
    assert "another RM" not in row["errors"][0]["message"]  # not even that someone serves the client
    assert "Secret Client" not in str(client_import.report)


def test_it_reads_xlsx_with_date_cells_and_number_cells(owner):
    import datetime

    client_import = upload(owner, [
        ["Legal name", "Phone", "Date of birth", "KYC date"],
        ["Chen Jie", 13800138000, datetime.datetime(1980, 5, 17), 45356],
    ], name="book.xlsx", xlsx=True)
    row = client_import.report["rows"][0]
    assert row["errors"] == []
    assert row["values"]["phone"] == "+8613800138000"
    assert row["values"]["birth_date"] == "1980-05-17"
    assert row["values"]["kyc_date"] == "2024-03-05"


def test_it_reuses_the_open_import_of_the_same_file(owner):
    rows = [["Name", "Phone"], ["Chen Jie", "13800138000"]]
    first = upload(owner, rows)
    second = upload(owner, rows)
    assert first.pk == second.pk
    assert ClientImport.objects.count() == 1


def test_it_lets_the_user_adjust_the_mapping(client, owner):
    client_import = upload(owner, [["Client", "Contact", "Remark"], ["Chen Jie", "13800138000", "x"]])
    assert client_import.report["mapping_errors"]  # "Contact" is not recognised: no identifier column
    client.force_login(owner)
    url = reverse("crm:import-mapping", kwargs={"pk": client_import.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"column_0": "legal_name", "column_1": "phone", "column_2": "notes"})
    assert response.status_code == 302
    client_import.refresh_from_db()
    assert client_import.column_mapping == {"0": "legal_name", "1": "phone", "2": "notes"}
    assert client_import.report["summary"]["new"] == 1


def test_it_refuses_a_mapping_with_a_field_twice(client, owner):
    client_import = upload(owner, [["Name", "Phone", "Mobile"], ["Chen Jie", "13800138000", "13900139000"]])
    client.force_login(owner)
    url = reverse("crm:import-mapping", kwargs={"pk": client_import.pk})
    response = client.post(url, {"column_0": "legal_name", "column_1": "phone", "column_2": "phone"})
    assert response.status_code == 200
    assert "one column only" in response.content.decode()


def test_it_shows_the_report_page(client, owner):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    client_import = upload(owner, [["Name", "Phone"], ["Li Na", "13900139000"], ["Bad", "1"], ["New One", "13700137000"]])
    client.force_login(owner)
    response = client.get(reverse("crm:import-detail", kwargs={"pk": client_import.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="duplicate-row-2"' in body
    assert "New One" in body
    assert "is not a valid phone number" in body
    response = client.get(reverse("crm:import-errors", kwargs={"pk": client_import.pk}))
    assert response.status_code == 200
    assert "Bad,1," in response.content.decode("utf-8-sig")


def test_it_lists_imports_with_a_query_count_that_does_not_grow(client, owner, django_assert_num_queries):
    client.force_login(owner)
    upload(owner, [["Name", "Phone"], ["Chen Jie", "13800138000"]], name="a.csv")
    client.get(reverse("crm:import-list"))  # warm the session and role caches
    # session + user + roles + count + page of imports with uploaders joined + the navbar's unread
    # notifications (communications)
    with django_assert_num_queries(6) as one:
        client.get(reverse("crm:import-list"))
    for name in ("b.csv", "c.csv", "d.csv"):
        upload(owner, [["Name", "Phone"], [name, "13800138000"]], name=name)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(reverse("crm:import-list")).status_code == 200


def test_the_dry_run_reports_what_the_commit_would_refuse_row_by_row(owner):
    client_import = upload(owner, [
        ["Name", "Phone", "Income", "Occupation"],
        ["Li Na", "13900139000", "1e30", "Teacher"],  # an amount too large to round: not a server error
        ["Wang Fang", "13800138000", "", "x" * 10_000],  # longer than the column
    ])

    rows = client_import.report["rows"]
    assert [e["field"] for e in rows[0]["errors"]] == ["income_band"]
    assert [e["field"] for e in rows[1]["errors"]] == ["occupation"]
    imports.client_import_commit(client_import=client_import, user=owner)
    assert not Client.objects.exists()


def test_the_fields_a_row_leaves_empty_keep_defaults_the_model_accepts():
    # The row check validates only the fields a row fills (crm.imports.columns._model_errors).
    Client(legal_name="Zhang Wei").full_clean(exclude=["tags", "primary_manager", "merged_into", "created_by"],
                                              validate_unique=False, validate_constraints=False)
