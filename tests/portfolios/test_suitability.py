"""Investor suitability: a product rated above what the client's risk level allows (only R1 without
a valid questionnaire assessment) is flagged, and is proposed or kept only with a documented
exception (reason, the client's acknowledgement and its date) that compliance can read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crm.scales import RiskBasis
from crm.services import client_risk_level_set
from portfolios import selectors, services
from portfolios.models import RebalanceProposal, SuitabilityException
from portfolios.services import ExceptionTerms

from .factories import HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


def level_set(client, level, *, valid_days=300, basis=RiskBasis.ASSESSMENT):
    today = timezone.localdate()
    client_risk_level_set(client=client, level=level, basis=basis, assessed_on=today - timedelta(days=30),
                          valid_until=today + timedelta(days=valid_days) if basis == RiskBasis.ASSESSMENT else None)
    client.refresh_from_db()


@pytest.fixture
def c2_client(client_record):
    """A moderately conservative (C2) client, validly assessed, 70 % in equities and 30 % in cash:
    rebalancing to the C2 model sells equities and buys, among others, funds."""
    level_set(client_record, "C2")
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="EQ1", asset_class="equity",
                                                                               risk_rating="R4"),
                   quantity=Decimal("700000"))
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="DEP1", asset_class="cash",
                                                                               risk_rating="R1"),
                   quantity=Decimal("300000"))
    return client_record


@pytest.fixture
def r5_fund(db):
    return InstrumentFactory(code="FUNDR5", name="Aggressive growth fund", asset_class="fund", risk_rating="R5")


@pytest.fixture
def r2_fund(db):
    return InstrumentFactory(code="FUNDR2", name="Bond fund", asset_class="fund", risk_rating="R2")


def terms(**overrides):
    return ExceptionTerms(**{"reason": "Client insists on a small growth sleeve", "client_acknowledged": True,
                             "client_acknowledged_on": timezone.localdate()} | overrides)


def propose(client, owner, products, exceptions=None):
    return services.rebalance_proposal_create(client=client, created_by=owner, minimum_trade=Decimal("1000"),
                                              products=products, exceptions=exceptions)


@pytest.mark.parametrize("level, basis, valid_days, highest", [
    ("C2", RiskBasis.ASSESSMENT, 300, "R2"), ("C5", RiskBasis.ASSESSMENT, 300, "R5"),
    ("C5", RiskBasis.ASSESSMENT, -1, "R1"), ("C4", RiskBasis.RECORDED, 0, "R1"), ("", "", 0, "R1"),
])
def test_the_highest_suitable_rating_follows_a_valid_assessment_only(client_record, level, basis, valid_days,
                                                                      highest):
    if level:
        level_set(client_record, level, basis=basis, valid_days=valid_days)
    assert selectors.rating_highest_for(client_record) == highest


def test_an_r5_fund_for_a_c2_client_is_refused_without_an_exception(c2_client, owner, r5_fund):
    with pytest.raises(ValidationError) as refused:
        propose(c2_client, owner, {"fund": r5_fund})

    message = " ".join(refused.value.messages)
    assert "FUNDR5 Aggressive growth fund is rated R5" in message and "up to R2" in message
    assert not RebalanceProposal.objects.exists() and not SuitabilityException.objects.exists()


@pytest.mark.parametrize("missing, message", [
    ({"client_acknowledged": False}, "The client must acknowledge the exception."),
    ({"reason": "  "}, "Give the reason for the exception."),
    ({"client_acknowledged_on": None}, "Give the date the client acknowledged it."),
    ({"client_acknowledged_on": timezone.localdate() + timedelta(days=1)}, "cannot have acknowledged it in the future"),
])
def test_an_incomplete_exception_saves_nothing(c2_client, owner, r5_fund, missing, message):
    with pytest.raises(ValidationError, match=message):
        propose(c2_client, owner, {"fund": r5_fund}, {"fund": terms(**missing)})
    assert not RebalanceProposal.objects.exists() and not SuitabilityException.objects.exists()


def test_an_r5_fund_for_a_c2_client_is_saved_with_its_exception(c2_client, owner, r5_fund):
    proposal = propose(c2_client, owner, {"fund": r5_fund}, {"fund": terms()})

    line = proposal.trades.get(asset_class="fund")
    assert line.action == "buy" and line.instrument == r5_fund
    exception = line.suitability_exception
    assert (exception.subject, exception.client, exception.instrument, exception.holding) == (
        "proposal", c2_client, r5_fund, None)
    assert (exception.product_rating, exception.client_risk_level, exception.client_assessment_valid) == (
        "R5", "C2", True)
    assert exception.reason == "Client insists on a small growth sleeve" and exception.client_acknowledged
    assert exception.recorded_by == owner
    assert proposal.trades.exclude(asset_class="fund").filter(instrument__isnull=False).count() == 0


def test_a_suitable_product_needs_no_exception(c2_client, owner, r2_fund):
    proposal = propose(c2_client, owner, {"fund": r2_fund}, {"fund": terms(reason="")})

    assert proposal.trades.get(asset_class="fund").instrument == r2_fund
    assert not SuitabilityException.objects.exists()


def test_without_a_valid_assessment_only_r1_products_are_proposed_freely(c2_client, owner, r2_fund):
    level_set(c2_client, "C2", valid_days=-1)  # expired yesterday

    with pytest.raises(ValidationError, match="without a valid risk assessment only R1"):
        propose(c2_client, owner, {"fund": r2_fund})
    proposal = propose(c2_client, owner, {"fund": InstrumentFactory(code="MMF", asset_class="fund", risk_rating="R1")})
    assert proposal.trades.get(asset_class="fund").instrument.code == "MMF"


def test_a_product_must_match_a_purchase_of_the_plan(c2_client, owner):
    equity = InstrumentFactory(code="EQ2", asset_class="equity", risk_rating="R1")  # the plan sells equities

    with pytest.raises(ValidationError, match="EQ2 is not a product for a purchase"):
        propose(c2_client, owner, {"equity": equity})


def test_the_database_refuses_an_exception_the_client_did_not_acknowledge(c2_client, owner, r5_fund):
    holding = HoldingFactory(account__client=c2_client, instrument=r5_fund)
    exception = services.holding_suitability_exception_record(holding=holding, terms=terms(), recorded_by=owner)

    for change in ({"client_acknowledged": False}, {"reason": ""}, {"subject": "proposal"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            SuitabilityException.objects.filter(pk=exception.pk).update(**change)


# --- Holdings: facts from the bank's systems, flagged until an exception covers them -----------


def test_the_portfolio_page_flags_a_holding_above_the_clients_level(client, owner, c2_client):
    client.force_login(owner)

    response = client.get(reverse("portfolios:client-portfolio", args=[c2_client.pk]))

    page = response.content.decode()
    flags = response.context["suitability_flags"]
    assert [(flag.instrument_code, flag.rating, flag.highest, flag.resolved) for flag in flags] == [
        ("EQ1", "R4", "R2", False)]
    assert 'data-testid="unsuitable-EQ1"' in page and 'data-testid="unsuitable-DEP1"' not in page
    holding = c2_client.accounts.get(holdings__instrument__code="EQ1").holdings.get()
    assert reverse("portfolios:holding-exception", args=[holding.pk]) in page


def test_the_rm_records_an_exception_for_a_flagged_holding_and_it_stays_on_record(client, owner, c2_client):
    holding = c2_client.accounts.get(holdings__instrument__code="EQ1").holdings.get()
    client.force_login(owner)
    url = reverse("portfolios:holding-exception", args=[holding.pk])

    incomplete = client.post(url, {"reason": "Inherited shares", "client_acknowledged_on": "2026-11-01"})
    response = client.post(url, {"reason": "Inherited shares", "client_acknowledged": "on",
                                 "client_acknowledged_on": timezone.localdate().isoformat()})

    assert incomplete.status_code == 200 and "The client must acknowledge the exception." in (
        incomplete.content.decode())
    assert response.status_code == 302
    exception = SuitabilityException.objects.get()
    assert (exception.subject, exception.holding, exception.product_rating) == ("holding", holding, "R4")
    page = client.get(reverse("portfolios:client-portfolio", args=[c2_client.pk]))
    assert [flag.resolved for flag in page.context["suitability_flags"]] == [True]
    assert "Inherited shares" in page.content.decode()


def test_an_exception_stops_covering_a_holding_whose_rating_rises(owner, c2_client):
    holding = c2_client.accounts.get(holdings__instrument__code="EQ1").holdings.get()
    services.holding_suitability_exception_record(holding=holding, terms=terms(), recorded_by=owner)
    holding.instrument.risk_rating = "R5"
    holding.instrument.save(update_fields=["risk_rating"])

    flags = selectors.holding_suitability_flags(client=c2_client, summary=selectors.portfolio_summary(client=c2_client))

    assert [(flag.rating, flag.resolved) for flag in flags] == [("R5", False)]


def test_a_suitable_holding_needs_no_exception(owner, c2_client):
    holding = c2_client.accounts.get(holdings__instrument__code="DEP1").holdings.get()

    with pytest.raises(ValidationError, match="no exception is needed"):
        services.holding_suitability_exception_record(holding=holding, terms=terms(), recorded_by=owner)


def test_compliance_reads_exceptions_in_admin_and_changes_nothing(client, compliance, owner, c2_client, r5_fund):
    proposal = propose(c2_client, owner, {"fund": r5_fund}, {"fund": terms()})
    exception = SuitabilityException.objects.get()
    client.force_login(compliance)

    listing = client.get(reverse("admin:portfolios_suitabilityexception_changelist"))
    change = client.post(reverse("admin:portfolios_suitabilityexception_change", args=[exception.pk]),
                         {"reason": "Changed"})
    detail = client.get(reverse("portfolios:proposal-detail", args=[proposal.pk]))

    assert listing.status_code == 200 and "FUNDR5" in listing.content.decode()
    assert change.status_code == 403
    exception.refresh_from_db()
    assert exception.reason == "Client insists on a small growth sleeve"
    assert 'data-testid="proposal-exception"' in detail.content.decode()


# --- The rebalance page --------------------------------------------------------------------


def test_the_rebalance_page_offers_products_marking_those_above_the_clients_level(client, owner, c2_client, r5_fund,
                                                                                 r2_fund):
    client.force_login(owner)

    response = client.post(reverse("portfolios:rebalance", args=[c2_client.pk]),
                           {"minimum_trade": "1000", "action": "preview"})

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{r5_fund.pk}" data-unsuitable="true">FUNDR5 Aggressive growth fund · R5 · above' in page
    assert f'<option value="{r2_fund.pk}">FUNDR2 Bond fund · R2</option>' in page


def test_the_rebalance_page_refuses_to_save_an_r5_fund_without_an_exception_then_saves_it_with_one(
        client, owner, c2_client, r5_fund):
    client.force_login(owner)
    url = reverse("portfolios:rebalance", args=[c2_client.pk])
    data = {"minimum_trade": "1000", "notes": "", "action": "save", "fund-product": str(r5_fund.pk),
            "fund-client_acknowledged_on": timezone.localdate().isoformat()}

    refused = client.post(url, data)
    saved = client.post(url, data | {"fund-reason": "Client insists", "fund-client_acknowledged": "on"})

    assert refused.status_code == 200
    assert "FUNDR5 Aggressive growth fund is rated R5" in refused.content.decode()
    assert 'data-testid="exception-fund"' in refused.content.decode()
    assert saved.status_code == 302
    proposal = RebalanceProposal.objects.get()
    assert proposal.trades.get(asset_class="fund").suitability_exception.reason == "Client insists"


@pytest.mark.parametrize("flagged", [1, 25])
def test_the_suitability_part_of_the_portfolio_page_is_one_query_however_many_flags(
        owner, c2_client, flagged, django_assert_num_queries):
    for n in range(flagged):
        holding = HoldingFactory(account__client=c2_client,
                                 instrument=InstrumentFactory(code=f"HI{n}", asset_class="equity", risk_rating="R5"))
        services.holding_suitability_exception_record(holding=holding, terms=terms(), recorded_by=owner)
    summary = selectors.portfolio_summary(client=c2_client)

    # 1 the client's exceptions with their products, recorders and proposal lines.
    with django_assert_num_queries(1):
        part = selectors.portfolio_suitability(client=c2_client, summary=summary)

    assert len(part["suitability_flags"]) == flagged + 1  # and EQ1, without an exception
    assert len(part["excepted_ids"]) == flagged and len(part["unsuitable_ids"]) == 1
