"""Deep pages of the client list by keyset cursor (crm.pagination): the same rows as an OFFSET would
give, in every sort, with ties on the sort key; the access rule on every page; forged cursors ignored."""

import base64
import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.http import QueryDict
from django.urls import reverse

from crm import pagination, selectors
from crm.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

PER_PAGE = 4


@pytest.fixture
def book(team_lead, owner, teammate):
    """Fifteen clients of two RMs and three unassigned, with ties on every sort key: the same names,
    the same AUM, tiers and stages, so only the id tells many of them apart."""
    managers = [owner, teammate, None]
    for index in range(15):
        ClientFactory(legal_name=f"Client {index % 4}", aum_total=Decimal(1000 * (index % 3)),
                      aum_tier=[Client.AumTier.HNW, Client.AumTier.MASS][index % 2],
                      lifecycle_stage=[Client.LifecycleStage.GROWTH, Client.LifecycleStage.POTENTIAL][index % 2],
                      manager=managers[index % 3])


def _walk(user, sort: str) -> tuple[list[int], list[int]]:
    """Every client's id, page after page by the Next cursor, then back by the Previous one."""
    clients = selectors.client_list_search(user=user, params={"sort": sort})
    total = clients.count()

    def page(params: str):
        return pagination.KeysetPage(clients, QueryDict(params), sort=sort, total=total, query="",
                                     per_page=PER_PAGE)

    forward, current = [], page("")
    pages = [current]
    while True:
        forward += [c.pk for c in current]
        if not current.has_next:
            break
        current = page(current.next_query)
        pages.append(current)
    backward = []
    while True:
        backward = [c.pk for c in current] + backward
        if not current.has_previous:
            break
        current = page(current.previous_query)
    for number, shown in enumerate(pages, start=1):
        assert shown.number == number
        assert shown.start_index == (number - 1) * PER_PAGE + 1
    return forward, backward


@pytest.mark.parametrize("sort", [
    "name", "-name", "aum", "-aum", "tier", "-tier", "lifecycle", "-lifecycle", "rm", "-rm", "created", "-created"])
def test_it_pages_by_cursor_through_the_same_rows_as_the_whole_list(team_lead, book, sort):
    expected = list(selectors.client_list_search(user=team_lead, params={"sort": sort}).values_list("pk", flat=True))
    assert len(expected) == 15
    forward, backward = _walk(team_lead, sort)
    assert forward == expected
    assert backward == expected


def test_it_shows_the_last_page_and_the_position_of_a_deep_page(team_lead, book):
    clients = selectors.client_list_search(user=team_lead, params={})
    expected = list(clients.values_list("pk", flat=True))
    last = pagination.KeysetPage(clients, QueryDict("last=1"), sort="name", total=15, per_page=PER_PAGE)
    assert [c.pk for c in last] == expected[12:]
    assert (last.number, last.start_index, last.end_index, last.has_next) == (4, 13, 15, False)
    before = pagination.KeysetPage(clients, QueryDict(last.previous_query), sort="name", total=15, per_page=PER_PAGE)
    assert [c.pk for c in before] == expected[8:12]
    assert (before.number, before.start_index, before.end_index) == (3, 9, 12)


def test_it_offers_page_numbers_only_for_the_first_pages(team_lead, book):
    clients = selectors.client_list_search(user=team_lead, params={})
    expected = list(clients.values_list("pk", flat=True))
    page = pagination.KeysetPage(clients, QueryDict("page=2"), sort="name", total=15, per_page=2)
    assert [c.pk for c in page] == expected[2:4]
    assert [number for number, _link in page.numbered] == list(range(1, pagination.NUMBERED_PAGES + 1))
    deep = pagination.KeysetPage(clients, QueryDict("page=7"), sort="name", total=15, per_page=2)
    assert deep.number == pagination.NUMBERED_PAGES  # deeper pages by cursor, never a deep OFFSET
    past = pagination.KeysetPage(clients, QueryDict("page=99"), sort="name", total=15, per_page=2)
    assert [c.pk for c in past] == expected[14:]


