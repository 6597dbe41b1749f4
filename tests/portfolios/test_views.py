"""Portfolio pages: the client page, rebalance preview → proposal → status, goals, limits, alerts."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from crm import panels
from portfolios.models import Alert, DrawdownLimit, Goal, Holding, RebalanceProposal, RebalanceTrade
from tests.factories import ClientFactory
from tests.panels import panel_html

from .factories import TODAY, AlertFactory, FxRateFactory, GoalFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(client_record):
    """A balanced (C3) client 70 % in equities and 30 % in cash: both far outside their bands."""
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="EQ1", asset_class="equity"),
                   quantity=Decimal("700000"))
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="DEP1", asset_class="cash"),
                   quantity=Decimal("200000"))
    FxRateFactory(currency="USD", rate=Decimal("6.25"))
    HoldingFactory(account__client=client_record,
                   instrument=InstrumentFactory(code="USDCASH", asset_class="cash", currency="USD"),
                   quantity=Decimal("16000"))
    return client_record


def portfolio_url(client):
    return reverse("portfolios:client-portfolio", args=[client.pk])


def test_it_shows_totals_holdings_and_allocation_with_drift(client, owner, portfolio):
    client.force_login(owner)

    response = client.get(portfolio_url(portfolio))

    assert response.status_code == 200
    page = response.content.decode()
    summary = response.context["summary"]
    assert summary.aum_base == Decimal("1000000.00")
    assert "1,000,000.00 CNY" in page
    assert [c.currency for c in summary.by_currency] == ["CNY", "USD"]
    assert page.count('data-testid="drift-outside"') == len(summary.drifting) > 0
    assert 'id="portfolio-chart-data"' in page and "portfolios/charts.js" in page
    assert "<script>" not in page.replace('<script id="portfolio-chart-data" type="application/json">', "")


def test_it_shows_the_aum_history_chart_data(client, owner, portfolio):
    from portfolios.services import valuation_refresh

    valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)
    client.force_login(owner)

    response = client.get(portfolio_url(portfolio))

    assert response.context["chart_data"]["aum"]["labels"] == [TODAY.isoformat()]
    assert response.context["chart_data"]["aum"]["values"] == [Decimal("1000000.00")]


def test_it_explains_a_missing_exchange_rate(client, owner, client_record):
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="EUR1", currency="EUR"))
    client.force_login(owner)

    response = client.get(portfolio_url(client_record))

    assert response.status_code == 200
    assert "No exchange rate from EUR to CNY" in response.content.decode()


def test_it_previews_then_saves_a_rebalance_proposal(client, owner, portfolio):
    client.force_login(owner)
    url = reverse("portfolios:rebalance", args=[portfolio.pk])
    assert client.get(url).status_code == 200

    preview = client.post(url, {"minimum_trade": "1000", "action": "preview"})

    assert preview.status_code == 200
    assert preview.context["plan"]
    assert not RebalanceProposal.objects.exists()

    response = client.post(url, {"minimum_trade": "1000", "notes": "Review at next meeting", "action": "save"})

    proposal = RebalanceProposal.objects.get()
    assert response.status_code == 302 and response.url == reverse("portfolios:proposal-detail", args=[proposal.pk])
    assert (proposal.client, proposal.created_by, proposal.status) == (portfolio, owner, RebalanceProposal.Status.DRAFT)
    assert proposal.trades.count() == len(preview.context["plan"])
    assert proposal.trades.filter(action=RebalanceTrade.Action.SELL, asset_class="equity").exists()


def test_it_says_when_there_is_nothing_to_rebalance(client, owner, client_record):
    client.force_login(owner)

    response = client.post(reverse("portfolios:rebalance", args=[client_record.pk]),
                           {"minimum_trade": "1000", "action": "save"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not RebalanceProposal.objects.exists()


def test_it_moves_a_proposal_through_its_statuses(client, owner, portfolio):
    from portfolios.services import rebalance_proposal_create

    proposal = rebalance_proposal_create(client=portfolio, created_by=owner, minimum_trade=Decimal("0"))
    client.force_login(owner)
    detail = client.get(reverse("portfolios:proposal-detail", args=[proposal.pk]))
    assert detail.status_code == 200 and 'data-testid="status-presented"' in detail.content.decode()
    url = reverse("portfolios:proposal-status", args=[proposal.pk])

    client.post(url, {"status": "presented"})
    proposal.refresh_from_db()
    assert proposal.status == RebalanceProposal.Status.PRESENTED

    client.post(url, {"status": "accepted"})
    proposal.refresh_from_db()
    assert proposal.status == RebalanceProposal.Status.ACCEPTED

    response = client.post(url, {"status": "rejected"}, follow=True)
    proposal.refresh_from_db()
    assert proposal.status == RebalanceProposal.Status.ACCEPTED
    assert "cannot go from" in response.content.decode()


def test_it_creates_and_edits_a_goal(client, owner, client_record):
    client.force_login(owner)
    account = HoldingFactory(account__client=client_record).account

    response = client.post(reverse("portfolios:goal-create", args=[client_record.pk]), {
        "kind": "education", "name": "University fund", "target_amount": "500000", "currency": "cny",
        "target_date": "2034-09-01", "linked_accounts": [account.pk], "funded_amount": "0",
        "expected_return_pct": "4",
    })

    assert response.status_code == 302
    goal = Goal.objects.get()
    assert (goal.client, goal.name, goal.currency, list(goal.linked_accounts.all())) == (
        client_record, "University fund", "CNY", [account])

    response = client.post(reverse("portfolios:goal-edit", args=[goal.pk]), {
        "kind": "education", "name": "University fund", "target_amount": "600000", "currency": "CNY",
        "target_date": "2034-09-01", "funded_amount": "0", "expected_return_pct": "4",
    })

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.target_amount == Decimal("600000") and not goal.linked_accounts.exists()
    page = client.get(portfolio_url(client_record)).content.decode()
    assert "University fund" in page and "Long term" in page


def test_it_refuses_another_clients_account_on_a_goal(client, owner, client_record):
    other = HoldingFactory(account__client=ClientFactory(manager=owner)).account
    client.force_login(owner)

    response = client.post(reverse("portfolios:goal-create", args=[client_record.pk]), {
        "kind": "other", "name": "Car", "target_amount": "300000", "currency": "CNY", "target_date": "2028-01-01",
        "linked_accounts": [other.pk], "funded_amount": "0", "expected_return_pct": "0",
    })

    assert response.status_code == 200 and "linked_accounts" in response.context["form"].errors
    assert not Goal.objects.exists()


def test_it_sets_a_stop_loss_and_raises_the_alert_once_revalued(client, owner, client_record, celery_eager,
                                                                 django_capture_on_commit_callbacks):
    holding = HoldingFactory(account__client=client_record, quantity=Decimal("100"), market_value=Decimal("700"),
                             cost=Decimal("1000"))
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the revaluation runs after the commit
        response = client.post(reverse("portfolios:holding-stop-loss", args=[holding.pk]),
                               {"stop_loss_price": "", "stop_loss_pct": "20"})

    assert response.status_code == 302
    assert len(callbacks) == 1
    holding.refresh_from_db()
    assert (holding.stop_loss_price, holding.stop_loss_pct, holding.stop_loss_breached) == (None, Decimal("20"), True)
    assert Alert.objects.filter(client=client_record, kind=Alert.Kind.STOP_LOSS).count() == 1


def test_it_refuses_a_stop_loss_above_100_percent(client, owner, client_record):
    holding = HoldingFactory(account__client=client_record)
    client.force_login(owner)

    response = client.post(reverse("portfolios:holding-stop-loss", args=[holding.pk]), {"stop_loss_pct": "120"})

    assert response.status_code == 200
    holding.refresh_from_db()
    assert holding.stop_loss_pct is None


def test_it_sets_and_changes_the_drawdown_limit(client, owner, client_record, celery_eager,
                                                django_capture_on_commit_callbacks):
    client.force_login(owner)
    url = reverse("portfolios:drawdown-edit", args=[client_record.pk])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"max_drawdown_pct": "15"}).status_code == 302
        response = client.post(url, {"max_drawdown_pct": "12.5"}, follow=True)

    assert response.redirect_chain == [(portfolio_url(client_record), 302)]
    assert "The portfolio is being revalued" in response.content.decode()
    limit = DrawdownLimit.objects.get(client=client_record)
    assert limit.max_drawdown_pct == Decimal("12.5")
    assert client_record.valuations.get().aum == Decimal("0")  # revalued (an empty portfolio) after the commit


def test_it_acknowledges_an_alert(client, owner, client_record):
    alert = AlertFactory(client=client_record, message="Equity is 70% of AUM")
    client.force_login(owner)
    page = client.get(portfolio_url(client_record)).content.decode()
    assert reverse("portfolios:alert-acknowledge", args=[alert.pk]) in page

    response = client.post(reverse("portfolios:alert-acknowledge", args=[alert.pk]),
                           {"next": "https://evil.example/"})

    assert response.status_code == 302 and response.url == portfolio_url(client_record)
    alert.refresh_from_db()
    assert alert.acknowledged_by == owner and alert.acknowledged_at is not None
    assert alert.resolved_at is None


def test_compliance_sees_the_page_without_forms(client, compliance, portfolio):
    AlertFactory(client=portfolio)
    GoalFactory(client=portfolio)
    client.force_login(compliance)

    response = client.get(portfolio_url(portfolio))

    page = response.content.decode()
    assert response.status_code == 200
    assert "acknowledge" not in page and "/stop-loss/" not in page and "/rebalance/" not in page
    assert "/edit/" not in page


def test_the_client_panel_shows_aum_classes_alerts_and_the_link(owner, portfolio):
    from portfolios.services import valuation_refresh

    valuation_refresh(client_id=portfolio.pk, valuation_date=TODAY)
    portfolio.refresh_from_db()

    html = panel_html(panels.CLIENT_MAIN, "portfolio", user=owner, client=portfolio)

    assert "1,000,000.00 CNY" in html
    # Every class is a row of the panel's table now (label, actual %, target and drift when modelled).
    assert re.search(r"<td>Equity</td>\s*<td class=\"text-end\">70.00%</td>", html)
    assert portfolio_url(portfolio) in html
    assert 'data-testid="panel-alert-count"' in html


def test_the_dashboard_panel_lists_only_visible_open_alerts(owner, client_record, outsider):
    mine = AlertFactory(client=client_record, message="Mine")
    AlertFactory(client=ClientFactory(manager=outsider), message="Theirs")
    AlertFactory(client=client_record, message="Resolved", resolved_at=mine.raised_at)

    html = panel_html(panels.DASHBOARD, "portfolio-alerts", user=owner)

    assert "Mine" in html and "Theirs" not in html and "Resolved" not in html


def test_holdings_of_the_page_are_the_clients_own(client, owner, portfolio, outsider):
    HoldingFactory(account__client=ClientFactory(manager=outsider), instrument=InstrumentFactory(code="NOTMINE"))
    client.force_login(owner)

    page = client.get(portfolio_url(portfolio)).content.decode()

    assert "NOTMINE" not in page
    assert Holding.objects.count() == 4


def test_the_demo_portfolio_renders_and_is_made_once(client, owner, client_record):
    import random

    from portfolios.demo import portfolio_demo_create

    assert portfolio_demo_create(clients=[client_record.pk], rng=random.Random(1)) == 1
    assert portfolio_demo_create(clients=[client_record], rng=random.Random(1)) == 0
    client.force_login(owner)

    response = client.get(portfolio_url(client_record))

    assert response.status_code == 200
    assert response.context["summary"].holdings
    assert len(response.context["chart_data"]["aum"]["values"]) == 13


def test_rebalancing_waits_for_a_missing_exchange_rate(client, owner, client_record):
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="EUR1", currency="EUR"))
    client.force_login(owner)

    response = client.get(reverse("portfolios:rebalance", args=[client_record.pk]), follow=True)

    assert response.redirect_chain == [(portfolio_url(client_record), 302)]
    assert "No exchange rate from EUR to CNY" in response.content.decode()
