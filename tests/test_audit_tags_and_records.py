"""What the History tab and compliance's search show beyond the simple-history tables of client
data: a client's tags (form, import, merge), lifecycle transitions, merges, complaint steps and the
household's name, each with who, when and what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communications import feedback_services
from crm import imports, services
from crm.models import Client
from tests.crm.test_client_forms import form_data
from tests.factories import ClientFactory, HouseholdFactory, HouseholdMemberFactory, TagFactory, csv_bytes

pytestmark = pytest.mark.django_db


def history_page(http, user, client_record) -> str:
    http.force_login(user)
    response = http.get(reverse("crm:client-history", args=[client_record.pk]))
    assert response.status_code == 200
    return response.content.decode()


def edit_tags(http, user, client_record, tags):
    http.force_login(user)
    response = http.post(reverse("crm:client-edit", args=[client_record.pk]),
                         form_data(legal_name=client_record.legal_name, tags=[t.pk for t in tags]))
    assert response.status_code == 302


def change(old, new) -> str:
    return f'{old}</span> → <span class="text-break">{new}'


# --- Tags ------------------------------------------------------------------------------------


def test_adding_and_removing_a_tag_in_the_form_is_one_history_row_each_with_who(client, owner, client_record):
    vip, golf = TagFactory(name="vip"), TagFactory(name="golf")
    rows = client_record.history.count()
    edit_tags(client, owner, client_record, [vip, golf])
    edit_tags(client, owner, client_record, [golf])
    assert client_record.history.count() == rows + 2
    latest = client_record.history.first()
    assert latest.history_user == owner and latest.ip_address == "127.0.0.1"
    assert sorted(t.tag.name for t in latest.tags.all()) == ["golf"]
    page = history_page(client, owner, client_record)
    assert change("—", "golf, vip") in page
    assert change("golf, vip", "golf") in page


def test_a_client_registered_with_tags_shows_them_on_its_creation(owner):
    client = services.client_create(created_by=owner, legal_name="Liu Yang", phone="+8613912345678",
                                    tags=[TagFactory(name="vip")])
    assert client.history.count() == 1
    assert [t.tag.name for t in client.history.get().tags.all()] == ["vip"]


def test_tags_added_by_an_import_are_recorded_for_new_and_existing_clients(client, owner, compliance):
    existing = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    client_import = imports.client_import_upload(user=owner, file_name="clients.csv", data=csv_bytes([
        ["Name", "Phone", "Tags"], ["Li Na", "13900139000", "golf"], ["Wang Fang", "13700137000", "vip, golf"]]))
    imports.client_import_commit(client_import=client_import, user=owner)

    created = Client.objects.get(legal_name="Wang Fang")
    assert sorted(t.tag.name for t in created.history.get().tags.all()) == ["golf", "vip"]
    latest = existing.history.first()
    assert latest.history_user == owner and latest.history_change_reason.startswith("Merged import row")
    assert [t.tag.name for t in latest.tags.all()] == ["golf"]
    assert change("—", "golf") in history_page(client, owner, existing)
    search = history_page(client, compliance, existing)
    assert "golf" in search
    client.force_login(compliance)
    found = client.get(reverse("crm:audit-changes"), {"client": str(created.pk)}).content.decode()
    assert "golf, vip" in found


def test_a_merge_records_the_tags_united_in_the_survivors_row(owner):
    surviving = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    merged = ClientFactory(legal_name="Li Na", phone="+8613700137000", manager=owner)
    merged.tags.add(TagFactory(name="golf"))
    services.client_merge(surviving=surviving, merged=merged, user=owner)
    latest = surviving.history.first()
    assert latest.history_change_reason.startswith("Merged client")
    assert [t.tag.name for t in latest.tags.all()] == ["golf"]


def test_the_history_tab_and_the_search_cost_the_same_queries_however_many_tag_changes(
        client, owner, compliance, client_record):
    tags = [TagFactory(name=f"tag {n}") for n in range(3)]
    services.lifecycle_transition(client=client_record, to_stage=Client.LifecycleStage.DEVELOPMENT,
                                  reason="First meeting held", changed_by=owner)

    def queries(user, url) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    tab, search = reverse("crm:client-history", args=[client_record.pk]), reverse("crm:audit-changes")
    edit_tags(client, owner, client_record, tags[:1])
    few = queries(owner, tab), queries(compliance, search)
    for number in range(15):
        edit_tags(client, owner, client_record, tags[:number % 3 + 1])
        services.lifecycle_transition(client=client_record, to_stage=Client.LifecycleStage.GROWTH
                                      if number % 2 == 0 else Client.LifecycleStage.MATURITY,
                                      reason=f"Step {number}", changed_by=owner)
    # Per table on the page: its rows, their previous versions and, for clients, the tags of both
    # (one query); a record table (lifecycle transitions) one query; then the staff and client names.
    assert (queries(owner, tab), queries(compliance, search)) == few


# --- Records that are their own trail ----------------------------------------------------------


def test_a_lifecycle_transition_shows_who_moved_the_client_from_what_to_what_and_why(client, owner, client_record):
    services.lifecycle_transition(client=client_record, to_stage=Client.LifecycleStage.DEVELOPMENT,
                                  reason="First meeting held", changed_by=owner)
    page = history_page(client, owner, client_record)
    assert "lifecycle transition" in page.lower()
    assert change("Potential", "Development") in page
    assert "First meeting held" in page


def test_a_merge_shows_on_the_survivors_tab(client, owner):
    surviving = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    merged = ClientFactory(legal_name="Li Na", phone="+8613700137000", manager=owner)
    services.client_merge(surviving=surviving, merged=merged, user=owner)
    page = history_page(client, owner, surviving)
    assert "client merge" in page.lower() and f"#{merged.pk}" in page


def test_a_complaints_steps_show_with_who_and_the_note(client, owner, client_record):
    complaint = feedback_services.complaint_raise(client=client_record, description="Late statement",
                                                  raised_by=owner)
    feedback_services.complaint_transition(complaint=complaint, to_status="in_progress", actor=owner,
                                           note="Called the client")
    page = history_page(client, owner, client_record)
    assert "complaint event" in page.lower()
    assert "Called the client" in page and str(owner) in page


def test_a_household_rename_shows_on_its_members_tabs_only(client, owner, client_record):
    household = HouseholdFactory(name="Zhang family")
    HouseholdMemberFactory(household=household, client=client_record)
    outside = ClientFactory(legal_name="Other Person", manager=owner)
    client.force_login(owner)
    services.household_update(household=household, name="Zhang-Li family")
    assert change("Zhang family", "Zhang-Li family") in history_page(client, owner, client_record)
    assert "Zhang-Li family" not in history_page(client, owner, outside)


def test_compliance_filters_the_records_by_kind_and_staff_member(client, owner, teammate, compliance,
                                                                  client_record):
    services.lifecycle_transition(client=client_record, to_stage=Client.LifecycleStage.DEVELOPMENT,
                                  reason="First meeting held", changed_by=owner)
    client.force_login(compliance)
    url = reverse("crm:audit-changes")
    by_kind = client.get(url, {"model": "crm.lifecycletransition"}).content.decode()
    assert "First meeting held" in by_kind
    assert "First meeting held" in client.get(url, {"user": owner.pk}).content.decode()
    assert "First meeting held" not in client.get(url, {"user": teammate.pk}).content.decode()
    export = client.get(reverse("crm:audit-changes-export"), {"model": "crm.lifecycletransition"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert "First meeting held" in content.decode("utf-8-sig")


def test_the_migration_records_each_tagged_clients_present_tags_in_one_row_by_no_one(client_record):
    from importlib import import_module

    from django.apps import apps

    Client.tags.through.objects.create(client=client_record, tag=TagFactory(name="legacy"))  # as before 0013
    rows = client_record.history.count()
    import_module("crm.migrations.0013_client_tags_history").tags_recorded_from_now(apps, None)
    assert client_record.history.count() == rows + 1
    latest = client_record.history.first()
    assert latest.history_user is None and latest.history_change_reason == "Tags recorded from here on"
    assert [t.tag.name for t in latest.tags.all()] == ["legacy"]
    assert latest.legal_name == client_record.legal_name
