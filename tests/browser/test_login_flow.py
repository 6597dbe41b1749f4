"""An RM's first minutes in a real browser: sign in, find their client, never another RM's."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import ClientFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread with its own connection: the data must be committed.
    # serialized_rollback restores the roles the data migration made, which the flush removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BOOTSTRAP_PRIMARY_BLUE = "rgb(13, 110, 253)"


@pytest.fixture
def other_client(outsider):
    return ClientFactory(legal_name="Li Na", manager=outsider)


def test_it_serves_the_vendored_static_files(page, live_server):
    response = page.request.get(f"{live_server.url}{settings.STATIC_URL}vendor/bootstrap/bootstrap.min.css")
    assert response.status == 200
    assert "text/css" in response.headers["content-type"]

    page.goto("/accounts/login/")
    # Bootstrap's stylesheet is applied, not merely linked: its primary button colour.
    sign_in = page.locator("form[action$='/accounts/login/'] button[type=submit]")
    expect(sign_in).to_have_css("background-color", BOOTSTRAP_PRIMARY_BLUE)


def test_it_takes_an_rm_from_sign_in_to_their_client_in_english_and_chinese(
    page, live_server, owner, client_record, other_client
):
    login(page, live_server, owner)
    expect(page).to_have_url(re.compile(r"/$"))
    navbar = page.locator("nav.navbar")
    expect(navbar.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()

    navbar.get_by_role("link", name="Clients", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    table = page.locator("table.table-clients")
    expect(table.get_by_role("link", name=client_record.legal_name)).to_be_visible()
    expect(table).not_to_contain_text(other_client.legal_name)

    table.get_by_role("link", name=client_record.legal_name).click()
    expect(page).to_have_url(re.compile(rf"/clients/{client_record.pk}/$"))
    expect(page.get_by_test_id("client-name")).to_contain_text(client_record.legal_name)

    # The footer's language switcher submits on change.
    with page.expect_navigation():
        page.get_by_test_id("language-switcher").locator("select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(navbar.get_by_role("link", name="客户", exact=True)).to_be_visible()
    expect(page.get_by_test_id("client-name")).to_contain_text(client_record.legal_name)

    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.locator("form[action$='/accounts/logout/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"/clients/{client_record.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator("body")).not_to_contain_text(client_record.legal_name)


def test_it_shows_the_not_found_page_for_another_rms_client(page, live_server, owner, other_client):
    login(page, live_server, owner)

    response = page.goto(f"/clients/{other_client.pk}/")

    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(other_client.legal_name)
