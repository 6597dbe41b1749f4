"""The risk overview: clients whose assessment expired, expires soon or is missing, contradictory
answers, and (from portfolios' panels) suitability mismatches, concentration breaches and drawdown
alerts; RMs see their clients, leads their teams, compliance everyone; filters by RM and tier."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.scales import RiskBasis
from crm.services import client_risk_level_set
from portfolios.models import Alert
from risk import services
from tests.factories import ClientFactory
from tests.portfolios.factories import AlertFactory, HoldingFactory, InstrumentFactory

from .conftest import answers_for, answers_scoring

pytestmark = pytest.mark.django_db


def assessed(version, client, user, *, days_ago=10, **choices):
    services.assessment_complete(client=client, version=version, channel="rm", recorded_by=user,
                                 answers=answers_for(version, **choices) if choices else answers_scoring(version, 2),
                                 completed_at=timezone.now() - timedelta(days=days_ago))
    client.refresh_from_db()
    return client


@pytest.fixture
def book(standard, owner, teammate, outsider, team_lead, other_lead):
    """The owner's clients in every state, a teammate's and an outsider's expired ones."""
    clients = {
        "expired": assessed(standard, ClientFactory(legal_name="Expired Eve", manager=owner), owner, days_ago=400),
        "expiring": assessed(standard, ClientFactory(legal_name="Soon Sam", manager=owner, aum_tier="hnw"), owner,
                             days_ago=350),
        "valid": assessed(standard, ClientFactory(legal_name="Valid Val", manager=owner), owner),
        "flagged": assessed(standard, ClientFactory(legal_name="Flagged Flo", manager=owner), owner,
                            horizon="under_1", objective="growth"),
        "recorded": ClientFactory(legal_name="Recorded Rita", manager=owner),
        "none": ClientFactory(legal_name="Nobody Ned", manager=owner),
        "teammate": assessed(standard, ClientFactory(legal_name="Teammate Tia", manager=teammate), teammate,
                             days_ago=500),
        "outsider": assessed(standard, ClientFactory(legal_name="Outsider Oz", manager=outsider), outsider,
                             days_ago=500),
    }
    client_risk_level_set(client=clients["recorded"], level="C4", basis=RiskBasis.RECORDED,
                          assessed_on=timezone.localdate() - timedelta(days=700))
    return clients


def names(rows):
    return sorted(client.legal_name for client in rows)


def test_an_rm_sees_their_clients_by_state(client, owner, book):
    client.force_login(owner)

    response = client.get(reverse("risk:overview"))

    assert response.status_code == 200
    context = response.context
    assert names(context["expired"]) == ["Expired Eve"]
    assert names(context["expiring"]) == ["Soon Sam"]
    assert names(context["unassessed"]) == ["Nobody Ned", "Recorded Rita"]
    assert [a.client.legal_name for a in context["flagged"]] == ["Flagged Flo"]
    assert context["counts"] == {"expired": 1, "expiring": 1, "unassessed": 2, "recorded": 1, "total": 6}
    page = response.content.decode()
    assert "Outsider Oz" not in page and "Teammate Tia" not in page
    assert "The horizon is under one year, but the objective is long-term growth." in page


def test_a_lead_sees_the_team_and_compliance_sees_everyone(client, team_lead, compliance, book):
    client.force_login(team_lead)
    lead = client.get(reverse("risk:overview")).context
    client.force_login(compliance)
    everyone = client.get(reverse("risk:overview")).context

    assert names(lead["expired"]) == ["Expired Eve", "Teammate Tia"]
    assert names(everyone["expired"]) == ["Expired Eve", "Outsider Oz", "Teammate Tia"]


