"""Every change to client data is attributable, and compliance reads the trail without changing anything."""

import pytest
from django.urls import reverse

from crm.models import Client
from tests.crm.test_client_forms import form_data

pytestmark = pytest.mark.django_db


def test_it_records_who_changed_which_field(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:client-edit", args=[client_record.pk]),
                           form_data(legal_name="Zhang Wei", occupation="Surgeon"))
    assert response.status_code == 302
    latest = client_record.history.latest()
    assert latest.history_user == owner
    changed = {change.field for change in latest.diff_against(latest.prev_record).changes}
    assert "occupation" in changed


def test_compliance_reads_the_audit_trail_in_admin(client, owner, compliance, client_record):
    client.force_login(owner)
    client.post(reverse("crm:client-edit", args=[client_record.pk]), form_data(legal_name="Zhang Wei"))
    client.force_login(compliance)
    response = client.get(reverse("admin:crm_client_history", args=[client_record.pk]))
    assert response.status_code == 200
    assert str(owner) in response.content.decode()  # the admin shows who made each change


def test_compliance_cannot_change_a_client_in_admin(client, compliance, client_record):
    client.force_login(compliance)
    url = reverse("admin:crm_client_change", args=[client_record.pk])
    assert client.get(url).status_code == 200  # read-only view
    response = client.post(url, {"legal_name": "Changed by compliance"})
    assert response.status_code == 403
    client_record.refresh_from_db()
    assert client_record.legal_name == "Zhang Wei"


def test_relationship_managers_stay_out_of_django_admin(client, owner, client_record):
    client.force_login(owner)
    response = client.get(reverse("admin:crm_client_changelist"))
    assert response.status_code == 302
    assert Client.objects.filter(legal_name="Zhang Wei").exists()
