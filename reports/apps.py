from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Dashboards, reports and exports, and the client review report.

    A consumer app: it reads crm, portfolios, risk, communications and analytics; none of them imports it."""

    name = "reports"
    verbose_name = _("Reports")
