"""Who may import and merge: staff who edit clients, and only into clients they serve."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm import imports, services
from crm.models import Client, ClientImport, ClientMerge
from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [["Name", "Phone"], ["Li Na", "13900139000"]]


@pytest.fixture
def owners_import(owner):
    return imports.client_import_upload(user=owner, file_name="clients.csv", data=csv_bytes(ROWS))


@pytest.mark.parametrize("who,status", [
    ("owner", 200), ("team_lead", 200), ("administrator", 200), ("compliance", 404),
])
def test_it_opens_the_upload_page_only_for_those_who_edit_clients(request, client, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("crm:import-upload")).status_code == status


def test_it_refuses_an_upload_from_compliance(client, compliance):
    client.force_login(compliance)
    response = client.post(reverse("crm:import-upload"), {"file": SimpleUploadedFile("c.csv", csv_bytes(ROWS))})
    assert response.status_code == 404
    assert not ClientImport.objects.exists()
    with pytest.raises(imports.PermissionDenied):
        imports.client_import_upload(user=compliance, file_name="c.csv", data=csv_bytes(ROWS))


@pytest.mark.parametrize("url_name", ["crm:import-detail", "crm:import-mapping", "crm:import-errors"])
@pytest.mark.parametrize("who,status", [("owner", 200), ("teammate", 404), ("outsider", 404), ("team_lead", 404)])
def test_it_shows_an_import_only_to_its_uploader(request, client, owners_import, url_name, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(url_name, kwargs={"pk": owners_import.pk})).status_code == status


@pytest.mark.parametrize("who", ["outsider", "compliance", "administrator", "team_lead"])
def test_it_lets_only_the_uploader_commit(request, client, owners_import, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("crm:import-commit", kwargs={"pk": owners_import.pk}))
    assert response.status_code == 404
    owners_import.refresh_from_db()
    assert owners_import.status == ClientImport.Status.DRY_RUN
    assert not Client.objects.exists()


def test_it_lets_compliance_read_the_import_history(client, compliance, owners_import):
    client.force_login(compliance)
    assert client.get(reverse("crm:import-list")).status_code == 200
    assert client.get(reverse("crm:import-detail", kwargs={"pk": owners_import.pk})).status_code == 200


def test_it_sends_anonymous_visitors_to_the_login_page(client, owners_import):
    for url in (reverse("crm:import-list"), reverse("crm:import-upload"),
                reverse("crm:import-detail", kwargs={"pk": owners_import.pk})):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_it_never_merges_an_import_row_into_another_rms_client(outsider, owner):
    theirs = ClientFactory(legal_name="Li Na", phone="+8613900139000", email="", manager=owner)
    client_import = imports.client_import_upload(
        user=outsider, file_name="c.csv", data=csv_bytes([["Name", "Phone", "E-mail"], ["Li Na", "13900139000", "x@y.cn"]]))
    assert "duplicate" not in client_import.report["rows"][0]
    imports.client_import_commit(client_import=client_import, user=outsider)
    theirs.refresh_from_db()
    assert theirs.email == ""
    assert not ClientMerge.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "teammate", "compliance", "other_lead"])
def test_it_hides_the_merge_page_of_clients_one_does_not_serve(request, client, client_record, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("crm:client-merge", kwargs={"pk": client_record.pk})).status_code == 404


@pytest.mark.parametrize("who", ["owner", "team_lead", "administrator"])
def test_it_opens_the_merge_page_for_those_who_serve_the_client(request, client, client_record, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("crm:client-merge", kwargs={"pk": client_record.pk})).status_code == 200


def test_it_refuses_to_merge_another_rms_client_into_ones_own(client, owner, outsider):
    mine = ClientFactory(legal_name="Li Na", manager=outsider)
    theirs = ClientFactory(legal_name="Li Na", manager=owner)
    client.force_login(outsider)
    url = reverse("crm:client-merge", kwargs={"pk": mine.pk})
    assert client.get(url, {"other": theirs.pk}).status_code == 404
    assert client.post(url, {"other": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Client.Status.ACTIVE
    with pytest.raises(imports.PermissionDenied):
        services.client_merge(surviving=mine, merged=theirs, user=outsider)
    assert not ClientMerge.objects.exists()
