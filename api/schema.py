"""The OpenAPI schema (drf-spectacular): every operation documents the error shape of
``api.errors`` for the refusals it can give, and the token authentication scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from .errors import ErrorsSerializer

ERRORS = {
    "400": "Invalid input: one entry per problem, with the field at fault.",
    "401": "No valid token or session.",
    "403": "Your role may not do this (or, with a session, the CSRF token is missing).",
    "404": "Not found, or not a client you may see or change.",
    "405": "Method not allowed.",
    "406": "The Accept header asks for a format the API does not speak.",
    "415": "Unsupported request body format: send JSON.",
    "429": "Too many requests: wait the seconds in Retry-After.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = set(ERRORS) - {"400", "415"}
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters():
            codes |= {"400"}
        if self.method in ("POST", "PUT", "PATCH"):
            codes |= {"415"}
        for code in sorted(codes):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorsSerializer, description=ERRORS[code]), code, direction=direction)
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": 'A token issued in admin or with manage.py api_token_issue, sent as '
                               '"Token <key>" (or "Bearer <key>").'}
