"""The client list: search, filters, sorting, pagination, and a query count that does not grow."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm import selectors
from crm.models import Client
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [client.legal_name for client in response.context["page"]]


@pytest.fixture
def book(owner):
    """Three of the owner's clients with distinct contact data, tiers, stages and tags."""
    vip = TagFactory(name="vip")
    wang = ClientFactory(legal_name="Wang Fang", preferred_name="Fiona", id_type=Client.IdType.RESIDENT_ID,
                         id_number="11010519491231002X", phone="+8613912345678", email="fang.wang@mail.example",
                         aum_total=Decimal("8000000"), aum_tier=Client.AumTier.HNW, risk_level="C4",
                         lifecycle_stage=Client.LifecycleStage.MATURITY, investment_goal=Client.InvestmentGoal.RETIREMENT,
                         liquidity_need=Client.LiquidityNeed.LOW, return_expectation=Client.ReturnExpectation.STABLE,
                         manager=owner)
    wang.tags.add(vip)
    li = ClientFactory(legal_name="李娜", phone="+8613700000001", email="li.na@mail.example",
                       aum_total=Decimal("600000"), aum_tier=Client.AumTier.AFFLUENT,
                       lifecycle_stage=Client.LifecycleStage.GROWTH, investment_goal=Client.InvestmentGoal.EDUCATION,
                       liquidity_need=Client.LiquidityNeed.HIGH, return_expectation=Client.ReturnExpectation.HIGH,
                       manager=owner)
    chen = ClientFactory(legal_name="Chen Jie", aum_total=Decimal("1000"), risk_level="C2", manager=owner)
    return {"wang": wang, "li": li, "chen": chen, "vip": vip}


@pytest.mark.parametrize("term,expected", [
    ("wang", ["Wang Fang"]),                      # legal name, any case
    ("Fiona", ["Wang Fang"]),                     # preferred name
    ("李娜", ["李娜"]),
    ("11010519491231002x", ["Wang Fang"]),        # ID number, lower-case check character
    ("110105 1949 1231 002X", ["Wang Fang"]),     # ID number typed with spaces
    ("１１０１０５１９４９１２３１００２Ｘ", ["Wang Fang"]),  # full-width characters from a Chinese IME
    ("139 1234 5678", ["Wang Fang"]),             # phone without country code, with spaces
    ("+86 139-1234-5678", ["Wang Fang"]),         # phone with country code and dashes
    ("0086 139 1234 5678", ["Wang Fang"]),        # dialled from abroad
    ("5678", ["Wang Fang"]),                      # the last digits of a phone (尾号)
    ("FANG.WANG@mail.example", ["Wang Fang"]),    # e-mail, any case
    ("li.na@", ["李娜"]),                          # start of an e-mail
    ("nobody", []),
])
def test_it_finds_clients_by_name_id_number_phone_or_email(client, owner, book, term, expected):
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"), {"q": term})
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.parametrize("params,expected", [
    ({"tier": "hnw"}, ["Wang Fang"]),
    ({"tier": "affluent"}, ["李娜"]),
    ({"risk": "C2"}, ["Chen Jie"]),
    ({"risk": "none"}, ["李娜"]),                  # not assessed yet
    ({"lifecycle": "growth"}, ["李娜"]),
    ({"tier": "mass", "risk": "C2"}, ["Chen Jie"]),
    ({"goal": "education"}, ["李娜"]),
    ({"liquidity": "low"}, ["Wang Fang"]),
    ({"returns": "high"}, ["李娜"]),
    ({"goal": "retirement", "returns": "stable"}, ["Wang Fang"]),
    ({"tier": "bogus"}, ["Chen Jie", "Wang Fang", "李娜"]),  # an unknown value filters nothing
])
def test_it_filters_by_segment(client, owner, book, params, expected):
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"), params)
    assert response.status_code == 200
    assert names(response) == expected


def test_it_filters_by_tag(client, owner, book):
    book["li"].tags.add(TagFactory(name="family-office"), book["vip"])
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"), {"tags": [book["vip"].pk]})
    assert names(response) == ["Wang Fang", "李娜"]


def test_it_filters_by_primary_rm_and_unassigned(client, team_lead, owner, teammate, book):
    ClientFactory(legal_name="Teammate Client", manager=teammate)
    ClientFactory(legal_name="Nobody's Client")
    client.force_login(team_lead)
    assert names(client.get(reverse("crm:client-list"), {"rm": teammate.pk})) == ["Teammate Client"]
    assert names(client.get(reverse("crm:client-list"), {"rm": "none"})) == ["Nobody's Client"]


