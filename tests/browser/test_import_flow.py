"""An RM imports a messy spreadsheet in a real browser, fixes what it reports, and finds the clients."""

import re

import pytest
from playwright.sync_api import expect

from crm.models import Client
from tests.factories import ClientFactory, csv_bytes

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_it_imports_checks_decides_and_commits(page, live_server, owner, tmp_path):
    ClientFactory(legal_name="Li Na", phone="+8613900139000", email="", manager=owner)
    path = tmp_path / "分行客户.csv"
    path.write_bytes(csv_bytes([
        ["客户姓名", "手机号码", "电子邮箱", "出生日期"],
        ["　王　芳 ", "138 0013 8000", "Wang.Fang@EXAMPLE.com", "1980年5月17日"],
        ["Li  Na", "+86-139-0013-9000", "li.na@example.com", ""],
        ["Zhou Jie", "12345", "", ""],
    ], encoding="gb18030"))
    login(page, live_server, owner)
    page.goto("/clients/imports/upload/")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file (dry run)").click()

    expect(page.get_by_test_id("import-errors")).to_contain_text("not a valid phone number")
    duplicate = page.get_by_test_id("duplicate-row-3")
    expect(duplicate).to_contain_text("Li Na")
    duplicate.get_by_label(re.compile("Take: li.na@example.com")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Commit the import").click()
    expect(page.get_by_test_id("import-result")).to_be_visible()

    page.goto("/clients/?q=王芳")
    expect(page.locator("table.table-clients")).to_contain_text("王芳")
    assert Client.objects.get(legal_name="Li Na").email == "li.na@example.com"
    assert Client.objects.filter(legal_name="王芳", primary_manager=owner).exists()


def test_it_skips_every_duplicate_of_a_kind_at_once_with_the_commit_button_in_reach(page, live_server, owner,
                                                                                      tmp_path):
    rows = [["客户姓名", "手机号码", "电子邮箱"]]
    for i in range(60):
        ClientFactory(legal_name=f"Known {i}", phone=f"+861390000{i:04d}", email="", manager=owner)
        rows.append([f"Known {i}", f"1390000{i:04d}", f"KNOWN{i}@Example.com"])
    rows.append(["New Client", "13700137000", ""])
    path = tmp_path / "again.csv"
    path.write_bytes(csv_bytes(rows))
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, owner)
    page.goto("/clients/imports/upload/")
    page.set_input_files("input[type=file]", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and check").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file (dry run)").click()

    expect(page.locator("[data-testid^=duplicate-row-]")).to_have_count(50)
    page.get_by_test_id("bulk-registry_likely").get_by_role("combobox").select_option(label="Skip all")
    commit = page.get_by_role("button", name="Commit the import")
    expect(commit).to_be_in_viewport()  # no scrolling past 50 cards to reach it
    page.get_by_test_id("duplicate-row-2").scroll_into_view_if_needed()
    expect(commit).to_be_in_viewport()
    with page.expect_navigation():
        commit.click()

    expect(page.get_by_test_id("result-skipped")).to_have_text("60")
    expect(page.get_by_test_id("result-created")).to_have_text("1")
    expect(page.locator(".alert-success")).to_contain_text("Created: 1, merged: 0, skipped: 60")
    assert Client.objects.count() == 61
    assert not Client.objects.exclude(email="").exists()
