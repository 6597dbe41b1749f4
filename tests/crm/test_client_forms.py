"""Creating and editing clients: who may, what is stored, how errors show."""

import pytest
from django.urls import reverse

from crm.models import Assignment, Client, LifecycleTransition
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "kind": "individual", "legal_name": "  Liu   Yang ", "preferred_name": "", "id_type": "passport",
        "id_number": "e 1234 5678", "birth_date": "1980-02-29", "phone": "139 1234 5678",
        "email": "Liu.Yang@Mail.Example", "address": "", "occupation": "Engineer", "industry": "",
        "income_band": "1m_5m", "source_of_funds": "", "kyc_status": "pending", "kyc_date": "",
        "investment_preference": "", "investment_goal": "retirement", "liquidity_need": "low",
        "return_expectation": "stable", "notes": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_client_with_the_rm_as_primary(client, owner):
    vip = TagFactory(name="vip")
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), form_data(tags=[vip.pk]))
    created = Client.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:client-detail", args=[created.pk])
    created.refresh_from_db()
    assert created.legal_name == "Liu Yang"
    assert created.id_number == "E12345678"
    assert created.phone == "+8613912345678"
    assert created.email == "liu.yang@mail.example"  # stored lower-cased, so equal addresses compare equal
    assert created.primary_manager == owner
    assert created.created_by == owner
    assert list(created.tags.all()) == [vip]
    assignment = Assignment.objects.get(client=created)
    assert (assignment.manager, assignment.role, assignment.ended_at) == (owner, "primary", None)
    assert LifecycleTransition.objects.get(client=created).to_stage == "potential"


def test_it_records_who_created_the_client_in_the_history(client, owner):
    client.force_login(owner)
    client.post(reverse("crm:client-create"), form_data())
    created = Client.objects.get()
    assert created.history.earliest().history_user == owner


def test_it_lets_a_team_lead_choose_the_primary_rm(client, team_lead, teammate):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-create"), form_data(primary_manager=teammate.pk))
    assert response.status_code == 302
    assert Client.objects.get().primary_manager == teammate


def test_it_lets_a_team_lead_leave_a_new_client_unassigned(client, team_lead):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-create"), form_data(primary_manager=""))
    assert response.status_code == 302
    assert Client.objects.get().primary_manager is None


def test_it_does_not_let_a_lead_assign_outside_their_teams(client, team_lead, outsider):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-create"), form_data(primary_manager=outsider.pk))
    assert response.status_code == 200
    assert "primary_manager" in response.context["form"].errors
    assert not Client.objects.exists()


@pytest.mark.parametrize("overrides,field", [
    ({"legal_name": ""}, "legal_name"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"id_type": "resident_id", "id_number": "110105194912310021"}, "id_number"),  # wrong check digit
    ({"birth_date": "1980-02-30"}, "birth_date"),
    ({"income_band": "billions"}, "income_band"),
])
def test_it_shows_validation_errors_and_saves_nothing(client, owner, overrides, field):
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), form_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'data-testid="form-errors"' in response.content.decode()
    assert not Client.objects.exists()


def test_it_refuses_a_second_client_with_the_same_id_document(client, owner):
    ClientFactory(id_type="passport", id_number="E12345678")
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), form_data(id_number="e12345678"))
    assert response.status_code == 200
    # The other record is not the RM's to see: they learn only that this one cannot be registered.
    assert "This client cannot be registered with this ID document." in response.content.decode()
    assert Client.objects.count() == 1


def test_it_edits_a_client_and_records_who(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:client-edit", args=[client_record.pk]),
                           form_data(legal_name="Zhang Wei", id_number=client_record.id_number,
                                     notes="Met at the branch"))
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.notes == "Met at the branch"
    assert client_record.primary_manager == owner  # editing never touches the RM
    assert client_record.history.latest().history_user == owner


def test_it_does_not_let_the_form_change_rm_aum_or_stage(client, owner, client_record, teammate):
    client.force_login(owner)
    client.post(reverse("crm:client-edit", args=[client_record.pk]),
                form_data(legal_name="Zhang Wei", primary_manager=teammate.pk, aum_total="99999999",
                          lifecycle_stage="maturity", status="merged"))
    client_record.refresh_from_db()
    assert (client_record.primary_manager, client_record.aum_total, client_record.lifecycle_stage,
            client_record.status) == (owner, 0, "potential", "active")


def test_it_hides_create_and_edit_from_compliance(client, compliance, client_record):
    client.force_login(compliance)
    assert client.get(reverse("crm:client-create")).status_code == 404
    assert client.post(reverse("crm:client-create"), form_data()).status_code == 404
    response = client.post(reverse("crm:client-edit", args=[client_record.pk]), form_data(legal_name="X"))
    assert response.status_code == 404
    client_record.refresh_from_db()
    assert client_record.legal_name == "Zhang Wei"
