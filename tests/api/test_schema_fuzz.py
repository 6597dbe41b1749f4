"""Schemathesis against the API's own OpenAPI schema, in-process (WSGI, in the test's transaction):
a bounded number of generated requests per operation, signed in with a token of a team lead who
has clients, accounts, holdings, contacts and reminders to find. No answer may be a server error,
and every answer must be one the schema documents (status, content type, body).
"""

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from communications.models import ContactLog, Reminder
from portfolios.models import ValuationSnapshot
from tests.api.conftest import token_client
from tests.factories import ClientFactory, ManagerFactory, TagFactory, TeamFactory, TeamLeadFactory
from tests.portfolios.factories import AccountFactory, HoldingFactory, InstrumentFactory

EXAMPLES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _schema_from_the_app():
    """The OpenAPI document the app serves at /api/schema/, generated in-process (no request: it
    describes every operation, whoever asks)."""
    generator = SchemaGenerator(urlconf=None)
    document = json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))
    # Examples and fuzzing (max_examples each). The coverage phase's exhaustive boundary cases (some
    # 2,000 requests) take minutes on the reference machine: API_FUZZ_COVERAGE=1 adds them.
    coverage = os.environ.get("API_FUZZ_COVERAGE") == "1"
    config = schemathesis.config.SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": coverage}}})
    loaded = schemathesis.openapi.from_dict(document, config=config)
    loaded.app = WSGIHandler()  # requests go to the app in-process, as schemathesis.openapi.from_wsgi does
    return loaded


schema = _schema_from_the_app()


@pytest.fixture
def token_header(db, settings):
    """A team lead's token, and a world to fuzz in: clients, accounts, holdings, valuations, contacts
    and reminders the lead may see and change."""
    settings.CELERY_TASK_ALWAYS_EAGER = False  # revaluations are queued after commit, never run here
    lead = TeamLeadFactory(username="fuzz-lead")
    rm = ManagerFactory(username="fuzz-rm")
    TeamFactory(lead=lead, members=[rm])
    TagFactory(name="vip")
    for n in range(3):
        client = ClientFactory(manager=rm if n else lead, risk_level="C3")
        account = AccountFactory(client=client)
        HoldingFactory(account=account, instrument=InstrumentFactory(code=f"FUZZ{n}"))
        ValuationSnapshot.objects.create(client=client, valuation_date=timezone.localdate(), aum=1000,
                                         currency="CNY", by_asset_class={"equity": "1000.00"})
        ContactLog.objects.create(client=client, recorded_by=rm, summary="Call")
        Reminder.objects.create(client=client, kind="review", due_on=timezone.localdate(), manager=rm)
    api = token_client(lead, name="Fuzzing")
    # The app answers in this test's transaction: Django must not close the connection around each
    # request (its test client does the same).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield {"Authorization": api._credentials["HTTP_AUTHORIZATION"]}
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_api_answers_every_generated_request_as_its_schema_says(case, token_header):
    case.call_and_validate(headers=token_header, checks=CHECKS)