def test_it_hides_merged_records_unless_asked(client, owner, book):
    book["chen"].status = Client.Status.MERGED
    book["chen"].save()
    client.force_login(owner)
    assert "Chen Jie" not in names(client.get(reverse("crm:client-list")))
    assert names(client.get(reverse("crm:client-list"), {"status": "merged"})) == ["Chen Jie"]
    assert "Chen Jie" in names(client.get(reverse("crm:client-list"), {"status": "all"}))


@pytest.mark.parametrize("sort,expected", [
    ("name", ["Chen Jie", "Wang Fang", "李娜"]),
    ("-name", ["李娜", "Wang Fang", "Chen Jie"]),
    ("-aum", ["Wang Fang", "李娜", "Chen Jie"]),
    ("aum", ["Chen Jie", "李娜", "Wang Fang"]),
    ("tier", ["Wang Fang", "李娜", "Chen Jie"]),        # HNW first
    ("lifecycle", ["Chen Jie", "李娜", "Wang Fang"]),   # potential, growth, maturity
    ("-lifecycle", ["Wang Fang", "李娜", "Chen Jie"]),
    ("legal_name; DROP TABLE", ["Chen Jie", "Wang Fang", "李娜"]),  # not whitelisted: default order
])
def test_it_sorts_by_whitelisted_columns_only(client, owner, book, sort, expected):
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"), {"sort": sort})
    assert response.status_code == 200
    assert names(response) == expected


def test_it_sorts_by_rm_with_unassigned_last(team_lead, owner, teammate):
    ClientFactory(legal_name="A unassigned")
    ClientFactory(legal_name="B of Tom", manager=teammate)
    ClientFactory(legal_name="C of Olivia", manager=owner)
    clients = selectors.client_list_search(user=team_lead, params={"sort": "rm"})
    assert [c.legal_name for c in clients] == ["C of Olivia", "B of Tom", "A unassigned"]


def test_it_keeps_filters_in_the_sort_links(client, owner, book):
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"), {"tier": "hnw", "sort": "aum", "page": "1"})
    link = response.context["sort_links"]["aum"]
    assert link["active"] and not link["descending"]
    assert link["url"] == "?tier=hnw&sort=-aum"


def test_it_pages_fifty_clients_at_a_time(client, owner):
    ClientFactory.create_batch(51, manager=owner)
    client.force_login(owner)
    first = client.get(reverse("crm:client-list"))
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].has_next
    second = client.get(reverse("crm:client-list"), {"page": 2})
    assert len(second.context["page"].object_list) == 1
    assert not second.context["page"].has_next
    assert client.get(reverse("crm:client-list"), {"page": "x"}).status_code == 200


def test_it_shows_an_rm_only_their_own_clients(client, owner, outsider, book):
    ClientFactory(legal_name="Outsider Client", manager=outsider)
    client.force_login(outsider)
    assert names(client.get(reverse("crm:client-list"))) == ["Outsider Client"]
    assert names(client.get(reverse("crm:client-list"), {"q": "wang"})) == []


@pytest.mark.parametrize("count", [3, 30])
def test_it_lists_clients_in_a_constant_number_of_queries(client, owner, django_assert_num_queries, count):
    tag = TagFactory(name="vip")
    for index in range(count):
        ClientFactory(legal_name=f"Client {index:03d}", manager=owner).tags.add(tag)
    client.force_login(owner)
    # 1 session, 2 user, 3 user's groups (roles), 4 the count and AUM sum of the filtered list (one
    # aggregate), 5 the user's chosen columns, 6 the page of clients (+1 row to know if there is a
    # next page; primary RM joined), 7 their tags (one prefetch for the page), 8 the RM choices of the
    # filter, 9 the tag choices of the filter, 10 the user's saved filters, 11 the navbar's unread
    # notification count. (No recently viewed clients in this session, so no query for them.)
    with django_assert_num_queries(11):
        response = client.get(reverse("crm:client-list"), {"q": "client", "sort": "-aum"})
    assert len(response.context["page"].object_list) == count


def test_it_shows_the_count_and_aum_sum_of_the_current_filter(client, owner, outsider, book):
    ClientFactory(legal_name="Outsider Client", manager=outsider, aum_total=Decimal("5000000"))
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"))
    assert response.status_code == 200
    assert response.context["summary"]["client_count"] == 3
    assert response.context["summary"]["aum_sum"] == Decimal("8601000")
    filtered = client.get(reverse("crm:client-list"), {"tier": "hnw"})
    assert filtered.context["summary"]["client_count"] == 1
    assert "8,000,000.00" in filtered.content.decode()


