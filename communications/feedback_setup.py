"""What the feedback work contributes to crm's shared registries; called from the app's ready()."""

from django.utils.translation import gettext_lazy as _


def feedback_register() -> None:
    """The client page's feedback panel, the overdue-complaint attention source, the demo step
    and the admin pages (registering again replaces: ready() may run twice in tests)."""
    from crm import attention, demo, panels

    from . import (
        feedback_admin,  # noqa: F401  (registers the admin pages)
        feedback_selectors,
        feedback_views,
    )
    from .feedback_demo import feedback_demo_build

    panels.register(panels.Panel(
        slot=panels.CLIENT_SIDE, key="feedback", order=40,
        template="communications/feedback/client_panel.html", context=feedback_views.client_feedback_panel))
    attention.register(attention.AttentionSource(
        kind=feedback_selectors.COMPLAINT_OVERDUE, label=_("Complaint overdue"),
        due=feedback_selectors.complaint_overdue_rows, order=10))
    demo.demo_step_register(demo.DemoStep(key="feedback", build=feedback_demo_build, order=40))  # before the reminder scan (50)
