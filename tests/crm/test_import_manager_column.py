"""The RM column: new clients go to the member of staff it names, if the importer may assign to them."""

import pytest
from django.urls import reverse

from crm import imports
from crm.models import Assignment, Client
from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db


def upload(user, rows):
    return imports.client_import_upload(user=user, file_name="clients.csv", data=csv_bytes(rows))


def test_it_maps_the_chinese_header_and_assigns_by_username_or_name(team_lead, owner, teammate):
    client_import = upload(team_lead, [["客户姓名", "手机号码", "客户经理"], ["王芳", "13800138000", "owner"],
                                       ["李娜", "13900139000", "Tom Mate"], ["周杰", "13700137000", "mate tom"],
                                       ["陈静", "13600136000", ""]])
    assert client_import.column_mapping["2"] == "manager"
    assert [r["errors"] for r in client_import.report["rows"]] == [[], [], [], []]

    client_import = imports.client_import_commit(client_import=client_import, user=team_lead)

    managers = dict(Client.objects.values_list("legal_name", "primary_manager__username"))
    assert managers == {"王芳": "owner", "李娜": "teammate", "周杰": "teammate", "陈静": None}
    assert set(Assignment.objects.filter(role="primary", ended_at__isnull=True).values_list(
        "client__legal_name", "manager__username")) == {("王芳", "owner"), ("李娜", "teammate"), ("周杰", "teammate")}
    assert client_import.report["result"]["unassigned"] == 1


def test_it_refuses_staff_the_importer_may_not_assign_to_as_a_row_error(team_lead, outsider, compliance):
    client_import = upload(team_lead, [["Name", "Phone", "RM"], ["Li Na", "13900139000", "outsider"],
                                       ["Wang Fang", "13800138000", compliance.username],
                                       ["Zhou Jie", "13700137000", "Nobody Known"]])
    rows = client_import.report["rows"]
    assert [[e["field"] for e in r["errors"]] for r in rows] == [["manager"], ["manager"], ["manager"]]
    assert "not a relationship manager you may assign clients to" in rows[0]["errors"][0]["message"]
    assert rows[0]["errors"][0]["column"] == "RM"

    imports.client_import_commit(client_import=client_import, user=team_lead)
    assert not Client.objects.exists()


def test_an_rm_may_name_only_themself(owner, teammate):
    client_import = upload(owner, [["Name", "Phone", "RM"], ["Li Na", "13900139000", "Olivia Owner"],
                                   ["Wang Fang", "13800138000", "teammate"]])
    rows = client_import.report["rows"]
    assert rows[0]["errors"] == [] and rows[0]["values"]["manager_id"] == owner.pk
    assert [e["field"] for e in rows[1]["errors"]] == ["manager"]


def test_a_name_shared_by_two_staff_members_asks_for_the_username(administrator, owner):
    from tests.factories import ManagerFactory

    ManagerFactory(username="olivia2", first_name="Olivia", last_name="Owner")
    client_import = upload(administrator, [["Name", "Phone", "RM"], ["Li Na", "13900139000", "Olivia Owner"],
                                           ["Wang Fang", "13800138000", "OLIVIA2"]])
    rows = client_import.report["rows"]
    assert "give the username" in rows[0]["errors"][0]["message"]
    assert rows[1]["errors"] == []


def test_the_rm_column_leaves_existing_clients_with_their_rm_and_says_so(team_lead, owner, teammate):
    existing = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    client_import = upload(team_lead, [["Name", "Phone", "RM"], ["Li Na", "13900139000", "teammate"]])
    assert "applied to new clients only" in client_import.report["rows"][0]["warnings"][0]

    imports.client_import_commit(client_import=client_import, user=team_lead)
    existing.refresh_from_db()
    assert existing.primary_manager == owner


def test_the_result_page_links_unassigned_clients_to_their_assignment(client, team_lead):
    client_import = upload(team_lead, [["Name", "Phone"], ["Li Na", "13900139000"], ["Wang Fang", "13800138000"]])
    imports.client_import_commit(client_import=client_import, user=team_lead)
    client.force_login(team_lead)

    response = client.get(reverse("crm:import-detail", kwargs={"pk": client_import.pk}))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-unassigned"' in page
    assert "2 clients created by this import have no relationship manager." in page
    assert f'{reverse("crm:client-list")}?rm=none' in page
    assert reverse("crm:workload") in page


def test_the_result_page_of_an_rm_has_no_unassigned_notice(client, owner):
    client_import = upload(owner, [["Name", "Phone"], ["Li Na", "13900139000"]])
    imports.client_import_commit(client_import=client_import, user=owner)
    client.force_login(owner)

    response = client.get(reverse("crm:import-detail", kwargs={"pk": client_import.pk}))

    assert response.status_code == 200
    assert 'data-testid="import-unassigned"' not in response.content.decode()
    assert Client.objects.get().primary_manager == owner
