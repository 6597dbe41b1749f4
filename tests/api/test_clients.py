"""/api/v1/clients/: list with the client list's filters, retrieve, register, change; access per role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Client, RegistrationConflict, SensitiveView
from tests.api.conftest import error_fields
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:client-list")


def detail(client) -> str:
    return reverse("api:client-detail", kwargs={"pk": client.pk})


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["legal_name"] for row in response.json()["results"]]


def test_it_lists_the_clients_the_rm_serves_and_no_one_elses(api_as, owner, teammate, client_record):
    ClientFactory(legal_name="Teammate's client", manager=teammate)

    response = api_as(owner).get(LIST)

    assert names(response) == ["Zhang Wei"]
    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    row = body["results"][0]
    assert row["id"] == client_record.pk and row["primary_manager"] == owner.pk
    assert row["phone"] == client_record.phone and row["pii_masked"] is False


def test_a_team_lead_sees_team_members_clients_with_id_and_phone_masked(api_as, team_lead, client_record):
    row = api_as(team_lead).get(LIST).json()["results"][0]

    assert row["legal_name"] == "Zhang Wei" and row["pii_masked"] is True
    assert row["phone"] != client_record.phone and "****" in row["phone"]
    assert row["id_number"] != client_record.id_number and row["id_number"].endswith(client_record.id_number[-2:])


def test_compliance_sees_everyone_in_full(api_as, compliance, client_record):
    row = api_as(compliance).get(detail(client_record)).json()
    assert row["phone"] == client_record.phone and row["pii_masked"] is False


def test_it_filters_as_the_client_list_does(api_as, owner):
    ClientFactory(legal_name="Wang Fang", manager=owner, aum_tier="hnw", risk_level="C4", lifecycle_stage="growth")
    ClientFactory(legal_name="Li Lei", manager=owner, aum_tier="mass")
    api = api_as(owner)

    assert names(api.get(LIST, {"tier": "hnw"})) == ["Wang Fang"]
    assert names(api.get(LIST, {"risk": "C4"})) == ["Wang Fang"]
    assert names(api.get(LIST, {"risk": "none"})) == ["Li Lei"]
    assert names(api.get(LIST, {"stage": "growth"})) == ["Wang Fang"]
    assert names(api.get(LIST, {"q": "wang"})) == ["Wang Fang"]
    assert names(api.get(LIST, {"sort": "-name"})) == ["Wang Fang", "Li Lei"]


def test_updated_since_lists_only_clients_changed_since(api_as, owner):
    old = ClientFactory(legal_name="Old", manager=owner)
    Client.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    ClientFactory(legal_name="New", manager=owner)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    assert names(api_as(owner).get(LIST, {"updated_since": since})) == ["New"]


def test_updated_since_takes_any_iso_offset_and_refuses_a_time_before_year_one(api_as, owner):
    ClientFactory(legal_name="New", manager=owner)

    # ISO 8601 allows offsets PostgreSQL does not (beyond ±15:59): found by schemathesis as a 500.
    assert names(api_as(owner).get(LIST, {"updated_since": "0141-03-02T10:00:00-21:23"})) == ["New"]
    response = api_as(owner).get(LIST, {"updated_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert error_fields(response) == {"updated_since": "invalid"}


def test_a_bad_filter_value_is_a_validation_error(api_as, owner):
    response = api_as(owner).get(LIST, {"tier": "platinum", "updated_since": "yesterday"})

    assert response.status_code == 400
    assert error_fields(response) == {"tier": "invalid_choice", "updated_since": "invalid"}


def test_pages_hold_at_most_the_limit(api_as, owner):
    for n in range(3):
        ClientFactory(legal_name=f"Client {n}", manager=owner)

    body = api_as(owner).get(LIST, {"limit": 2}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and "offset=2" in body["next"]


def test_the_list_keeps_its_query_count_as_the_book_grows(api_as, owner, django_assert_num_queries):
    api = api_as(owner)
    api.get(LIST)  # the token's first use stamps last_used_at
    # token, roles, count, page, tags (prefetch), the view log's INSERT
    for size in (2, 12):
        for _n in range(size - Client.objects.count()):
            ClientFactory(manager=owner).tags.add(TagFactory(name="vip"))
        with django_assert_num_queries(6):
            assert len(api.get(LIST).json()["results"]) == size


def test_reading_the_list_and_a_client_is_logged_as_a_view_of_sensitive_data(api_as, owner, client_record):
    api = api_as(owner)
    api.get(LIST, {"tier": "hnw"})
    api.get(detail(client_record))

    views = list(SensitiveView.objects.order_by("id").values_list("what", "client_id", "user_id"))
    assert views == [("client_export", None, owner.pk), ("client_page", client_record.pk, owner.pk)]


# --- retrieve: another RM's client does not exist -------------------------------------------

@pytest.mark.parametrize("role,status", [
    ("owner", 200), ("teammate", 404), ("outsider", 404), ("team_lead", 200), ("other_lead", 404),
    ("compliance", 200), ("administrator", 200),
])
def test_a_client_answers_only_those_who_may_see_it(request, api_as, client_record, role, status):
    response = api_as(request.getfixturevalue(role)).get(detail(client_record))

    assert response.status_code == status
    if status == 404:
        assert error_fields(response) == {None: "not_found"}
        assert "Zhang Wei" not in response.content.decode()


def test_without_a_token_it_answers_401_json_not_the_sign_in_page(anonymous_api, client_record):
    response = anonymous_api.get(detail(client_record))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_fields(response) == {None: "not_authenticated"}


@pytest.mark.parametrize("header", ["Token not-a-token", "Bearer not-a-token", "Token a b"])
def test_a_bad_token_answers_401(anonymous_api, client_record, header):
    response = anonymous_api.get(detail(client_record), HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert error_fields(response) == {None: "authentication_failed"}


# --- register ----------------------------------------------------------------------------------

NEW = {"legal_name": "  Liu   Yang ", "id_type": "passport", "id_number": "e 1234 5678", "phone": "139 1234 5678",
       "email": "Liu.Yang@Mail.Example"}


def test_an_rm_registers_a_client_normalised_as_the_form_does_and_it_is_theirs(api_as, owner):
    TagFactory(name="vip")
    response = api_as(owner).post(LIST, {**NEW, "tags": ["vip"]}, format="json")

    assert response.status_code == 201, response.content
    client = Client.objects.get(pk=response.json()["id"])
    assert (client.legal_name, client.id_number, client.phone, client.email) == (
        "Liu Yang", "E12345678", "+8613912345678", "liu.yang@mail.example")
    assert client.primary_manager == owner and client.created_by == owner
    assert [t.name for t in client.tags.all()] == ["vip"]
    assert {row.history_user for row in client.history.all()} == {owner}


def test_a_team_lead_registers_a_client_for_a_team_member(api_as, team_lead, teammate):
    response = api_as(team_lead).post(LIST, {**NEW, "primary_manager": teammate.pk}, format="json")

    assert response.status_code == 201, response.content
    assert Client.objects.get().primary_manager == teammate


def test_an_rm_may_not_choose_another_rm(api_as, owner, teammate):
    response = api_as(owner).post(LIST, {**NEW, "primary_manager": teammate.pk}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"primary_manager": "does_not_exist"}
    assert not Client.objects.exists()


def test_a_registration_with_bad_fields_lists_each_field(api_as, owner):
    response = api_as(owner).post(LIST, {"legal_name": "", "kind": "robot", "phone": "12"}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"legal_name": "blank", "kind": "invalid_choice"}


def test_the_services_refusals_come_back_in_the_same_shape(api_as, owner):
    response = api_as(owner).post(LIST, {"legal_name": "Nameless", "phone": "12"}, format="json")

    assert response.status_code == 400
    assert list(error_fields(response)) == ["phone"]


def test_an_id_document_of_a_client_the_rm_may_not_see_is_refused_without_saying_whose(api_as, owner, outsider):
    ClientFactory(legal_name="Outsider's client", manager=outsider, id_type="passport", id_number="E12345678")

    response = api_as(owner).post(LIST, NEW, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"id_number": "invalid"}
    assert "Outsider" not in response.content.decode()
    assert RegistrationConflict.objects.get().requested_by == owner
    assert Client.objects.count() == 1


def test_compliance_may_not_register_clients(api_as, compliance):
    response = api_as(compliance).post(LIST, NEW, format="json")

    assert response.status_code == 403
    assert error_fields(response) == {None: "permission_denied"}
    assert not Client.objects.exists()


# --- change ---------------------------------------------------------------------------------------

def test_the_rm_changes_a_client_and_the_history_names_the_tokens_user(api_as, owner, client_record):
    response = api_as(owner).patch(detail(client_record), {"email": "Wei.Zhang@Mail.Example"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "wei.zhang@mail.example"
    client_record.refresh_from_db()
    assert client_record.email == "wei.zhang@mail.example"
    latest = client_record.history.latest()
    assert latest.history_user == owner and latest.request_id


@pytest.mark.parametrize("role", ["teammate", "outsider", "other_lead", "compliance"])
def test_only_those_who_may_edit_the_client_change_it(request, api_as, client_record, role):
    response = api_as(request.getfixturevalue(role)).patch(detail(client_record), {"legal_name": "X"}, format="json")

    assert response.status_code == 404
    client_record.refresh_from_db()
    assert client_record.legal_name == "Zhang Wei"


def test_a_lead_who_sees_the_phone_masked_may_not_change_it(api_as, team_lead, client_record):
    response = api_as(team_lead).patch(detail(client_record), {"phone": "13900000000", "notes": "x"},
                                       format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"phone": "masked"}


def test_the_rm_and_stage_do_not_change_here(api_as, owner, teammate, client_record):
    response = api_as(owner).patch(detail(client_record), {"primary_manager": teammate.pk}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"primary_manager": "read_only"}


def test_put_and_delete_are_not_allowed(api_as, owner, client_record):
    api = api_as(owner)
    for method in (api.put, api.delete):
        response = method(detail(client_record), {}, format="json")
        assert response.status_code == 405
        assert error_fields(response) == {None: "method_not_allowed"}
