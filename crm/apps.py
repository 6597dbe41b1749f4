from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Client registry")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .security import session_activity_start

        user_logged_in.connect(session_activity_start, dispatch_uid="crm.security.session_activity_start")

        from . import audit
        from .models import Assignment, AumTierThreshold, Client, Household, HouseholdMember, Team

        audit.history_source_register(Client, client_path="id")
        audit.history_source_register(Assignment, client_path="client_id")
        audit.history_source_register(HouseholdMember, client_path="client_id")
        for model in (Household, Team, AumTierThreshold):  # in compliance's search, on no client's History tab
            audit.history_source_register(model, client_path=None)
