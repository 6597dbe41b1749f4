"""Partial masking of personal identifiers (ID and phone numbers) for readers who do not need them
in full. Who does: ``crm.access.may_see_full_pii``. Lists, exports, household pages and search
results show ``client_pii(user=, client=)``; templates use ``{% pii client "phone" %}``.
"""

from . import access

MASK = "*"


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 4 characters of an ID number (``110***********1234``); a short
    number keeps only its last 2, so at least half of it is hidden."""
    value = value or ""
    if len(value) <= 4:
        return MASK * len(value)
    if len(value) < 10:
        return MASK * (len(value) - 2) + value[-2:]
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the country code (or first 3 characters) and the last 4 digits: ``+86138****8000``."""
    value = value or ""
    if len(value) <= 6:
        return MASK * len(value)
    head = 6 if value.startswith("+86") and len(value) >= 14 else 3
    return value[:head] + MASK * (len(value) - head - 4) + value[-4:]


MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


def client_pii(*, user, client, field: str) -> str:
    """The client's ``id_number`` or ``phone`` as this user may see it: in full or masked."""
    value = getattr(client, field) or ""
    if not value or access.may_see_full_pii(user=user, client=client):
        return value
    return MASKERS[field](value)
