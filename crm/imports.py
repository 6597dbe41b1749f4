"""Client import and merge (数据整合: 去重 / 补全 / 纠错 / 格式统一).

The flow is upload → column mapping → dry run → commit:

* ``client_import_upload`` reads a CSV (UTF-8 with or without BOM, else GB18030/GBK)
  or XLSX file, refuses a bad one with a message and no change, guesses the column
  mapping from English and Chinese headers and runs a first dry run.
* ``client_import_dry_run`` cleans every row with ``crm.normalisers`` and finds the
  duplicates, among the registry and within the file, into ``ClientImport.report``.
* ``client_import_commit`` runs the same analysis again on the current registry and,
  in one transaction, creates the new clients, applies the merges the user chose
  (each leaving a ``ClientMerge`` trace) and skips the rest.

A row needs a legal name and at least one of ID number, phone or e-mail: without one
of them a client cannot be told apart from a namesake, so it could not be de-duplicated.

Duplicates: *exact* when ID type and number are the same (the database allows only
one such client); *likely* when the normalised name and the phone, or the name and the
e-mail, are the same. Exact matches are looked up in the whole registry, because the
ID constraint is global, but a client the importer may not edit is never shown or
merged into: such a row is reported as an error. Likely matches are looked up among
the clients the importer may edit.

``client_merge`` merges two existing records: the merged one is kept with status
MERGED and a link to the surviving one; nothing is deleted.
"""

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from . import normalisers
from .models import Assignment, Client, ClientImport, ClientMerge, LifecycleTransition, Tag
from . import access
from .access import client_list_editable

IDENTIFIER_FIELDS = ("id_number", "phone", "email")


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    headers: tuple[str, ...]


# The columns an import can fill, with the headers that map to them automatically
# (compared after NFKC, case folding and removal of spaces, punctuation and "(必填)").
IMPORT_FIELDS = [
    ImportField("legal_name", gettext_lazy("Legal name"), (
        "legal name", "name", "full name", "client name", "customer name", "client", "姓名", "客户姓名",
        "客户名称", "名称", "户名", "名字", "企业名称", "公司名称")),
    ImportField("preferred_name", gettext_lazy("Preferred name"), (
        "preferred name", "nickname", "english name", "alias", "昵称", "常用名", "英文名", "别名")),
    ImportField("kind", gettext_lazy("Kind"), (
        "kind", "type", "client type", "customer type", "客户类型", "类型", "类别", "客户类别")),
    ImportField("id_type", gettext_lazy("ID document type"), (
        "id type", "id document type", "document type", "证件类型")),
    ImportField("id_number", gettext_lazy("ID document number"), (
        "id number", "id no", "id", "id document number", "document number", "passport number", "证件号码",
        "证件号", "身份证号", "身份证号码", "身份证", "护照号", "护照号码", "统一社会信用代码", "信用代码")),
    ImportField("birth_date", gettext_lazy("Date of birth / incorporation"), (
        "date of birth", "birth date", "dob", "birthday", "date of incorporation", "出生日期", "生日",
        "成立日期")),
    ImportField("phone", gettext_lazy("Phone"), (
        "phone", "mobile", "mobile phone", "telephone", "tel", "phone number", "cell", "手机", "手机号",
        "手机号码", "电话", "联系电话", "电话号码", "移动电话")),
    ImportField("email", gettext_lazy("E-mail"), (
        "email", "e-mail", "mail", "email address", "邮箱", "电子邮箱", "电子邮件", "邮件", "邮箱地址")),
    ImportField("address", gettext_lazy("Address"), ("address", "地址", "联系地址", "住址", "通讯地址")),
    ImportField("occupation", gettext_lazy("Occupation"), ("occupation", "job", "职业", "工作")),
    ImportField("industry", gettext_lazy("Industry"), ("industry", "sector", "行业", "所属行业")),
    ImportField("income_band", gettext_lazy("Income band"), (
        "income band", "income", "annual income", "收入", "年收入", "收入区间")),
    ImportField("source_of_funds", gettext_lazy("Source of funds"), ("source of funds", "资金来源")),
    ImportField("kyc_status", gettext_lazy("KYC status"), ("kyc status", "kyc", "kyc状态", "尽调状态")),
    ImportField("kyc_date", gettext_lazy("KYC date"), ("kyc date", "kyc日期", "尽调日期")),
    ImportField("investment_preference", gettext_lazy("Investment preference"), (
        "investment preference", "preference", "投资偏好")),
    ImportField("investment_goal", gettext_lazy("Investment goal"), ("investment goal", "goal", "投资目标")),
    ImportField("liquidity_need", gettext_lazy("Liquidity need"), (
        "liquidity need", "liquidity", "流动性需求", "流动性")),
    ImportField("return_expectation", gettext_lazy("Return expectation"), (
        "return expectation", "expected return", "收益预期", "预期收益")),
    ImportField("lifecycle_stage", gettext_lazy("Lifecycle stage"), (
        "lifecycle stage", "lifecycle", "stage", "生命周期", "生命周期阶段", "客户阶段")),
    ImportField("tags", gettext_lazy("Tags"), ("tags", "tag", "标签")),
    ImportField("notes", gettext_lazy("Notes"), ("notes", "note", "remarks", "comment", "comments", "备注", "说明")),
]
FIELDS_BY_NAME = {field.name: field for field in IMPORT_FIELDS}

