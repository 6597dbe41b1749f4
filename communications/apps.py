from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "communications"
    verbose_name = _("Communications")

    def ready(self):
        from .feedback_setup import feedback_register
        from .reminder_setup import reminders_register

        feedback_register()
        reminders_register()

        from crm import audit

        from .models import Complaint, ComplaintEvent, ContactLog, Feedback, Review

        for model in (ContactLog, Review, Feedback, Complaint):  # on the History tab and in the audit search
            audit.history_source_register(model, client_path="client_id")
        # Each step of a complaint (an append-only record, its own trail): who moved it, when, to what.
        audit.history_source_register(
            ComplaintEvent, client_path="complaint__client_id", when="at", who="actor", why="note",
            changes=audit.changes_from_to(_("status"), "from_status", "to_status", "assignee"))
