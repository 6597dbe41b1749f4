"""Rebalance proposals: saved from the plan, then moved draft → presented → accepted / rejected."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portfolios import services
from portfolios.models import RebalanceProposal, RebalanceTrade

from .factories import AccountFactory, HoldingFactory, InstrumentFactory, ModelAllocationFactory

pytestmark = pytest.mark.django_db
Status = RebalanceProposal.Status


@pytest.fixture
def drifting(client_record):
    client_record.risk_level = "C3"
    client_record.save()
    allocation = ModelAllocationFactory(risk_level="C3", weights={"cash": (20, 5), "equity": (80, 5)})
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class="cash"), market_value=Decimal("400000"))
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class="equity"), market_value=Decimal("600000"))
    client_record.allocation = allocation
    return client_record


def test_it_saves_the_plan_as_a_draft(drifting, owner):
    proposal = services.rebalance_proposal_create(client=drifting, created_by=owner, minimum_trade=Decimal("1000"),
                                                  notes="Annual review")

    proposal.refresh_from_db()
    assert (proposal.status, proposal.aum, proposal.currency, proposal.minimum_trade) == (
        Status.DRAFT, Decimal("1000000.00"), "CNY", Decimal("1000.00"))
    assert proposal.allocation == drifting.allocation
    assert proposal.history.first().history_user == owner
    assert [(t.asset_class, t.action, t.amount, t.weight_before, t.weight_after)
            for t in proposal.trades.order_by("action")] == [
        ("equity", RebalanceTrade.Action.BUY, Decimal("200000.00"), Decimal("60.00"), Decimal("80.00")),
        ("cash", RebalanceTrade.Action.SELL, Decimal("200000.00"), Decimal("40.00"), Decimal("20.00")),
    ]


def test_it_refuses_a_client_without_a_target(client_record, owner):
    with pytest.raises(ValidationError, match="no risk level"):
        services.rebalance_proposal_create(client=client_record, created_by=owner, minimum_trade=Decimal("0"))


def test_it_refuses_when_there_is_nothing_to_trade(drifting, owner):
    with pytest.raises(ValidationError, match="Nothing to rebalance"):
        services.rebalance_proposal_create(client=drifting, created_by=owner, minimum_trade=Decimal("300000"))

    with pytest.raises(ValidationError):
        services.rebalance_proposal_create(client=drifting, created_by=owner, minimum_trade=Decimal("-1"))
    assert not RebalanceProposal.objects.exists()


@pytest.mark.parametrize("path", [
    [Status.PRESENTED, Status.ACCEPTED],
    [Status.PRESENTED, Status.REJECTED],
    [Status.REJECTED],
])
def test_it_moves_a_proposal_along_the_allowed_paths(drifting, owner, path):
    proposal = services.rebalance_proposal_create(client=drifting, created_by=owner, minimum_trade=Decimal("0"))
    before = proposal.status_changed_at

    for status in path:
        services.rebalance_proposal_status_set(proposal=proposal, status=status, user=owner)

    proposal.refresh_from_db()
    assert proposal.status == path[-1]
    assert proposal.status_changed_at > before


@pytest.mark.parametrize(("path", "refused"), [
    ([], Status.ACCEPTED),  # a draft must be presented first
    ([Status.PRESENTED, Status.ACCEPTED], Status.REJECTED),  # decided proposals are final
    ([Status.REJECTED], Status.PRESENTED),
    ([Status.PRESENTED], Status.DRAFT),
    ([], "executed"),
])
def test_it_refuses_other_moves(drifting, owner, path, refused):
    proposal = services.rebalance_proposal_create(client=drifting, created_by=owner, minimum_trade=Decimal("0"))
    for status in path:
        services.rebalance_proposal_status_set(proposal=proposal, status=status, user=owner)

    with pytest.raises(ValidationError):
        services.rebalance_proposal_status_set(proposal=proposal, status=refused, user=owner)

    proposal.refresh_from_db()
    assert proposal.status == (path[-1] if path else Status.DRAFT)