def test_it_shows_the_total_and_no_link_to_page_zero(client, owner):
    ClientFactory.create_batch(51, manager=owner)
    client.force_login(owner)
    first = client.get(reverse("crm:client-list"))
    page = first.content.decode()
    assert "1–50 of 51" in page
    assert "page=0" not in page
    last = client.get(reverse("crm:client-list"), {"page": 9})  # past the end: the last page
    assert last.context["page"].number == 2
    assert "51–51 of 51" in last.content.decode()


def test_it_remembers_the_columns_each_user_chose(client, owner, teammate, book):
    client.force_login(owner)
    before = client.get(reverse("crm:client-list"))
    assert "phone" not in before.context["columns"]  # not a default column
    assert "Phone</th>" not in before.content.decode()
    response = client.post(reverse("crm:client-list-columns"), {"columns": ["phone", "bogus"], "query": "tier=hnw"})
    assert response.status_code == 302
    assert response.url == reverse("crm:client-list") + "?tier=hnw"
    assert owner.client_list_preference.columns == ["phone"]
    after = client.get(reverse("crm:client-list"))
    assert after.context["columns"] == ["phone"]
    page = after.content.decode()
    assert "Phone</th>" in page and "8,000,000.00" in page  # AUM is always shown
    assert 'data-testid="client-aum"' in page and "Lifecycle stage</a></th>" not in page
    client.force_login(teammate)
    assert client.get(reverse("crm:client-list")).context["columns"] == list(selectors.CLIENT_COLUMNS_DEFAULT)


def test_it_finds_a_client_by_client_number(client, owner, outsider, book):
    hidden = ClientFactory(legal_name="Not mine", manager=outsider)
    client.force_login(owner)
    assert names(client.get(reverse("crm:client-list"), {"q": str(book["li"].pk)})) == ["李娜"]
    assert names(client.get(reverse("crm:client-list"), {"q": str(hidden.pk)})) == []


def test_it_lists_recently_viewed_clients_the_user_may_still_see(client, owner, teammate, book):
    client.force_login(owner)
    for key in ("chen", "wang"):
        assert client.get(reverse("crm:client-detail", args=[book[key].pk])).status_code == 200
    recent = client.get(reverse("crm:client-recent")).json()["results"]
    assert [row["name"] for row in recent] == [book["wang"].display_name, book["chen"].display_name]
    assert [c.pk for c in client.get(reverse("crm:client-list")).context["recent_clients"]] == [
        book["wang"].pk, book["chen"].pk]
    # Chen is handed over to the teammate: no longer the owner's to see, so no longer listed.
    Client.objects.filter(pk=book["chen"].pk).update(primary_manager=teammate)
    book["chen"].assignments.update(manager=teammate)
    recent = client.get(reverse("crm:client-recent")).json()["results"]
    assert [row["name"] for row in recent] == [book["wang"].display_name]



def test_the_filter_form_shows_the_chosen_filters_and_what_was_refused(client, owner, book):
    """The form is hand-written markup (crm/includes/client_filter_form.html), not crispy: it must still
    keep the chosen values, translate its labels and mark a refused value as crispy did."""
    client.force_login(owner)
    vip = book["vip"].pk

    html = client.get(reverse("crm:client-list"), {
        "q": "wa<ng", "tier": "hnw", "tags": [vip], "sort": "-aum", "risk": "bogus"}).content.decode()

    assert '<input type="search" name="q" value="wa&lt;ng"' in html
    assert '<option value="hnw" selected>' in html and '<option value="affluent">' in html
    assert f'<option value="{vip}" selected>vip</option>' in html
    assert '<select name="tags" size="3" multiple class="selectmultiple form-select" id="id_tags">' in html
    assert '<input type="hidden" name="sort" value="-aum" id="id_sort">' in html
    assert 'class="select form-select is-invalid" aria-invalid="true" aria-describedby="id_risk_error" id="id_risk"' \
        in html
    assert '<div id="id_risk_error" class="invalid-feedback"><span id="error_1_id_risk"><strong>' in html
    assert '<label for="id_tier" class="form-label">AUM tier</label>' in html

    html = client.get(reverse("crm:client-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert '<label for="id_tier" class="form-label">资产层级</label>' in html
    assert '<option value="" selected>不限</option>' in html
