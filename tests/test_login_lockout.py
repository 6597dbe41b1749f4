"""Sign-in lockout (django-axes): repeated failures lock one username from one address, with a
clear message in English and Chinese, until the cool-off passes or an administrator unlocks it."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.9"


def sign_in(client, username, password, *, address=ADDRESS, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def fail_until_locked(client, username, *, address=ADDRESS):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, username, "wrong password", address=address)
    return response


def test_it_signs_in_with_the_right_password(client, owner):
    response = sign_in(client, "owner", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(owner.pk)


def test_it_allows_failures_below_the_limit_and_a_success_clears_them(client, owner):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "owner", "wrong password").status_code == 200

    response = sign_in(client, "owner", PASSWORD)

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="owner").exists()


def test_it_locks_the_username_from_that_address_after_the_limit_even_with_the_right_password(client, owner):
    response = fail_until_locked(client, "owner")
    assert response.status_code == 429

    response = sign_in(client, "owner", PASSWORD)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert b'data-testid="login-locked-out"' in response.content
    assert b"Too many failed sign-in attempts" in response.content
    assert f"for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes".encode() in response.content
    assert b'name="username" value="owner"' in response.content  # the sign-in form, ready to try later
    attempt = AccessAttempt.objects.get(username="owner", ip_address=ADDRESS)
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_the_lockout_message_is_in_chinese_for_a_chinese_reader(client, owner):
    fail_until_locked(client, "owner")

    response = sign_in(client, "owner", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 429
    assert "登录失败次数过多".encode() in response.content


def test_the_lock_holds_one_username_from_one_address_only(client, owner, teammate):
    fail_until_locked(client, "owner")

    assert sign_in(client, "owner", PASSWORD, address=OTHER_ADDRESS).status_code == 302
    client.logout()
    assert sign_in(client, "teammate", PASSWORD).status_code == 302


def test_it_unlocks_after_the_cool_off(client, owner):
    fail_until_locked(client, "owner")
    # The cool-off passes: the failures are now older than it.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    response = sign_in(client, "owner", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(owner.pk)


def test_an_administrator_unlocks_a_user_in_django_admin(client, owner, administrator):
    fail_until_locked(client, "owner")
    attempt = AccessAttempt.objects.get(username="owner")
    admin_client = type(client)()
    admin_client.force_login(administrator)

    listing = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert b"owner" in listing.content
    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert sign_in(client, "owner", PASSWORD).status_code == 302


def test_an_rm_cannot_reach_the_lockout_records(client, owner):
    client.force_login(owner)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 302  # to the admin's sign-in: RMs have no admin
    assert "/admin/login/" in response["Location"]


def test_the_admin_sign_in_is_locked_out_too(client, administrator):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": "admin", "password": "wrong"}, REMOTE_ADDR=ADDRESS)

    response = client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD}, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
