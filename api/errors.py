"""One JSON shape for every refusal of the API: validation (400), 401, 403, 404, 405, 415, 429…

    {"errors": [{"field": "legal_name", "code": "required", "message": "This field is required."}]}

``field`` is the request field at fault (a dotted path into lists and objects, e.g.
``holdings.2.quantity``), or null when the error is not about one field. Domain services raise
Django's ``ValidationError``; it gets the same shape, keyed by the service's field names (which
are the API's).
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The request field at fault (dotted path), or null.")
    code = serializers.CharField(help_text="A stable, machine-readable code, e.g. required, invalid, not_found.")
    message = serializers.CharField(help_text="What went wrong, in the request's language.")


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS}


def _flatten(detail, path: str | None) -> list[dict]:
    """DRF's nested error detail (dicts, lists, ErrorDetail strings) as a flat list of errors."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            child = None if key in NON_FIELD_KEYS else str(key)
            errors += _flatten(value, path if child is None else (f"{path}.{child}" if path else child))
        return errors
    if isinstance(detail, list):
        errors = []
        for index, value in enumerate(detail):
            # A list of objects (many=True) is indexed; a list of messages is several errors for one field.
            if isinstance(value, (dict, list)):
                errors += _flatten(value, f"{path}.{index}" if path else str(index))
            else:
                errors += _flatten(value, path)
        return errors
    return [{"field": path, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)}]


def django_validation_error_detail(error: DjangoValidationError) -> dict | list:
    """A Django ValidationError (from a service) as DRF error detail, keeping each message's code."""
    def details(errors) -> list:
        return [exceptions.ErrorDetail(message, code=e.code or "invalid") for e in errors for message in e.messages]

    if hasattr(error, "error_dict"):
        return {field: details(errors) for field, errors in error.error_dict.items()}
    return details(error.error_list)


def exception_handler(exc, context):
    """DRF's handler (status, headers such as Retry-After and WWW-Authenticate), then our shape."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_error_detail(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling, logged
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail, None)
    else:
        detail = getattr(exc, "detail", response.data.get("detail", ""))
        errors = [{"field": None, "code": getattr(detail, "code", None) or "error", "message": str(detail)}]
    response.data = {"errors": errors or [{"field": None, "code": "invalid", "message": ""}]}
    return response
