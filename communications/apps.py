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

        from .models import Complaint, ContactLog, Feedback, Review

        for model in (ContactLog, Review, Feedback, Complaint):  # on the History tab and in the audit search
            audit.history_source_register(model, client_path="client_id")
