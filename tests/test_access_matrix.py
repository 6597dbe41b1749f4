"""Role × URL: who may open what. Grows as views are added.

Every URL that shows one client is listed in CLIENT_URLS; every page in PAGES.
A user who may not see a client gets 404 (never 403, never the data).
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# (url name, kwargs builder) for pages about one client; GET must be safe.
CLIENT_URLS = [
    ("crm:client-detail", lambda c: {"pk": c.pk}),
]

# Pages any signed-in staff member may open.
PAGES = ["home", "crm:client-list", "password_change"]

# role fixture -> may see the owner's client
VISIBILITY = {
    "owner": True,
    "team_lead": True,
    "compliance": True,
    "administrator": True,
    "teammate": False,
    "outsider": False,
    "other_lead": False,
}


@pytest.mark.parametrize("url_name,kwargs", CLIENT_URLS)
@pytest.mark.parametrize("who,may_see", VISIBILITY.items())
def test_it_shows_a_client_only_to_those_who_serve_or_supervise_it(
    request, client, client_record, url_name, kwargs, who, may_see
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse(url_name, kwargs=kwargs(client_record)))
    assert response.status_code == (200 if may_see else 404)
    if not may_see:
        assert client_record.legal_name not in response.content.decode()


@pytest.mark.parametrize("url_name", PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url_name,kwargs", CLIENT_URLS)
def test_it_sends_anonymous_visitors_away_from_client_pages(client, client_record, url_name, kwargs):
    response = client.get(reverse(url_name, kwargs=kwargs(client_record)))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url_name", PAGES)
@pytest.mark.parametrize("who", ["owner", "team_lead", "compliance", "administrator"])
def test_it_opens_every_page_for_every_role(request, client, url_name, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(url_name)).status_code == 200


def test_it_lists_only_the_clients_an_rm_serves(client, client_record, outsider):
    client.force_login(outsider)
    response = client.get(reverse("crm:client-list"))
    assert client_record.legal_name not in response.content.decode()
    client.force_login(client_record.primary_manager)
    response = client.get(reverse("crm:client-list"))
    assert client_record.legal_name in response.content.decode()
