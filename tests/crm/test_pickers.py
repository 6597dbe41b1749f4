"""Client pickers: the JSON search answers from the access module; handover and merge take the
clients picked, never typed numbers, and refuse one the user may not edit."""

import pytest
from django.urls import reverse

from crm.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
URL = "/clients/pick/"


def ids(response) -> list[int]:
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def namesakes(owner, outsider):
    """Two 何洋 of the owner (told apart by birth date) and one of an outsider."""
    import datetime

    older = ClientFactory(legal_name="何洋", manager=owner, birth_date=datetime.date(1950, 3, 2))
    younger = ClientFactory(legal_name="何洋", manager=owner, birth_date=datetime.date(1973, 7, 9))
    theirs = ClientFactory(legal_name="何洋", manager=outsider)
    return older, younger, theirs


def test_it_finds_the_users_clients_by_name_with_the_birth_date_to_tell_them_apart(client, owner, namesakes):
    older, younger, _theirs = namesakes
    client.force_login(owner)

    response = client.get(URL, {"q": "何洋"})

    assert sorted(ids(response)) == sorted([older.pk, younger.pk])
    texts = [row["text"] for row in response.json()["results"]]
    assert any("1950-03-02" in text for text in texts) and any("1973-07-09" in text for text in texts)


def test_it_finds_a_client_by_number_phone_or_id(client, owner, client_record):
    client_record.phone, client_record.id_number = "+8613800138000", "110101199003071234"
    client_record.save(update_fields=["phone", "id_number"])
    client.force_login(owner)

    for term in (str(client_record.pk), "13800138000", "110101199003071234"):
        assert ids(client.get(URL, {"q": term})) == [client_record.pk], term


def test_it_offers_an_outsider_none_of_the_owners_clients(client, outsider, namesakes):
    client.force_login(outsider)

    assert ids(client.get(URL, {"q": "何洋"})) == [namesakes[2].pk]


def test_compliance_finds_clients_to_read_but_none_to_edit(client, compliance, namesakes):
    client.force_login(compliance)

    assert len(ids(client.get(URL, {"q": "何洋"}))) == 3
    assert ids(client.get(URL, {"q": "何洋", "scope": "editable"})) == []


def test_it_answers_an_empty_search_with_nothing(client, owner, namesakes):
    client.force_login(owner)

    assert ids(client.get(URL, {"q": "  "})) == []


def test_it_leaves_merged_records_out(client, owner, client_record):
    ClientFactory(legal_name="Zhang Wei", manager=owner, status=Client.Status.MERGED, merged_into=client_record)
    client.force_login(owner)

    assert ids(client.get(URL, {"q": "Zhang Wei"})) == [client_record.pk]


@pytest.mark.parametrize("clients", [2, 40])
def test_the_search_queries_do_not_grow_with_matches(client, owner, clients, django_assert_num_queries):
    for _n in range(clients):
        ClientFactory(legal_name="Chen Jing", manager=owner)
    client.force_login(owner)

    # 1 session, 2 user, 3 the user's roles, 4 the matching clients (at most 20).
    with django_assert_num_queries(4):
        response = client.get(URL, {"q": "Chen"})

    assert len(ids(response)) == min(clients, 20)


# --- Handover and merge take picked clients ------------------------------------------------------


@pytest.fixture
def book(owner):
    return [ClientFactory(legal_name=f"Client {n}", manager=owner) for n in range(3)]


def handover_data(owner, target, clients) -> dict:
    return {"leaving_manager": owner.pk, "scope": "selected", "clients": [c.pk for c in clients],
            "targets": [target.pk], "reason": "Owner leaves"}


def test_the_handover_form_offers_a_client_picker_not_a_box_for_numbers(client, team_lead):
    client.force_login(team_lead)

    html = client.get(reverse("crm:handover")).content.decode()

    assert 'data-picker="client"' in html and 'data-scope="editable"' in html
    assert "tom-select.complete.min.js" in html
    assert "Client numbers separated by commas" not in html


def test_the_handover_preview_keeps_the_picked_clients(client, team_lead, owner, teammate, book):
    client.force_login(team_lead)

    response = client.post(reverse("crm:handover"), handover_data(owner, teammate, book[:2]))

    assert response.status_code == 200
    assert sorted(c.pk for c, _target in response.context["plan"]) == sorted(c.pk for c in book[:2])
    assert ("clients", str(book[0].pk)) in response.context["hidden_fields"]


def test_the_handover_moves_the_picked_clients_only(client, team_lead, owner, teammate, book):
    client.force_login(team_lead)

    response = client.post(reverse("crm:handover-confirm"), handover_data(owner, teammate, [book[1]]))

    assert response.status_code == 302
    assert [Client.objects.get(pk=c.pk).primary_manager for c in book] == [owner, teammate, owner]


def test_the_handover_refuses_a_client_the_lead_may_not_edit(client, other_lead, outsider, owner, book):
    client.force_login(other_lead)

    response = client.post(reverse("crm:handover-confirm"), handover_data(owner, outsider, [book[0]]))

    assert response.status_code == 200
    assert {"leaving_manager", "clients"} & set(response.context["form"].errors)
    assert Client.objects.get(pk=book[0].pk).primary_manager == owner


def test_the_merge_page_offers_a_picker_and_compares_the_picked_record(client, owner, client_record):
    twin = ClientFactory(legal_name="Zhang Wei", manager=owner)
    client.force_login(owner)
    url = reverse("crm:client-merge", args=[client_record.pk])

    choose = client.get(url).content.decode()
    compare = client.get(url, {"other": twin.pk})

    assert 'data-picker="client"' in choose and "the number in the address" not in choose.lower()
    assert compare.status_code == 200 and compare.context["other"] == twin


def test_the_merge_page_refuses_a_picked_record_the_user_may_not_edit(client, owner, client_record, outsider):
    theirs = ClientFactory(legal_name="Zhang Wei", manager=outsider)
    client.force_login(owner)

    response = client.get(reverse("crm:client-merge", args=[client_record.pk]), {"other": theirs.pk})

    assert response.status_code == 404
