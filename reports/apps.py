from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Dashboards, reports and exports, and the client review report.

    A consumer app: it reads crm, portfolios, risk, communications and analytics; none of them imports it."""

    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from crm import panels

        from . import review_report

        # The client page's link to the client review report (crm imports nothing of reports).
        panels.register(panels.Panel(
            slot=panels.CLIENT_SIDE, key="review-report", order=90,
            template="reports/review_panel.html", context=review_report.client_review_panel))
        panels.register(panels.Panel(
            slot=panels.PORTFOLIO_ACTIONS, key="review-report", order=90,
            template="reports/review_portfolio_button.html", context=review_report.client_review_panel))

        from . import selectors

        # The RM dashboard (crm's /dashboard/): the book and its AUM, what is due, risk, feedback.
        # Portfolios' alert panel sits at order 50.
        for key, order, context in (
            ("book", 10, selectors.dashboard_book_panel),
            ("attention", 20, selectors.dashboard_attention_panel),
            ("feedback", 60, selectors.dashboard_feedback_panel),
        ):
            panels.register(panels.Panel(slot=panels.DASHBOARD, key=f"reports-{key}", order=order,
                                         template=f"reports/includes/dashboard_{key}.html", context=context))
