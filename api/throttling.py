"""Rate limit of the API: per token for systems, per user for signed-in staff (``API_RATE_LIMIT``)."""

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    """Counts in Django's cache (Redis in production, so every web process shares the counts).
    Anonymous calls are refused (401) before they are counted."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
