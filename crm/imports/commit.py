"""Writing a checked client file: new clients, merges into existing ones and skips, as decided.

Runs inside the engine's commit transaction, after the rows were cleaned and matched
again against the registry as it is now; rows with errors are left out. Clients an RM
imports get that RM as their primary RM; a team lead's or administrator's stay unassigned
for a handover.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from dataimport.engine import Row
from dataimport.report import Report

from .. import access
from ..models import Assignment, Client, ClientMerge, LifecycleTransition, Tag
from ..services import KEEP, TAKE, client_snapshot
from .columns import model_values
from .matching import BATCH, CREATE, SKIP, differences


def rows_write(rows: list[Row], report: Report, *, user, upload, decisions: dict) -> None:
    """Apply every clean row; ``decisions`` maps a row number (str) to ``{"action": "merge"|"skip"|
    "create", "fields": {field: "existing"|"incoming"}}``, a row without one takes the dry run's
    defaults (merge, keeping existing non-empty values and filling blanks)."""
    entries = [row.entry for row in rows]
    by_number = {entry["row"]: entry for entry in entries}
    to_create: dict[int, dict] = {}  # row number -> values
    target_ids = {e["duplicate"]["client_id"] for e in entries if e.get("duplicate", {}).get("source") == "registry"}
    targets = {c.pk: c for c in access.client_list_editable(user=user).select_for_update().filter(pk__in=target_ids)}
    reason = _("Import of %(file)s") % {"file": report.file_name}

    for entry in entries:
        if entry["errors"]:
            entry["outcome"] = "error"
            continue
        duplicate = entry.get("duplicate")
        if duplicate is None:
            to_create[entry["row"]] = entry["values"]
            continue
        decision = decisions.get(str(entry["row"]), {})
        action = decision.get("action") if decision.get("action") in duplicate["options"] else duplicate["default"]
        entry["action"] = action
        if action == CREATE:
            to_create[entry["row"]] = entry["values"]
        elif action == SKIP:
            entry["outcome"] = "skipped"
        elif duplicate["source"] == "registry":
            client = targets.get(duplicate["client_id"])
            if client is None:  # no longer editable: never write to it
                entry["outcome"] = "skipped"
                continue
            choices = {d["field"]: d["default"] for d in duplicate["differences"]}
            choices.update({f: c for f, c in decision.get("fields", {}).items() if f in choices and c in (KEEP, TAKE)})
            changed = _client_merge_row(client=client, values=entry["values"], choices=choices, user=user,
                                        upload=upload, row_number=entry["row"])
            entry["outcome"] = "merged" if changed else "unchanged"
            entry["client_id"] = client.pk
        else:
            earlier = duplicate["row"]
            if earlier in to_create:  # fold the row into the earlier one: fill its blanks
                _values_fold(to_create[earlier], entry["values"])
                entry["outcome"] = "merged_in_file"
            elif by_number[earlier].get("client_id") and by_number[earlier].get("outcome") in ("merged", "unchanged"):
                client = targets[by_number[earlier]["client_id"]]
                choices = {d["field"]: d["default"] for d in differences(client, entry["values"])}
                changed = _client_merge_row(client=client, values=entry["values"], choices=choices, user=user,
                                            upload=upload, row_number=entry["row"])
                entry["outcome"] = "merged" if changed else "unchanged"
                entry["client_id"] = client.pk
            else:
                entry["outcome"] = "skipped"

    created = _clients_create(values_by_row=to_create, user=user, reason=reason)
    for number, client_id in created.items():
        by_number[number]["outcome"] = "created"
        by_number[number]["client_id"] = client_id
    outcomes = [entry.get("outcome") for entry in entries]
    report.result = {
        "created": outcomes.count("created"),
        "updated": outcomes.count("merged"),
        "errors": outcomes.count("error"),
        "skipped": sum(1 for o in outcomes if o not in ("created", "merged", "error")),
    }


def _values_fold(earlier: dict, values: dict) -> None:
    for field, value in values.items():
        if field == "tags":
            earlier["tags"] = sorted(set(earlier.get("tags", [])) | set(value))
        elif field == "id_number" and not earlier.get("id_number"):
            earlier["id_number"], earlier["id_type"] = value, values["id_type"]
        elif field not in ("id_number", "id_type") and not earlier.get(field):
            earlier[field] = value


def _clients_create(*, values_by_row: dict[int, dict], user, reason: str) -> dict[int, int]:
    """Create the clients in bulk, with their history, primary assignments and tags.

    The importer becomes primary RM when they are an RM (Client.primary_manager and an
    open primary Assignment are written together, as assignment_transfer would); clients
    imported by a team lead or administrator stay unassigned for a handover.
    """
    if not values_by_row:
        return {}
    manager = user if access.is_relationship_manager(user) else None
    now = timezone.now()
    numbers = list(values_by_row)
    clients = [
        Client(**model_values(values_by_row[n]), created_by=user, created_at=now, primary_manager=manager)
        for n in numbers
    ]
    clients = bulk_create_with_history(clients, Client, batch_size=BATCH, default_user=user,
                                       default_change_reason=reason[:100])
    if manager is not None:
        assignments = [Assignment(client=c, manager=manager, role=Assignment.Role.PRIMARY, started_at=now,
                                  reason=reason[:255], assigned_by=user) for c in clients]
        bulk_create_with_history(assignments, Assignment, batch_size=BATCH, default_user=user,
                                 default_change_reason=reason[:100])
    # Every client's first stage is recorded, as client_create does for one client.
    LifecycleTransition.objects.bulk_create(
        [LifecycleTransition(client=c, from_stage="", to_stage=c.lifecycle_stage, reason=reason[:255],
                             changed_by=user, changed_at=now) for c in clients],
        batch_size=BATCH,
    )
    _tags_add({c.pk: values_by_row[n].get("tags", []) for n, c in zip(numbers, clients)})
    return {n: c.pk for n, c in zip(numbers, clients)}


def _tags_add(tags_by_client: dict[int, list[str]]) -> None:
    names = sorted({name for names in tags_by_client.values() for name in names})
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    through = Client.tags.through
    through.objects.bulk_create(
        [through(client_id=cid, tag_id=tag_ids[n]) for cid, ns in tags_by_client.items() for n in ns],
        ignore_conflicts=True, batch_size=BATCH,
    )


def _client_merge_row(*, client: Client, values: dict, choices: dict, user, upload, row_number: int) -> bool:
    """Apply one import row to an existing client by the field choices; False when nothing changes."""
    taken = [field for field, choice in choices.items() if choice == TAKE]
    new_tags = set(values.get("tags", [])) - set(client.tags.values_list("name", flat=True))
    if not taken and not new_tags:
        return False
    snapshot = client_snapshot(client)
    client_values = model_values(values)
    update_fields = []
    for field in taken:
        setattr(client, field, client_values[field])
        update_fields.append(field)
        if field == "id_number":
            client.id_type = client_values["id_type"]
            update_fields.append("id_type")
    client.full_clean(exclude=["tags"], validate_unique=False)
    client._change_reason = (_("Merged import row %(row)d") % {"row": row_number})[:100]
    client.save(update_fields=[*update_fields, "updated_at"])
    if new_tags:
        _tags_add({client.pk: sorted(new_tags)})
    ClientMerge.objects.create(
        surviving_client=client, merged_client=None, surviving_snapshot=snapshot,
        merged_snapshot={"import_row": row_number, **values}, field_choices=choices,
        source_import=upload, merged_by=user,
    )
    return True
