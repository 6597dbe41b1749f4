from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = _("Portfolios")

    def ready(self):
        from crm import attention, demo, panels

        from . import selectors, suitability_selectors
        from .demo import portfolio_demo_build

        panels.register(panels.Panel(
            slot=panels.CLIENT_MAIN, key="portfolio", order=10,
            template="portfolios/includes/client_panel.html", context=selectors.client_portfolio_panel))
        panels.facts_register(panels.FactSource(key="portfolio-alerts", order=50,
                                                collect=selectors.client_alert_facts))
        panels.register(panels.Panel(
            slot=panels.DASHBOARD, key="portfolio-alerts", order=50,
            template="portfolios/includes/dashboard_alerts.html", context=selectors.dashboard_alerts_panel))
        # The risk overview (risk app) gets the portfolio side of risk without importing portfolios.
        panels.register(panels.Panel(
            slot=panels.RISK_OVERVIEW, key="suitability", order=10,
            template="portfolios/includes/risk_overview_suitability.html",
            context=suitability_selectors.risk_overview_suitability_panel))
        panels.register(panels.Panel(
            slot=panels.RISK_OVERVIEW, key="portfolio-risk-alerts", order=20,
            template="portfolios/includes/risk_overview_alerts.html", context=selectors.risk_overview_alerts_panel))
        attention.register(attention.AttentionSource(
            kind=selectors.ALERT_ATTENTION_KIND, label=_("Open portfolio alerts"),
            due=selectors.alert_attention_rows, order=50))
        demo.demo_step_register(demo.DemoStep(key="portfolios", build=portfolio_demo_build, order=10))

        from crm import audit

        from .models import (
            Account,
            Alert,
            CashFlow,
            ConcentrationLimit,
            DrawdownLimit,
            Goal,
            Holding,
            Instrument,
            InstrumentPrice,
            ModelAllocation,
            RebalanceProposal,
            SuitabilityException,
        )

        # The client's History tab and compliance's audit search read these tables' history.
        for model in (Account, Alert, CashFlow, DrawdownLimit, Goal, RebalanceProposal, SuitabilityException):
            audit.history_source_register(model, client_path="client_id")
        audit.history_source_register(Holding, client_path="account__client_id")
        # Market data and rules of no one client: in compliance's search, on no client's History tab.
        for model in (Instrument, InstrumentPrice, ModelAllocation, ConcentrationLimit):
            audit.history_source_register(model, client_path=None)
