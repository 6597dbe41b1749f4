"""PII masking: ID and phone numbers in full for the client's own RM, compliance and administrators;
partly masked for a team lead looking at a team member's client (lists, exports, the 360 page)."""

import pytest
from django.urls import reverse

from crm import access
from crm.masking import client_pii, mask_id_number, mask_phone
from tests.factories import AssignmentFactory, ClientFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
PHONE = "+8613912345678"
MASKED_ID = "110***********002X"
MASKED_PHONE = "+86139****5678"


@pytest.fixture
def record(owner):
    return ClientFactory(legal_name="Zhang Wei", id_type="resident_id", id_number=ID_NUMBER, phone=PHONE,
                         manager=owner)


def test_the_masks_keep_only_the_ends():
    assert mask_id_number(ID_NUMBER) == MASKED_ID
    assert mask_id_number("E12345678") == "*******78"
    assert mask_id_number("E1") == "**"
    assert mask_phone(PHONE) == MASKED_PHONE
    assert mask_phone("+85261234567") == "+85*****4567"
    assert mask_id_number("") == mask_phone("") == ""


@pytest.mark.parametrize("who, full", [
    ("owner", True), ("compliance", True), ("administrator", True), ("team_lead", False),
])
def test_who_sees_the_numbers_in_full(request, record, who, full):
    user = request.getfixturevalue(who)
    assert access.may_see_full_pii(user=user, client=record) is full
    assert client_pii(user=user, client=record, field="id_number") == (ID_NUMBER if full else MASKED_ID)
    assert client_pii(user=user, client=record, field="phone") == (PHONE if full else MASKED_PHONE)


def test_a_backup_rm_sees_the_numbers_in_full(teammate, record):
    AssignmentFactory(client=record, manager=teammate)
    assert access.may_see_full_pii(user=teammate, client=record)


def test_a_lead_sees_their_own_clients_in_full(team_lead):
    own = ClientFactory(id_type="resident_id", id_number=ID_NUMBER, phone=PHONE, manager=team_lead)
    assert access.may_see_full_pii(user=team_lead, client=own)


@pytest.mark.parametrize("who, full", [("owner", True), ("team_lead", False), ("compliance", True)])
def test_the_360_page_masks_for_a_lead_only(client, request, record, who, full):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("crm:client-detail", args=[record.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert (ID_NUMBER in page, PHONE in page) == (full, full)
    assert (MASKED_ID in page, MASKED_PHONE in page) == (not full, not full)


@pytest.mark.parametrize("who, full", [("owner", True), ("team_lead", False), ("administrator", True)])
def test_the_client_list_and_search_mask_for_a_lead(client, request, record, who, full):
    client.force_login(request.getfixturevalue(who))
    for query in ({}, {"q": "13912345678"}):
        response = client.get(reverse("crm:client-list"), query)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Zhang Wei" in page
        assert (PHONE in page) is full
        assert (MASKED_PHONE in page) is not full


@pytest.mark.parametrize("who, full", [("owner", True), ("team_lead", False), ("compliance", True)])
def test_the_export_masks_for_a_lead(client, request, record, who, full):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("crm:client-export"), {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    assert (ID_NUMBER in body, PHONE in body) == (full, full)
    assert (MASKED_ID in body) is not full


@pytest.mark.parametrize("who, full", [("owner", True), ("team_lead", False)])
def test_the_import_preview_of_an_existing_client_masks_for_a_lead(request, record, who, full):
    from crm import imports
    from tests.factories import csv_bytes

    client_import = imports.client_import_upload(user=request.getfixturevalue(who), file_name="c.csv",
                                                 data=csv_bytes([["Name", "ID number", "Phone"],
                                                                 ["Zhang Wei", ID_NUMBER, "13800138000"]]))
    duplicate = client_import.report["rows"][0]["duplicate"]
    assert duplicate["client_id"] == record.pk
    phone = next(d for d in duplicate["differences"] if d["field"] == "phone")
    assert phone["existing"] == (PHONE if full else MASKED_PHONE)
    assert phone["incoming"] == "+8613800138000"
    assert (PHONE in str(client_import.report)) is full


def test_the_edit_form_does_not_hand_a_lead_the_numbers_and_keeps_them(client, team_lead, record):
    client.force_login(team_lead)
    url = reverse("crm:client-edit", args=[record.pk])
    page = client.get(url).content.decode()
    assert ID_NUMBER not in page and PHONE not in page
    response = client.post(url, {"kind": "individual", "legal_name": "Zhang Wei", "id_type": "resident_id",
                                 "email": record.email, "kyc_status": "pending", "notes": "Met the lead",
                                 "id_number": "E99999999", "phone": "+8613800000000"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.notes, record.id_number, record.phone) == ("Met the lead", ID_NUMBER, PHONE)


def test_the_edit_form_gives_the_own_rm_the_numbers(client, owner, record):
    client.force_login(owner)
    page = client.get(reverse("crm:client-edit", args=[record.pk])).content.decode()
    assert ID_NUMBER in page and PHONE in page
