"""Signed, expiring, single-use links to the public forms clients reach without an account.

The one way every app sends a client a form (risk questionnaires, feedback):

* ``public_link_issue`` creates the link and returns its absolute path's token;
* ``public_link_open`` checks a token on GET (signature, purpose, expiry, not yet used);
* ``public_link_consume`` does the same under a row lock and marks the link used; call it in
  the transaction that saves the submission, so a replay or a double click saves nothing.

The token is ``signing.dumps`` of a random secret, salted by purpose: a token made for one
form does not open another, and a tampered one fails before the database is asked.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Client, PublicLink

_SALT = "crm.public-link."


class PublicLinkInvalid(Exception):
    """The link cannot be used; ``reason`` is one of INVALID, EXPIRED, USED, and ``message`` says so
    to the client in plain words."""

    INVALID, EXPIRED, USED = "invalid", "expired", "used"
    MESSAGES = {
        INVALID: _("This link is not valid. Please ask your relationship manager for a new one."),
        EXPIRED: _("This link has expired. Please ask your relationship manager for a new one."),
        USED: _("This link has already been used, so nothing more was saved. Thank you."),
    }

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.message = self.MESSAGES[reason]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def public_link_issue(*, client: Client, purpose: str, issued_by, valid_for: timedelta,
                      payload: dict | None = None) -> tuple[PublicLink, str]:
    """Create a link for ``client``; returns it and the token to put in the URL (shown once)."""
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    link = PublicLink.objects.create(
        purpose=purpose, client=client, token_hash=_hash(secret), payload=payload or {},
        issued_by=issued_by, issued_at=now, expires_at=now + valid_for,
    )
    return link, signing.dumps(secret, salt=_SALT + purpose)


def _secret(token: str, purpose: str) -> str:
    try:
        return signing.loads(token, salt=_SALT + purpose)
    except signing.BadSignature:
        raise PublicLinkInvalid(PublicLinkInvalid.INVALID) from None


def _check(link: PublicLink | None) -> PublicLink:
    if link is None:
        raise PublicLinkInvalid(PublicLinkInvalid.INVALID)
    if link.used_at is not None:
        raise PublicLinkInvalid(PublicLinkInvalid.USED)
    if link.expires_at <= timezone.now():
        raise PublicLinkInvalid(PublicLinkInvalid.EXPIRED)
    return link


def public_link_open(*, token: str, purpose: str) -> PublicLink:
    """The link behind ``token`` if it may still be used, else ``PublicLinkInvalid``."""
    secret = _secret(token, purpose)
    return _check(PublicLink.objects.select_related("client").filter(
        token_hash=_hash(secret), purpose=purpose).first())


def public_link_consume(*, token: str, purpose: str) -> PublicLink:
    """Lock the link, check it and mark it used. Must run inside the submission's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("public_link_consume must run inside the transaction that saves the submission")
    secret = _secret(token, purpose)
    link = _check(PublicLink.objects.select_for_update().select_related("client").filter(
        token_hash=_hash(secret), purpose=purpose).first())
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link
