"""Whose address the sign-in lockout, the public forms' rate limits and the audit trail count by
(crm.ratelimit.client_address): REMOTE_ADDR, unless it is a trusted proxy (TRUSTED_PROXIES), which
then names the client in X-Forwarded-For. A header a caller writes itself is never believed."""

import ipaddress

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from config.env import env_networks
from crm.ratelimit import client_address
from risk import views as risk_views

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
CLIENT = "203.0.113.7"


@pytest.fixture
def trusted_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]


def address(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored():
    assert settings.TRUSTED_PROXIES == []
    assert address(CLIENT, "1.2.3.4") == CLIENT
    assert address(PROXY, CLIENT) == PROXY


def test_the_trusted_proxy_names_the_client(trusted_proxy):
    assert address(PROXY, CLIENT) == CLIENT
    # Through two of our proxies; what the caller wrote further left is not believed.
    assert address(PROXY, f"1.2.3.4, {CLIENT}, 10.0.0.3") == CLIENT
    # No header, or one the proxy broke off: the proxy itself.
    assert address(PROXY) == PROXY
    assert address(PROXY, f"{CLIENT}, not-an-address") == PROXY


def test_a_caller_that_is_no_trusted_proxy_cannot_name_an_address(trusted_proxy):
    assert address(CLIENT, "10.0.0.9") == CLIENT
    assert address(CLIENT, "1.2.3.4") == CLIENT


def sign_in_failures(client, *, remote, forwarded):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "owner", "password": "wrong"},
                               REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    return response


def test_a_spoofed_forwarded_header_does_not_escape_the_lockout(client, owner):
    # Each attempt claims another address; with no trusted proxy all count against the real one.
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "owner", "password": "wrong"},
                               REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}


def test_behind_the_trusted_proxy_a_lockout_holds_the_client_not_everyone(client, owner, trusted_proxy):
    assert sign_in_failures(client, remote=PROXY, forwarded=CLIENT).status_code == 429
    assert AccessAttempt.objects.get().ip_address == CLIENT
    # Another client through the same proxy still signs in.
    response = client.post(reverse("login"), {"username": "owner", "password": "wrong"},
                           REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert response.status_code == 200


def test_the_public_forms_rate_limit_counts_the_client_behind_the_proxy(client, trusted_proxy):
    limit = risk_views.OPENS_PER_ADDRESS
    url = reverse("risk:questionnaire", args=["guess"])
    statuses = [client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT).status_code
                for _n in range(limit + 1)]
    assert statuses[-1] == 429
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 404


def test_a_bad_trusted_proxies_setting_fails_loudly(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/24, proxy.internal")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        env_networks("TRUSTED_PROXIES")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.2, fd00::/8")
    assert [str(n) for n in env_networks("TRUSTED_PROXIES")] == ["10.0.0.2/32", "fd00::/8"]