_CHOICE_FIELDS = {
    "kind": Client.Kind, "id_type": Client.IdType, "income_band": Client.IncomeBand,
    "kyc_status": Client.KycStatus, "investment_preference": Client.InvestmentPreference,
    "investment_goal": Client.InvestmentGoal, "liquidity_need": Client.LiquidityNeed,
    "return_expectation": Client.ReturnExpectation, "lifecycle_stage": Client.LifecycleStage,
}
_DATE_FIELDS = ("birth_date", "kyc_date")
_TEXT_FIELDS = ("address", "occupation", "industry", "source_of_funds", "notes")

# Fields a merge chooses between, one choice each; "id_number" carries its id_type along.
# The lifecycle stage is left out: it changes only through recorded transitions.
MERGE_FIELDS = [
    "kind", "legal_name", "preferred_name", "id_number", "birth_date", "phone", "email", "address", "occupation",
    "industry", "income_band", "source_of_funds", "kyc_status", "kyc_date", "investment_preference",
    "investment_goal", "liquidity_need", "return_expectation", "notes",
]

KEEP, TAKE = "existing", "incoming"
MERGE, SKIP, CREATE = "merge", "skip", "create"
ACTION_LABELS = {
    MERGE: gettext_lazy("Merge"), SKIP: gettext_lazy("Skip"), CREATE: gettext_lazy("Create a new client"),
}
_FILE_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"MZ")
_BATCH = 500


# --- access ----------------------------------------------------------------------

def client_import_list_visible(*, user):
    """The imports a user may open: their own; administrators and compliance see all."""
    imports = ClientImport.objects.select_related("uploaded_by")
    if access.may_read_all_imports(user):
        return imports
    if not access.may_change_clients(user):
        return imports.none()
    return imports.filter(uploaded_by=user)


def _require_import_allowed(user) -> None:
    if not access.may_change_clients(user):
        raise PermissionDenied(_("Only staff who edit clients may import or merge them."))


# --- reading files ----------------------------------------------------------------

def import_file_read(*, data: bytes) -> dict:
    """The file as ``{"headers": [...], "rows": [[row number, [cells]], ...]}``.

    Raises ``ValidationError`` for an empty, too large, unreadable or non-tabular file.
    Cells are JSON-safe: text, numbers, or ISO dates for spreadsheet date cells.
    """
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)d MB; split it into smaller files.")
            % {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if data.startswith(b"PK\x03\x04"):
        table = _xlsx_read(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            _("Old Excel (.xls) files cannot be read; save the sheet as .xlsx or CSV and upload it again."),
            code="xls",
        )
    elif data.startswith(_FILE_SIGNATURES):
        raise ValidationError(_("This is not a spreadsheet: upload a CSV or XLSX file."), code="not_spreadsheet")
    else:
        table = _csv_read(_decode(data))
    rows = [(number, cells) for number, cells in table if any(_cell_text(c) for c in cells)]
    if not rows:
        raise ValidationError(_("The file is empty."), code="empty")
    (_header_number, header_cells), data_rows = rows[0], rows[1:]
    headers = [_cell_text(c) or _("Column %(number)d") % {"number": i + 1} for i, c in enumerate(header_cells)]
    if not data_rows:
        raise ValidationError(_("The file has a header row but no clients below it."), code="no_rows")
    width = max(len(headers), *(len(cells) for _n, cells in data_rows))
    headers += [_("Column %(number)d") % {"number": i + 1} for i in range(len(headers), width)]
    return {"headers": headers, "rows": [[n, cells + [None] * (width - len(cells))] for n, cells in data_rows]}


def _decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), else GB18030 (a superset of GBK and GB2312)."""
    if b"\x00" in data:
        raise ValidationError(
            _("The file is not text in UTF-8 or GB18030 (GBK): it may be UTF-16 or binary. "
              "Save it as “CSV UTF-8” or as .xlsx and upload it again."),
            code="encoding",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(
            _("The file's characters could not be read as UTF-8 or GB18030 (GBK). "
              "Save it as “CSV UTF-8” or as .xlsx and upload it again."),
            code="encoding",
        )
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    if controls:
        raise ValidationError(_("This is not a spreadsheet: upload a CSV or XLSX file."), code="not_spreadsheet")
    return text


def _csv_read(text: str) -> list:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([",", "\t", ";", "|"], key=first_line.count)
    try:
        return [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)]
    except csv.Error as error:
        raise ValidationError(
            _("The CSV file could not be read: %(error)s") % {"error": error}, code="not_spreadsheet"
        )


def _xlsx_read(data: bytes) -> list:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ValidationError(_("This is not a spreadsheet: upload a CSV or XLSX file."), code="not_spreadsheet")
    try:
        sheet = workbook.worksheets[0]
        return [(number, [_cell_json(v) for v in row]) for number, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        workbook.close()


def _cell_json(value):
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


def _cell_text(value) -> str:
    return "" if value is None else str(value).strip()


def file_checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- column mapping ---------------------------------------------------------------

_HEADER_ALIASES = {normalisers.header_key(alias): field.name for field in IMPORT_FIELDS for alias in field.headers}
for _field in IMPORT_FIELDS:
    _HEADER_ALIASES.setdefault(normalisers.header_key(_field.name), _field.name)
    _HEADER_ALIASES.setdefault(normalisers.header_key(str(_field.label)), _field.name)


def import_mapping_guess(headers: list[str]) -> dict[str, str]:
    """``{column index: field}`` for every header recognised; the first column wins a field."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        field = _HEADER_ALIASES.get(normalisers.header_key(header))
        if field and field not in mapping.values():
            mapping[str(index)] = field
    return mapping


