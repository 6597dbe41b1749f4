"""Token authentication for systems: ``Authorization: Token <key>`` (or ``Bearer <key>``)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import api_token_hash, api_token_used


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Looks the key up by its hash; a revoked token, or one whose user is inactive, is refused (401)."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None  # not ours: the session (or nothing) decides
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token after the word Token, with no spaces in it."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = (ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key), revoked_at__isnull=True)
                 .first())
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        api_token_used(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
