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
