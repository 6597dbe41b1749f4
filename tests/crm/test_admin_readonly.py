"""Django admin changes clients only through crm.services: derived fields are read-only, the form
saves through client_create / client_update (so values are normalised), assignments and stage
transitions are not edited by hand, and the admin actions move the RM and the stage through services."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from crm.models import Assignment, Client, LifecycleTransition
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

SERVICE_ONLY_FIELDS = ["lifecycle_stage", "status", "merged_into", "primary_manager", "aum_tier", "aum_total",
                       "aum_currency", "risk_level", "created_by"]


def admin_form_data(response, **overrides) -> dict:
    """What the admin's change (or add) page would post back unchanged, with ``overrides``."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None:  # an empty field posts nothing
            data[name] = value
    for inline in response.context.get("inline_admin_formsets", []):  # the history form has none
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for row in formset.forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None:
                    data[row.add_prefix(name)] = value
    data.update(overrides)
    return data


def change_url(client) -> str:
    return reverse("admin:crm_client_change", args=[client.pk])


def test_it_shows_what_services_derive_read_only(client, administrator, client_record):
    client.force_login(administrator)

    response = client.get(change_url(client_record))

    assert response.status_code == 200
    editable = set(response.context["adminform"].form.fields)
    assert editable.isdisjoint(SERVICE_ONLY_FIELDS)
    assert {"legal_name", "phone", "email", "id_number", "notes", "tags"} <= editable


def test_it_ignores_a_posted_stage_status_merge_link_rm_or_aum(client, administrator, client_record, teammate):
    other = ClientFactory()
    client.force_login(administrator)
    page = client.get(change_url(client_record))

    response = client.post(change_url(client_record), admin_form_data(
        page, lifecycle_stage="maturity", status="merged", merged_into=other.pk, primary_manager=teammate.pk,
        aum_total="99999999", aum_tier="hnw"))

    assert response.status_code == 302
    client_record.refresh_from_db()
    assert (client_record.lifecycle_stage, client_record.status, client_record.merged_into,
            client_record.primary_manager, client_record.aum_total, client_record.aum_tier) == (
        "potential", "active", None, client_record.primary_manager, 0, "mass")
    assert client_record.primary_manager.username == "owner"
    assert list(Assignment.objects.filter(client=client_record).values_list("manager__username", "ended_at")) == [
        ("owner", None)]


def test_it_saves_the_clients_own_fields_through_client_update(client, administrator, client_record):
    client.force_login(administrator)
    page = client.get(change_url(client_record))

    response = client.post(change_url(client_record), admin_form_data(
        page, legal_name="  Zhang   Wei ", phone="139 1234 5678", email="Zhang.Wei@MAIL.Example",
        occupation="Surgeon"))

    assert response.status_code == 302
    client_record.refresh_from_db()
    assert (client_record.legal_name, client_record.phone, client_record.email, client_record.occupation) == (
        "Zhang Wei", "+8613912345678", "zhang.wei@mail.example", "Surgeon")
    assert client_record.history.latest().history_user == administrator


def test_it_shows_a_bad_phone_on_its_field_and_saves_nothing(client, administrator, client_record):
    client.force_login(administrator)
    page = client.get(change_url(client_record))
    phone_before = client_record.phone

    response = client.post(change_url(client_record), admin_form_data(page, phone="12", occupation="Surgeon"))

    assert response.status_code == 200
    assert "is not a valid phone number" in str(response.context["adminform"].form.errors["phone"])
    client_record.refresh_from_db()
    assert (client_record.phone, client_record.occupation) == (phone_before, "")


def test_it_refuses_a_duplicate_id_document_typed_differently(client, administrator, client_record):
    ClientFactory(id_type="passport", id_number="E12345678")
    client.force_login(administrator)
    page = client.get(change_url(client_record))

    response = client.post(change_url(client_record), admin_form_data(page, id_type="passport",
                                                                       id_number="e 1234 5678"))

    assert response.status_code == 200
    assert "A client with this ID document is already registered." in response.content.decode()
    client_record.refresh_from_db()
    assert client_record.id_number != "E12345678"


def test_it_registers_a_client_through_client_create(client, administrator):
    client.force_login(administrator)
    page = client.get(reverse("admin:crm_client_add"))

    response = client.post(reverse("admin:crm_client_add"), admin_form_data(
        page, legal_name=" Liu  Yang ", id_type="passport", id_number="e1234 5678", phone="139 1234 5678"))

    assert response.status_code == 302
    created = Client.objects.get()
    assert (created.legal_name, created.id_number, created.phone, created.created_by) == (
        "Liu Yang", "E12345678", "+8613912345678", administrator)
    assert LifecycleTransition.objects.get(client=created).to_stage == "potential"  # as client_create records


