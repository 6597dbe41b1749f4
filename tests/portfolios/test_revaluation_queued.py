"""A stop-loss or drawdown limit set through the services is checked by a revaluation queued for
after the commit (a worker runs it), never inside the request; a client whose currency has no FX
rate is told so on the portfolio page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolios import services
from portfolios.models import Alert, DrawdownLimit, ValuationSnapshot
from portfolios.selectors import FxRateMissing

from .factories import TODAY, AccountFactory, HoldingFactory, InstrumentFactory, concentration_limits_set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_concentration_limits(db):
    concentration_limits_set()  # a one-holding portfolio would breach them; not what these tests are about


@pytest.fixture
def losing_holding(client_record):
    """Bought for 1,000, worth 700 now: 30 % down."""
    return HoldingFactory(account=AccountFactory(client=client_record), quantity=Decimal("100"),
                          cost=Decimal("1000"), market_value=Decimal("700"))


def alerts(client, kind):
    return list(Alert.objects.filter(client=client, kind=kind))


def test_setting_a_stop_loss_revalues_only_after_the_commit(client_record, losing_holding, celery_eager,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.holding_stop_loss_set(holding=losing_holding, price=None, pct=Decimal("20"))
        assert alerts(client_record, Alert.Kind.STOP_LOSS) == []  # nothing revalued inside the transaction

    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task is sent, and (eagerly) runs

    losing_holding.refresh_from_db()
    assert losing_holding.stop_loss_breached
    [alert] = alerts(client_record, Alert.Kind.STOP_LOSS)
    assert alert.message.endswith("has lost 30.00% against cost, at or beyond its 20% stop-loss.")
    snapshot = ValuationSnapshot.objects.get(client=client_record)
    assert (snapshot.valuation_date, snapshot.aum) == (timezone.localdate(), Decimal("700.00"))


def test_a_drawdown_limit_already_crossed_raises_its_alert_after_the_commit(client_record, celery_eager,
                                                                            django_capture_on_commit_callbacks):
    ValuationSnapshot.objects.create(client=client_record, valuation_date=timezone.localdate() - timedelta(days=30),
                                     aum=Decimal("1000.00"), currency="CNY", by_asset_class={"equity": "1000.00"})
    HoldingFactory(account=AccountFactory(client=client_record), market_value=Decimal("850"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.drawdown_limit_set(limit=DrawdownLimit(client=client_record), max_drawdown_pct=Decimal("10"))

    assert len(callbacks) == 1
    assert DrawdownLimit.objects.get(client=client_record).is_breached
    [alert] = alerts(client_record, Alert.Kind.DRAWDOWN)
    assert alert.message == "AUM is 15.00% below its peak of 1000.00 CNY, beyond the 10% maximum drawdown."


def test_it_queues_one_revaluation_per_client(client_record, owner, django_capture_on_commit_callbacks):
    other = HoldingFactory().account.client

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = services.valuations_refresh_enqueue(
            client_ids=[client_record.pk, other.pk, client_record.pk], valuation_date=TODAY)

    assert queued == 2
    assert len(callbacks) == 2


def test_an_empty_portfolio_is_valued_at_zero(client_record):
    snapshot = services.valuation_refresh(client_id=client_record.pk, valuation_date=TODAY)

    snapshot.refresh_from_db()
    assert (snapshot.aum, snapshot.by_asset_class) == (Decimal("0.00"), {})


def test_the_portfolio_page_says_when_a_holdings_currency_has_no_rate(client, owner, client_record, celery_eager,
                                                                      django_capture_on_commit_callbacks):
    holding = HoldingFactory(account__client=client_record, instrument=InstrumentFactory(code="EUR1", currency="EUR"))
    client.force_login(owner)

    # The worker's revaluation fails: it cannot value EUR without a rate. The limit is saved anyway.
    with pytest.raises(FxRateMissing):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("portfolios:holding-stop-loss", args=[holding.pk]),
                                   {"stop_loss_price": "", "stop_loss_pct": "20"})

    assert response.status_code == 302
    holding.refresh_from_db()
    assert holding.stop_loss_pct == Decimal("20")
    page = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk]))
    assert page.status_code == 200
    assert 'data-testid="fx-error"' in page.content.decode()
    assert "No exchange rate from EUR to CNY" in page.content.decode()
