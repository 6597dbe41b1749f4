"""Merging two records: field by field, nothing deleted, a trace of both."""

import pytest
from django.urls import reverse

from crm import imports, services
from crm.models import Client, ClientMerge
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(owner):
    surviving = ClientFactory(legal_name="Zhang Wei", id_type="passport", id_number="E10000001",
                              phone="+8613800138000", email="", occupation="Teacher", manager=owner)
    merged = ClientFactory(legal_name="Zhang Wei", id_type="resident_id", id_number="11010519491231002X",
                           phone="+8613900139000", email="zw@example.com", occupation="", manager=owner)
    merged.tags.add(TagFactory(name="VIP"))
    return surviving, merged


def test_it_keeps_non_empty_values_and_fills_blanks_by_default(owner, pair):
    surviving, merged = pair
    record = services.client_merge(surviving=surviving, merged=merged, user=owner)
    surviving.refresh_from_db()
    merged.refresh_from_db()
    assert surviving.phone == "+8613800138000"
    assert surviving.email == "zw@example.com"
    assert surviving.occupation == "Teacher"
    assert (surviving.id_type, surviving.id_number) == ("passport", "E10000001")
    assert list(surviving.tags.values_list("name", flat=True)) == ["VIP"]
    assert merged.status == Client.Status.MERGED
    assert merged.merged_into == surviving
    assert record.field_choices == {"id_number": "existing", "phone": "existing", "email": "incoming"}


def test_it_takes_the_chosen_fields_and_moves_the_id_document(owner, pair):
    surviving, merged = pair
    services.client_merge(surviving=surviving, merged=merged, user=owner,
                         field_choices={"id_number": "incoming", "phone": "incoming"})
    surviving.refresh_from_db()
    merged.refresh_from_db()
    assert (surviving.id_type, surviving.id_number) == ("resident_id", "11010519491231002X")
    assert surviving.phone == "+8613900139000"
    assert merged.id_number == ""  # one document, one record
    assert Client.objects.count() == 2  # nothing deleted


def test_it_records_both_records_as_they_were(owner, pair):
    surviving, merged = pair
    record = services.client_merge(surviving=surviving, merged=merged, user=owner,
                                  field_choices={"id_number": "incoming"})
    record.refresh_from_db()
    assert record.surviving_client == surviving
    assert record.merged_client == merged
    assert record.merged_by == owner
    assert record.surviving_snapshot["id_number"] == "E10000001"
    assert record.merged_snapshot["id_number"] == "11010519491231002X"
    assert record.merged_snapshot["tags"] == ["VIP"]
    assert record.merged_snapshot["status"] == "active"
    assert merged.history.first().history_change_reason.startswith("Merged into")


def test_it_refuses_to_merge_a_record_twice_or_into_itself(owner, pair):
    surviving, merged = pair
    with pytest.raises(imports.ValidationError):
        services.client_merge(surviving=surviving, merged=surviving, user=owner)
    services.client_merge(surviving=surviving, merged=merged, user=owner)
    with pytest.raises(imports.ValidationError):
        services.client_merge(surviving=surviving, merged=merged, user=owner)
    assert ClientMerge.objects.count() == 1


def test_it_refuses_compliance(compliance, pair):
    surviving, merged = pair
    with pytest.raises(imports.PermissionDenied):
        services.client_merge(surviving=surviving, merged=merged, user=compliance)


def test_it_merges_through_the_page(client, owner, pair):
    surviving, merged = pair
    client.force_login(owner)
    url = reverse("crm:client-merge", kwargs={"pk": surviving.pk})
    response = client.get(url)
    assert f"?other={merged.pk}" not in response.content.decode()  # a name alone is no reason to suggest it
    response = client.get(url, {"other": merged.pk})
    assert response.status_code == 200
    assert "zw@example.com" in response.content.decode()
    response = client.post(url, {"other": merged.pk, "field_phone": "incoming", "field_email": "incoming",
                                 "field_id_number": "existing"})
    assert response.status_code == 302
    assert response.url == reverse("crm:client-detail", kwargs={"pk": surviving.pk})
    surviving.refresh_from_db()
    merged.refresh_from_db()
    assert surviving.phone == "+8613900139000"
    assert merged.status == Client.Status.MERGED


def test_it_finds_the_survivor_when_a_merged_records_document_is_imported(owner, pair):
    surviving, merged = pair
    services.client_merge(surviving=surviving, merged=merged, user=owner)
    from tests.factories import csv_bytes

    client_import = imports.client_import_upload(
        user=owner, file_name="c.csv", data=csv_bytes([["Name", "ID number"], ["Zhang Wei", "11010519491231002X"]]))
    assert client_import.report["rows"][0]["duplicate"]["client_id"] == surviving.pk