def test_a_cursor_never_shows_clients_the_user_may_not_see(client, team_lead, owner, outsider, book):
    mine = ClientFactory(legal_name="Client 2 outsider's", manager=outsider)
    cursor = parse_qs(pagination.KeysetPage(
        selectors.client_list_search(user=team_lead, params={}), QueryDict(""), sort="name", total=15,
        per_page=PER_PAGE).next_query)["after"][0]
    client.force_login(outsider)
    response = client.get(reverse("crm:client-list"), {"after": cursor})
    assert [c.pk for c in response.context["page"]] == [mine.pk]  # after "Client 0": only the outsider's own
    client.force_login(owner)
    shown = [c.pk for c in client.get(reverse("crm:client-list"), {"after": cursor}).context["page"]]
    assert mine.pk not in shown and set(shown) <= set(Client.objects.filter(primary_manager=owner).values_list(
        "pk", flat=True))


def _token(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize("cursor", [
    "not base64!", _token({}), _token(["name", 1, ["Client 1"]]),  # not a cursor; one key short
    _token(["aum", 1, ["1000", "1"]]),  # another sort's cursor
    _token(["name", 1, ["Client 1", "x"]]),  # not an id
    _token(["name", -5, ["Client 1", "1"]]),  # no such position
])
def test_a_forged_cursor_shows_the_first_page(client, team_lead, book, cursor):
    client.force_login(team_lead)
    expected = [c.pk for c in client.get(reverse("crm:client-list")).context["page"]]
    response = client.get(reverse("crm:client-list"), {"after": cursor})
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"]] == expected


def test_the_page_links_keep_the_filters_and_drop_the_old_cursor(client, owner):
    ClientFactory.create_batch(51, manager=owner, aum_tier=Client.AumTier.HNW)
    client.force_login(owner)
    first = client.get(reverse("crm:client-list"), {"tier": "hnw"})
    html = first.content.decode()
    assert "1–50 of 51" in html and 'rel="next"' in html
    second = client.get(reverse("crm:client-list") + "?" + first.context["page"].next_query)
    assert second.context["query"] == "tier=hnw"
    assert "51–51 of 51" in second.content.decode()
    assert second.context["page"].previous_query == "tier=hnw&page=1"
    assert "after=" not in second.context["sort_links"]["aum"]["url"]


@pytest.mark.parametrize("count", [3, 60])
def test_a_cursor_page_takes_as_many_queries_as_the_first(client, owner, django_assert_num_queries, count):
    for index in range(count):
        ClientFactory(legal_name=f"Client {index:03d}", manager=owner)
    client.force_login(owner)
    cursor = pagination._encode("name", 2, ["Client 000", str(Client.objects.order_by("pk").first().pk)])
    # The same 11 as the first page (tests/crm/test_client_list.py): the page is one query by cursor.
    with django_assert_num_queries(11):
        response = client.get(reverse("crm:client-list"), {"after": cursor})
    assert len(response.context["page"].object_list) == min(count - 1, 50)


def test_a_search_with_more_matches_than_a_short_list_is_still_found_first_and_sorted(
        client, team_lead, book, monkeypatch):
    """A name search's matches cluster in name order, so up to SEARCH_SORTED_AFTER_FINDING of them are
    found through the search's indexes and sorted after, rather than met by walking the name index;
    a filter's list as long is read in sort order. The rows are the same either way."""
    monkeypatch.setattr(selectors, "SORTED_AFTER_FINDING", 2)
    monkeypatch.setattr(selectors, "SEARCH_SORTED_AFTER_FINDING", 50)
    searched = selectors.client_list_search(user=team_lead, params={"q": "Client"})
    expected = list(searched.values_list("pk", flat=True))
    assert len(expected) == 15
    for_page = selectors.client_list_for_page(searched, total=15, searched=True)
    assert str(for_page.query) != str(searched.query)  # fetched by the found ids
    assert list(for_page.values_list("pk", flat=True)) == expected
    listed = selectors.client_list_search(user=team_lead, params={})
    assert str(selectors.client_list_for_page(listed, total=15).query) == str(listed.query)
    client.force_login(team_lead)
    response = client.get(reverse("crm:client-list"), {"q": "Client"})
    assert [c.pk for c in response.context["page"]] == expected[:len(response.context["page"].object_list)]
