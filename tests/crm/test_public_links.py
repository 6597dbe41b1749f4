"""Signed, expiring, single-use links to public forms, and the rate limit in front of them."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from crm.models import PublicLink
from crm.public_links import PublicLinkInvalid, public_link_consume, public_link_issue, public_link_open
from crm.ratelimit import rate_limit_exceeded

pytestmark = pytest.mark.django_db


def issue(client_record, owner, **overrides):
    options = {"purpose": "feedback", "valid_for": timedelta(days=7)} | overrides
    return public_link_issue(client=client_record, issued_by=owner, **options)


def test_it_opens_a_fresh_link_for_its_client(client_record, owner):
    link, token = issue(client_record, owner)
    assert public_link_open(token=token, purpose="feedback") == link
    assert link.client == client_record


def test_it_stores_only_a_hash_of_the_secret(client_record, owner):
    link, token = issue(client_record, owner)
    assert token not in link.token_hash and len(link.token_hash) == 64


def test_it_refuses_a_link_made_for_another_form(client_record, owner):
    _link, token = issue(client_record, owner, purpose="risk-questionnaire")
    with pytest.raises(PublicLinkInvalid) as refused:
        public_link_open(token=token, purpose="feedback")
    assert refused.value.reason == PublicLinkInvalid.INVALID


def test_it_refuses_a_tampered_token(client_record, owner):
    _link, token = issue(client_record, owner)
    with pytest.raises(PublicLinkInvalid) as refused:
        public_link_open(token=token[:-2] + ("AA" if not token.endswith("AA") else "BB"), purpose="feedback")
    assert refused.value.reason == PublicLinkInvalid.INVALID


def test_it_refuses_an_expired_link(client_record, owner):
    link, token = issue(client_record, owner)
    PublicLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1),
                                                  issued_at=timezone.now() - timedelta(days=8))
    with pytest.raises(PublicLinkInvalid) as refused:
        public_link_open(token=token, purpose="feedback")
    assert refused.value.reason == PublicLinkInvalid.EXPIRED


def test_it_can_be_used_once(client_record, owner):
    link, token = issue(client_record, owner)
    with transaction.atomic():
        public_link_consume(token=token, purpose="feedback")
    link.refresh_from_db()
    assert link.used_at is not None
    with pytest.raises(PublicLinkInvalid) as refused, transaction.atomic():
        public_link_consume(token=token, purpose="feedback")
    assert refused.value.reason == PublicLinkInvalid.USED


def test_the_database_refuses_a_link_that_expires_before_it_is_issued(client_record, owner):
    from django.db import IntegrityError

    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicLink.objects.create(purpose="feedback", client=client_record, token_hash="x" * 64, issued_by=owner,
                                  issued_at=now, expires_at=now - timedelta(minutes=1))


def test_the_rate_limit_lets_the_limit_through_then_refuses():
    answers = [rate_limit_exceeded(scope="feedback", key="10.0.0.1", limit=3, window_seconds=60) for _ in range(5)]
    assert answers == [False, False, False, True, True]
    assert rate_limit_exceeded(scope="feedback", key="10.0.0.2", limit=3, window_seconds=60) is False
