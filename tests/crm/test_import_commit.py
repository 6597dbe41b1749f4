"""Committing an import: creates, merges and skips as decided, in one transaction."""

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import access, imports
from crm.imports import commit as import_commit
from crm.models import Assignment, Client, ClientImport, ClientMerge
from crm.normalisers import resident_id_check_digit
from tests.factories import ClientFactory, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_digit(first17)


ID_A = resident_id("11010519491231002")
ID_B = resident_id("44030619850714123")


def upload(user, rows, name="clients.csv"):
    return imports.client_import_upload(user=user, file_name=name, data=csv_bytes(rows))


def test_it_creates_clients_with_the_importing_rm_as_primary(owner):
    client_import = upload(owner, [["姓名", "证件号码", "手机", "标签"],
                                   ["张伟", ID_A, "13800138000", "VIP，退休"], ["Li Na", "", "13900139000", ""]])
    imports.client_import_commit(client_import=client_import, user=owner)
    client_import.refresh_from_db()
    assert client_import.status == ClientImport.Status.COMMITTED
    assert (client_import.created_count, client_import.updated_count, client_import.skipped_count) == (2, 0, 0)
    zhang = Client.objects.get(id_number=ID_A)
    assert zhang.legal_name == "张伟"
    assert zhang.primary_manager == owner
    assert zhang.created_by == owner
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP", "退休"]
    assert Assignment.objects.filter(client=zhang, manager=owner, role="primary", ended_at__isnull=True).count() == 1
    assert zhang.history.count() == 1
    assert zhang.history.first().history_user == owner
    assert zhang.lifecycle_transitions.get().to_stage == Client.LifecycleStage.POTENTIAL
    assert set(access.client_list_visible(user=owner)) == set(Client.objects.all())


def test_it_leaves_clients_a_team_lead_imports_unassigned(team_lead):
    client_import = upload(team_lead, [["Name", "Phone"], ["Li Na", "13900139000"]])
    imports.client_import_commit(client_import=client_import, user=team_lead)
    client = Client.objects.get()
    assert client.primary_manager is None
    assert not Assignment.objects.exists()
    assert client in access.client_list_visible(user=team_lead)


def test_it_does_not_import_rows_with_errors(owner):
    client_import = upload(owner, [["Name", "Phone"], ["Li Na", "13900139000"], ["Bad Phone", "123"]])
    imports.client_import_commit(client_import=client_import, user=owner)
    client_import.refresh_from_db()
    assert list(Client.objects.values_list("legal_name", flat=True)) == ["Li Na"]
    assert client_import.error_count == 1
    assert client_import.report["rows"][1]["outcome"] == "error"


def test_it_merges_a_duplicate_field_by_field(owner):
    existing = ClientFactory(legal_name="Zhang Wei", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A,
                             phone="+8613800138000", email="", occupation="Teacher", manager=owner)
    client_import = upload(owner, [["Name", "ID number", "Phone", "E-mail", "Occupation"],
                                   ["Zhang Wei", ID_A, "13900139000", "zw@example.com", "Engineer"]])
    decisions = {"2": {"action": "merge", "fields": {"phone": "incoming"}}}
    imports.client_import_commit(client_import=client_import, user=owner, decisions=decisions)
    existing.refresh_from_db()
    assert existing.phone == "+8613900139000"  # chosen
    assert existing.email == "zw@example.com"  # blank filled by default
    assert existing.occupation == "Teacher"  # kept by default
    assert Client.objects.count() == 1
    merge = ClientMerge.objects.get()
    assert merge.surviving_client == existing
    assert merge.merged_client is None
    assert merge.source_import_id == client_import.pk
    assert merge.surviving_snapshot["phone"] == "+8613800138000"
    assert merge.merged_snapshot["phone"] == "+8613900139000"
    assert merge.field_choices["phone"] == "incoming"
    assert merge.merged_by == owner


def test_it_skips_or_creates_as_decided(owner):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    ClientFactory(legal_name="Wang Fang", phone="+8613700137000", manager=owner)
    client_import = upload(owner, [["Name", "Phone", "E-mail"], ["Li Na", "13900139000", "ln@example.com"],
                                   ["Wang Fang", "13700137000", ""]])
    decisions = {"2": {"action": "skip"}, "3": {"action": "create"}}
    imports.client_import_commit(client_import=client_import, user=owner, decisions=decisions)
    assert Client.objects.get(legal_name="Li Na").email != "ln@example.com"
    assert Client.objects.filter(legal_name="Wang Fang").count() == 2


def test_it_never_creates_a_second_client_with_the_same_id_document(owner):
    ClientFactory(legal_name="Zhang Wei", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A, manager=owner)
    client_import = upload(owner, [["Name", "ID number"], ["Zhang Wei", ID_A]])
    imports.client_import_commit(client_import=client_import, user=owner, decisions={"2": {"action": "create"}})
    assert Client.objects.count() == 1


