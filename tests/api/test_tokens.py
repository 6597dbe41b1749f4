"""API tokens: hashed, issued in admin or by a command, revocable, throttled, attributable."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import ApiToken
from tests.api.conftest import error_fields, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:client-list")


def test_only_a_hash_of_the_key_is_stored(owner):
    token, key = services.api_token_issue(user=owner, name="Core banking")

    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.key_hash == services.api_token_hash(key) and token.prefix == key[:8]


def test_a_revoked_token_answers_401_at_once(owner):
    api = token_client(owner)
    assert api.get(LIST).status_code == 200

    services.api_token_revoke(token=api.token, revoked_by=owner)

    response = api.get(LIST)
    assert response.status_code == 401 and error_fields(response) == {None: "authentication_failed"}
    assert api.token.history.latest().history_change_reason == "API token revoked"


def test_the_token_of_a_deactivated_user_answers_401(owner):
    api = token_client(owner)
    owner.is_active = False
    owner.save()
    assert api.get(LIST).status_code == 401


def test_a_token_is_stamped_with_its_last_use(owner):
    api = token_client(owner)
    api.get(LIST)
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None
    assert api.token.history.count() == 1  # the stamp is no change of the token's


def test_tokens_are_rate_limited_with_the_error_shape(owner, settings, monkeypatch):
    from api.throttling import ApiRateThrottle

    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api": "2/minute"})
    api = token_client(owner)
    assert [api.get(LIST).status_code for _n in range(2)] == [200, 200]

    response = api.get(LIST)

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert error_fields(response) == {None: "throttled"}
    assert token_client(owner, name="Other system").get(LIST).status_code == 200  # counted per token


def test_the_commands_issue_and_revoke(owner):
    out = io.StringIO()
    call_command("api_token_issue", owner.username, name="Trading", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.key_hash == services.api_token_hash(key) and token.name == "Trading"

    call_command("api_token_revoke", token.prefix, stdout=io.StringIO())

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_administrator_issues_a_token_in_admin_and_sees_its_key_once(client, administrator, owner):
    client.force_login(administrator)

    response = client.post(reverse("admin:api_apitoken_add"), {"user": owner.pk, "name": "Core banking"},
                           follow=True)

    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    key = shown[0].rsplit(" ", 1)[-1]
    assert token.created_by == administrator and token.key_hash == services.api_token_hash(key)

    client.post(reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_by == administrator and token.revoked_at <= timezone.now()


def test_compliance_reads_tokens_in_admin_but_issues_none(client, compliance, owner):
    services.api_token_issue(user=owner, name="Core banking")
    client.force_login(compliance)

    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 200
    assert client.get(reverse("admin:api_apitoken_add")).status_code == 403


def test_issue_and_revocation_are_in_the_audit_trail(administrator, owner):
    from crm import audit

    token, _key = services.api_token_issue(user=owner, name="Core banking", issued_by=administrator)
    services.api_token_revoke(token=token, revoked_by=administrator)

    assert ApiToken in {source.model for source in audit.history_sources()}
    assert [row.history_user for row in token.history.order_by("history_date")] == [administrator, administrator]
