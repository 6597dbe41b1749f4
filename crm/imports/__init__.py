"""Client import (数据整合: 去重 / 补全 / 纠错 / 格式统一), on the shared engine in ``dataimport``.

The flow is upload → column mapping → dry run → commit:

* ``client_import_upload`` reads a CSV or XLSX file (``dataimport.reading``), refuses a bad
  one with a message and no change, stages it as a ``ClientImport`` (a proxy of
  ``dataimport.ImportUpload``), guesses the column mapping from English and Chinese headers
  and runs a first dry run;
* ``client_import_dry_run`` cleans every row (``columns``) and finds the duplicates, among
  the registry and within the file (``matching``), into the upload's report;
* ``client_import_commit`` runs the same checks again on the current registry and, in one
  transaction, creates the new clients, applies the merges the user chose (each leaving a
  ``ClientMerge`` trace) and skips the rest (``commit``).

Merging two existing records is ``crm.services.client_merge``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dataimport import engine
from dataimport.engine import ImportKind

from .. import access
from ..models import ClientImport
from . import commit, matching
from .columns import (
    CLIENT_COLUMNS,
    COLUMNS_BY_KEY,
    IDENTIFIER_FIELDS,
    Managers,
    missing_columns_message,
    row_clean,
    row_manager,
    row_restore,
)
from .matching import ACTION_LABELS, DUPLICATE_GROUPS, action_chosen, client_duplicates_suggest, duplicate_group

__all__ = [
    "ACTION_LABELS", "CLIENTS", "CLIENT_COLUMNS", "COLUMNS_BY_KEY", "DUPLICATE_GROUPS", "PermissionDenied",
    "ValidationError", "action_chosen", "client_duplicates_suggest", "client_import_commit",
    "client_import_committed_before", "client_import_decisions_save", "client_import_dry_run",
    "client_import_list_visible", "client_import_upload", "duplicate_group",
]


class ClientsImport(ImportKind):
    """Client files: cleaned row by row, matched against the registry and the rows above, and
    written as new clients, merges or skips as the user decides per duplicate."""

    key = ClientImport.KIND
    columns = CLIENT_COLUMNS
    required = (("legal_name",), IDENTIFIER_FIELDS)
    all_or_nothing = False  # rows with errors are reported and left out; the others are imported
    mapping_editable = True
    staging_model = ClientImport
    no_rows_message = gettext_lazy("The file has a header row but no clients below it.")

    def missing_columns_message(self, missing):
        return missing_columns_message(missing)

    def prepare(self, rows, *, user):
        # The registry is searched once every row is clean (``describe``), as this user.
        managers = Managers(user=user) if any(row.text("manager") for row in rows) else None
        return {"user": user, "managers": managers}

    def check_row(self, row, context):
        row_clean(row)
        self.recheck_row(row, context)

    def row_restore(self, row, entry):
        # The cleaning reads nothing but the cells: the commit takes it from the dry run's report.
        return row_restore(row, entry)

    def recheck_row(self, row, context):
        if context["managers"] is not None:
            row_manager(row, context["managers"])

    def describe(self, rows, context, report):
        matching.duplicates_find(rows, user=context["user"])
        for row in rows:
            if row.entry.get("duplicate", {}).get("source") == "registry" and row.entry["values"].get("manager"):
                row.warn(_("The RM column is applied to new clients only; hand an existing client over to "
                           "change its RM."))
        report.summary = matching.summary([row.entry for row in rows])

    def write(self, rows, context, report, *, user, upload, options):
        commit.rows_write(rows, report, user=user, upload=upload, decisions=options.get("decisions") or {},
                          bulk=options.get("bulk") or {})


CLIENTS = ClientsImport()


def _require_import_allowed(user) -> None:
    if not access.may_import(user):
        raise PermissionDenied(_("Only staff who edit clients may import or merge them."))


def client_import_list_visible(*, user):
    """The imports a user may open: their own; administrators and compliance see all."""
    imports = ClientImport.objects.select_related("uploaded_by")
    if access.may_read_all_imports(user):
        return imports
    if not access.may_import(user):
        return imports.none()
    return imports.filter(uploaded_by=user)


def client_import_upload(*, user, file_name: str, data: bytes) -> ClientImport:
    """Read an uploaded file and run a first dry run with the guessed column mapping.

    The same user uploading the same file (same checksum) again reuses its unfinished
    import. A bad file raises ``ValidationError`` and leaves no trace.
    """
    _require_import_allowed(user)
    return engine.upload_stage(CLIENTS, user=user, file_name=file_name, content=data)


def client_import_dry_run(*, client_import: ClientImport, user, mapping: dict[str, str]) -> ClientImport:
    """Check every row with ``mapping`` and store the report; writes no client.

    A mapping lacking required columns is stored with the error in the report, so the
    user can correct it on the mapping page.
    """
    _require_import_allowed(user)
    return engine.upload_dry_run(CLIENTS, upload=client_import, user=user, mapping=mapping)


def client_import_committed_before(client_import: ClientImport):
    """An earlier committed import of the same file, if any (to warn about re-imports)."""
    return ClientImport.objects.filter(
        file_sha256=client_import.file_sha256, status=ClientImport.Status.COMMITTED
    ).exclude(pk=client_import.pk).only("pk", "committed_at").first()


def client_import_decisions_save(*, client_import: ClientImport, user, bulk: dict | None = None,
                                  decisions: dict | None = None) -> ClientImport:
    """Remember what to do with the duplicates until the commit (``ClientImport.decisions``).

    ``bulk`` maps a kind of duplicate (``DUPLICATE_GROUPS``) to an action for all its rows, or
    to "" for each row's default; a kind given anew drops the single-row decisions of its rows,
    so "skip all" means all. ``decisions`` (row number (str) → ``{"action", "fields"}``, as
    ``client_import_commit`` takes them) are then kept for the rows whose choice differs from
    what their kind would give them.
    """
    _require_import_allowed(user)
    if client_import.uploaded_by_id != user.pk:
        raise PermissionDenied
    if client_import.status != ClientImport.Status.DRY_RUN:
        raise ValidationError(_("This import has been committed already."), code="committed")
    duplicates = {str(r["row"]): r["duplicate"] for r in client_import.report.get("rows", [])
                  if not r["errors"] and "duplicate" in r}
    stored_bulk = dict(client_import.decisions.get("bulk", {}))
    stored_rows = dict(client_import.decisions.get("rows", {}))
    changed_groups = {group for group, action in (bulk or {}).items()
                      if group in DUPLICATE_GROUPS and action != stored_bulk.get(group, "")}
    for group in changed_groups:
        stored_bulk[group] = bulk[group]
    stored_bulk = {group: action for group, action in stored_bulk.items() if action}
    stored_rows = {n: d for n, d in stored_rows.items()
                   if n in duplicates and duplicate_group(duplicates[n]) not in changed_groups}
    for number, decision in (decisions or {}).items():
        duplicate = duplicates.get(str(number))
        if duplicate is None or duplicate_group(duplicate) in changed_groups:
            continue
        fields = {f: c for f, c in decision.get("fields", {}).items()
                  if any(d["field"] == f and d["default"] != c for d in duplicate["differences"])}
        action = decision.get("action")
        own = action if action in duplicate["options"] and action != action_chosen(
            duplicate, decision={}, bulk=stored_bulk) else ""
        if own or fields:
            stored_rows[str(number)] = {"action": own, "fields": fields}
        else:
            stored_rows.pop(str(number), None)
    client_import.decisions = {"bulk": stored_bulk, "rows": stored_rows}
    client_import.save(update_fields=["decisions"])
    return client_import


def client_import_commit(*, client_import: ClientImport, user, decisions: dict | None = None,
                         bulk: dict | None = None) -> ClientImport:
    """Write the import in one transaction: new clients, merges and skips, as decided.

    ``decisions`` maps a row number (str) to ``{"action": "merge"|"skip"|"create",
    "fields": {field: "existing"|"incoming"}}`` and ``bulk`` a kind of duplicate to an action
    (see ``commit.rows_write``); both are added to those saved with the import
    (``client_import_decisions_save``). The rows are checked again against the registry as it
    is now; rows with errors are not imported. Raises ``ValidationError`` when the import was
    committed already, its mapping lacks required columns, or the registry changed under it
    (then nothing is written).
    """
    _require_import_allowed(user)
    saved = client_import.decisions or {}
    options = {"decisions": {**saved.get("rows", {}), **(decisions or {})},
               "bulk": {**saved.get("bulk", {}), **(bulk or {})}}
    return engine.upload_commit(CLIENTS, upload=client_import, user=user, options=options)
