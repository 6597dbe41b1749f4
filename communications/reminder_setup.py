"""What contacts, reviews and reminders contribute to crm's shared registries; called from the
app's ready() (registering again replaces: ready() may run twice in tests)."""

from django.utils.translation import gettext_lazy as _


def reminders_register() -> None:
    """The client page's communication panel, the review and follow-up attention sources, and the
    demo step."""
    from crm import attention, demo, panels

    from . import selectors
    from .demo import communications_demo_build

    panels.register(panels.Panel(
        slot=panels.CLIENT_MAIN, key="communications", order=30,
        template="communications/includes/client_panel.html", context=selectors.client_timeline_panel))
    panels.facts_register(panels.FactSource(key="communications", order=60, collect=selectors.client_facts))
    attention.register(attention.AttentionSource(
        kind=selectors.KIND_REVIEW, label=_("Reviews due"), due=selectors.review_rows_due, order=20))
    attention.register(attention.AttentionSource(
        kind=selectors.KIND_FOLLOW_UP, label=_("Follow-ups due"), due=selectors.follow_up_rows_due, order=30))
    demo.demo_step_register(demo.DemoStep(key="communications", build=communications_demo_build, order=50))
