"""Staff roles: Django groups, the permissions each carries, and who holds which.

The groups are created by a data migration (crm 0002) through
``role_permissions_sync``, which later apps' migrations call again so their
new models' permissions reach the right groups.
"""

from fnmatch import fnmatchcase

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # The value is the Django group's name.
    RELATIONSHIP_MANAGER = "Relationship Manager", _("Relationship manager")
    TEAM_LEAD = "Team Lead", _("Team lead")
    COMPLIANCE = "Compliance", _("Compliance")
    ADMINISTRATOR = "Administrator", _("Administrator")
    # Market data (instrument prices, FX rates): a price moves every holder of the instrument in
    # every team, so it is not an RM's to set.
    DATA_DESK = "Data Desk", _("Data desk")


_RM_PERMISSIONS = [
    "crm.view_client", "crm.add_client", "crm.change_client",
    "crm.view_assignment",
    "crm.view_tag", "crm.add_tag",
    "crm.*_household", "crm.*_householdmember",
    "crm.*_savedfilter",
    "crm.view_clientimport", "crm.add_clientimport", "crm.change_clientimport",
    "crm.view_clientmerge", "crm.add_clientmerge",
    "crm.view_lifecycletransition", "crm.add_lifecycletransition",
    "crm.view_aumtierthreshold",
    "portfolios.view_*", "portfolios.add_*", "portfolios.change_*",
    "risk.view_*", "risk.add_*", "risk.change_*",
    "communications.view_*", "communications.add_*", "communications.change_*",
]

# Patterns over "app_label.codename"; a leading "!" takes a permission away again.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.RELATIONSHIP_MANAGER: _RM_PERMISSIONS,
    Role.TEAM_LEAD: _RM_PERMISSIONS + ["crm.add_assignment", "crm.change_assignment", "crm.view_team"],
    Role.COMPLIANCE: ["*.view_*"],
    Role.ADMINISTRATOR: ["*.*"],
    Role.DATA_DESK: ["portfolios.view_instrument", "portfolios.view_*instrumentprice", "portfolios.*_fxrate",
                     "portfolios.add_instrumentprice", "portfolios.change_instrumentprice"],
}

# Market data: administrators and the data desk only (crm.access.may_edit_market_data).
MARKET_DATA_PERMISSIONS: list[str] = [
    "portfolios.add_instrumentprice", "portfolios.change_instrumentprice",
    "portfolios.add_fxrate", "portfolios.change_fxrate",
]

# Settings-like models only administrators change; added by the apps that own them.
ADMIN_ONLY_PERMISSIONS: list[str] = [
    "portfolios.add_fxrate", "portfolios.change_fxrate",
    "portfolios.add_modelallocation", "portfolios.change_modelallocation",
    "portfolios.add_modelallocationweight", "portfolios.change_modelallocationweight",
    "portfolios.add_concentrationlimit", "portfolios.change_concentrationlimit",
    "communications.add_reviewcadence", "communications.change_reviewcadence",
    "communications.add_reminderpolicy", "communications.change_reminderpolicy",
    "communications.add_feedbacksettings", "communications.change_feedbacksettings",
]


def _granted(role: str, label: str) -> bool:
    patterns = ROLE_PERMISSIONS[role]
    if label in MARKET_DATA_PERMISSIONS:
        return role in (Role.ADMINISTRATOR, Role.DATA_DESK)
    if role != Role.ADMINISTRATOR and label in ADMIN_ONLY_PERMISSIONS:
        return False
    allowed = any(fnmatchcase(label, p) for p in patterns if not p.startswith("!"))
    denied = any(fnmatchcase(label, p[1:]) for p in patterns if p.startswith("!"))
    return allowed and not denied


def role_permissions_sync(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly the permissions its patterns grant.

    Takes a migration's app registry so data migrations can call it; safe to run again.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # historical app configs lack it; create_permissions needs it
        create_permissions(app_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.select_related("content_type"))
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set(
            [p for p in permissions if _granted(role, f"{p.content_type.app_label}.{p.codename}")]
        )


def user_roles(user) -> frozenset[str]:
    """The roles a user holds; superusers count as administrators. Cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_crm_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.ADMINISTRATOR.value)
        cached = frozenset(names & set(Role.values))
        user._crm_roles = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(user_roles(user) & {r.value for r in roles})
