"""One error shape for every refusal; the schema and its docs page (signed-in staff, no inline script)."""

import pytest
from django.urls import reverse

from tests.api.conftest import error_fields

pytestmark = pytest.mark.django_db

LIST = reverse("api:client-list")


def test_malformed_json_and_an_unsupported_body_answer_in_the_shape(api_as, owner):
    api = api_as(owner)

    broken = api.post(LIST, "{not json", content_type="application/json")
    assert broken.status_code == 400 and error_fields(broken) == {None: "parse_error"}

    xml = api.post(LIST, "<client/>", content_type="application/xml")
    assert xml.status_code == 415 and error_fields(xml) == {None: "unsupported_media_type"}


def test_a_session_post_without_csrf_is_refused(owner):
    from rest_framework.test import APIClient

    api = APIClient(enforce_csrf_checks=True)
    api.force_login(owner)

    response = api.post(LIST, {"legal_name": "X", "phone": "13900000000"}, format="json")

    assert response.status_code == 403 and error_fields(response) == {None: "permission_denied"}


def test_signed_in_staff_use_the_api_with_their_session(client, owner, client_record):
    client.force_login(owner)
    response = client.get(LIST, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_the_schema_documents_every_endpoint_and_the_error_shape(api_as, owner):
    response = api_as(owner).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/v1/clients/", "/api/v1/clients/{id}/", "/api/v1/clients/{id}/valuations/",
        "/api/v1/clients/{id}/contacts/", "/api/v1/holdings/", "/api/v1/reminders/", "/api/v1/reminders/{id}/done/"}
    create = schema["paths"]["/api/v1/clients/"]["post"]
    assert {"201", "400", "401", "403", "404", "429"} <= set(create["responses"])
    assert create["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Errors")
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_schema_needs_a_token_or_a_session(anonymous_api):
    response = anonymous_api.get(reverse("api:schema"))
    assert response.status_code == 401 and error_fields(response) == {None: "not_authenticated"}


def test_the_docs_page_loads_only_our_files_under_the_csp(client, owner):
    client.force_login(owner)

    page = client.get(reverse("api:docs"))
    script = client.get(reverse("api:docs") + "?script=")

    assert page.status_code == 200 and script.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html and "<style>" not in html and "http" not in html.split("<body>")[1]
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert script["Content-Type"].startswith("application/javascript")
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_anonymous_visitors_of_the_docs_are_sent_to_sign_in(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
