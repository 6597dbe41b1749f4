"""Nothing a user uploads or types reaches a page unescaped (stored XSS)."""

import pytest
from django.urls import reverse

from crm import imports
from tests.factories import ClientFactory, HouseholdFactory, HouseholdMemberFactory, csv_bytes

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_it_escapes_an_uploaded_cell_in_the_mapping_pages_examples(client, owner):
    client_import = imports.client_import_upload(user=owner, file_name="clients.csv", data=csv_bytes([
        ["Client", "Contact", PAYLOAD], ["Chen Jie", "13800138000", PAYLOAD]]))
    client.force_login(owner)
    response = client.get(reverse("crm:import-mapping", kwargs={"pk": client_import.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    assert PAYLOAD not in page
    assert f"For example: {ESCAPED}" in page  # the help text shows the cell, as text


def test_it_escapes_a_clients_typed_values_on_every_page_that_shows_them(client, owner):
    record = ClientFactory(legal_name=f"Li {PAYLOAD}", preferred_name=PAYLOAD, address=PAYLOAD, notes=PAYLOAD,
                           occupation=PAYLOAD, manager=owner)
    household = HouseholdFactory(name=PAYLOAD, notes=PAYLOAD)
    HouseholdMemberFactory(household=household, client=record)
    client.force_login(owner)
    for url in [reverse("crm:client-list"), reverse("crm:client-list") + "?q=Li",
                reverse("crm:client-detail", args=[record.pk]), reverse("crm:client-edit", args=[record.pk]),
                reverse("crm:household-detail", args=[household.pk]),
                reverse("crm:household-edit", args=[household.pk])]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert PAYLOAD not in response.content.decode(), url


def test_the_project_marks_no_user_data_safe():
    """A guard: mark_safe, |safe and SafeString are not used in our code or templates (crispy's own
    templates render help text as HTML, so help texts built from data escape it themselves)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in root.rglob("*"):
        if path.suffix not in {".py", ".html"} or any(part in {".venv", "var", "tests", "test-artifacts",
                                                                 "node_modules"} for part in path.parts):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for needle in ("mark_safe(", "|safe", "{% autoescape off"):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []
