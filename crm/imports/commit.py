"""Writing a checked client file: new clients, merges into existing ones and skips, as decided.

Runs inside the engine's commit transaction, after the rows were cleaned and matched
again against the registry as it is now; rows with errors are left out. New clients get
the RM of their row's RM column, else the importing RM; a team lead's or administrator's
without one stay unassigned for a handover (the result counts them). The RM column is not
applied to clients already in the registry: moving them is a handover.
"""

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from dataimport.engine import Row
from dataimport.report import Report

from .. import access
from ..bulk import Column, rows_copy, rows_copy_select
from ..history import history_copy_created, history_m2m_snapshot, history_note
from ..models import Assignment, Client, ClientMerge, LifecycleTransition, Tag
from ..services import KEEP, TAKE, client_snapshot
from .columns import model_values
from .matching import BATCH, CREATE, SKIP, action_chosen, differences


def rows_write(rows: list[Row], report: Report, *, user, upload, decisions: dict, bulk: dict) -> None:
    """Apply every clean row, and count the outcomes into ``report.result``.

    ``decisions`` maps a row number (str) to ``{"action": "merge"|"skip"|"create", "fields":
    {field: "existing"|"incoming"}}``; ``bulk`` maps a kind of duplicate (``DUPLICATE_GROUPS``) to
    the action for its rows without a decision of their own; the rest take the dry run's default
    (merge, keeping non-empty values and filling blanks).

    Each row ends with one ``outcome`` out of four, the words of the counts: "created",
    "merged" (into a registry client, or into an earlier row of the file), "skipped" (as
    chosen, or because it adds nothing) and "error"; ``outcome_note`` says which case it was.
    """
    entries = [row.entry for row in rows]
    by_number = {entry["row"]: entry for entry in entries}
    to_create: dict[int, dict] = {}  # row number -> values
    target_ids = {e["duplicate"]["client_id"] for e in entries if e.get("duplicate", {}).get("source") == "registry"}
    targets = {c.pk: c for c in access.client_list_editable(user=user).select_for_update().filter(pk__in=target_ids)}
    reason = _("Import of %(file)s") % {"file": report.file_name}

    def merge_into(entry, client, choices, note):
        changed = _client_merge_row(client=client, values=entry["values"], choices=choices, user=user,
                                    upload=upload, row_number=entry["row"])
        entry["outcome"], entry["outcome_note"] = ("merged", note) if changed else ("skipped", "unchanged")
        entry["client_id"] = client.pk

    for entry in entries:
        if entry["errors"]:
            entry["outcome"] = "error"
            continue
        duplicate = entry.get("duplicate")
        if duplicate is None:
            to_create[entry["row"]] = entry["values"]
            continue
        decision = decisions.get(str(entry["row"]), {})
        action = action_chosen(duplicate, decision=decision, bulk=bulk)
        entry["action"] = action
        choices = {d["field"]: d["default"] for d in duplicate["differences"]}
        choices.update({f: c for f, c in decision.get("fields", {}).items() if f in choices and c in (KEEP, TAKE)})
        if action == CREATE:
            to_create[entry["row"]] = entry["values"]
        elif action == SKIP:
            entry["outcome"], entry["outcome_note"] = "skipped", "chosen"
        elif duplicate["source"] == "registry":
            client = targets.get(duplicate["client_id"])
            if client is None:  # no longer editable: never write to it
                entry["outcome"], entry["outcome_note"] = "skipped", "not_editable"
                continue
            merge_into(entry, client, choices, "registry")
        else:
            earlier = by_number[duplicate["row"]]
            if duplicate["row"] in to_create:  # fold the row into the earlier one, field by field as chosen
                _values_fold(to_create[duplicate["row"]], entry["values"], choices)
                entry["outcome"], entry["outcome_note"] = "merged", "file"
            elif earlier.get("client_id") and earlier.get("outcome") in ("merged", "skipped"):
                # The earlier row went into a registry client: this one follows it, with the defaults
                # against that client and the values the user chose to take from this row.
                client = targets[earlier["client_id"]]
                against = {d["field"]: d["default"] for d in differences(client, entry["values"])}
                against.update({f: c for f, c in decision.get("fields", {}).items() if f in against and c == TAKE})
                merge_into(entry, client, against, "registry")
            else:
                entry["outcome"], entry["outcome_note"] = "skipped", "earlier_skipped"

    created = _clients_create(values_by_row=to_create, user=user, reason=reason)
    for number, (client_id, manager_id) in created.items():
        by_number[number]["outcome"] = "created"
        by_number[number]["client_id"] = client_id
        by_number[number]["unassigned"] = manager_id is None
    for entry in entries:  # a row folded into an earlier one leads to the client that row became
        if entry.get("outcome_note") == "file":
            entry["client_id"] = by_number[entry["duplicate"]["row"]]["client_id"]
    outcomes = [entry.get("outcome") for entry in entries]
    report.result = {
        "created": outcomes.count("created"),
        "updated": outcomes.count("merged"),
        "skipped": outcomes.count("skipped"),
        "errors": outcomes.count("error"),
        "unassigned": sum(1 for entry in entries if entry.get("unassigned")),
    }


