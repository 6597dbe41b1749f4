"""The portfolio summary, and what is computed from it, costs the same number of queries
for 2 holdings as for 200."""

from decimal import Decimal

import pytest

from portfolios.models import Alert, AssetClass, Holding, Instrument
from portfolios.selectors import alert_list_open, concentration_breaches, portfolio_summary, rebalance_plan

from .factories import TODAY, AccountFactory, AlertFactory, FxRateFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

# 1. the holdings, with their accounts, institutions and instruments (select_related);
# 2. the latest rate of every foreign currency held, in one query with a subquery per row;
# 3. the newest active model allocation of the client's risk level;
# 4. its weights (prefetch_related);
# 5. the client's open alerts.
SUMMARY_QUERIES = 5


def portfolio(client, holdings: int):
    client.risk_level = "C3"
    client.save()
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    FxRateFactory(currency="HKD", rate=Decimal("0.91"))
    accounts = [AccountFactory(client=client, institution=InstitutionFactory(name=f"Bank {n}")) for n in range(2)]
    classes, currencies = AssetClass.values, ["CNY", "USD", "HKD"]
    instruments = Instrument.objects.bulk_create([
        Instrument(code=f"Q{n:04d}", name=f"Instrument {n}", asset_class=classes[n % len(classes)],
                   currency=currencies[n % 3], region=f"Region {n % 4}", industry=f"Industry {n % 5}",
                   issuer=f"Issuer {n % 7}")
        for n in range(holdings)
    ])
    Holding.objects.bulk_create([
        Holding(account=accounts[n % 2], instrument=instrument, quantity=Decimal("100"), cost=Decimal("1000"),
                market_value=Decimal(1000 + n), currency=instrument.currency, valuation_date=TODAY,
                is_illiquid=n % 10 == 0)
        for n, instrument in enumerate(instruments)
    ])
    AlertFactory(client=client, kind=Alert.Kind.ISSUER)
    return client


@pytest.mark.parametrize("holdings", [2, 200])
def test_the_summary_costs_the_same_queries_whatever_the_holdings(client_record, django_assert_num_queries, holdings):
    portfolio(client_record, holdings)

    with django_assert_num_queries(SUMMARY_QUERIES):
        summary = portfolio_summary(client=client_record, on_date=TODAY)

    assert len(summary.holdings) == holdings
    assert len(summary.open_alerts) == 1
    assert summary.allocation_rows


@pytest.mark.parametrize("holdings", [2, 200])
def test_breaches_and_plan_from_a_summary_cost_one_query(client_record, django_assert_num_queries, holdings):
    summary = portfolio_summary(client=portfolio(client_record, holdings), on_date=TODAY)

    # The only query: the active concentration limits. The plan works on the summary alone.
    with django_assert_num_queries(1):
        concentration_breaches(client=client_record, summary=summary)
        rebalance_plan(client=client_record, minimum_trade=Decimal("100"), summary=summary)


def test_a_client_with_no_risk_level_and_only_the_base_currency_skips_those_queries(
    client_record, django_assert_num_queries
):
    account = AccountFactory(client=client_record)
    Holding.objects.create(account=account, instrument=Instrument.objects.create(code="X", name="X",
                                                                                  asset_class=AssetClass.CASH),
                           quantity=1, cost=1, market_value=1, currency="CNY", valuation_date=TODAY)

    # Holdings and open alerts only: no foreign currency, no risk level.
    with django_assert_num_queries(2):
        portfolio_summary(client=client_record, on_date=TODAY)


@pytest.mark.parametrize("alerts", [1, 30])
def test_the_open_alert_list_is_one_query(owner, client_record, django_assert_num_queries, alerts):
    for n in range(alerts):
        AlertFactory(client=client_record, subject=f"S{n}")
    owner.refresh_from_db()

    # 1. the user's groups, for the access rule; 2. the alerts joined to their clients.
    with django_assert_num_queries(2):
        rows = [(alert.client.legal_name, alert.kind) for alert in alert_list_open(user=owner)]

    assert len(rows) == alerts
