"""Sign-in and HTTP security plumbing: the Content-Security-Policy header, the inactivity timeout
of a signed-in session, and the sign-in page shown when django-axes locks a sign-in out.

The settings live in config/settings.py (``SECURE_CSP``, ``SESSION_COOKIE_AGE``, ``AXES_*``).
"""

import time

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

# Unix time of the last push of the session's expiry; kept in the session itself.
ACTIVITY_KEY = "_crm_activity_at"
# The expiry moves forward at most this often, so a page costs no session write each time; a
# session therefore ends between SESSION_COOKIE_AGE minus this and SESSION_COOKIE_AGE after the
# last request.
ACTIVITY_REFRESH_SECONDS = 60


class ContentSecurityPolicyMiddleware:
    """Send ``settings.SECURE_CSP`` (directive -> list of sources) as the Content-Security-Policy.

    Django 6.0 ships this middleware (``django.middleware.csp``) reading a setting of the same name
    and shape; on upgrading, swap it in and delete this class. A response that already carries the
    header (a view with a policy of its own) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = "; ".join(
            " ".join([directive, *sources]) for directive, sources in settings.SECURE_CSP.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.header
        return response


class SessionIdleTimeoutMiddleware:
    """End a signed-in session after ``SESSION_COOKIE_AGE`` seconds without a request.

    Django sets a session's expiry when it saves it; this saves a signed-in session again once its
    last save is ``ACTIVITY_REFRESH_SECONDS`` old, which pushes the expiry forward. Anonymous
    visitors (the public signed-link forms) get no session from it. Goes after
    AuthenticationMiddleware; Django's SessionMiddleware (outside it) does the saving.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(ACTIVITY_KEY, 0) >= ACTIVITY_REFRESH_SECONDS:
                session[ACTIVITY_KEY] = now
        return response


def session_activity_start(sender, request, user, **kwargs):
    """On sign-in, stamp the new session so its first pages need no extra write (user_logged_in)."""
    if request is not None and hasattr(request, "session"):
        request.session[ACTIVITY_KEY] = int(time.time())


def lockout_response(request, original_response, credentials):
    """django-axes' answer to a locked-out sign-in: the sign-in page again, saying why (HTTP 429)."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request, initial={"username": request.POST.get("username", "")}),
        "next": request.POST.get(REDIRECT_FIELD_NAME, ""),
        "locked_out": True,
        "cool_off_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }, status=429)
