"""Portfolio panels that other apps' pages embed (client 360 page, RM dashboard)."""

from decimal import Decimal

from django import template

from .. import selectors
from ..models import AssetClass, ValuationSnapshot

register = template.Library()

TOP_CLASSES_SHOWN = 3
DASHBOARD_ALERTS_SHOWN = 10


@register.inclusion_tag("portfolios/includes/client_panel.html", takes_context=True)
def client_portfolio_panel(context, client):
    """AUM and tier (stored on the client), the largest asset classes of the latest valuation and the
    open alert count: two queries, whatever the portfolio's size."""
    snapshot = ValuationSnapshot.objects.filter(client=client).order_by("-valuation_date").first()
    top_classes = []
    if snapshot is not None and snapshot.aum:
        amounts = sorted(((Decimal(v), c) for c, v in snapshot.by_asset_class.items()), reverse=True)
        top_classes = [
            {"label": AssetClass(c).label if c in AssetClass.values else c, "amount": amount,
             "weight": selectors.percent(amount, snapshot.aum)}
            for amount, c in amounts[:TOP_CLASSES_SHOWN]
        ]
    return {
        "client": client, "snapshot": snapshot, "top_classes": top_classes,
        "open_alert_count": selectors.alert_list_open_for_client(client=client).count(),
        "request": context.get("request"),
    }


@register.inclusion_tag("portfolios/includes/dashboard_alerts.html", takes_context=True)
def dashboard_alerts_panel(context, user):
    """The newest open alerts on the clients the user may see, in one query."""
    return {
        "alerts": list(selectors.alert_list_open(user=user)[:DASHBOARD_ALERTS_SHOWN]),
        "user": user, "request": context.get("request"),
    }