def import_mapping_validate(mapping: dict[str, str]) -> None:
    """Refuse a mapping without a legal name and an identifier column, or with a field twice."""
    fields = [f for f in mapping.values() if f]
    unknown = [f for f in fields if f not in FIELDS_BY_NAME]
    if unknown:
        raise ValidationError(_("Unknown field: %(field)s.") % {"field": ", ".join(unknown)}, code="unknown")
    twice = sorted({str(FIELDS_BY_NAME[f].label) for f in fields if fields.count(f) > 1})
    if twice:
        raise ValidationError(
            _("Each field may come from one column only: %(fields)s.") % {"fields": ", ".join(twice)}, code="twice"
        )
    missing = []
    if "legal_name" not in fields:
        missing.append(_("a legal name column"))
    if not set(IDENTIFIER_FIELDS) & set(fields):
        missing.append(_("at least one of the columns ID number, phone or e-mail"))
    if missing:
        raise ValidationError(
            _("Required columns are missing: the file needs %(missing)s.") % {"missing": _(" and ").join(missing)},
            code="missing_columns",
        )


# --- cleaning one row -------------------------------------------------------------

def _name_key(name: str) -> str:
    return re.sub(r"\s+", "", name).casefold()


def _row_clean(cells: dict[str, object]) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """Normalise one row's mapped cells: (values, [(field, error message)], [warnings])."""
    values: dict = {}
    errors: list[tuple[str, str]] = []
    warnings: list[str] = []

    def clean(field, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValidationError as error:
            errors.append((field, " ".join(error.messages)))
            return None

    for field, choices in _CHOICE_FIELDS.items():
        if _cell_text(cells.get(field)):
            values[field] = clean(field, _choice_value, field, cells[field], choices)
    values["legal_name"] = clean("legal_name", normalisers.name_normalise, cells.get("legal_name")) or ""
    if _cell_text(cells.get("preferred_name")):
        values["preferred_name"] = clean("preferred_name", normalisers.name_normalise, cells["preferred_name"])
    values["phone"] = clean("phone", normalisers.phone_normalise, cells.get("phone")) or ""
    values["email"] = clean("email", normalisers.email_normalise, cells.get("email")) or ""
    for field in _DATE_FIELDS:
        if _cell_text(cells.get(field)):
            found = clean(field, normalisers.date_normalise, cells[field])
            values[field] = found.isoformat() if found else None
    for field in _TEXT_FIELDS:
        if _cell_text(cells.get(field)):
            values[field] = " ".join(unicodedata.normalize("NFKC", str(cells[field])).split()) if field != "notes" \
                else str(cells[field]).strip()
    if _cell_text(cells.get("tags")):
        names = re.split(r"[,，;；、|]", unicodedata.normalize("NFKC", str(cells["tags"])))
        values["tags"] = sorted({" ".join(n.split())[:50] for n in names if n.strip()})

    raw_id = _cell_text(cells.get("id_number"))
    values["id_number"] = ""
    if raw_id:
        id_type = values.get("id_type") or normalisers.id_type_guess(raw_id, kind=values.get("kind") or "")
        if not id_type and not any(f == "id_type" for f, _m in errors):
            errors.append(("id_number", _("Give the ID document type: “%(value)s” is not a resident ID number.")
                           % {"value": raw_id}))
        elif id_type:
            values["id_type"] = id_type
            values["id_number"] = clean("id_number", normalisers.id_number_normalise, raw_id, id_type=id_type) or ""
    if values.get("id_type") == Client.IdType.CREDIT_CODE and not values.get("kind"):
        values["kind"] = Client.Kind.CORPORATE
    if values.get("id_type") == Client.IdType.RESIDENT_ID and values["id_number"]:
        embedded = normalisers.resident_id_birth_date(values["id_number"]).isoformat()
        if not values.get("birth_date") and not any(f == "birth_date" for f, _m in errors):
            values["birth_date"] = embedded  # 补全: the ID number holds the birth date
            warnings.append(_("Date of birth filled in from the resident ID number."))
        elif values.get("birth_date") and values["birth_date"] != embedded:
            errors.append(("birth_date", _("The date of birth %(date)s differs from the one in the resident ID "
                                           "number (%(embedded)s).") % {"date": values["birth_date"],
                                                                        "embedded": embedded}))

    if not values["legal_name"] and not any(f == "legal_name" for f, _m in errors):
        errors.append(("legal_name", _("A legal name is required.")))
    if not any(values.get(f) for f in IDENTIFIER_FIELDS) and not any(f in IDENTIFIER_FIELDS for f, _m in errors):
        errors.append(("id_number", _("Give at least one of ID number, phone or e-mail, so the client can be told "
                                      "apart from namesakes.")))
    if not errors:
        errors += _row_model_errors(values)
    values = {k: v for k, v in values.items() if v not in (None, "", [])}
    return values, errors, warnings


def _choice_value(field: str, value, choices) -> str:
    try:
        return normalisers.choice_normalise(value, choices=choices)
    except ValidationError:
        if field != "income_band":
            raise
        try:  # an income given as an amount: find its band
            amount = normalisers.money_normalise(value)
        except ValidationError:
            amount = None
        if amount is None:
            raise
        bounds = [(200_000, "lt_200k"), (500_000, "200k_500k"), (1_000_000, "500k_1m"), (5_000_000, "1m_5m")]
        return next((band for limit, band in bounds if amount < limit), "gt_5m")


def _row_model_errors(values: dict) -> list[tuple[str, str]]:
    """What the model itself refuses (lengths, choices), checked before anything is written."""
    client = Client(**_model_values(values))
    try:
        client.full_clean(exclude=["tags", "primary_manager", "merged_into", "created_by"],
                          validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [(field if field in FIELDS_BY_NAME else "legal_name", " ".join(messages))
                for field, messages in error.message_dict.items()]
    return []


def _model_values(values: dict) -> dict:
    """Row values as model field values (dates parsed, tags left out)."""
    result = {k: v for k, v in values.items() if k != "tags"}
    for field in _DATE_FIELDS:
        if result.get(field):
            result[field] = date.fromisoformat(result[field])
    return result


# --- finding duplicates ---------------------------------------------------------

def _chunks(items: list, size: int = _BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _client_value(client: Client, field: str):
    value = getattr(client, field)
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


def _differences(client: Client, values: dict) -> list[dict]:
    """The fields where an incoming row would change an existing client, with the default choice:
    keep a non-empty existing value, fill a blank one (补全)."""
    rows = []
    for field in MERGE_FIELDS:
        incoming = values.get(field)
        if not incoming:
            continue
        existing = _client_value(client, field)
        if field == "id_number":
            if client.id_type == values.get("id_type") and existing == incoming:
                continue
            existing = f"{client.get_id_type_display()} {existing}" if existing else ""
            incoming = f"{Client.IdType(values['id_type']).label} {incoming}"
        elif existing == incoming:
            continue
        rows.append({"field": field, "existing": _display(field, existing), "incoming": _display(field, incoming),
                     "default": KEEP if existing else TAKE})
    return rows


def _display(field: str, value) -> str:
    choices = _CHOICE_FIELDS.get(field)
    if choices and value in choices.values:
        return str(choices(value).label)
    return str(value)


class _Registry:
    """The existing clients that rows may duplicate, fetched in a few queries per file."""

    def __init__(self, *, user, rows: list[dict]):
        editable = client_list_editable(user=user).exclude(status=Client.Status.MERGED)
        numbers = sorted({r["values"]["id_number"] for r in rows if r["values"].get("id_number")})
        phones = sorted({r["values"]["phone"] for r in rows if r["values"].get("phone")})
        emails = sorted({r["values"]["email"] for r in rows if r["values"].get("email")})
        # The ID constraint spans the whole registry, so exact matches are looked up in all
        # of it; what the user may not edit is only ever reported, never shown or changed.
        self.by_document: dict[tuple[str, str], Client] = {}
        for chunk in _chunks(numbers):
            for client in Client.objects.filter(id_number__in=chunk):
                self.by_document[(client.id_type, client.id_number)] = client
        survivor_ids = {c.merged_into_id for c in self.by_document.values() if c.merged_into_id}
        candidates: dict[int, Client] = {}
        for chunk in _chunks(sorted(survivor_ids)):
            candidates.update((c.pk, c) for c in editable.filter(pk__in=chunk))
        for chunk in _chunks(sorted(c.pk for c in self.by_document.values())):
            candidates.update((c.pk, c) for c in editable.filter(pk__in=chunk))
        for field, keys in (("phone", phones), ("email", emails)):
            for chunk in _chunks(keys):
                candidates.update((c.pk, c) for c in editable.filter(**{f"{field}__in": chunk}))
        self.editable = candidates
        self.by_name_contact: dict[tuple[str, str, str], Client] = {}
        for client in sorted(candidates.values(), key=lambda c: c.pk):
            for field in ("phone", "email"):
                if getattr(client, field):
                    key = (field, _name_key(client.legal_name), getattr(client, field))
                    self.by_name_contact.setdefault(key, client)

    def exact(self, values: dict) -> tuple[Client | None, bool]:
        """(the client holding this ID document, whether the user may merge into it)."""
        client = self.by_document.get((values.get("id_type"), values.get("id_number")))
        if client is None:
            return None, False
        target = self.editable.get(client.merged_into_id or client.pk)
        return (target or client), target is not None

    def likely(self, values: dict) -> tuple[Client | None, str]:
        for field in ("phone", "email"):
            if values.get(field):
                client = self.by_name_contact.get((field, _name_key(values["legal_name"]), values[field]))
                if client is not None:
                    return client, field
        return None, ""


def _rows_analyse(*, user, table: dict, mapping: dict[str, str]) -> list[dict]:
    """Every data row cleaned and matched against the registry and the rows above it."""
    headers = table["headers"]
    column_of = {field: int(index) for index, field in mapping.items() if field}
    rows = []
    for number, cells in table["rows"]:
        mapped = {field: cells[index] for field, index in column_of.items() if index < len(cells)}
        values, errors, warnings = _row_clean(mapped)
        rows.append({
            "row": number, "values": values, "warnings": warnings,
            "errors": [{"field": f, "column": headers[column_of[f]] if f in column_of else "",
                        "message": m} for f, m in errors],
        })
    clean_rows = [r for r in rows if not r["errors"]]
    registry = _Registry(user=user, rows=clean_rows)
    seen_documents: dict[tuple, int] = {}
    seen_contacts: dict[tuple, int] = {}
    for row in clean_rows:
        values = row["values"]
        document = (values.get("id_type"), values["id_number"]) if values.get("id_number") else None
        contacts = [(f, _name_key(values["legal_name"]), values[f]) for f in ("phone", "email") if values.get(f)]
        client, may_edit = registry.exact(values) if document else (None, False)
        if client is not None and not may_edit:
            row["errors"].append({"field": "id_number", "column": _column(headers, column_of, "id_number"),
                                  "message": _("A client with this ID document is already registered and served by "
                                               "another RM; ask your team lead to assign it to you.")})
            continue
        match = "exact" if client else ""
        if client is None:
            client, via = registry.likely(values)
            match = "likely" if client else ""
        if client is not None:
            row["duplicate"] = {
                "source": "registry", "match": match, "client_id": client.pk, "client_name": client.display_name,
                "differences": _differences(client, values),
                "options": [MERGE, SKIP] if match == "exact" else [MERGE, SKIP, CREATE], "default": MERGE,
            }
        else:
            earlier = seen_documents.get(document) if document else None
            match = "exact" if earlier else ""
            if earlier is None:
                earlier = next((seen_contacts[key] for key in contacts if key in seen_contacts), None)
                match = "likely" if earlier else ""
            if earlier is not None:
                row["duplicate"] = {
                    "source": "file", "match": match, "row": earlier, "differences": [],
                    "options": [MERGE, SKIP] if match == "exact" else [MERGE, SKIP, CREATE], "default": MERGE,
                }
        # Later rows with the same document or contacts duplicate this row (or the row it repeats).
        canonical = row["duplicate"]["row"] if row.get("duplicate", {}).get("source") == "file" else row["row"]
        if document:
            seen_documents.setdefault(document, canonical)
        for key in contacts:
            seen_contacts.setdefault(key, canonical)
    return rows


def _column(headers, column_of, field) -> str:
    return headers[column_of[field]] if field in column_of else ""


def _summary(rows: list[dict]) -> dict:
    return {
        "rows": len(rows),
        "errors": sum(1 for r in rows if r["errors"]),
        "duplicates": sum(1 for r in rows if not r["errors"] and "duplicate" in r),
        "new": sum(1 for r in rows if not r["errors"] and "duplicate" not in r),
    }


# --- services ----------------------------------------------------------------------

def client_import_upload(*, user, file_name: str, data: bytes) -> ClientImport:
    """Read an uploaded file and run a first dry run with the guessed column mapping.

    The same user uploading the same file (same checksum) again reuses its unfinished
    import. A bad file raises ``ValidationError`` and leaves no trace.
    """
    _require_import_allowed(user)
    table = import_file_read(data=data)
    checksum = file_checksum(data)
    client_import = ClientImport.objects.filter(
        uploaded_by=user, file_sha256=checksum, status=ClientImport.Status.DRY_RUN
    ).first() or ClientImport(uploaded_by=user, file_sha256=checksum)
    client_import.file_name = file_name[:255]
    client_import.uploaded_at = timezone.now()
    client_import.report = {"table": table}
    mapping = import_mapping_guess(table["headers"])
    client_import_dry_run(client_import=client_import, user=user, mapping=mapping)
    return client_import


def client_import_dry_run(*, client_import: ClientImport, user, mapping: dict[str, str]) -> ClientImport:
    """Check every row with ``mapping`` and store the report; writes no client.

    A mapping lacking required columns is stored with the error in the report, so the
    user can correct it on the mapping page.
    """
    _require_import_allowed(user)
    if client_import.status != ClientImport.Status.DRY_RUN:
        raise ValidationError(_("This import has been committed already."), code="committed")
    table = client_import.report["table"]
    mapping = {str(k): v for k, v in mapping.items() if v}
    client_import.column_mapping = mapping
    try:
        import_mapping_validate(mapping)
    except ValidationError as error:
        client_import.report = {"table": table, "mapping_errors": error.messages, "rows": [],
                                "summary": _summary([])}
    else:
        rows = _rows_analyse(user=user, table=table, mapping=mapping)
        client_import.report = {"table": table, "rows": rows, "summary": _summary(rows), "mapping_errors": []}
    summary = client_import.report["summary"]
    client_import.row_count = len(table["rows"])
    client_import.error_count = summary["errors"]
    client_import.full_clean()
    client_import.save()
    return client_import


def client_import_committed_before(client_import: ClientImport):
    """An earlier committed import of the same file, if any (to warn about re-imports)."""
    return ClientImport.objects.filter(
        file_sha256=client_import.file_sha256, status=ClientImport.Status.COMMITTED
    ).exclude(pk=client_import.pk).first()


def client_import_commit(*, client_import: ClientImport, user, decisions: dict | None = None) -> ClientImport:
    """Write the import in one transaction: new clients, merges and skips, as decided.

    ``decisions`` maps a row number (str) to ``{"action": "merge"|"skip"|"create",
    "fields": {field: "existing"|"incoming"}}``; a row without one takes the defaults
    of the dry run (merge, keeping existing non-empty values and filling blanks).
    The rows are checked again against the registry as it is now. Rows with errors
    are not imported. Clients an RM imports get that RM as their primary RM.
    """
    _require_import_allowed(user)
    decisions = decisions or {}
    try:
        with transaction.atomic():
            locked = ClientImport.objects.select_for_update().get(pk=client_import.pk)
            if locked.status != ClientImport.Status.DRY_RUN:
                raise ValidationError(_("This import has been committed already."), code="committed")
            import_mapping_validate(locked.column_mapping)
            table = locked.report["table"]
            rows = _rows_analyse(user=user, table=table, mapping=locked.column_mapping)
            _commit_rows(client_import=locked, user=user, rows=rows, decisions=decisions)
    except IntegrityError:
        raise ValidationError(
            _("The registry changed while the import was written, and nothing was imported. Check the file again."),
            code="conflict",
        )
    client_import.refresh_from_db()
    return client_import


def _commit_rows(*, client_import: ClientImport, user, rows: list[dict], decisions: dict) -> None:
    by_number = {r["row"]: r for r in rows}
    to_create: dict[int, dict] = {}  # row number -> values
    target_ids = {r["duplicate"]["client_id"] for r in rows if r.get("duplicate", {}).get("source") == "registry"}
    targets = {c.pk: c for c in client_list_editable(user=user).select_for_update().filter(pk__in=target_ids)}
    counts = {"created": 0, "merged": 0, "skipped": 0, "errors": 0}
    reason = _("Import of %(file)s") % {"file": client_import.file_name}

    for row in rows:
        if row["errors"]:
            row["outcome"] = "error"
            continue
        duplicate = row.get("duplicate")
        if duplicate is None:
            to_create[row["row"]] = row["values"]
            continue
        decision = decisions.get(str(row["row"]), {})
        action = decision.get("action") if decision.get("action") in duplicate["options"] else duplicate["default"]
        row["action"] = action
        if action == CREATE:
            to_create[row["row"]] = row["values"]
        elif action == SKIP:
            row["outcome"] = "skipped"
        elif duplicate["source"] == "registry":
            client = targets.get(duplicate["client_id"])
            if client is None:  # no longer editable: never write to it
                row["outcome"] = "skipped"
                continue
            choices = {d["field"]: d["default"] for d in duplicate["differences"]}
            choices.update({f: c for f, c in decision.get("fields", {}).items() if f in choices and c in (KEEP, TAKE)})
            changed = _client_merge_row(client=client, values=row["values"], choices=choices, user=user,
                                        client_import=client_import, row_number=row["row"])
            row["outcome"] = "merged" if changed else "unchanged"
            row["client_id"] = client.pk
        else:
            earlier = duplicate["row"]
            if earlier in to_create:  # fold the row into the earlier one: fill its blanks
                earlier_values = to_create[earlier]
                for field, value in row["values"].items():
                    if field == "tags":
                        earlier_values["tags"] = sorted(set(earlier_values.get("tags", [])) | set(value))
                    elif field == "id_number" and not earlier_values.get("id_number"):
                        earlier_values["id_number"], earlier_values["id_type"] = value, row["values"]["id_type"]
                    elif field not in ("id_number", "id_type") and not earlier_values.get(field):
                        earlier_values[field] = value
                row["outcome"] = "merged_in_file"
            elif by_number[earlier].get("client_id") and by_number[earlier].get("outcome") in ("merged", "unchanged"):
                client = targets[by_number[earlier]["client_id"]]
                choices = {d["field"]: d["default"] for d in _differences(client, row["values"])}
                changed = _client_merge_row(client=client, values=row["values"], choices=choices, user=user,
                                            client_import=client_import, row_number=row["row"])
                row["outcome"] = "merged" if changed else "unchanged"
                row["client_id"] = client.pk
            else:
                row["outcome"] = "skipped"

    created = _clients_create(values_by_row=to_create, user=user, reason=reason)
    for number, client_id in created.items():
        by_number[number]["outcome"] = "created"
        by_number[number]["client_id"] = client_id
    for row in rows:
        outcome = row.get("outcome")
        if outcome == "created":
            counts["created"] += 1
        elif outcome == "merged":
            counts["merged"] += 1
        elif outcome == "error":
            counts["errors"] += 1
        else:
            counts["skipped"] += 1

    client_import.report = {**client_import.report, "rows": rows, "summary": _summary(rows), "result": counts}
    client_import.status = ClientImport.Status.COMMITTED
    client_import.committed_at = timezone.now()
    client_import.row_count = len(rows)
    client_import.created_count = counts["created"]
    client_import.updated_count = counts["merged"]
    client_import.skipped_count = counts["skipped"]
    client_import.error_count = counts["errors"]
    client_import.save()


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
        Client(**_model_values(values_by_row[n]), created_by=user, created_at=now, primary_manager=manager)
        for n in numbers
    ]
    clients = bulk_create_with_history(clients, Client, batch_size=_BATCH, default_user=user,
                                       default_change_reason=reason[:100])
    if manager is not None:
        assignments = [Assignment(client=c, manager=manager, role=Assignment.Role.PRIMARY, started_at=now,
                                  reason=reason[:255], assigned_by=user) for c in clients]
        bulk_create_with_history(assignments, Assignment, batch_size=_BATCH, default_user=user,
                                 default_change_reason=reason[:100])
    # Every client's first stage is recorded, as client_create does for one client.
    LifecycleTransition.objects.bulk_create(
        [LifecycleTransition(client=c, from_stage="", to_stage=c.lifecycle_stage, reason=reason[:255],
                             changed_by=user, changed_at=now) for c in clients],
        batch_size=_BATCH,
    )
    tags_by_client = {c.pk: values_by_row[n].get("tags", []) for n, c in zip(numbers, clients)}
    _tags_add(tags_by_client)
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
        ignore_conflicts=True, batch_size=_BATCH,
    )


# --- merging -----------------------------------------------------------------------

def client_snapshot(client: Client) -> dict:
    """The client's own fields and tags as JSON, for a merge trace."""
    snapshot = {}
    for field in client._meta.concrete_fields:
        value = getattr(client, field.attname)
        snapshot[field.attname] = value.isoformat() if isinstance(value, (date, datetime)) else (
            str(value) if value is not None and not isinstance(value, (int, str, bool)) else value)
    snapshot["tags"] = sorted(client.tags.values_list("name", flat=True)) if client.pk else []
    return snapshot


def _client_merge_row(*, client: Client, values: dict, choices: dict, user, client_import, row_number: int) -> bool:
    """Apply one import row to an existing client by the field choices; False when nothing changes."""
    taken = [field for field, choice in choices.items() if choice == TAKE]
    new_tags = set(values.get("tags", [])) - set(client.tags.values_list("name", flat=True))
    if not taken and not new_tags:
        return False
    snapshot = client_snapshot(client)
    model_values = _model_values(values)
    update_fields = []
    for field in taken:
        setattr(client, field, model_values[field])
        update_fields.append(field)
        if field == "id_number":
            client.id_type = model_values["id_type"]
            update_fields.append("id_type")
    client.full_clean(exclude=["tags"], validate_unique=False)
    client._change_reason = (_("Merged import row %(row)d") % {"row": row_number})[:100]
    client.save(update_fields=[*update_fields, "updated_at"])
    if new_tags:
        _tags_add({client.pk: sorted(new_tags)})
    ClientMerge.objects.create(
        surviving_client=client, merged_client=None, surviving_snapshot=snapshot,
        merged_snapshot={"import_row": row_number, **values}, field_choices=choices,
        source_import=client_import, merged_by=user,
    )
    return True


def client_merge_differences(*, surviving: Client, merged: Client) -> list[dict]:
    """The fields on which two records differ, with the default choice: keep the surviving
    record's non-empty value, take the merged record's value where the survivor has none."""
    rows = []
    for field in MERGE_FIELDS:
        mine, theirs = _client_value(surviving, field), _client_value(merged, field)
        if field == "id_number":
            if not theirs or (mine == theirs and surviving.id_type == merged.id_type):
                continue
            mine = f"{surviving.get_id_type_display()} {mine}" if mine else ""
            theirs = f"{merged.get_id_type_display()} {theirs}"
        elif not theirs or mine == theirs:
            continue
        rows.append({"field": field, "existing": _display(field, mine), "incoming": _display(field, theirs),
                     "default": KEEP if mine else TAKE})
    return rows


@transaction.atomic
def client_merge(*, surviving: Client, merged: Client, user, field_choices: dict[str, str] | None = None) -> ClientMerge:
    """Merge ``merged`` into ``surviving``, field by field (``"existing"`` keeps the surviving
    value, ``"incoming"`` takes the merged record's); tags are united.

    Both must be records the user may edit. The merged record is kept, with status
    MERGED and ``merged_into`` set; if its ID document moves to the survivor it is
    cleared on the merged record (the snapshot in the ``ClientMerge`` keeps it).
    """
    _require_import_allowed(user)
    if surviving.pk == merged.pk:
        raise ValidationError(_("A client cannot be merged into itself."), code="same")
    locked = {c.pk: c for c in client_list_editable(user=user).select_for_update().filter(
        pk__in=[surviving.pk, merged.pk])}
    if len(locked) != 2:
        raise PermissionDenied(_("You may merge only clients you serve."))
    surviving, merged = locked[surviving.pk], locked[merged.pk]
    if Client.Status.MERGED in (surviving.status, merged.status):
        raise ValidationError(_("This record has been merged into another one already."), code="merged")
    differences = client_merge_differences(surviving=surviving, merged=merged)
    choices = {d["field"]: d["default"] for d in differences}
    choices.update({f: c for f, c in (field_choices or {}).items() if f in choices and c in (KEEP, TAKE)})
    surviving_snapshot, merged_snapshot = client_snapshot(surviving), client_snapshot(merged)

    merged.status = Client.Status.MERGED
    merged.merged_into = surviving
    merged_fields = ["status", "merged_into", "updated_at"]
    if choices.get("id_number") == TAKE:
        merged.id_number = ""  # the document moves; two records may not hold it at once
        merged_fields.append("id_number")
    merged._change_reason = (_("Merged into client %(id)d") % {"id": surviving.pk})[:100]
    merged.save(update_fields=merged_fields)

    update_fields = []
    for field, choice in choices.items():
        if choice != TAKE:
            continue
        if field == "id_number":
            surviving.id_type, surviving.id_number = merged_snapshot["id_type"], merged_snapshot["id_number"]
            update_fields += ["id_type", "id_number"]
        else:
            setattr(surviving, field, getattr(merged, field))
            update_fields.append(field)
    surviving.full_clean(exclude=["tags"])
    surviving._change_reason = (_("Merged client %(id)d into this record") % {"id": merged.pk})[:100]
    surviving.save(update_fields=[*update_fields, "updated_at"])
    surviving.tags.add(*merged.tags.all())
    record = ClientMerge(
        surviving_client=surviving, merged_client=merged, surviving_snapshot=surviving_snapshot,
        merged_snapshot=merged_snapshot, field_choices=choices, merged_by=user,
    )
    record.full_clean()
    record.save()
    return record


def client_duplicates_suggest(*, user, client: Client, limit: int = 10) -> list[Client]:
    """Editable records that look like the same person or company as ``client``."""
    from django.db.models import Q

    condition = Q()
    if client.phone:
        condition |= Q(phone=client.phone)
    if client.email:
        condition |= Q(email=client.email)
    condition |= Q(legal_name=client.legal_name)
    candidates = client_list_editable(user=user).exclude(pk=client.pk).exclude(
        status=Client.Status.MERGED).filter(condition)[:limit]
    name = _name_key(client.legal_name)
    return [c for c in candidates if _name_key(c.legal_name) == name]
