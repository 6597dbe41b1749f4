from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Client registry")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .security import session_activity_start

        user_logged_in.connect(session_activity_start, dispatch_uid="crm.security.session_activity_start")

        from django.db.models.signals import post_migrate

        from .audit_guard import audit_triggers_after_migrate

        post_migrate.connect(audit_triggers_after_migrate, sender=self, dispatch_uid="crm.audit_guard.after_migrate")

        from django.db.models import Q

        from . import audit
        from .models import (Assignment, AumTierThreshold, Client, ClientMerge, Household, HouseholdMember,
                             LifecycleTransition, Team)

        audit.history_source_register(Client, client_path="id")
        audit.history_source_register(Assignment, client_path="client_id")
        audit.history_source_register(HouseholdMember, client_path="client_id")
        # A household's name and notes, on the History tab of every client ever among its members.
        audit.history_source_register(Household, client_path=None, clients=lambda ids: Q(
            id__in=HouseholdMember.history.filter(client_id__in=ids).values("household_id")))
        # Append-only records, which are their own trail (no history table).
        audit.history_source_register(
            LifecycleTransition, client_path="client_id", when="changed_at", who="changed_by", why="reason",
            changes=audit.changes_from_to(_("lifecycle stage"), "from_stage", "to_stage"))
        audit.history_source_register(ClientMerge, client_path="surviving_client_id", when="merged_at",
                                      who="merged_by")
        for model in (Team, AumTierThreshold):  # in compliance's search, on no client's History tab
            audit.history_source_register(model, client_path=None)
