from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Client value: revenue and cost, customer lifetime value, referrals, lifecycle analytics.

    A consumer app: it reads crm, portfolios, risk and communications; none of them imports it."""

    name = "analytics"
    verbose_name = _("Client value")
