"""Staged and committed uploads of every kind are readable in the admin, and changed only by the import pages."""

import pytest
from django.urls import reverse

from crm import imports
from tests.factories import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def staged(owner):
    return imports.client_import_upload(user=owner, file_name="clients.csv",
                                        data=csv_bytes([["Name", "Phone"], ["Li Na", "13900139000"]]))


@pytest.mark.parametrize("who", ["administrator", "compliance"])
def test_it_lists_and_shows_uploads_without_letting_anyone_change_them(request, client, staged, who):
    client.force_login(request.getfixturevalue(who))

    listing = client.get(reverse("admin:dataimport_importupload_changelist"))
    page = client.get(reverse("admin:dataimport_importupload_change", args=[staged.pk]))
    post = client.post(reverse("admin:dataimport_importupload_change", args=[staged.pk]), {"file_name": "x.csv"})

    assert listing.status_code == 200 and "clients.csv" in listing.content.decode()
    assert page.status_code == 200
    assert post.status_code == 403
    staged.refresh_from_db()
    assert staged.file_name == "clients.csv"
    assert client.get(reverse("admin:dataimport_importupload_add")).status_code == 403


def test_the_client_import_history_in_the_admin_shows_client_uploads_only(client, administrator, staged, owner):
    from dataimport.models import ImportUpload

    ImportUpload.objects.create(kind="prices", file_name="prices.csv", file_sha256="0" * 64, uploaded_by=owner)
    client.force_login(administrator)

    body = client.get(reverse("admin:crm_clientimport_changelist")).content.decode()

    assert "clients.csv" in body and "prices.csv" not in body
