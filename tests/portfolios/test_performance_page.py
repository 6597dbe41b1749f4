"""The portfolio page's performance section and P/L columns, the contribution/withdrawal form, who may use
it, and that the page's queries do not grow with the valuation history, the flows or the holdings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolios.cash_flows import cash_flow_record
from portfolios.models import CashFlow, ValuationSnapshot
from portfolios.performance import client_performance
from portfolios.selectors import portfolio_summary
from portfolios.services import valuation_refresh

from .factories import AccountFactory, FxRateFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

D = Decimal


def form_data(**overrides) -> dict:
    data = {"kind": "contribution", "flow_date": timezone.localdate().isoformat(), "amount": "50000",
            "currency": "CNY", "account": "", "note": "Bonus"}
    return {**data, **overrides}


def url_for(client_record) -> str:
    return reverse("portfolios:cash-flow-create", args=[client_record.pk])


# --- Cost basis and unrealised P/L --------------------------------------------------------------------


def test_it_works_out_the_pnl_of_each_holding_and_per_asset_class(client_record):
    """Equity A: cost 80,000 CNY, value 100,000 → +20,000 (+25.00 %).
    Equity B: cost 1,000 USD, value 900 USD at 7.10 → -100 USD (-10.00 %); in CNY cost 7,100, value 6,390,
    P/L -710. Cash: cost 0, value 5,000 → +5,000, no percentage (nothing paid).
    Equity total: cost 87,100, value 106,390, P/L 19,290 (+22.15 %: 19,290 / 87,100 = 22.1469 %).
    Overall: cost 87,100, value 111,390, P/L 24,290 (+27.89 %)."""
    FxRateFactory(currency="USD", rate=D("7.10"), rate_date=date(2020, 1, 1))
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, instrument=InstrumentFactory(code="A"), quantity=D("100"), cost=D("80000"),
                   market_value=D("100000"), currency="CNY")
    HoldingFactory(account=account, instrument=InstrumentFactory(code="B", currency="USD"), quantity=D("10"),
                   cost=D("1000"), market_value=D("900"), currency="USD")
    HoldingFactory(account=account, instrument=InstrumentFactory(code="C", asset_class="cash"), quantity=D("5000"),
                   cost=D("0"), market_value=D("5000"), currency="CNY")

    pnl = client_performance(client=client_record).pnl

    rows = {row.instrument_code: row for row in pnl.holdings}
    assert (rows["A"].pnl, rows["A"].pnl_pct) == (D("20000"), D("25.00"))
    assert (rows["B"].pnl, rows["B"].pnl_pct, rows["B"].currency) == (D("-100"), D("-10.00"), "USD")
    assert (rows["B"].cost_base, rows["B"].market_value_base, rows["B"].pnl_base) == (D("7100.00"), D("6390.00"),
                                                                                      D("-710.00"))
    assert rows["C"].pnl_pct is None
    classes = {total.key: total for total in pnl.by_asset_class}
    assert (classes["equity"].cost_base, classes["equity"].pnl_base, classes["equity"].pnl_pct) == (
        D("87100.00"), D("19290.00"), D("22.15"))
    assert (pnl.total.market_value_base, pnl.total.pnl_base, pnl.total.pnl_pct) == (D("111390.00"), D("24290.00"),
                                                                                    D("27.89"))


def test_a_currency_without_a_rate_leaves_the_pnl_empty_with_the_reason(client_record):
    HoldingFactory(account=AccountFactory(client=client_record), instrument=InstrumentFactory(currency="JPY"),
                   currency="JPY")

    performance = client_performance(client=client_record)

    assert performance.holding_pnl == ()
    assert "JPY" in performance.pnl_error


# --- The form -------------------------------------------------------------------------------------------


def test_it_records_a_contribution_from_the_portfolio_page(client, owner, client_record):
    account = AccountFactory(client=client_record)
    client.force_login(owner)

    response = client.post(url_for(client_record), form_data(account=account.pk, currency="cny"))

    assert response.status_code == 302
    assert response.url.endswith("#performance")
    flow = CashFlow.objects.get(client=client_record)
    assert (flow.kind, flow.amount, flow.currency, flow.amount_base, flow.account) == (
        "contribution", D("50000.00"), "CNY", D("50000.00"), account)
    assert (flow.recorded_by, flow.source) == (owner, "manual")
    assert flow.history.count() == 1  # audited


def test_a_recorded_flow_shows_on_the_clients_history_tab(client, owner, client_record):
    client.force_login(owner)
    client.post(url_for(client_record), form_data(note="Year-end bonus"))

    page = client.get(reverse("crm:client-history", args=[client_record.pk])).content.decode()

    assert "cash flow" in page.lower() and "Year-end bonus" in page


def test_it_converts_a_foreign_flow_at_the_rate_of_its_day(owner, client_record):
    FxRateFactory(currency="USD", rate=D("7.00"), rate_date=date(2026, 1, 5))
    FxRateFactory(currency="USD", rate=D("7.20"), rate_date=date(2026, 3, 1))

    flow = cash_flow_record(client=client_record, kind="withdrawal", flow_date=date(2026, 2, 1), amount=D("1000"),
                            currency="USD", recorded_by=owner, today=date(2026, 3, 5))

    assert (flow.amount_base, flow.signed_amount_base) == (D("7000.00"), D("-7000.00"))


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"flow_date": (timezone.localdate() + timedelta(days=1)).isoformat()}, "flow_date", "cannot be in the future"),
    ({"amount": "-5"}, "amount", "greater than or equal to 0.01"),
    ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
    ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
    ({"currency": "USD"}, None, "No exchange rate from USD"),
])
def test_bad_input_re_renders_the_form_with_a_specific_message(client, owner, client_record, overrides, field,
                                                                message):
    client.force_login(owner)

    response = client.post(url_for(client_record), form_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field] if field else errors["__all__"])
    assert not CashFlow.objects.exists()


def test_another_clients_account_is_refused(client, owner, client_record):
    other_account = AccountFactory()
    client.force_login(owner)

    response = client.post(url_for(client_record), form_data(account=other_account.pk))

    assert response.status_code == 200
    assert "account" in response.context["form"].errors
    assert not CashFlow.objects.exists()


def test_the_database_refuses_an_amount_not_above_zero(client_record):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CashFlow.objects.create(client=client_record, kind="contribution", flow_date=date(2026, 1, 1),
                                amount=D("0"), currency="CNY", amount_base=D("0"), base_currency="CNY")


# --- Access -------------------------------------------------------------------------------------------


def test_another_rm_gets_404_and_records_nothing(client, outsider, client_record):
    client.force_login(outsider)

    assert client.get(url_for(client_record)).status_code == 404
    assert client.post(url_for(client_record), form_data()).status_code == 404
    assert client.get(reverse("portfolios:client-portfolio", args=[client_record.pk])).status_code == 404
    assert not CashFlow.objects.exists()


def test_the_owner_opens_the_flow_form_from_the_performance_card(client, owner, client_record):
    client.force_login(owner)

    page = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk])).content.decode()
    form_page = client.get(url_for(client_record))

    card = page[page.index('data-testid="performance"'):]
    assert f'href="{url_for(client_record)}" data-testid="cash-flow-toggle"' in card
    assert 'id="cash-flow-record"' not in page  # rendered on its own page, on demand
    assert form_page.status_code == 200
    assert 'id="cash-flow-record"' in form_page.content.decode()


def test_compliance_reads_the_performance_but_cannot_record_a_flow(client, compliance, client_record):
    client.force_login(compliance)

    page = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk]))
    refused = client.post(url_for(client_record), form_data())

    assert page.status_code == 200
    assert b'data-testid="performance"' in page.content
    assert b'data-testid="cash-flow-toggle"' not in page.content
    assert refused.status_code == 404
    assert not CashFlow.objects.exists()


# --- The page -----------------------------------------------------------------------------------------


def history_build(client_record, owner, *, months: int, holdings: int) -> None:
    """``holdings`` positions (CNY and USD), month-end valuations for ``months`` months and two flows a
    month, one in USD."""
    FxRateFactory(currency="USD", rate=D("7.10"), rate_date=date(2000, 1, 1))
    account = AccountFactory(client=client_record)
    for n in range(holdings):
        HoldingFactory(account=account, instrument=InstrumentFactory(currency="USD" if n % 2 else "CNY"),
                       quantity=D(1000 + n), cost=D(900 + n))
    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    for n in range(months):
        ValuationSnapshot.objects.create(client=client_record, valuation_date=month_end, aum=D(100000 + 1000 * n),
                                         currency="CNY")
        for currency in ("CNY", "USD"):
            cash_flow_record(client=client_record, kind="contribution", flow_date=month_end - timedelta(days=3),
                             amount=D("100"), currency=currency, recorded_by=owner)
        month_end = month_end.replace(day=1) - timedelta(days=1)
    valuation_refresh(client_id=client_record.pk, valuation_date=today)


@pytest.mark.parametrize(("months", "holdings"), [(2, 2), (14, 60)])
def test_the_page_queries_do_not_grow_with_history_flows_or_holdings(client, owner, client_record, months,
                                                                      holdings, django_assert_num_queries):
    history_build(client_record, owner, months=months, holdings=holdings)
    client.force_login(owner)
    url = reverse("portfolios:client-portfolio", args=[client_record.pk])

    # 1 session, 2 user, 3 roles, 4 the client with its drawdown limit, portfolio_summary: 5 holdings, 6 the
    # USD rate, 7 open alerts (no risk level: no model allocation); 8 the AUM history, 9 concentration limits,
    # 10 goals (none, so no prefetch of their accounts), 11 proposals, 12 suitability exceptions;
    # client_performance: 13 the valuation points, 14 the flows with their accounts; 15 the log of the view,
    # 16 the navbar's notification count. May the user edit: no query (the client is a visible one); the
    # contribution/withdrawal form and its accounts are on a page of their own.
    with django_assert_num_queries(16):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["holding_rows"]) == holdings
    assert response.context["performance"].twelve_months.has_data
    assert b'data-testid="monthly-returns"' in response.content


def test_the_page_shows_returns_flows_and_pnl(client, owner, client_record):
    history_build(client_record, owner, months=3, holdings=2)
    client.force_login(owner)

    response = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk]))

    html = response.content.decode()
    performance = response.context["performance"]
    assert f"{performance.twelve_months.twr_pct}%" in html
    assert 'data-testid="period-ytd"' in html and 'data-testid="period-12m"' in html
    assert 'data-testid="pnl-total"' in html
    holding = portfolio_summary(client=client_record).holdings[0]
    assert f'data-testid="pnl-{holding.holding_id}"' in html
    assert "Contribution" in html


def test_the_demo_portfolio_has_a_year_of_returns_and_some_flows(client, owner, client_record):
    """The demo's history is built backwards from today's value less each month's net flows, so the
    section's market movement is what the demo's random returns made, not the client's own money."""
    import random

    from portfolios.demo import portfolio_demo_create

    portfolio_demo_create(clients=[client_record.pk], rng=random.Random(7))
    client.force_login(owner)

    response = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk]))

    performance = response.context["performance"]
    assert sum(month.has_data for month in performance.months) >= 11
    assert performance.twelve_months.has_data and performance.ytd.has_data
    assert CashFlow.objects.filter(client=client_record, kind="contribution").exists()
    assert performance.twelve_months.contributions > 0
    assert CashFlow.history.filter(client_id=client_record.pk).exists()  # audited, even in bulk


def test_compliance_reads_cash_flows_in_admin_and_nobody_adds_them_there(client, compliance, administrator, owner,
                                                                          client_record):
    cash_flow_record(client=client_record, kind="contribution", flow_date=date(2026, 1, 5), amount=D("1000"),
                     currency="CNY", recorded_by=owner)
    client.force_login(compliance)
    assert client.get(reverse("admin:portfolios_cashflow_changelist")).status_code == 200
    client.force_login(administrator)
    assert client.get(reverse("admin:portfolios_cashflow_add")).status_code == 403
