"""Duplicates of import rows (去重), in the registry and within the file.

*Exact* when ID type and number are the same (the database allows only one such client);
*likely* when the normalised name and the phone, or the name and the e-mail, are the same.
Exact matches are looked up in the whole registry, because the ID constraint is global, but
a client the importer may not edit is never shown or merged into: such a row is reported as
an error. Likely matches are looked up among the clients the importer may edit
(``crm.access.client_list_editable``).
"""

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy

from dataimport.engine import Row

from ..access import client_list_editable
from ..bulk import json_array
from ..masking import MASKERS, client_pii
from ..models import Client
from ..models import RegistrationConflict
from ..services import KEEP, MERGE_FIELDS, TAKE, merge_value, merge_value_shown, registration_conflict_record, \
    registration_refused_message

MERGE, SKIP, CREATE = "merge", "skip", "create"
ACTION_LABELS = {
    MERGE: gettext_lazy("Merge"), SKIP: gettext_lazy("Skip"), CREATE: gettext_lazy("Create a new client"),
}
BATCH = 500
# Duplicates come in four kinds, decided together or row by row: where the match is (the
# registry or an earlier row of the file) and how sure it is (the ID document, or name and contact).
DUPLICATE_GROUPS = {
    "registry_exact": gettext_lazy("Same ID document as a client in the registry"),
    "registry_likely": gettext_lazy("Probably a client in the registry: same name and phone or e-mail"),
    "file_exact": gettext_lazy("Same ID document as an earlier row of the file"),
    "file_likely": gettext_lazy("Probably the same client as an earlier row: same name and phone or e-mail"),
}


def duplicate_group(duplicate: dict) -> str:
    """The kind of a duplicate (a key of ``DUPLICATE_GROUPS``); also for reports checked before kinds were stored."""
    return duplicate.get("group") or f"{duplicate['source']}_{duplicate['match']}"


def action_chosen(duplicate: dict, *, decision: dict, bulk: dict) -> str:
    """What is done with a duplicate row: its own decision, else the one for its kind
    (``bulk``), else the dry run's default; a choice the row does not offer is ignored."""
    for action in (decision.get("action"), bulk.get(duplicate_group(duplicate))):
        if action in duplicate["options"]:
            return action
    return duplicate["default"]


def name_key(name: str) -> str:
    return "".join(name.split()).casefold()  # str.split's whitespace is re's \s


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def differences(client: Client, values: dict) -> list[dict]:
    """The fields where an incoming row would change an existing client, with the default choice:
    keep a non-empty existing value, fill a blank one (补全)."""
    existing = {field: merge_value(client, field) for field in MERGE_FIELDS}
    return values_differences({**existing, "id_type": client.id_type}, values)


def differences_masked(rows: list[dict], *, user, client: Client) -> list[dict]:
    """The existing client's ID and phone numbers in ``rows`` as the importer may see them
    (``crm.masking``: a team lead importing for a team member's client sees them masked)."""
    for row in rows:
        value = getattr(client, row["field"], "") if row["field"] in MASKERS else ""
        if value and row["existing"]:
            row["existing"] = row["existing"].replace(value, client_pii(user=user, client=client, field=row["field"]))
    return rows


def values_differences(existing_values: dict, values: dict) -> list[dict]:
    """The fields where ``values`` would change ``existing_values`` (a client's or an earlier
    row's, as merge values), with the default choice: keep a non-empty value, fill a blank one."""
    rows = []
    for field in MERGE_FIELDS:
        incoming = values.get(field)
        if not incoming:
            continue
        existing = existing_values.get(field) or ""
        if field == "id_number":
            existing_type = existing_values.get("id_type") or ""
            if existing_type == values.get("id_type") and existing == incoming:
                continue
            existing = f"{Client.IdType(existing_type).label} {existing}" if existing else ""
            incoming = f"{Client.IdType(values['id_type']).label} {incoming}"
        elif existing == incoming:
            continue
        rows.append({"field": field, "existing": merge_value_shown(field, existing),
                     "incoming": merge_value_shown(field, incoming), "default": KEEP if existing else TAKE})
    return rows


