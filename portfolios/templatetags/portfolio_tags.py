"""Portfolio panels that other apps' pages embed (client 360 page, RM dashboard)."""

from django import template

register = template.Library()


@register.inclusion_tag("portfolios/includes/client_panel.html", takes_context=True)
def client_portfolio_panel(context, client):
    return {"client": client, "request": context.get("request")}


@register.inclusion_tag("portfolios/includes/dashboard_alerts.html", takes_context=True)
def dashboard_alerts_panel(context, user):
    return {"user": user, "request": context.get("request")}
