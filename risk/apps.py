from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Risk")

    def ready(self):
        from crm import attention, demo, panels

        from . import selectors
        from .demo import risk_demo_build

        panels.register(panels.Panel(
            slot=panels.CLIENT_SIDE, key="risk", order=10,
            template="risk/includes/client_panel.html", context=selectors.client_risk_panel))
        for kind, label, due, order in [
            ("risk-assessment-expired", _("Risk assessment expired"), selectors.attention_expired, 20),
            ("risk-assessment-expiring", _("Risk assessment expiring"), selectors.attention_expiring, 40),
            ("risk-assessment-missing", _("No risk assessment"), selectors.attention_missing, 60),
        ]:
            attention.register(attention.AttentionSource(kind=kind, label=label, due=due, order=order))
        # Before portfolios' step (order 10), which gives a level to demo clients still without one.
        demo.demo_step_register(demo.DemoStep(key="risk", build=risk_demo_build, order=5))

        from crm import audit

        from .models import Assessment, RecordedLevel

        for model in (Assessment, RecordedLevel):  # on the client's History tab and in the audit search
            audit.history_source_register(model, client_path="client_id")
