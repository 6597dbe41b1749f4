"""client_create / client_update normalise what they store, whoever calls them (form, admin, another app)."""

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

RID = "11010519491231002X"  # a resident ID with a valid check character


def test_it_normalises_a_client_created_without_a_form(owner):
    created = services.client_create(
        created_by=owner, legal_name="  Liu   Yang ", preferred_name="　刘　洋　", id_type="passport",
        id_number="e 1234-5678", phone="139 1234 5678", email=" Liu.Yang@Mail.Example ",
    )

    created.refresh_from_db()
    assert (created.legal_name, created.preferred_name, created.id_number, created.phone, created.email) == (
        "Liu Yang", "刘洋", "E12345678", "+8613912345678", "liu.yang@mail.example")


def test_it_normalises_the_fields_an_update_changes(client_record):
    phone_before = client_record.phone

    services.client_update(client=client_record, legal_name="ＺＨＡＮＧ　Ｗｅｉ", email="Zhang@EXAMPLE.CN")

    client_record.refresh_from_db()
    assert (client_record.legal_name, client_record.email) == ("ZHANG Wei", "zhang@example.cn")
    assert client_record.phone == phone_before  # not given, not touched


def test_it_reads_the_id_number_again_when_only_its_type_changes():
    client = ClientFactory(id_type=Client.IdType.OTHER, id_number=RID.lower())

    services.client_update(client=client, id_type=Client.IdType.RESIDENT_ID)

    client.refresh_from_db()
    assert (client.id_type, client.id_number) == (Client.IdType.RESIDENT_ID, RID)


def test_it_refuses_values_it_cannot_normalise_keyed_by_field_and_saves_nothing(owner):
    with pytest.raises(ValidationError) as raised:
        services.client_create(created_by=owner, legal_name="Liu Yang", phone="12", email="not-an-email",
                               id_type="resident_id", id_number="110105194912310021")

    assert set(raised.value.error_dict) == {"phone", "email", "id_number"}
    assert "is not a valid phone number" in raised.value.error_dict["phone"][0].message
    assert not Client.objects.exists()


def test_it_refuses_a_bad_phone_on_update_and_keeps_the_stored_one(client_record):
    phone_before = client_record.phone

    with pytest.raises(ValidationError) as raised:
        services.client_update(client=client_record, phone="12")

    assert set(raised.value.error_dict) == {"phone"}
    client_record.refresh_from_db()
    assert client_record.phone == phone_before


def test_it_finds_a_duplicate_id_document_typed_differently(owner):
    ClientFactory(id_type="passport", id_number="E12345678")

    with pytest.raises(ValidationError, match="This client cannot be registered with this ID document."):
        services.client_create(created_by=owner, legal_name="Liu Yang", id_type="passport", id_number="e1234 5678")


@pytest.mark.parametrize("fields", [
    {"legal_name": "  Liu   Yang ", "preferred_name": "欧阳 娜娜", "phone": "0086 13800138000",
     "email": "mailto:li@Mail.CN", "id_type": "resident_id", "id_number": "110105491231002"},
    {"legal_name": "深圳市 腾飞科技有限公司", "phone": "(021) 6234 5678", "email": "ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
     "id_type": "credit_code", "id_number": "91350100m000100y43"},
    {"legal_name": "Li\tNa", "phone": "+852 9123 4567", "id_type": "hk_macao_permit", "id_number": "h12345678"},
])
def test_normalising_twice_changes_nothing(fields, owner):
    # The client import normalises its rows before they reach the services: a second pass must be harmless.
    once = services.client_fields_normalise(fields=fields)

    assert services.client_fields_normalise(fields=once) == once
    created = services.client_create(created_by=owner, **once)
    created.refresh_from_db()
    assert {name: getattr(created, name) for name in once} == once
