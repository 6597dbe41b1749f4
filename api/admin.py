"""API tokens in admin: administrators issue (the key is shown once) and revoke them; compliance
reads who holds which and when each was used. Tokens are never deleted or edited."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import NoDeleteAdmin

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(NoDeleteAdmin, admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user", "created_by")
    autocomplete_fields = ("user",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ("user", "name") if obj is None else (
            "user", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing of a token changes but its revocation (the action)
        token, key = services.api_token_issue(user=obj.user, name=obj.name, issued_by=request.user)
        obj.pk = token.pk
        self.message_user(request, gettext(
            "The token's key, shown this once (give it to the system; only a hash is kept): %(key)s") % {"key": key},
            messages.WARNING)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(token=token, revoked_by=request.user)
            count += 1
        self.message_user(request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
                          % {"count": count})
