"""/api/v1/holdings/: positions upserted by account and instrument, revaluations queued as the import does."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolios.models import Holding
from tests.api.conftest import error_fields
from tests.portfolios.factories import TODAY, AccountFactory, FxRateFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

URL = reverse("api:holding-upsert")


@pytest.fixture
def account(client_record):
    return AccountFactory(client=client_record)


@pytest.fixture
def instrument():
    return InstrumentFactory(code="CN0001", asset_class="fund")


def position(account, instrument, **overrides) -> dict:
    return {"account": account.pk, "instrument": instrument.code, "quantity": "100", "market_value": "1234.50",
            "currency": "CNY", "valuation_date": TODAY.isoformat(), **overrides}


@pytest.fixture
def queued(monkeypatch):
    """The revaluations queued after the commit, as (client id, date) pairs."""
    from portfolios import tasks

    sent = []
    monkeypatch.setattr(tasks.valuation_refresh, "delay_on_commit", lambda *args: sent.append(args))
    return sent


def test_it_creates_then_updates_then_leaves_a_position_alone(api_as, owner, account, instrument, queued,
                                                              django_capture_on_commit_callbacks):
    api = api_as(owner)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(URL, {"holdings": [position(account, instrument)]}, format="json")

    assert created.status_code == 200, created.content
    assert created.json()["created"] == 1 and created.json()["revaluations_queued"] == 1
    holding = Holding.objects.get()
    assert (holding.quantity, holding.market_value, holding.cost) == (Decimal("100"), Decimal("1234.50"),
                                                                      Decimal("1234.50"))
    assert queued == [(account.client_id, TODAY.isoformat())]
    row = holding.history.get()
    assert row.history_user == owner and row.history_change_reason == "Sent through the API"

    updated = api.post(URL, {"holdings": [position(account, instrument, market_value="1300")]}, format="json")
    assert updated.json()["updated"] == 1 and updated.json()["holdings"][0]["change"] == "updated"
    holding.refresh_from_db()
    assert holding.market_value == Decimal("1300.00") and holding.cost == Decimal("1234.50")  # cost kept

    again = api.post(URL, {"holdings": [position(account, instrument, market_value="1300")]}, format="json")
    assert again.json()["unchanged"] == 1 and again.json()["revaluations_queued"] == 0


def test_an_account_of_a_client_the_user_may_not_change_is_unknown(api_as, outsider, compliance, account, instrument):
    response = api_as(outsider).post(URL, {"holdings": [position(account, instrument)]}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"holdings.0.account": "unknown"}
    assert not Holding.objects.exists()
    assert api_as(compliance).post(URL, {"holdings": [position(account, instrument)]},
                                   format="json").status_code == 403


def test_one_bad_position_refuses_the_whole_call(api_as, owner, account, instrument):
    InstrumentFactory(code="US0001", currency="USD")
    payload = {"holdings": [
        position(account, instrument),
        position(account, instrument),  # the same position again
        {**position(account, instrument), "instrument": "NOPE", "currency": "XYZ"},
        {**position(account, instrument), "instrument": "US0001", "currency": "USD"},  # no USD rate
        {**position(account, instrument), "quantity": "-1", "valuation_date": "2999-01-01"},
    ]}

    response = api_as(owner).post(URL, payload, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"holdings.4.quantity": "min_value", "holdings.4.valuation_date": "future"}
    del payload["holdings"][4]
    response = api_as(owner).post(URL, payload, format="json")
    assert error_fields(response) == {
        "holdings.1.instrument": "duplicate", "holdings.2.instrument": "unknown",
        "holdings.2.currency": "invalid_currency", "holdings.3.currency": "no_fx_rate"}
    assert not Holding.objects.exists()


def test_a_foreign_currency_position_with_a_rate_is_taken(api_as, owner, account):
    FxRateFactory(currency="USD", rate_date=TODAY)
    usd = InstrumentFactory(code="US0002", currency="USD")
    HoldingFactory(account=account, instrument=usd, is_illiquid=True)

    response = api_as(owner).post(URL, {"holdings": [position(account, usd, currency="USD")]}, format="json")

    assert response.status_code == 200, response.content
    holding = Holding.objects.get()
    assert holding.currency == "USD" and holding.is_illiquid  # the flag is kept when not given


def test_an_empty_or_oversized_call_is_refused(api_as, owner, account, instrument):
    assert error_fields(api_as(owner).post(URL, {"holdings": []}, format="json")) == {"holdings": "empty"}
    too_many = {"holdings": [position(account, instrument)] * 501}
    assert error_fields(api_as(owner).post(URL, too_many, format="json")) == {"holdings": "max_length"}
