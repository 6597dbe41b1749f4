"""Client data the registry refuses, whichever path it comes by (form, service, import), with clear
errors; searches and saved filters that explain themselves; no enumeration through registration."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm import access, imports, services
from crm.models import Client, RegistrationConflict, SavedFilter
from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db

FORM = {"kind": "individual", "legal_name": "Liu Yang", "id_type": "passport", "id_number": "E12345678",
        "phone": "", "email": "", "kyc_status": "pending"}


@pytest.mark.parametrize("field", ["birth_date", "kyc_date"])
@pytest.mark.parametrize("year", [2099, 2999])
def test_it_refuses_a_future_date_in_the_form(client, owner, field, year):
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), {**FORM, field: f"{year}-01-01"})
    assert response.status_code == 200
    assert f"The date {year}-01-01 is in the future." in response.context["form"].errors[field]
    assert Client.objects.count() == 0


def test_it_says_so_in_chinese_too(client, owner):
    client.force_login(owner)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("crm:client-create"), {**FORM, "birth_date": "2099-01-01"})
    assert response.status_code == 200
    assert "日期 2099-01-01 晚于今天。" in response.content.decode()
    assert Client.objects.count() == 0


def test_the_service_refuses_a_future_date_and_accepts_today(owner):
    with pytest.raises(ValidationError) as raised:
        services.client_create(created_by=owner, legal_name="Liu Yang", phone="13912345678",
                               kyc_date=timezone.localdate() + timedelta(days=1))
    assert "kyc_date" in raised.value.message_dict
    created = services.client_create(created_by=owner, legal_name="Liu Yang", phone="13912345678",
                                     kyc_date=timezone.localdate())
    assert created.kyc_date == timezone.localdate()


def test_the_import_refuses_a_future_birth_date_in_its_dry_run(owner):
    client_import = imports.client_import_upload(user=owner, file_name="c.csv", data=csv_bytes([
        ["Name", "Phone", "Date of birth", "KYC date"], ["Chen Jie", "13800138000", "2999-01-01", "2099-05-01"]]))
    errors = client_import.report["rows"][0]["errors"]
    assert {e["field"] for e in errors} == {"birth_date", "kyc_date"}
    assert "is in the future" in errors[0]["message"]


def test_it_refuses_a_5_mb_note_and_takes_5000_characters(client, owner):
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), {**FORM, "notes": "x" * 5_000_000})
    assert response.status_code == 200
    assert "notes" in response.context["form"].errors
    assert Client.objects.count() == 0
    with pytest.raises(ValidationError):
        services.client_create(created_by=owner, legal_name="Liu Yang", phone="13912345678", notes="x" * 5001)
    assert services.client_create(created_by=owner, legal_name="Liu Yang", phone="13912345678",
                                  notes="x" * 5000).notes == "x" * 5000


def test_it_refuses_a_client_without_id_phone_or_email_through_the_form(client, owner):
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), {**FORM, "id_number": ""})
    assert response.status_code == 200
    assert "Give at least one of ID number, phone or e-mail" in response.context["form"].errors["id_number"][0]
    assert Client.objects.count() == 0


def test_an_edit_cannot_remove_the_last_identifier(owner):
    record = ClientFactory(manager=owner, phone="", email="")
    with pytest.raises(ValidationError):
        services.client_update(client=record, id_number="")
    record.refresh_from_db()
    assert record.id_number


# --- Enumeration: registering an ID document a client one may not see holds ----------------

def test_it_says_only_that_the_client_cannot_be_registered_and_tells_the_leads(
        client, owner, outsider, team_lead, other_lead):
    ClientFactory(legal_name="Secret Client", id_type="passport", id_number="E12345678", manager=outsider)
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), FORM)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be registered with this ID document" in page
    assert "already registered" not in page and "Secret Client" not in page and "Otto" not in page
    assert Client.objects.count() == 1
    conflict = RegistrationConflict.objects.get()
    assert (conflict.requested_by, conflict.source) == (owner, RegistrationConflict.Source.FORM)
    # Both RMs' leads see it on their workload page; the RMs do not.
    for lead in (team_lead, other_lead):
        assert list(access.registration_conflict_list_visible(user=lead)) == [conflict]
        client.force_login(lead)
        assert "Registration conflicts" in client.get(reverse("crm:workload")).content.decode()
    assert not access.registration_conflict_list_visible(user=owner).exists()


def test_a_second_attempt_keeps_one_open_conflict_and_the_import_reports_it_alike(owner, outsider):
    ClientFactory(id_type="passport", id_number="E12345678", manager=outsider)
    for _attempt in range(2):
        with pytest.raises(ValidationError, match="cannot be registered"):
            services.client_create(created_by=owner, legal_name="Liu Yang", id_type="passport", id_number="E12345678")
    client_import = imports.client_import_upload(user=owner, file_name="c.csv", data=csv_bytes([
        ["Name", "ID type", "ID number"], ["Liu Yang", "passport", "E12345678"]]))
    assert "cannot be registered" in client_import.report["rows"][0]["errors"][0]["message"]
    assert RegistrationConflict.objects.count() == 1


def test_a_holder_the_rm_serves_is_named_as_a_duplicate(owner):
    ClientFactory(id_type="passport", id_number="E12345678", manager=owner)
    with pytest.raises(ValidationError, match="already registered"):
        services.client_create(created_by=owner, legal_name="Liu Yang", id_type="passport", id_number="E12345678")
    assert not RegistrationConflict.objects.exists()


def test_editing_a_client_onto_an_unseen_clients_id_says_only_that_and_tells_the_leads(
        client, owner, outsider, team_lead, other_lead, client_record):
    ClientFactory(legal_name="Secret Client", id_type="passport", id_number="E12345678", manager=outsider)
    client.force_login(owner)
    form = {**FORM, "legal_name": client_record.legal_name, "phone": "+8613800138000"}
    response = client.post(reverse("crm:client-edit", args=[client_record.pk]), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be registered with this ID document" in page
    assert "already registered" not in page and "Secret Client" not in page and "Otto" not in page
    client_record.refresh_from_db()
    assert client_record.id_number != "E12345678"
    conflict = RegistrationConflict.objects.get()
    assert (conflict.requested_by, conflict.source) == (owner, RegistrationConflict.Source.FORM)
    for lead in (team_lead, other_lead):
        assert list(access.registration_conflict_list_visible(user=lead)) == [conflict]


def test_editing_onto_the_id_of_a_client_one_serves_records_no_conflict(owner, client_record):
    ClientFactory(id_type="passport", id_number="E12345678", manager=owner)
    with pytest.raises(ValidationError, match="cannot be used for this client"):
        services.client_update(client=client_record, updated_by=owner, id_type="passport", id_number="E12345678")
    assert not RegistrationConflict.objects.exists()


# --- Search and saved filters ---------------------------------------------------------------

@pytest.mark.parametrize("term", ["x" * 201, "Zhang\x00Wei"])
def test_a_refused_search_lists_no_client(client, owner, client_record, term):
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"), {"q": term})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert list(response.context["page"]) == []
    export = client.get(reverse("crm:client-export"), {"q": term, "format": "csv"})
    assert export.status_code == 200
    assert client_record.legal_name not in b"".join(export.streaming_content if export.streaming else
                                                     [export.content]).decode("utf-8-sig")


def test_a_too_long_filter_name_says_what_is_wrong(client, owner):
    client.force_login(owner)
    response = client.post(reverse("crm:saved-filter-save"), {"name": "n" * 10_000, "query_string": "tier=hnw"},
                           follow=True)
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "at most 100 characters" in text and "Give the filter a name" not in text
    assert not SavedFilter.objects.exists()
