from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API for core-banking and trading systems (Django REST framework, OpenAPI schema).

    A consumer app: it calls the other apps' services and selectors; none of them imports it."""

    name = "api"
    verbose_name = _("API")

    def ready(self):
        from crm import audit

        from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from .models import ApiToken

        # Issue and revocation of tokens in compliance's audit trail (no client's record).
        audit.history_source_register(ApiToken, client_path=None)