def test_it_filters_by_rm_and_tier(client, team_lead, owner, teammate, book):
    client.force_login(team_lead)

    by_rm = client.get(reverse("risk:overview"), {"rm": teammate.pk}).context
    by_tier = client.get(reverse("risk:overview"), {"tier": "hnw"}).context
    bad_rm = client.get(reverse("risk:overview"), {"rm": "not-a-number"})

    assert names(by_rm["expired"]) == ["Teammate Tia"] and by_rm["counts"]["total"] == 1
    assert by_tier["counts"] == {"expired": 0, "expiring": 1, "unassessed": 0, "recorded": 0, "total": 1}
    assert bad_rm.status_code == 200 and bad_rm.context["counts"]["total"] == 7


def test_it_lists_unsuitable_holdings_without_an_exception_and_open_portfolio_alerts(
        client, owner, outsider, book):
    valid, expired = book["valid"], book["expired"]  # C2, assessed; C2, expired: only R1 suits
    HoldingFactory(account__client=valid, instrument=InstrumentFactory(code="R5FUND", risk_rating="R5"))
    HoldingFactory(account__client=valid, instrument=InstrumentFactory(code="R2BOND", risk_rating="R2"))
    HoldingFactory(account__client=expired, instrument=InstrumentFactory(code="R2FUND", risk_rating="R2"))
    HoldingFactory(account__client=book["outsider"], instrument=InstrumentFactory(code="OUTR5", risk_rating="R5"))
    AlertFactory(client=valid, kind=Alert.Kind.SINGLE_HOLDING, message="Too much R5FUND")
    AlertFactory(client=expired, kind=Alert.Kind.DRAWDOWN, subject="", message="Drawdown beyond limit")
    client.force_login(owner)

    page = client.get(reverse("risk:overview")).content.decode()

    assert 'data-testid="count-unsuitable">2<' in page
    assert "R5FUND" in page and "R2FUND" in page and "R2BOND" not in page and "OUTR5" not in page
    assert "Too much R5FUND" in page and "Drawdown beyond limit" in page


def test_an_exception_takes_a_holding_off_the_mismatch_list(client, owner, book):
    from portfolios.services import ExceptionTerms, holding_suitability_exception_record

    holding = HoldingFactory(account__client=book["valid"], instrument=InstrumentFactory(code="R5FUND",
                                                                                        risk_rating="R5"))
    holding_suitability_exception_record(holding=holding, recorded_by=owner, terms=ExceptionTerms(
        reason="Inherited", client_acknowledged=True, client_acknowledged_on=timezone.localdate()))
    client.force_login(owner)

    page = client.get(reverse("risk:overview")).content.decode()

    assert 'data-testid="count-unsuitable">0<' in page and "R5FUND" not in page


@pytest.mark.parametrize("extra", [0, 20])
def test_its_queries_do_not_grow_with_the_book(client, compliance, book, standard, owner, extra):
    for n in range(extra):
        customer = assessed(standard, ClientFactory(manager=owner), owner, days_ago=400,
                            horizon="under_1", objective="growth")
        HoldingFactory(account__client=customer, instrument=InstrumentFactory(risk_rating="R5"),
                       market_value=Decimal("1000"))
        AlertFactory(client=customer, kind=Alert.Kind.ISSUER)
        AlertFactory(client=customer, kind=Alert.Kind.STOP_LOSS)
    client.force_login(compliance)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("risk:overview"))

    # 1 session, 2 user, 3 roles, 4 the RMs the filter offers; risk: 5 the counts, 6 expired, 7 expiring,
    # 8 without an assessment, 9 contradictory answers, 10 their rules; portfolios' panels: 11 the
    # unsuitable holdings' count, 12 their first rows, 13 the concentration breaches and drawdown and
    # stop-loss alerts counted in one pass, 14 and 15 the newest rows of each. Other apps' navigation
    # (unread notifications) is theirs to count.
    ours = [query for query in captured.captured_queries if "communications_" not in query["sql"]]
    assert len(ours) == 15
    assert response.status_code == 200
    assert response.context["counts"]["expired"] == 3 + extra