def test_assignments_and_stage_transitions_are_not_edited_by_hand(client, administrator, client_record):
    assignment = Assignment.objects.get(client=client_record)
    transition = LifecycleTransition.objects.create(client=client_record, from_stage="", to_stage="potential",
                                                    reason="Registered")
    client.force_login(administrator)

    assert client.get(reverse("admin:crm_assignment_add")).status_code == 403
    assert client.post(reverse("admin:crm_assignment_change", args=[assignment.pk]),
                       {"ended_at_0": "2026-01-01", "ended_at_1": "00:00"}).status_code == 403
    assert client.post(reverse("admin:crm_assignment_delete", args=[assignment.pk]),
                       {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:crm_lifecycletransition_add")).status_code == 403
    assert client.post(reverse("admin:crm_lifecycletransition_change", args=[transition.pk]),
                       {"to_stage": "maturity"}).status_code == 403
    inlines = client.get(change_url(client_record)).context["inline_admin_formsets"]
    assert not any(inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission
                   for inline in inlines)
    assignment.refresh_from_db()
    assert assignment.ended_at is None


def action_post(client, action: str, clients, **fields):
    return client.post(reverse("admin:crm_client_changelist"), {
        "action": action, ACTION_CHECKBOX_NAME: [c.pk for c in clients], **fields})


def test_the_reassign_action_asks_for_the_rm_and_a_reason_first(client, administrator, client_record, teammate):
    client.force_login(administrator)

    response = action_post(client, "primary_manager_reassign", [client_record])

    assert response.status_code == 200
    assert "Zhang Wei" in response.content.decode()
    assert set(response.context["form"].fields) == {"manager", "reason"}
    client_record.refresh_from_db()
    assert client_record.primary_manager.username == "owner"


def test_the_reassign_action_moves_the_primary_rm_through_assignment_transfer(client, administrator, owner,
                                                                              client_record, teammate):
    second = ClientFactory(manager=owner)
    client.force_login(administrator)

    response = action_post(client, "primary_manager_reassign", [client_record, second],
                           manager=teammate.pk, reason="Owner on leave", apply="Apply")

    assert response.status_code == 302
    for moved in (client_record, second):
        moved.refresh_from_db()
        assert moved.primary_manager == teammate
        ended, current = Assignment.objects.filter(client=moved).order_by("started_at")
        assert (ended.manager, current.manager) == (owner, teammate)
        assert ended.ended_at is not None and current.ended_at is None
        assert (current.reason, current.assigned_by) == ("Owner on leave", administrator)


def test_the_reassign_action_needs_a_reason(client, administrator, client_record, teammate):
    client.force_login(administrator)

    response = action_post(client, "primary_manager_reassign", [client_record], manager=teammate.pk, reason="",
                           apply="Apply")

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    client_record.refresh_from_db()
    assert client_record.primary_manager.username == "owner"


def test_the_lifecycle_action_moves_the_clients_it_may_and_reports_the_others(client, administrator,
                                                                                client_record):
    terminated = ClientFactory(legal_name="Gone Ltd", lifecycle_stage="termination", status="inactive")
    client.force_login(administrator)

    response = action_post(client, "lifecycle_stage_change", [client_record, terminated],
                           to_stage="development", reason="First meeting held", apply="Apply")

    assert response.status_code == 302
    client_record.refresh_from_db()
    terminated.refresh_from_db()
    assert client_record.lifecycle_stage == "development"
    transition = LifecycleTransition.objects.get(client=client_record, to_stage="development")
    assert (transition.from_stage, transition.reason, transition.changed_by) == (
        "potential", "First meeting held", administrator)
    # termination → development is allowed (re-activation); the status follows, as the service does it
    assert (terminated.lifecycle_stage, terminated.status) == ("development", "active")


def test_the_lifecycle_action_reports_a_stage_a_client_cannot_reach(client, administrator, client_record):
    client.force_login(administrator)

    response = action_post(client, "lifecycle_stage_change", [client_record], to_stage="maturity",
                           reason="Skipping ahead", apply="Apply")

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("cannot move from Potential to Maturity" in m for m in messages)
    client_record.refresh_from_db()
    assert client_record.lifecycle_stage == "potential"


def test_compliance_cannot_run_the_actions(client, compliance, client_record, teammate):
    client.force_login(compliance)

    response = action_post(client, "primary_manager_reassign", [client_record], manager=teammate.pk,
                           reason="Trying", apply="Apply")

    assert response.status_code == 200  # the list again: no such action for a reader
    client_record.refresh_from_db()
    assert client_record.primary_manager.username == "owner"
    assert Assignment.objects.filter(client=client_record).count() == 1


def revert_data(assignment, manager) -> dict:
    return {"client": assignment.client_id, "manager": manager.pk, "role": "backup", "reason": "Reverted",
            "started_at_0": "2026-01-01", "started_at_1": "00:00"}


@pytest.mark.parametrize("who", ["compliance", "administrator"])
def test_no_one_reverts_an_assignment_from_its_history(client, request, who, client_record, teammate):
    # simple-history's revert form would save this for anyone who may read the history.
    assignment = Assignment.objects.get(client=client_record)
    client.force_login(request.getfixturevalue(who))
    url = reverse("admin:crm_assignment_simple_history", args=[assignment.pk, assignment.history.get().history_id])

    response = client.post(url, revert_data(assignment, teammate))

    assert response.status_code == 403
    assignment.refresh_from_db()
    assert (assignment.manager.username, assignment.role) == ("owner", "primary")


def test_compliance_cannot_revert_a_client_from_its_history(client, compliance, client_record):
    version = client_record.history.earliest()
    client.force_login(compliance)

    response = client.post(reverse("admin:crm_client_simple_history", args=[client_record.pk, version.history_id]),
                           {"legal_name": "Changed by compliance", "kind": "individual", "id_type": "passport",
                            "kyc_status": "pending"})

    assert response.status_code == 403
    client_record.refresh_from_db()
    assert client_record.legal_name == "Zhang Wei"


def test_an_administrator_reverts_a_clients_own_fields_through_client_update(client, administrator,
                                                                             client_record, teammate):
    client.force_login(administrator)
    page = client.get(change_url(client_record))
    client.post(change_url(client_record), admin_form_data(page, occupation="Surgeon"))
    first = client_record.history.earliest()
    url = reverse("admin:crm_client_simple_history", args=[client_record.pk, first.history_id])
    revert_page = client.get(url)

    response = client.post(url, admin_form_data(revert_page, phone=" 139 1234 5678 ", primary_manager=teammate.pk))

    assert response.status_code == 302
    client_record.refresh_from_db()
    assert (client_record.occupation, client_record.phone) == ("", "+8613912345678")
    assert client_record.primary_manager.username == "owner"