def _values_fold(earlier: dict, values: dict, choices: dict) -> None:
    """Fold a later row of the file into the earlier one it repeats: the fields chosen ("incoming")
    and the earlier row's blanks take the later row's values; tags are joined."""
    for field, value in values.items():
        take = choices.get(field) == TAKE or not earlier.get(field)
        if field == "tags":
            earlier["tags"] = sorted(set(earlier.get("tags", [])) | set(value))
        elif field == "id_number" and take:
            earlier["id_number"], earlier["id_type"] = value, values["id_type"]
        elif field == "manager_id" and take:
            earlier["manager_id"], earlier["manager"] = value, values["manager"]
        elif field not in ("id_number", "id_type", "manager_id", "manager") and take:
            earlier[field] = value


def _clients_create(*, values_by_row: dict[int, dict], user, reason: str) -> dict[int, tuple[int, int | None]]:
    """Create the clients in bulk, with their history, primary assignments (and theirs), first
    lifecycle transitions and tags; row number → (client id, primary RM id or None).

    The primary RM is the row's RM column (checked against ``access.manager_list_assignable``),
    else the importer when they are an RM (Client.primary_manager and an open primary Assignment
    are written together, as assignment_transfer would); clients imported by a team lead or
    administrator without an RM column stay unassigned for a handover. The clients are copied in
    (``crm.bulk``), and what follows from them is derived in the database: a file of 100,000 rows
    is a handful of statements.
    """
    if not values_by_row:
        return {}
    importer = user.pk if access.is_relationship_manager(user) else None
    now = timezone.now()
    numbers = list(values_by_row)
    managers = [values_by_row[n].get("manager_id") or importer for n in numbers]
    ids = rows_copy(Client, [
        {**model_values(values_by_row[n]), "created_by_id": user.pk, "created_at": now, "primary_manager_id": manager}
        for n, manager in zip(numbers, managers)
    ])
    history_copy_created(Client, ids, user=user, reason=reason)
    if any(managers):
        assignment_ids = rows_copy_select(Assignment, {
            "client_id": Column("id"), "manager_id": Column("primary_manager_id"), "role": Assignment.Role.PRIMARY,
            "started_at": now, "reason": reason[:255], "assigned_by_id": user.pk,
        }, source=Client, ids=ids, condition=f"{connection.ops.quote_name('primary_manager_id')} IS NOT NULL")
        history_copy_created(Assignment, assignment_ids, user=user, reason=reason)
    # Every client's first stage is recorded, as client_create does for one client.
    rows_copy_select(LifecycleTransition, {
        "client_id": Column("id"), "from_stage": "", "to_stage": Column("lifecycle_stage"), "reason": reason[:255],
        "changed_by_id": user.pk, "changed_at": now,
    }, source=Client, ids=ids)
    tags_by_client = {pk: values_by_row[n].get("tags", []) for n, pk in zip(numbers, ids)}
    _tags_add(tags_by_client)
    # The tags belong to each client's creation row (the through table's bulk insert sent no signal).
    history_m2m_snapshot(Client, [pk for pk, names in tags_by_client.items() if names], batch_size=BATCH)
    return {n: (pk, manager) for n, pk, manager in zip(numbers, ids, managers)}


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
    if new_tags:  # before the save, whose history row then holds them
        _tags_add({client.pk: sorted(new_tags)})
    history_note(client, user=user, reason=_("Merged import row %(row)d") % {"row": row_number})  # also in a task
    client.save(update_fields=[*update_fields, "updated_at"])
    ClientMerge.objects.create(
        surviving_client=client, merged_client=None, surviving_snapshot=snapshot,
        merged_snapshot={"import_row": row_number, **values}, field_choices=choices,
        source_import=upload, merged_by=user,
    )
    return True
