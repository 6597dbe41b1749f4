"""Deciding on duplicates at scale: per kind at once or row by row, a page at a time, choices kept
between pages; one vocabulary of outcomes whose counts agree everywhere; the check run once."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import imports
from crm.models import Client, ClientImport, ClientMerge
from crm.normalisers import resident_id_check_digit
from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_digit(first17)


def upload(user, rows):
    return imports.client_import_upload(user=user, file_name="clients.csv", data=csv_bytes(rows))


def big_file(count: int) -> list[list]:
    rows = [["客户姓名", "证件号码", "手机号码", "电子邮箱"]]
    for i in range(count):
        id_number = resident_id(f"110105{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}") \
            if i % 2 and i < 2000 else ""
        rows.append([f"Client {i}", id_number, f"139{i:08d}", f"CLIENT{i}@Example.com" if i % 3 == 0 else ""])
    return rows


def detail(client, client_import, **params):
    return client.get(reverse("crm:import-detail", kwargs={"pk": client_import.pk}), params)


def commit_url(client_import):
    return reverse("crm:import-commit", kwargs={"pk": client_import.pk})


def test_a_ten_thousand_row_re_import_is_decided_in_bulk_on_a_page_under_one_megabyte(client, owner):
    rows = big_file(10_000)
    client.force_login(owner)
    client.post(reverse("crm:import-upload"), {"file": SimpleUploadedFile("book.csv", csv_bytes(rows))})
    first = ClientImport.objects.get()
    assert client.post(commit_url(first), {}).status_code == 302
    assert Client.objects.count() == 10_000

    client.post(reverse("crm:import-upload"), {"file": SimpleUploadedFile("book again.csv", csv_bytes(rows))})
    again = ClientImport.objects.exclude(pk=first.pk).get()
    assert again.report["summary"]["duplicates"] == 10_000

    response = detail(client, again)
    assert response.status_code == 200
    page = response.content.decode()
    assert len(response.content) < 1_000_000, len(response.content)
    assert page.count('data-testid="duplicate-row-') == 50
    assert 'name="bulk_registry_exact"' in page and 'name="bulk_registry_likely"' in page
    form = page[page.index('data-testid="import-decisions"'):]
    assert form.index('name="commit"') < form.index("</form>")
    assert 'class="sticky-bottom' in page  # the commit button stays on screen however far one scrolls

    response = client.post(commit_url(again), {"page": "1", "bulk_registry_exact": "skip",
                                               "bulk_registry_likely": "skip", "commit": ""})
    assert response.status_code == 302
    again.refresh_from_db()
    assert (again.created_count, again.updated_count, again.skipped_count, again.error_count) == (0, 0, 10_000, 0)
    assert Client.objects.count() == 10_000
    assert not ClientMerge.objects.exists()

    response = detail(client, again)
    assert response.status_code == 200
    assert len(response.content) < 1_000_000


def test_bulk_choices_apply_per_kind_and_a_row_may_still_differ(client, owner):
    for i in range(3):
        ClientFactory(legal_name=f"Known {i}", phone=f"+86139000000{i:02d}", email="", manager=owner)
    client_import = upload(owner, [["Name", "Phone", "E-mail"],
                                   *[[f"Known {i}", f"139000000{i:02d}", f"k{i}@example.com"] for i in range(3)],
                                   ["New One", "13700137000", ""], ["New One", "13700137000", "n1@example.com"]])
    client.force_login(owner)
    response = client.post(commit_url(client_import), {"page": "1", "bulk_registry_likely": "create",
                                                       "bulk_file_likely": "skip", "save": ""})
    assert response.status_code == 302
    client_import.refresh_from_db()
    assert client_import.decisions == {"bulk": {"registry_likely": "create", "file_likely": "skip"}, "rows": {}}

    page = detail(client, client_import).content.decode()
    # The page shows each row as the commit would do it: row 2 now "create", as its kind.
    assert re.search(r'name="row_2_action" value="create"[^>]*checked', page)
    response = client.post(commit_url(client_import), {
        "page": "1", "bulk_registry_likely": "create", "bulk_file_likely": "skip",
        "row_2_action": "merge", "row_3_action": "create", "row_4_action": "create", "row_6_action": "skip",
        "row_2_field_email": "incoming", "commit": ""})
    assert response.status_code == 302

    client_import.refresh_from_db()
    assert Client.objects.filter(legal_name="Known 0").count() == 1  # merged as chosen for its row
    assert Client.objects.get(legal_name="Known 0").email == "k0@example.com"
    assert Client.objects.filter(legal_name="Known 1").count() == 2  # created, as its kind
    assert Client.objects.filter(legal_name="New One").count() == 1
    assert (client_import.created_count, client_import.updated_count, client_import.skipped_count) == (3, 1, 1)


def test_choices_on_one_page_are_kept_when_moving_to_the_next(client, owner):
    rows = [["Name", "Phone"]]
    for i in range(60):
        ClientFactory(legal_name=f"Known {i}", phone=f"+861390000{i:04d}", email="kept@example.com", manager=owner)
        rows.append([f"Known {i}", f"1390000{i:04d}"])
    client_import = upload(owner, rows)
    client.force_login(owner)
    page = detail(client, client_import).content.decode()
    assert page.count('data-testid="duplicate-row-') == 50
    assert "Duplicates 1–50 of 60" in page

    response = client.post(commit_url(client_import), {"page": "1", "row_2_action": "create", "goto": "2"})
    assert response.status_code == 302
    assert response.url.endswith("?page=2#duplicates")
    page = detail(client, client_import, page=2).content.decode()
    assert page.count('data-testid="duplicate-row-') == 10
    assert 'data-testid="duplicate-row-61"' in page

    client.post(commit_url(client_import), {"page": "2", "row_61_action": "create", "commit": ""})
    assert sorted(Client.objects.values_list("legal_name", flat=True)).count("Known 0") == 2
    assert Client.objects.filter(legal_name="Known 59").count() == 2
    assert Client.objects.count() == 62


def test_in_file_duplicate_cards_show_the_differing_values_and_apply_the_choice(client, owner):
    client_import = upload(owner, [["Name", "Phone", "E-mail", "Occupation"],
                                   ["Li Na", "13900139000", "ln@example.com", "Teacher"],
                                   ["Li Na", "13900139000", "", "Engineer"]])
    client.force_login(owner)
    page = detail(client, client_import).content.decode()
    card = page[page.index('data-testid="duplicate-row-3"'):]
    assert "row 2 (Li Na) of this file" in card
    assert "Earlier row: Teacher" in card and "Take: Engineer" in card

    client.post(commit_url(client_import), {"page": "1", "row_3_action": "merge", "row_3_field_occupation": "incoming",
                                            "commit": ""})
    assert Client.objects.get().occupation == "Engineer"
    assert Client.objects.get().email == "ln@example.com"


def test_the_counts_agree_in_the_message_the_history_and_the_outcomes(client, owner):
    ClientFactory(legal_name="Known", phone="+8613900139000", email="", manager=owner)
    ClientFactory(legal_name="Same", phone="+8613600136000", email="", manager=owner)
    rows = [["Name", "Phone", "E-mail"], ["Known", "13900139000", "known@example.com"], ["Same", "13600136000", ""]]
    rows += [[f"Twin {i}", f"1370000{i:04d}", ""] for i in range(60)]
    rows += [[f"Twin {i}", f"1370000{i:04d}", ""] for i in range(60)]  # 60 rows merged into earlier rows
    rows += [["Broken", "123", ""]]
    client_import = upload(owner, rows)
    client.force_login(owner)

    response = client.post(commit_url(client_import), {"page": "1", "commit": ""}, follow=True)

    client_import.refresh_from_db()
    counts = (client_import.created_count, client_import.updated_count, client_import.skipped_count,
              client_import.error_count)
    assert counts == (60, 61, 1, 1)  # Known merged, 60 twins merged into their rows, Same adds nothing
    page = response.content.decode()
    assert "Created: 60, merged: 61, skipped: 1, not imported because of errors: 1." in page
    outcomes = [r["outcome"] for r in client_import.report["rows"]]
    assert (outcomes.count("created"), outcomes.count("merged"), outcomes.count("skipped"),
            outcomes.count("error")) == counts
    for key, count in zip(["created", "merged", "skipped", "error"], counts):
        assert f'data-testid="result-{key}">{count}<' in page
        listed = detail(client, client_import, outcome=key).content.decode()
        assert listed.count(f'data-outcome="{key}"') == min(count, 100)
    history = client.get(reverse("crm:import-list")).content.decode()
    assert re.search(r'<td class="text-end">60</td><td class="text-end">61</td>\s*<td class="text-end">1</td>'
                     r'<td class="text-end">1</td>', history)
    assert "Merged with an earlier row" not in page


def test_a_confirmed_mapping_is_not_checked_again(client, owner):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    client.force_login(owner)
    client.post(reverse("crm:import-upload"), {"file": SimpleUploadedFile("c.csv", csv_bytes(
        [["Name", "Phone", "Notes"], ["Li Na", "13900139000", "x"], ["Wang Fang", "13800138000", "y"]]))})
    client_import = ClientImport.objects.get()
    mapping_url = reverse("crm:import-mapping", kwargs={"pk": client_import.pk})

    with CaptureQueriesContext(connection) as queries:
        response = client.post(mapping_url, {"column_0": "legal_name", "column_1": "phone", "column_2": "notes"})
    assert response.status_code == 302
    # The check reads the registry for duplicates; confirming the guessed mapping reads no client.
    assert not [q for q in queries if '"crm_client"' in q["sql"]]

    with CaptureQueriesContext(connection) as queries:
        client.post(mapping_url, {"column_0": "legal_name", "column_1": "phone", "column_2": ""})
    assert [q for q in queries if '"crm_client"' in q["sql"]]
    client_import.refresh_from_db()
    assert client_import.column_mapping == {"0": "legal_name", "1": "phone"}


def test_every_cleaned_value_can_be_seen_and_downloaded_before_the_commit(client, owner):
    rows = [["Name", "Phone", "E-mail"]] + [[f"=Client {i}", f"139 0000 {i:04d}", f"C{i}@EXAMPLE.com"]
                                            for i in range(150)]
    client_import = upload(owner, rows)
    client.force_login(owner)

    page = client.get(reverse("crm:import-rows", kwargs={"pk": client_import.pk}), {"page": 2}).content.decode()
    assert "rows 101–150 of 150" in page
    assert "+8613900000149" in page and "c149@example.com" in page

    response = client.get(reverse("crm:import-rows-csv", kwargs={"pk": client_import.pk}))
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == ["Row", "Status", "Legal name", "Phone", "E-mail", "Errors", "Notes"]
    assert len(table) == 151
    assert table[150][:5] == ["151", "New client", "'=Client 149", "+8613900000149", "c149@example.com"]
    response = client.get(reverse("crm:import-rows-xlsx", kwargs={"pk": client_import.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not Client.objects.exists()


@pytest.mark.parametrize("who", ["teammate", "outsider", "team_lead"])
def test_cleaned_values_are_shown_only_to_whoever_may_see_the_import(request, client, owner, who):
    client_import = upload(owner, [["Name", "Phone"], ["Li Na", "13900139000"]])
    client.force_login(request.getfixturevalue(who))
    for name in ("crm:import-rows", "crm:import-rows-csv", "crm:import-rows-xlsx"):
        assert client.get(reverse(name, kwargs={"pk": client_import.pk})).status_code == 404
    response = client.post(commit_url(client_import), {"page": "1", "bulk_registry_likely": "skip", "save": ""})
    assert response.status_code == 404
    client_import.refresh_from_db()
    assert client_import.decisions == {}


def test_a_row_following_an_earlier_row_into_a_registry_client_keeps_that_clients_values(owner):
    existing = ClientFactory(legal_name="Li Na", phone="+8613900139000", email="ln@example.com",
                             occupation="Teacher", manager=owner)
    client_import = upload(owner, [["Name", "Phone", "E-mail", "Occupation"],
                                   ["Li Na", "13900139000", "li.na@work.example", ""],
                                   ["Li Na", "13700137000", "li.na@work.example", "Engineer"]])
    rows = client_import.report["rows"]
    assert rows[1]["duplicate"]["source"] == "file"
    # Against row 2 the occupation fills a blank (taken by default); against the client it would replace one.
    assert {d["field"]: d["default"] for d in rows[1]["duplicate"]["differences"]}["occupation"] == "incoming"

    imports.client_import_commit(client_import=client_import, user=owner)

    existing.refresh_from_db()
    assert existing.occupation == "Teacher"
    assert Client.objects.count() == 1


@pytest.mark.parametrize("size", [3, 300])
def test_the_pages_of_an_import_read_the_same_queries_however_long_the_file(client, owner, size,
                                                                            django_assert_num_queries):
    for i in range(3):
        ClientFactory(legal_name=f"Known {i}", phone=f"+86139000000{i:02d}", manager=owner)
    rows = [["Name", "Phone"]] + [[f"Known {i}", f"139000000{i:02d}"] for i in range(3)]
    rows += [[f"New {i}", f"1370000{i:04d}"] for i in range(size)]
    client_import = upload(owner, rows)
    client.force_login(owner)
    detail(client, client_import)  # warm the session and role caches
    # session + user + roles + the import + its previous commit of the same file + the navbar's unread
    # notifications; the rows, duplicates and decisions are read from the staged report, not the registry
    with django_assert_num_queries(6):
        assert detail(client, client_import).status_code == 200
    # session + user + roles + the import + the navbar's unread notifications
    with django_assert_num_queries(5):
        assert client.get(reverse("crm:import-rows", kwargs={"pk": client_import.pk})).status_code == 200
    imports.client_import_commit(client_import=client_import, user=owner)
    with django_assert_num_queries(6):
        assert detail(client, client_import, outcome="created").status_code == 200
