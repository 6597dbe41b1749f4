"""The client portfolio page and the 360 panel run the same queries for 2 holdings as for 200."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm import panels
from crm.roles import user_roles
from portfolios.services import valuation_refresh
from tests.factories import ClientFactory
from tests.panels import panel_html

from .factories import (
    TODAY,
    AccountFactory,
    AlertFactory,
    FxRateFactory,
    GoalFactory,
    HoldingFactory,
    InstrumentFactory,
)

pytestmark = pytest.mark.django_db


def portfolio_build(client, holdings: int) -> None:
    """``holdings`` positions over a few accounts, in CNY and USD, with a goal, an acknowledged
    alert and a valuation history."""
    client.risk_level = "C3"
    client.save(update_fields=["risk_level"])
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    accounts = [AccountFactory(client=client) for _ in range(2)]
    classes = ["equity", "cash", "fund", "fixed_income"]
    for n in range(holdings):
        instrument = InstrumentFactory(asset_class=classes[n % 4], currency="USD" if n % 2 else "CNY")
        HoldingFactory(account=accounts[n % 2], instrument=instrument, quantity=Decimal(1000 + n))
    GoalFactory(client=client)
    AlertFactory(client=client, acknowledged_at=TODAY.isoformat() + "T00:00Z")
    valuation_refresh(client_id=client.pk, valuation_date=TODAY)


@pytest.mark.parametrize("holdings", [2, 200])
def test_the_portfolio_page_queries_do_not_grow_with_holdings(client, owner, client_record, holdings,
                                                               django_assert_num_queries):
    portfolio_build(client_record, holdings)
    client.force_login(owner)
    url = reverse("portfolios:client-portfolio", args=[client_record.pk])

    # 1 session, 2 user, 3 the user's roles (groups), 4 the client through client_list_visible with its
    # drawdown limit (whether the user may edit it needs no query: crm.access.client_visible_may_edit),
    # portfolio_summary: 5 holdings with accounts, institutions and instruments, 6 the USD rate,
    #   7 the model allocation, 8 its weights, 9 the open alerts,
    # 10 the concentration limits, 11 the AUM history, 12 goals, 13 their linked accounts (prefetch),
    # 14 the latest rebalance proposals, 15 the client's suitability exceptions,
    # 16 the navbar's unread notification count, 17 the log of the view (one INSERT, crm.audit),
    # portfolios.performance: 18 the valuation points, 19 the cash flows with their accounts.
    # The contribution/withdrawal form is on a page of its own (its accounts are not read here).
    with django_assert_num_queries(19):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["summary"].holdings) == holdings


@pytest.mark.parametrize("holdings", [2, 200])
def test_the_360_panel_queries_do_not_grow_with_holdings(owner, client_record, holdings,
                                                         django_assert_num_queries):
    portfolio_build(client_record, holdings)
    user_roles(owner)  # cached by the time the page renders its panels

    # 1 the latest valuation snapshot (its classes are stored on it), 2 the model allocation and 3 its
    # weights (the client is C3), 4 the open alerts counted per kind, 5 the goals, 6 their linked
    # accounts (the factory's goal has none, so no holdings query for it).
    with django_assert_num_queries(6):
        html = panel_html(panels.CLIENT_MAIN, "portfolio", user=owner, client=client_record)

    assert "Full portfolio" in html


def test_the_alert_fact_reads_the_counts_the_360_panel_fetched(owner, client_record, django_assert_num_queries):
    from django.test import RequestFactory

    from portfolios import selectors
    from portfolios.models import Alert

    AlertFactory(client=client_record, kind=Alert.Kind.STOP_LOSS, subject="600519")
    AlertFactory(client=client_record, kind=Alert.Kind.REGION, subject="China")
    AlertFactory(client=client_record, kind=Alert.Kind.INDUSTRY, subject="Banks")
    request = RequestFactory().get("/")
    request.user = owner
    selectors.client_portfolio_panel(request=request, client=client_record)

    with django_assert_num_queries(0):  # the same request: the panel's counts per kind
        [fact] = selectors.client_alert_facts(request=request, client=client_record)

    assert [text for text, _colour in fact.badges] == ["1 High", "2 Low"]


def test_the_dashboard_panel_queries_do_not_grow_with_alerts_or_clients(owner, django_assert_num_queries):
    for n in range(15):
        AlertFactory(client=ClientFactory(manager=owner), subject=f"S{n}")
    panel_html(panels.DASHBOARD, "portfolio-alerts", user=owner)  # caches the user's roles, as the page does

    # 1 the open alerts on visible clients counted by kind (the severity totals), 2 the five clients
    # with the most severe alerts, 3 those clients' alerts with the clients.
    with django_assert_num_queries(3):
        html = panel_html(panels.DASHBOARD, "portfolio-alerts", user=owner)

    assert html.count('data-testid="dashboard-alert-group"') == 5
