"""The import engine: a kind of file is described once, the engine reads, checks, stages and commits it.

An app subclasses ``ImportKind`` (see ``crm.imports`` and ``portfolios.imports``):

* ``columns`` and ``required``: what the file may and must hold;
* ``prepare(rows, user=)``: look up, once for the file, what its rows refer to;
* ``check_row(row, context)``: the row validator, which records the row's errors on it and
  keeps what it made of the cells in ``row.parsed``;
* optionally ``row_restore(row, entry)`` and ``recheck_row(row, context)``: for a kind whose
  check of the cells needs nothing of the database, the commit takes back what the dry run
  made of them from its stored report and checks again only what reads the database;
* ``describe(rows, context, report)``: after every row is checked, what committing would do
  (new, changed, duplicate), written into the report;
* ``write(rows, context, report, user=, upload=, options=)``: the row handler of the commit.

``dry_run`` runs the first three and writes nothing. ``commit`` runs the same checks again, on
the database as it is now (a kind that can, restores the cells' cleaning, which depends on the
file and the mapping only), and then ``write`` in the same transaction: the dry run catches
everything the commit would refuse, and a commit is written whole or not at all.
An ``all_or_nothing`` kind writes nothing while a row has an error; the others leave the rows
with errors out and write the rest.

Uploads wait between the steps as ``ImportUpload`` rows (``upload_stage``, ``upload_dry_run``,
``upload_commit``), never in the session.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .columns import Column, cell_text, columns_find
from .models import ImportUpload
from .reading import NO_ROWS_MESSAGE, ImportFileError, Table, table_read
from .report import Report


class Row:
    """One data row while it is checked: its cells by column key, its report entry, and what
    the kind made of it (``parsed``, for ``write``; not reported)."""

    def __init__(self, number: int, cells: dict, shown: dict[str, str]):
        self.number = number
        self.cells = cells
        self.entry: dict = {"row": number, "errors": [], "warnings": []}
        self.parsed = None
        self._shown = shown

    def cell(self, key: str):
        """The raw cell of a column; None when the file has no such column."""
        return self.cells.get(key)

    def text(self, key: str) -> str:
        return cell_text(self.cells.get(key))

    def error(self, key: str, message, *, code: str = "") -> None:
        """Record an error of the row in a column; ``code`` marks one the kind needs to tell apart."""
        error = {"field": key, "column": self._shown.get(key, ""), "message": str(message)}
        if code:
            error["code"] = code
        self.entry["errors"].append(error)

    def warn(self, message) -> None:
        self.entry["warnings"].append(str(message))

    def read(self, key: str, reader, *args, optional: bool = False, **kwargs):
        """``reader(cell, ...)``, or None with the reader's message recorded as the row's error.
        An ``optional`` column left empty reads as None without calling the reader."""
        value = self.cells.get(key)
        if optional and not cell_text(value):
            return None
        try:
            return reader(value, *args, **kwargs)
        except ValidationError as error:
            self.error(key, " ".join(error.messages))
            return None

    @property
    def has_errors(self) -> bool:
        return bool(self.entry["errors"])

    def has_error_in(self, *keys: str) -> bool:
        return any(e["field"] in keys for e in self.entry["errors"])


class ImportKind:
    """What the engine needs to know of one kind of file; subclass it once per kind."""

    key: str = ""
    columns: tuple[Column, ...] = ()
    required: tuple[tuple[str, ...], ...] = ()  # each group needs one of its columns in the file
    all_or_nothing: bool = True
    # True when the user maps the columns on a page of their own: a file whose columns are
    # incomplete is then staged with the problem in the report, instead of refused.
    mapping_editable: bool = False
    staging_model = ImportUpload  # or a proxy of it, for an app's own admin and history pages
    report_class = Report
    no_rows_message = NO_ROWS_MESSAGE

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def missing_columns_message(self, missing: list[tuple[str, ...]]) -> str:
        labels = ", ".join(str(self.column(group[0]).label) for group in missing)
        return _("Required columns are missing: %(columns)s.") % {"columns": labels}

    def mapping_check(self, mapping: dict[str, str]) -> None:
        """Refuse a mapping with an unknown column, a column filled twice, or a required one missing."""
        keys = [key for key in mapping.values() if key]
        known = {c.key for c in self.columns}
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise ImportFileError(_("Unknown field: %(field)s.") % {"field": ", ".join(unknown)},
                                  code="unknown_column")
        twice = sorted({str(self.column(key).label) for key in keys if keys.count(key) > 1})
        if twice:
            raise ImportFileError(_("Each field may come from one column only: %(fields)s.")
                                  % {"fields": ", ".join(twice)}, code="column_twice")
        missing = [group for group in self.required if not set(group) & set(keys)]
        if missing:
            raise ImportFileError(self.missing_columns_message(missing), code="missing_columns")

    def prepare(self, rows: list[Row], *, user):
        """Whatever ``check_row`` needs of the database for the whole file, fetched at once."""
        return

    def check_row(self, row: Row, context) -> None:
        raise NotImplementedError

    def row_restore(self, row: Row, entry: dict) -> bool:
        """Put back on ``row`` what ``check_row`` made of its cells, from ``entry`` (the row's entry
        in the report of its last check, with the same file and mapping), without what depends on
        the database; then ``recheck_row`` checks that part. False (the default): the row is
        checked afresh with ``check_row``."""
        return False

    def recheck_row(self, row: Row, context) -> None:
        """The part of ``check_row`` that reads the database, after ``row_restore``."""

    def describe(self, rows: list[Row], context, report: Report) -> None:
        """After every row is checked: fill in what committing would do, and the summary."""

    def write(self, rows: list[Row], context, report: Report, *, user, upload, options: dict) -> None:
        """Write the checked rows (inside the engine's transaction) and set ``report.result``."""
        raise NotImplementedError


# --- Checking and committing a table ------------------------------------------------------


def _check(kind: ImportKind, *, table: Table, mapping: dict[str, str], user,
           checked: dict[int, dict] | None = None) -> tuple[Report, list[Row], object]:
    index_of = {key: int(index) for index, key in mapping.items() if key}
    shown = {c.key: table.headers[index_of[c.key]] if c.key in index_of else str(c.label) for c in kind.columns}
    rows = [
        Row(number, {key: cells[index] if index < len(cells) else None for key, index in index_of.items()}, shown)
        for number, cells in table.rows
    ]
    report = kind.report_class(kind=kind.key, file_name=table.file_name, checksum=table.checksum,
                               row_count=len(rows))
    if table.encoding == "big5":
        report.warnings.append(_("The file was read as Big5 (traditional Chinese characters). If the names "
                                 "below look wrong, save the file as “CSV UTF-8” and upload it again."))
    context = kind.prepare(rows, user=user)
    checked = checked or {}
    for row in rows:
        entry = checked.get(row.number)
        if entry is not None and kind.row_restore(row, entry):
            kind.recheck_row(row, context)
        else:
            kind.check_row(row, context)
    kind.describe(rows, context, report)
    report.rows = [row.entry for row in rows]
    report.summary.setdefault("rows", len(rows))
    report.summary.setdefault("errors", report.error_rows)
    return report, rows, context


def mapping_for(kind: ImportKind, table: Table, mapping: dict[str, str] | None) -> dict[str, str]:
    """The mapping given (cleaned of empty choices), or the one the headers suggest; checked."""
    mapping = columns_find(kind.columns, table.headers) if mapping is None else mapping
    mapping = {str(index): key for index, key in mapping.items() if key}
    kind.mapping_check(mapping)
    return mapping


def dry_run(kind: ImportKind, *, table: Table, user, mapping: dict[str, str] | None = None) -> Report:
    """Every row checked, and what committing would do; writes nothing.
    Raises ``ImportFileError`` when the mapping (given or guessed) lacks a required column."""
    report, _rows, _context = _check(kind, table=table, mapping=mapping_for(kind, table, mapping), user=user)
    return report


def commit(kind: ImportKind, *, table: Table, user, mapping: dict[str, str] | None = None, upload=None,
           options: dict | None = None, checked: Report | None = None) -> Report:
    """Check the rows again and write them, in one transaction.

    ``checked`` is the report of the last check of these rows with this mapping, if any: a kind
    that can restores its rows' cleaning from it (``ImportKind.row_restore``).

    An all-or-nothing kind returns the report uncommitted (``report.committed`` False, nothing
    written) when a row has an error. A clash with a concurrent change (the database refusing
    a duplicate) undoes everything and raises ``ValidationError``.
    """
    mapping = mapping_for(kind, table, mapping)
    try:
        with transaction.atomic():
            report, rows, context = _check(kind, table=table, mapping=mapping, user=user,
                                           checked={e["row"]: e for e in checked.rows} if checked else None)
            if kind.all_or_nothing and not report.ok:
                return report
            kind.write(rows, context, report, user=user, upload=upload, options=options or {})
            if report.result is None:
                report.result = {}
    except IntegrityError:
        raise ValidationError(
            _("The registry changed while the import was written, and nothing was imported. Check the file again."),
            code="conflict",
        )
    return report


# --- Staged uploads -----------------------------------------------------------------------


def upload_table(upload: ImportUpload) -> Table:
    return Table.from_json(upload.table, file_name=upload.file_name, checksum=upload.file_sha256)


def upload_open(kind: ImportKind, *, user, checksum: str):
    """The user's upload of this file still waiting to be committed, or None."""
    return kind.staging_model.objects.filter(
        kind=kind.key, uploaded_by=user, file_sha256=checksum, status=ImportUpload.Status.DRY_RUN,
    ).order_by("-uploaded_at").first()


def upload_stage(kind: ImportKind, *, user, file_name: str, content: bytes) -> ImportUpload:
    """Read an uploaded file, stage it and run its dry run with the mapping its headers suggest.

    The same user uploading the same file again reuses the upload still waiting to be
    committed. A file that cannot be read (or, for a kind without a mapping page, whose
    columns are incomplete) raises ``ImportFileError`` and leaves no trace.
    """
    table = table_read(content=content, file_name=file_name, no_rows_message=kind.no_rows_message)
    upload = upload_open(kind, user=user, checksum=table.checksum) or kind.staging_model(
        kind=kind.key, uploaded_by=user, file_sha256=table.checksum)
    upload.file_name = file_name[:255]
    upload.uploaded_at = timezone.now()
    upload.table = table.to_json()
    return upload_dry_run(kind, upload=upload, user=user, mapping=columns_find(kind.columns, table.headers),
                          again=True)


def upload_checked_with(upload: ImportUpload, mapping: dict[str, str]) -> bool:
    """Whether the upload's stored report is the check of its rows with this very mapping."""
    mapping = {str(index): key for index, key in mapping.items() if key}
    return bool(upload.pk and upload.report and upload.report.get("result") is None
                and upload.column_mapping == mapping)


def upload_dry_run(kind: ImportKind, *, upload: ImportUpload, user, mapping: dict[str, str],
                   again: bool = False) -> ImportUpload:
    """Check the staged rows with ``mapping`` and store the report; writes nothing else.

    A mapping the stored report was checked with already is not checked again (the upload
    is returned as it is, with the user's decisions) unless ``again``: the rows are the
    same, and the commit checks them once more on the registry as it is then. A new check
    starts the decisions afresh, since the duplicates it finds may differ.
    """
    if upload.status != ImportUpload.Status.DRY_RUN:
        raise ValidationError(_("This import has been committed already."), code="committed")
    if not again and upload_checked_with(upload, mapping):
        return upload
    table = upload_table(upload)
    mapping = {str(index): key for index, key in mapping.items() if key}
    try:
        report = dry_run(kind, table=table, user=user, mapping=mapping)
    except ImportFileError as error:
        if not kind.mapping_editable:
            raise
        report = kind.report_class(kind=kind.key, file_name=table.file_name, checksum=table.checksum,
                                   row_count=len(table.rows), mapping_errors=error.messages,
                                   summary={"rows": 0, "errors": 0})
    upload.column_mapping = mapping
    upload.report = report.to_json()
    upload.decisions = {}
    upload.row_count = len(table.rows)
    upload.error_count = report.error_rows
    upload.full_clean()
    upload.save()
    return upload


def upload_commit(kind: ImportKind, *, upload: ImportUpload, user, options: dict | None = None) -> ImportUpload:
    """Commit a staged upload as its uploader: the rows as they were read, checked again.

    The staged row is locked, so a double submit commits once; committing again raises
    ``ValidationError``. The upload is marked committed, with its counts, in the same
    transaction as the rows are written; an uncommitted report (an all-or-nothing kind
    with errors) is stored and the upload keeps waiting.
    """
    if upload.uploaded_by_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = kind.staging_model.objects.select_for_update().get(pk=upload.pk)
        if locked.status != ImportUpload.Status.DRY_RUN:
            raise ValidationError(_("This import has been committed already."), code="committed")
        # The stored report is the check of these rows with this mapping (the dry run's).
        checked = upload_report(kind, locked) if upload_checked_with(locked, locked.column_mapping) else None
        report = commit(kind, table=upload_table(locked), user=user, mapping=locked.column_mapping,
                        upload=locked, options=options, checked=checked)
        locked.report = report.to_json()
        locked.error_count = report.error_rows
        if report.committed:
            result = report.result
            locked.status = ImportUpload.Status.COMMITTED
            locked.committed_at = timezone.now()
            locked.created_count = result.get("created", 0)
            locked.updated_count = result.get("updated", 0)
            locked.skipped_count = result.get("skipped", 0)
            locked.error_count = result.get("errors", report.error_rows)
        # The rows as read stay as they are: not sent again (for 100,000 rows, megabytes of JSON).
        locked.save(update_fields=["kind", "report", "error_count", "status", "committed_at", "created_count",
                                   "updated_count", "skipped_count"])
    # ``upload`` as saved, from the locked copy rather than read back (its table and report are large).
    for field in upload._meta.concrete_fields:
        setattr(upload, field.attname, getattr(locked, field.attname))
    return upload


def upload_report(kind: ImportKind, upload: ImportUpload) -> Report:
    return kind.report_class.from_json(upload.report)
