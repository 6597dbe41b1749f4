"""Django admin, open to the roles ``crm.access.may_use_admin`` names (administrators, compliance).

Installed in place of ``django.contrib.admin`` (see INSTALLED_APPS), the way Django documents
for overriding the default admin site; every ``admin.register`` still uses ``admin.site``.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class AdminSite(admin.AdminSite):
    def has_permission(self, request):
        # Imported here: this module is loaded with the app registry, before models may be.
        from . import access

        return super().has_permission(request) and access.may_use_admin(request.user)


class CrmAdminConfig(AdminConfig):
    default_site = "crm.admin_site.AdminSite"