def test_it_folds_duplicate_rows_of_the_file_into_one_client(owner):
    client_import = upload(owner, [["姓名", "证件号码", "手机", "邮箱"], ["王芳", ID_B, "13800138000", ""],
                                   ["王芳", ID_B, "", "wf@example.com"]])
    imports.client_import_commit(client_import=client_import, user=owner)
    client = Client.objects.get()
    assert (client.phone, client.email) == ("+8613800138000", "wf@example.com")


def test_it_creates_nothing_when_the_same_file_is_imported_again(owner):
    rows = [["姓名", "证件号码", "手机", "邮箱"], ["王芳", ID_B, "13800138000", ""], ["Li Na", "", "", "ln@example.com"],
            ["Zhou Jie", "", "13700137000", ""]]
    first = upload(owner, rows)
    imports.client_import_commit(client_import=first, user=owner)
    second = upload(owner, rows)
    assert second.pk != first.pk
    assert second.report["summary"]["duplicates"] == 3
    imports.client_import_commit(client_import=second, user=owner)
    second.refresh_from_db()
    assert Client.objects.count() == 3
    assert (second.created_count, second.updated_count, second.skipped_count) == (0, 0, 3)
    assert not ClientMerge.objects.exists()


def test_it_refuses_to_commit_twice(owner):
    client_import = upload(owner, [["Name", "Phone"], ["Li Na", "13900139000"]])
    imports.client_import_commit(client_import=client_import, user=owner)
    with pytest.raises(imports.ValidationError):
        imports.client_import_commit(client_import=client_import, user=owner)
    assert Client.objects.count() == 1


