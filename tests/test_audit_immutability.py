"""Audit rows cannot be edited or deleted through the app or the admin, not even by an administrator;
audit-bearing rows (clients, assignments, transitions, imports, merges, alerts) are never deleted
there either; Django's admin log is read-only and open to compliance."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.models import (
    Assignment,
    Client,
    ClientImport,
    LifecycleTransition,
    SensitiveView,
)
from dataimport.models import ImportUpload
from portfolios.models import Alert
from tests.factories import csv_bytes
from tests.portfolios.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_administrator(administrator):
    administrator.is_staff = True
    administrator.save(update_fields=["is_staff"])
    return administrator


@pytest.fixture
def staff_compliance(compliance):
    compliance.is_staff = True
    compliance.save(update_fields=["is_staff"])
    return compliance


def test_no_historical_table_is_registered_in_admin():
    """Historical rows are read on the objects' history pages (and the audit pages), never edited as rows."""
    registered = [model for model in admin.site._registry if model.__name__.startswith("Historical")]
    assert registered == []


def test_the_admin_log_and_the_view_log_refuse_add_change_and_delete_for_an_administrator(
        client, staff_administrator, client_record):
    entry = LogEntry.objects.log_actions(
        user_id=staff_administrator.pk, queryset=[client_record], action_flag=CHANGE, change_message="x",
        single_object=True)
    view = SensitiveView.objects.create(user=staff_administrator, what=SensitiveView.What.CLIENT_PAGE,
                                        client=client_record)
    client.force_login(staff_administrator)
    for model, obj in ((LogEntry, entry), (SensitiveView, view)):
        info = model._meta.app_label, model._meta.model_name
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
        assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
        assert client.post(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]), {}).status_code == 403
        assert client.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk, change_message="x").exists()
    assert SensitiveView.objects.filter(pk=view.pk).exists()


@pytest.mark.parametrize("model", [Client, Assignment, LifecycleTransition, ClientImport, ImportUpload, Alert])
def test_audit_bearing_rows_cannot_be_deleted_in_admin_even_by_an_administrator(
        client, staff_administrator, owner, client_record, model):
    from crm import imports

    objects = {
        Client: lambda: client_record,
        Assignment: lambda: client_record.assignments.get(),
        LifecycleTransition: lambda: LifecycleTransition.objects.create(
            client=client_record, from_stage="", to_stage="potential", reason="Registered", changed_by=owner),
        ClientImport: lambda: imports.client_import_upload(user=owner, file_name="a.csv",
                                                           data=csv_bytes([["Name"], ["Li Na"]])),
        ImportUpload: lambda: imports.client_import_upload(user=owner, file_name="b.csv",
                                                           data=csv_bytes([["Name"], ["Li Na"]])),
        Alert: lambda: AlertFactory(client=client_record),
    }
    obj = objects[model]()
    info = model._meta.app_label, model._meta.model_name
    client.force_login(staff_administrator)

    response = client.post(reverse("admin:{}_{}_delete".format(*info), args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 403
    response = client.post(reverse("admin:{}_{}_changelist".format(*info)),
                           {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert model._base_manager.filter(pk=obj.pk).exists()


def test_a_historical_version_cannot_be_reverted_by_compliance(client, staff_compliance, owner, client_record):
    from crm import services

    services.client_update(client=client_record, occupation="Pilot")
    version = client_record.history.order_by("history_id").first()
    before = client_record.history.count()
    client.force_login(staff_compliance)
    url = reverse("admin:crm_client_simple_history", args=[client_record.pk, version.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"legal_name": "Reverted"}).status_code == 403
    client_record.refresh_from_db()
    assert client_record.occupation == "Pilot"
    assert client_record.history.count() == before


def test_compliance_reads_the_admin_log(client, staff_administrator, staff_compliance, client_record):
    LogEntry.objects.log_actions(
        user_id=staff_administrator.pk, queryset=[client_record], action_flag=CHANGE,
        change_message="Changed occupation", single_object=True)
    client.force_login(staff_compliance)
    response = client.get(reverse("admin:admin_logentry_changelist"))
    assert response.status_code == 200
    assert "Zhang Wei" in response.content.decode()
    assert ContentType.objects.get_for_model(Client).pk  # the entry names the client's type
