from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Client value: revenue and cost, customer lifetime value, referrals, lifecycle analytics.

    A consumer app: it reads crm, portfolios, risk and communications; none of them imports it."""

    name = "analytics"
    verbose_name = _("Client value")

    def ready(self):
        from crm import audit, demo, panels

        from . import selectors
        from .demo import analytics_demo_build
        from .models import CostRecord, Opportunity, ProspectEstimate, Referral, RevenueRecord

        panels.register(panels.Panel(slot=panels.CLIENT_SIDE, key="client-value", order=60,
                                     template="analytics/includes/client_panel.html",
                                     context=selectors.client_value_panel))
        # After the portfolios (10) and the reminder scan (50): fees need the valuation history.
        demo.demo_step_register(demo.DemoStep(key="analytics", build=analytics_demo_build, order=60))
        for model in (CostRecord, RevenueRecord, ProspectEstimate, Opportunity):  # the History tab and the audit search
            audit.history_source_register(model, client_path="client_id")
        audit.history_source_register(Referral, client_path="referrer_id")  # on the referrer's tab