def test_it_writes_nothing_when_the_commit_fails_half_way(owner, monkeypatch):
    ClientFactory(legal_name="Zhang Wei", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A, email="", manager=owner)
    client_import = upload(owner, [["Name", "ID number", "E-mail"], ["Zhang Wei", ID_A, "zw@example.com"],
                                   ["Li Na", "", "ln@example.com"]])

    def broken(**kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(import_commit, "_clients_create", broken)
    with pytest.raises(imports.ValidationError):
        imports.client_import_commit(client_import=client_import, user=owner)
    client_import.refresh_from_db()
    assert client_import.status == ClientImport.Status.DRY_RUN
    assert Client.objects.get(id_number=ID_A).email == ""  # the merge was rolled back too
    assert not ClientMerge.objects.exists()
    assert Client.objects.count() == 1


def test_it_commits_through_the_views_with_field_choices(client, owner):
    existing = ClientFactory(legal_name="Zhang Wei", id_type=Client.IdType.RESIDENT_ID, id_number=ID_A,
                             phone="+8613800138000", manager=owner)
    client.force_login(owner)
    data = xlsx_bytes([["Name", "ID number", "Phone"], ["Zhang Wei", ID_A, "13900139000"],
                       ["New Person", "", "13700137000"]])
    response = client.post(reverse("crm:import-upload"), {"file": SimpleUploadedFile("book.xlsx", data)})
    client_import = ClientImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:import-mapping", kwargs={"pk": client_import.pk})
    response = client.post(response.url, {"column_0": "legal_name", "column_1": "id_number", "column_2": "phone"})
    assert response.url == reverse("crm:import-detail", kwargs={"pk": client_import.pk})
    response = client.post(reverse("crm:import-commit", kwargs={"pk": client_import.pk}),
                           {"row_2_action": "merge", "row_2_field_phone": "incoming",
                            "row_2_field_birth_date": "incoming"})
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.phone == "+8613900139000"
    assert Client.objects.filter(legal_name="New Person", primary_manager=owner).exists()
    response = client.get(reverse("crm:import-detail", kwargs={"pk": client_import.pk}))
    assert 'data-testid="import-result"' in response.content.decode()
    assert client.get(reverse("crm:import-list")).status_code == 200


def _messy_rows(count: int, rng: random.Random):
    """A branch spreadsheet: mixed phone, date and name formats, some bad rows, some repeats."""
    surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"]
    rows = [["客户姓名", "证件类型", "证件号码", "手机号码", "电子邮箱", "出生日期", "客户类型", "备注"]]
    bad = set()
    for i in range(count):
        name = f"{rng.choice(surnames)}　{'测试'[i % 2]}{i}" if i % 3 else f" Client  {i} "
        mobile = f"139{i:08d}"
        phone = [mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"+86-{mobile}", f"0086{mobile}"][i % 4]
        id_number = resident_id(f"110105{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}") if i % 2 else ""
        birth = ["1980-05-17", "1980/5/17", "19800517", "17/05/1980", "1980年5月17日", ""][i % 6] if not id_number else ""
        email = f"client{i}@Example.COM" if i % 5 == 0 else ""
        kind = ["个人", "individual", "Individual", ""][i % 4]
        if i % 97 == 0:
            phone, bad = "12345", bad | {i}  # a typo the dry run reports
        rows.append([name, "身份证" if id_number else "", id_number, phone, email, birth, kind, f"row {i}"])
    repeats = [rows[k] for k in (5, 6, 7)]  # the same clients entered twice
    return rows + repeats, bad


def test_it_imports_a_messy_file_of_a_thousand_clients_end_to_end(client, owner):
    rows, bad = _messy_rows(1000, random.Random(7))
    client.force_login(owner)
    response = client.post(reverse("crm:import-upload"),
                           {"file": SimpleUploadedFile("分行客户.csv", csv_bytes(rows, encoding="gb18030"))})
    assert response.status_code == 302
    client_import = ClientImport.objects.get()
    summary = client_import.report["summary"]
    assert summary == {"rows": 1003, "errors": len(bad), "duplicates": 3, "new": 1000 - len(bad)}
    response = client.get(reverse("crm:import-detail", kwargs={"pk": client_import.pk}))
    assert response.status_code == 200
    response = client.post(reverse("crm:import-commit", kwargs={"pk": client_import.pk}),
                           {f"row_{n}_action": "merge" for n in (1002, 1003, 1004)})
    assert response.status_code == 302
    client_import.refresh_from_db()
    assert client_import.created_count == 1000 - len(bad)
    assert Client.objects.count() == 1000 - len(bad)
    assert Client.objects.filter(primary_manager=owner).count() == 1000 - len(bad)
    assert Assignment.objects.filter(manager=owner, ended_at__isnull=True).count() == 1000 - len(bad)
    assert not Client.objects.filter(phone__regex=r"^(?!\+86)").exists()
    visible = access.client_list_visible(user=owner)
    # Row 1's name was "<surname>　试1": the ideographic space inside a Chinese name is dropped.
    assert visible.filter(legal_name=rows[2][0].replace("\u3000", "")).count() == 1
    assert visible.filter(phone="+8613900000001").count() == 1

    # The RM fixes the reported rows and imports the corrected file: only they are new.
    for i in bad:
        rows[i + 1][3] = f"139{i:08d}"
    response = client.post(reverse("crm:import-upload"),
                           {"file": SimpleUploadedFile("分行客户-fixed.csv", csv_bytes(rows))})
    fixed = ClientImport.objects.exclude(pk=client_import.pk).get()
    assert fixed.report["summary"]["new"] == len(bad)
    client.post(reverse("crm:import-commit", kwargs={"pk": fixed.pk}), {})
    assert Client.objects.count() == 1000
    for i in (0, 1, 97, 98, 500):
        name = " ".join(rows[i + 1][0].replace("\u3000", "").split())
        response = client.get(reverse("crm:client-list"), {"q": name})
        assert response.status_code == 200
        assert name in response.content.decode(), name


def _import_queries(user, size: int) -> tuple[int, int]:
    """(queries of the upload and dry run, queries of the commit) of a file of ``size`` new clients, every
    third of them tagged, every fifth repeated on the next row, and a row with an error."""
    rows = [["Name", "Phone", "E-mail", "Tags"]]
    for i in range(size):
        rows.append([f"Client {size}-{i}", f"137{size:04d}{i:04d}", f"c{size}.{i}@example.com",
                     "VIP" if i % 3 == 0 else ""])
        if i % 5 == 0:
            rows.append([f"Client {size}-{i}", f"137{size:04d}{i:04d}", "", "退休"])
    rows.append(["Bad Phone", "123", "", ""])
    with CaptureQueriesContext(connection) as dry_run:
        client_import = upload(user, rows, name=f"clients-{size}.csv")
    with CaptureQueriesContext(connection) as commit:
        imports.client_import_commit(client_import=client_import, user=user)
    client_import.refresh_from_db()
    assert client_import.created_count == size
    return len(dry_run), len(commit)


def test_the_import_reads_and_writes_in_as_many_queries_for_25_rows_as_for_10(owner):
    # The registry is searched once per kind of match, and the clients, their history rows,
    # assignments, lifecycle transitions and tags are written a batch at a time (crm.bulk):
    # no query per row. (SQLite's batches hold 28 clients: its limit of 999 parameters.)
    _import_queries(owner, 3)  # the roles and the tags' first rows
    assert _import_queries(owner, 10) == _import_queries(owner, 25)
    assert Client.objects.filter(tags__name="退休").count() == 1 + 2 + 5
    first = Client.objects.get(legal_name="Client 25-0")
    assert first.history.get().history_user == owner
    assert sorted(t.tag.name for t in first.history.get().tags.all()) == ["VIP", "退休"]
    assert first.lifecycle_transitions.get().changed_by == owner
    assert Assignment.objects.get(client=first).manager == owner
