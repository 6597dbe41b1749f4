"""Shared fixtures: the healthchecks-style cast of an owner RM, a teammate and an outsider."""

import os

import pytest

from .factories import (
    AdministratorFactory,
    ClientFactory,
    ComplianceFactory,
    ManagerFactory,
    TeamFactory,
    TeamLeadFactory,
)


def require_server(reason: str) -> None:
    """Skip a test whose server is absent, except under CI=true, where a missing server is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: servers must be present)")
    pytest.skip(reason)


@pytest.fixture
def owner(db):
    """An RM who serves ``client``."""
    return ManagerFactory(username="owner", first_name="Olivia", last_name="Owner")


@pytest.fixture
def teammate(db):
    """An RM in the owner's team, who serves other clients."""
    return ManagerFactory(username="teammate", first_name="Tom", last_name="Mate")


@pytest.fixture
def outsider(db):
    """An RM in another team, who must see nothing of the owner's clients."""
    return ManagerFactory(username="outsider", first_name="Otto", last_name="Sider")


@pytest.fixture
def team_lead(db, owner, teammate):
    lead = TeamLeadFactory(username="lead", first_name="Lena", last_name="Lead")
    TeamFactory(name="Private banking 1", lead=lead, members=[owner, teammate])
    return lead


@pytest.fixture
def other_lead(db, outsider):
    lead = TeamLeadFactory(username="otherlead")
    TeamFactory(name="Private banking 2", lead=lead, members=[outsider])
    return lead


@pytest.fixture
def compliance(db):
    return ComplianceFactory(username="compliance")


@pytest.fixture
def administrator(db):
    return AdministratorFactory(username="admin")


@pytest.fixture
def client_record(db, owner):
    """A client served by ``owner``; named so as not to shadow pytest-django's ``client``."""
    return ClientFactory(legal_name="Zhang Wei", manager=owner)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """A request in zh-hans leaves its language active on the thread; each test starts in the default."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test counts rate limits from zero, in its own process-local cache."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "tests"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def celery_eager(settings):
    """Tasks run in the test's process when sent, with their errors raised: a task sent with
    ``delay_on_commit`` runs when the test runs the commit callbacks
    (``django_capture_on_commit_callbacks(execute=True)``), as the worker would after the commit."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
