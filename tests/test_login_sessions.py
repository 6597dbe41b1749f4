"""Sessions: they end after SESSION_IDLE_MINUTES without a request and when the browser closes;
changing a password signs the user out everywhere else; passwords must pass the validators."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.security import ACTIVITY_KEY, ACTIVITY_REFRESH_SECONDS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content[:300]
    return response


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_the_idle_timeout_is_thirty_minutes_by_default():
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_signing_in_starts_a_session_that_ends_with_the_browser_and_after_the_idle_timeout(client, owner):
    response = sign_in(client, "owner")

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    remaining = session_row(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_it_signs_out_a_session_idle_for_longer_than_the_timeout(client, owner):
    client.force_login(owner)
    assert client.get(reverse("home")).status_code == 200
    # Thirty minutes pass without a request.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_request_keeps_a_session_in_use_alive(client, owner):
    client.force_login(owner)
    session = client.session
    session[ACTIVITY_KEY] = int(time.time()) - ACTIVITY_REFRESH_SECONDS  # last pushed a minute ago
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=30))  # about to expire

    response = client.get(reverse("home"))

    assert response.status_code == 200
    remaining = session_row(client).expire_date - timezone.now()
    assert remaining > timedelta(minutes=29)


def test_requests_within_a_minute_of_the_last_push_write_no_session(client, owner):
    client.force_login(owner)  # stamps the session: its first pages need no write
    expiry = session_row(client).expire_date

    response = client.get(reverse("crm:client-list"))

    assert response.status_code == 200
    assert session_row(client).expire_date == expiry


def session_writes(queries) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
               and Session._meta.db_table in q["sql"])


def test_two_requests_within_the_minute_write_the_session_once_at_most(client, owner, client_record):
    """The idle timeout records activity at most once a minute, and opening the same client again
    leaves the recently-viewed list (kept in the session) as it was: the reload writes nothing."""
    client.force_login(owner)
    detail = reverse("crm:client-detail", args=[client_record.pk])

    with CaptureQueriesContext(connection) as first:
        assert client.get(detail).status_code == 200  # the client joins the recently viewed: one write
    with CaptureQueriesContext(connection) as again:
        assert client.get(detail).status_code == 200
        assert client.get(reverse("crm:client-list")).status_code == 200

    assert session_writes(first.captured_queries) == 1
    assert session_writes(again.captured_queries) == 0
    assert client.session["crm_recent_clients"] == [client_record.pk]


def test_anonymous_pages_get_no_session(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0


def test_changing_the_password_signs_out_every_other_session_but_this_one(owner):
    laptop, phone = Client(), Client()
    sign_in(laptop, "owner")
    sign_in(phone, "owner")
    assert phone.get(reverse("home")).status_code == 200

    response = laptop.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-long-passphrase-2026",
        "new_password2": "a-new-long-passphrase-2026",
    })

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-new-long-passphrase-2026")
    assert laptop.get(reverse("home")).status_code == 200
    signed_out = phone.get(reverse("home"))
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in phone.session


def test_an_administrator_setting_a_password_signs_the_user_out_everywhere(client, owner, administrator):
    sign_in(client, "owner")
    admin_client = Client()
    admin_client.force_login(administrator)

    changed = admin_client.post(reverse("admin:auth_user_password_change", args=[owner.pk]), {
        "password1": "set-by-the-administrator-2026", "password2": "set-by-the-administrator-2026",
    })

    assert changed.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("set-by-the-administrator-2026")
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("new_password, problem", [
    ("short-2026", "at least 12 characters"),
    ("301946728501", "entirely numeric"),
    ("password1234", "too common"),
    ("owner@bank.example", "too similar"),
])
def test_a_weak_new_password_is_refused(client, owner, new_password, problem):
    client.force_login(owner)

    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password,
    })

    assert response.status_code == 200
    assert problem in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
