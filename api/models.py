"""API tokens: how a core-banking or trading system signs in to the REST API.

A token belongs to a member of staff (often a service account given a role like anyone else), so
the API applies that user's access rules and the audit trail names them. Only a SHA-256 hash of
the key is stored: the key is shown once, when issued (``api.services.api_token_issue``), and
the table alone opens nothing. A token ends when revoked; revoked tokens stay, for the record.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.history import audited_history


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens",
                             verbose_name=_("user"), help_text=_("The API acts as this member of staff, with "
                                                                 "their role and their clients."))
    name = models.CharField(_("name"), max_length=100, help_text=_("Which system uses it, e.g. core banking."))
    prefix = models.CharField(_("prefix"), max_length=8, editable=False, db_index=True,
                              help_text=_("The key's first characters, to tell tokens apart."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("issued by"), editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("revoked by"), editable=False)
    # Issue and revocation are history rows; the usage stamp is not a change anyone made.
    history = audited_history(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
