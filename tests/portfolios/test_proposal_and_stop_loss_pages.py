"""The rebalance page says when there is nothing to rebalance and offers no save; a saved proposal
lists its trades in the preview's order; the stop-loss form shows price, cost and profit or loss;
the AUM chart's axis starts at zero."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portfolios import services

from .factories import (
    TODAY,
    AccountFactory,
    HoldingFactory,
    InstrumentFactory,
    InstrumentPriceFactory,
    ModelAllocationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_classes(client_record):
    """Cash 50 %, equity 30 %, fund 20 % against a 20 / 50 / 30 model: one sell, two buys."""
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    ModelAllocationFactory(risk_level="C3", weights={"cash": (20, 5), "equity": (50, 5), "fund": (30, 5)})
    account = AccountFactory(client=client_record)
    for asset_class, value in [("cash", "500000"), ("equity", "300000"), ("fund", "200000")]:
        HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=asset_class),
                       market_value=Decimal(value))
    return client_record


def test_a_saved_proposal_lists_its_trades_in_the_previews_order(client, owner, three_classes):
    client.force_login(owner)
    url = reverse("portfolios:rebalance", args=[three_classes.pk])
    preview = client.post(url, {"minimum_trade": "0", "notes": "", "action": "preview"})
    previewed = [(t.action, t.asset_class) for t in preview.context["plan"]]

    saved = client.post(url, {"minimum_trade": "0", "notes": "", "action": "save"}, follow=True)

    assert saved.status_code == 200
    assert previewed == [("sell", "cash"), ("buy", "equity"), ("buy", "fund")]
    assert [(t.action, t.asset_class) for t in saved.context["trades"]] == previewed


def test_the_rebalance_page_offers_no_save_when_every_class_is_within_its_band(client, owner, client_record):
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    ModelAllocationFactory(risk_level="C3", weights={"cash": (50, 5), "equity": (50, 5)})
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class="cash"), market_value=Decimal("500"))
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class="equity"), market_value=Decimal("500"))
    client.force_login(owner)
    url = reverse("portfolios:rebalance", args=[client_record.pk])

    page = client.get(url).content.decode()
    preview = client.post(url, {"minimum_trade": "0", "notes": "", "action": "preview"}).content.decode()

    assert 'data-testid="within-bands"' in page
    assert 'data-testid="save-proposal"' not in page and 'data-testid="save-proposal"' not in preview


def test_the_stop_loss_form_shows_price_cost_and_profit_or_loss(client, owner, client_record):
    instrument = InstrumentFactory(code="600036", currency="CNY")
    holding = HoldingFactory(account=AccountFactory(client=client_record), instrument=instrument,
                             quantity=Decimal("1000"), cost=Decimal("45000"), market_value=Decimal("41200"))
    InstrumentPriceFactory(instrument=instrument, price_date=TODAY, price=Decimal("41.2"))
    client.force_login(owner)

    response = client.get(reverse("portfolios:holding-stop-loss", args=[holding.pk]))

    assert response.status_code == 200
    position = response.context["position"]
    assert (position.price, position.cost_price, position.profit, position.profit_pct) == (
        Decimal("41.2"), Decimal("45.0000"), Decimal("-3800.00"), Decimal("-8.44"))
    html = response.content.decode()
    assert 'data-testid="current-price"' in html and "-3,800.00" in html and "(-8.44%)" in html


def test_the_saved_trades_come_back_in_order_after_a_status_change(owner, three_classes):
    from portfolios.selectors import proposal_trades

    proposal = services.rebalance_proposal_create(client=three_classes, created_by=owner,
                                                  minimum_trade=Decimal("0"))

    assert [t.action for t in proposal_trades(proposal=proposal)] == ["sell", "buy", "buy"]


def test_the_aum_chart_axis_starts_at_zero():
    script = (Path(settings.BASE_DIR) / "portfolios/static/portfolios/charts.js").read_text()
    aum_part = script[script.index('getElementById("aum-chart")'):]
    assert "beginAtZero: true" in aum_part