def _matching(queryset, field: str, values: list):
    """The rows of ``queryset`` whose ``field`` is one of ``values``.

    On PostgreSQL in one query, the values sent as one array and joined to the field's index: an
    IN list of a few hundred phone numbers was planned on the search's trigram index and took
    seconds a batch. Elsewhere in batches of ``BATCH`` values (SQLite's parameter limit).
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        element = "jsonb_array_elements_text(%s::jsonb)" + ("::bigint" if field == "pk" else "")
        yield from queryset.filter(**{f"{field}__in": RawSQL(f"SELECT {element}", (json_array(values),))})
        return
    for chunk in _chunks(values):
        yield from queryset.filter(**{f"{field}__in": chunk})


class Registry:
    """The existing clients that rows may duplicate, fetched in a few queries per file."""

    def __init__(self, *, user, rows: list[dict]):
        editable = client_list_editable(user=user).exclude(status=Client.Status.MERGED)
        numbers = sorted({r["values"]["id_number"] for r in rows if r["values"].get("id_number")})
        phones = sorted({r["values"]["phone"] for r in rows if r["values"].get("phone")})
        emails = sorted({r["values"]["email"] for r in rows if r["values"].get("email")})
        # The ID constraint spans the whole registry, so exact matches are looked up in all
        # of it; what the user may not edit is only ever reported, never shown or changed.
        self.by_document: dict[tuple[str, str], Client] = {}
        for client in _matching(Client.objects.all(), "id_number", numbers):
            self.by_document[(client.id_type, client.id_number)] = client
        survivor_ids = {c.merged_into_id for c in self.by_document.values() if c.merged_into_id}
        candidates: dict[int, Client] = {}
        for client in _matching(editable, "pk", sorted(survivor_ids | {c.pk for c in self.by_document.values()})):
            candidates[client.pk] = client
        for client in _matching(editable, "phone", phones):
            candidates[client.pk] = client
        # E-mail compared case-insensitively: rows are stored lower-cased (crm.normalisers), but a
        # record written around the normaliser must not hide a duplicate.
        for client in _matching(editable.annotate(email_lower=Lower("email")), "email_lower", emails):
            candidates[client.pk] = client
        self.editable = candidates
        self.by_name_contact: dict[tuple[str, str, str], Client] = {}
        for client in sorted(candidates.values(), key=lambda c: c.pk):
            for field, value in (("phone", client.phone), ("email", client.email.lower())):
                if value:
                    self.by_name_contact.setdefault((field, name_key(client.legal_name), value), client)

    def exact(self, values: dict) -> tuple[Client | None, bool]:
        """(the client holding this ID document, whether the user may merge into it)."""
        client = self.by_document.get((values.get("id_type"), values.get("id_number")))
        if client is None:
            return None, False
        target = self.editable.get(client.merged_into_id or client.pk)
        return (target or client), target is not None

    def likely(self, values: dict, *, name: str) -> Client | None:
        """The client with the row's name (``name``, its ``name_key``) and phone or e-mail, if any."""
        for field in ("phone", "email"):
            if values.get(field):
                client = self.by_name_contact.get((field, name, values[field]))
                if client is not None:
                    return client
        return None


def duplicates_find(rows: list[Row], *, user) -> None:
    """Mark each clean row that duplicates a registry client or an earlier row (``entry["duplicate"]``)."""
    clean_rows = [row for row in rows if not row.has_errors]
    by_number = {row.number: row for row in clean_rows}
    registry = Registry(user=user, rows=[row.entry for row in clean_rows])
    seen_documents: dict[tuple, int] = {}
    seen_contacts: dict[tuple, int] = {}
    for row in clean_rows:
        entry, values = row.entry, row.entry["values"]
        document = (values.get("id_type"), values["id_number"]) if values.get("id_number") else None
        name = name_key(values["legal_name"])
        contacts = [(f, name, values[f]) for f in ("phone", "email") if values.get(f)]
        client, may_edit = registry.exact(values) if document else (None, False)
        if client is not None and not may_edit:
            # Nothing about the other client (not even that it exists): the leads hear of the conflict.
            registration_conflict_record(user=user, client=client, source=RegistrationConflict.Source.IMPORT)
            row.error("id_number", registration_refused_message(), code="registration_refused")
            continue
        match = "exact" if client else ""
        if client is None:
            client = registry.likely(values, name=name)
            match = "likely" if client else ""
        if client is not None:
            entry["duplicate"] = {
                "source": "registry", "match": match, "group": f"registry_{match}", "client_id": client.pk,
                "client_name": client.display_name,
                "differences": differences_masked(differences(client, values), user=user, client=client),
                "options": [MERGE, SKIP] if match == "exact" else [MERGE, SKIP, CREATE], "default": MERGE,
            }
        else:
            earlier = seen_documents.get(document) if document else None
            match = "exact" if earlier else ""
            if earlier is None:
                earlier = next((seen_contacts[key] for key in contacts if key in seen_contacts), None)
                match = "likely" if earlier else ""
            if earlier is not None:
                earlier_values = by_number[earlier].entry["values"]
                entry["duplicate"] = {
                    "source": "file", "match": match, "group": f"file_{match}", "row": earlier,
                    "row_name": earlier_values["legal_name"],
                    "differences": values_differences(earlier_values, values),
                    "options": [MERGE, SKIP] if match == "exact" else [MERGE, SKIP, CREATE], "default": MERGE,
                }
        # Later rows with the same document or contacts duplicate this row (or the row it repeats).
        canonical = entry["duplicate"]["row"] if entry.get("duplicate", {}).get("source") == "file" else row.number
        if document:
            seen_documents.setdefault(document, canonical)
        for key in contacts:
            seen_contacts.setdefault(key, canonical)


def summary(rows: list[dict]) -> dict:
    return {
        "rows": len(rows),
        "errors": sum(1 for r in rows if r["errors"]),
        "duplicates": sum(1 for r in rows if not r["errors"] and "duplicate" in r),
        "new": sum(1 for r in rows if not r["errors"] and "duplicate" not in r),
    }


def client_duplicates_suggest(*, user, client: Client, limit: int = 10) -> list[Client]:
    """Editable records that look like the same person or company as ``client``."""
    condition = Q(legal_name=client.legal_name)
    if client.phone:
        condition |= Q(phone=client.phone)
    if client.email:
        condition |= Q(email__iexact=client.email)
    candidates = client_list_editable(user=user).exclude(pk=client.pk).exclude(
        status=Client.Status.MERGED).filter(condition)[:limit]
    name = name_key(client.legal_name)
    return [c for c in candidates if name_key(c.legal_name) == name]
