"""The columns of a client file and the cleaning of one row (格式统一 / 纠错 / 补全).

A row needs a legal name and at least one of ID number, phone or e-mail: without one of
them a client cannot be told apart from a namesake, so it could not be de-duplicated.
Every value is cleaned by ``crm.normalisers``; what the model itself would refuse
(lengths, choices) is checked here too, so the commit refuses nothing the dry run passed.
"""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dataimport.columns import Column, cell_text
from dataimport.engine import Row

from .. import access, normalisers
from ..models import Client

IDENTIFIER_FIELDS = ("id_number", "phone", "email")
# Codes of row errors that come from the database, not the cells (see ``row_restore``).
DATABASE_ERRORS = ("registration_refused",)

# The columns an import can fill, with the headers that map to them automatically
# (compared by dataimport.columns.header_key; their names and labels match too).
CLIENT_COLUMNS = (
    Column("legal_name", gettext_lazy("Legal name"), (
        "legal name", "name", "full name", "client name", "customer name", "client", "姓名", "客户姓名",
        "客户名称", "名称", "户名", "名字", "企业名称", "公司名称")),
    Column("preferred_name", gettext_lazy("Preferred name"), (
        "preferred name", "nickname", "english name", "alias", "昵称", "常用名", "英文名", "别名")),
    Column("kind", gettext_lazy("Kind"), (
        "kind", "type", "client type", "customer type", "客户类型", "类型", "类别", "客户类别")),
    Column("id_type", gettext_lazy("ID document type"), (
        "id type", "id document type", "document type", "证件类型")),
    Column("id_number", gettext_lazy("ID document number"), (
        "id number", "id no", "id", "id document number", "document number", "passport number", "证件号码",
        "证件号", "身份证号", "身份证号码", "身份证", "护照号", "护照号码", "统一社会信用代码", "信用代码")),
    Column("birth_date", gettext_lazy("Date of birth / incorporation"), (
        "date of birth", "birth date", "dob", "birthday", "date of incorporation", "出生日期", "生日",
        "成立日期")),
    Column("phone", gettext_lazy("Phone"), (
        "phone", "mobile", "mobile phone", "telephone", "tel", "phone number", "cell", "手机", "手机号",
        "手机号码", "电话", "联系电话", "电话号码", "移动电话")),
    Column("email", gettext_lazy("E-mail"), (
        "email", "e-mail", "mail", "email address", "邮箱", "电子邮箱", "电子邮件", "邮件", "邮箱地址")),
    Column("address", gettext_lazy("Address"), ("address", "地址", "联系地址", "住址", "通讯地址")),
    Column("occupation", gettext_lazy("Occupation"), ("occupation", "job", "职业", "工作")),
    Column("industry", gettext_lazy("Industry"), ("industry", "sector", "行业", "所属行业")),
    Column("income_band", gettext_lazy("Income band"), (
        "income band", "income", "annual income", "收入", "年收入", "收入区间")),
    Column("source_of_funds", gettext_lazy("Source of funds"), ("source of funds", "资金来源")),
    Column("kyc_status", gettext_lazy("KYC status"), ("kyc status", "kyc", "kyc状态", "尽调状态")),
    Column("kyc_date", gettext_lazy("KYC date"), ("kyc date", "kyc日期", "尽调日期")),
    Column("investment_preference", gettext_lazy("Investment preference"), (
        "investment preference", "preference", "投资偏好")),
    Column("investment_goal", gettext_lazy("Investment goal"), ("investment goal", "goal", "投资目标")),
    Column("liquidity_need", gettext_lazy("Liquidity need"), (
        "liquidity need", "liquidity", "流动性需求", "流动性")),
    Column("return_expectation", gettext_lazy("Return expectation"), (
        "return expectation", "expected return", "收益预期", "预期收益")),
    Column("lifecycle_stage", gettext_lazy("Lifecycle stage"), (
        "lifecycle stage", "lifecycle", "stage", "生命周期", "生命周期阶段", "客户阶段")),
    Column("tags", gettext_lazy("Tags"), ("tags", "tag", "标签")),
    Column("notes", gettext_lazy("Notes"), ("notes", "note", "remarks", "comment", "comments", "备注", "说明")),
    Column("manager", gettext_lazy("Relationship manager"), (
        "rm", "relationship manager", "manager", "account manager", "client manager", "primary rm",
        "客户经理", "理财经理", "专属客户经理", "主客户经理", "负责客户经理")),
)
COLUMNS_BY_KEY = {column.key: column for column in CLIENT_COLUMNS}

CHOICE_FIELDS = {
    "kind": Client.Kind, "id_type": Client.IdType, "income_band": Client.IncomeBand,
    "kyc_status": Client.KycStatus, "investment_preference": Client.InvestmentPreference,
    "investment_goal": Client.InvestmentGoal, "liquidity_need": Client.LiquidityNeed,
    "return_expectation": Client.ReturnExpectation, "lifecycle_stage": Client.LifecycleStage,
}
DATE_FIELDS = ("birth_date", "kyc_date")
_TEXT_FIELDS = ("address", "occupation", "industry", "source_of_funds", "notes")


class Managers:
    """The staff an importer may make the primary RM of new clients, found by username or name.

    Those ``access.manager_list_assignable`` offers the importer, and an importing RM themself
    (their clients are theirs anyway). Names are compared without case or spaces, in either
    order of given and family name ("Wang Fang", "Fang Wang", "王芳").
    """

    def __init__(self, *, user):
        staff = {m.pk: m for m in access.manager_list_assignable(user=user)}
        if access.is_relationship_manager(user):
            staff[user.pk] = user
        self.by_username = {m.username.casefold(): m for m in staff.values()}
        self.by_name: dict[str, list] = {}
        for manager in staff.values():
            names = {manager.get_full_name(), f"{manager.last_name} {manager.first_name}"}
            for name in {_name_key(n) for n in names if n.strip()}:
                self.by_name.setdefault(name, []).append(manager)

    def find(self, value) -> object:
        """The member of staff ``value`` names; ``ValidationError`` when none or several."""
        text = " ".join(unicodedata.normalize("NFKC", str(value)).split())
        found = self.by_username.get(text.casefold())
        if found is not None:
            return found
        named = self.by_name.get(_name_key(text), [])
        if len(named) > 1:
            raise ValidationError(_("“%(value)s” names more than one member of staff; give the username.")
                                  % {"value": text}, code="ambiguous")
        if not named:
            raise ValidationError(_("“%(value)s” is not a relationship manager you may assign clients to; "
                                    "give the username or full name of one.") % {"value": text}, code="invalid")
        return named[0]


def _name_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def row_manager(row: Row, managers: Managers) -> None:
    """The RM column of a checked row, as the id and name of the member of staff it names."""
    if not row.text("manager"):
        return
    try:
        manager = managers.find(row.cell("manager"))
    except ValidationError as error:
        row.error("manager", " ".join(error.messages))
        return
    row.entry["values"].update(manager_id=manager.pk, manager=manager.get_full_name() or manager.username)


def row_restore(row: Row, entry: dict) -> bool:
    """Put back on ``row`` what ``row_clean`` made of it, from its entry in a stored report: the values,
    errors and warnings without those the RM column (``row_manager``) and the duplicate search
    (``matching``) added, which depend on the database and are checked again."""
    if "values" not in entry:
        return False
    row.entry["values"] = {k: v for k, v in entry["values"].items() if k not in ("manager_id", "manager")}
    row.entry["errors"] = [e for e in entry["errors"] if e["field"] != "manager" and e.get("code") not in DATABASE_ERRORS]
    warnings = list(entry["warnings"])
    if entry.get("duplicate", {}).get("source") == "registry" and entry["values"].get("manager"):
        warnings.pop()  # the RM-column warning of a registry duplicate, added last (ClientsImport.describe)
    row.entry["warnings"] = warnings
    return True


def missing_columns_message(missing: list[tuple[str, ...]]) -> str:
    parts = [_("a legal name column") if group == ("legal_name",)
             else _("at least one of the columns ID number, phone or e-mail") for group in missing]
    return _("Required columns are missing: the file needs %(missing)s.") % {"missing": _(" and ").join(parts)}


def row_clean(row: Row) -> None:
    """Normalise one row into ``row.entry["values"]`` (JSON-safe), with its errors and warnings."""
    values: dict = {}
    texts = {key: cell_text(value) for key, value in row.cells.items()}  # each cell's text, once

    def clean(field, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValidationError as error:
            row.error(field, " ".join(error.messages))
            return None

    for field, choices in CHOICE_FIELDS.items():
        if texts.get(field):
            values[field] = clean(field, _choice_value, field, row.cell(field), choices)
    values["legal_name"] = clean("legal_name", normalisers.name_normalise, row.cell("legal_name")) or ""
    if texts.get("preferred_name"):
        values["preferred_name"] = clean("preferred_name", normalisers.name_normalise, row.cell("preferred_name"))
    values["phone"] = clean("phone", normalisers.phone_normalise, row.cell("phone")) or ""
    values["email"] = clean("email", normalisers.email_normalise, row.cell("email")) or ""
    for field in DATE_FIELDS:
        if texts.get(field):
            found = clean(field, normalisers.date_normalise, row.cell(field))
            values[field] = found.isoformat() if found else None
    for field in _TEXT_FIELDS:
        if texts.get(field):
            values[field] = " ".join(unicodedata.normalize("NFKC", str(row.cell(field))).split()) \
                if field != "notes" else texts[field]
    if texts.get("tags"):
        names = re.split(r"[,，;；、|]", unicodedata.normalize("NFKC", str(row.cell("tags"))))
        values["tags"] = sorted({" ".join(n.split())[:50] for n in names if n.strip()})

    raw_id = texts.get("id_number", "")
    values["id_number"] = ""
    if raw_id:
        id_type = values.get("id_type") or normalisers.id_type_guess(raw_id, kind=values.get("kind") or "")
        if not id_type and not row.has_error_in("id_type"):
            row.error("id_number", _("Give the ID document type: “%(value)s” is not a resident ID number.")
                      % {"value": raw_id})
        elif id_type:
            values["id_type"] = id_type
            values["id_number"] = clean("id_number", normalisers.id_number_normalise, raw_id, id_type=id_type) or ""
    if values.get("id_type") == Client.IdType.CREDIT_CODE and not values.get("kind"):
        values["kind"] = Client.Kind.CORPORATE
    if values.get("id_type") == Client.IdType.RESIDENT_ID and values["id_number"]:
        embedded = normalisers.resident_id_birth_date(values["id_number"]).isoformat()
        if not values.get("birth_date") and not row.has_error_in("birth_date"):
            values["birth_date"] = embedded  # 补全: the ID number holds the birth date
            row.warn(_("Date of birth filled in from the resident ID number."))
        elif values.get("birth_date") and values["birth_date"] != embedded:
            row.error("birth_date", _("The date of birth %(date)s differs from the one in the resident ID "
                                      "number (%(embedded)s).") % {"date": values["birth_date"], "embedded": embedded})

    if not values["legal_name"] and not row.has_error_in("legal_name"):
        row.error("legal_name", _("A legal name is required."))
    if not any(values.get(f) for f in IDENTIFIER_FIELDS) and not row.has_error_in(*IDENTIFIER_FIELDS):
        row.error("id_number", _("Give at least one of ID number, phone or e-mail, so the client can be told "
                                 "apart from namesakes."))
    if not row.has_errors:
        _model_errors(row, values)
    row.entry["values"] = {k: v for k, v in values.items() if v not in (None, "", [])}


def _choice_value(field: str, value, choices) -> str:
    try:
        return normalisers.choice_normalise(value, choices=choices)
    except ValidationError:
        if field != "income_band":
            raise
        try:  # an income given as an amount: find its band
            amount = normalisers.money_normalise(value)
        except (ValidationError, ArithmeticError):  # ArithmeticError: too many digits to round to cents
            amount = None
        if amount is None:
            raise
        bounds = [(200_000, "lt_200k"), (500_000, "200k_500k"), (1_000_000, "500k_1m"), (5_000_000, "1m_5m")]
        return next((band for limit, band in bounds if amount < limit), "gt_5m")


_CLIENT_FIELDS = {field.name: field for field in Client._meta.concrete_fields}
_CHOICES_VALID: set[tuple[str, str]] = set()


def _model_errors(row: Row, values: dict) -> None:
    """What the model itself refuses (lengths, choices), checked before anything is written.

    Each field the row fills is cleaned as ``Model.clean_fields`` cleans it, without building a
    ``Client`` (a third of the check's time): none of these fields reads the instance, and
    ``Client`` adds no ``clean()``. The other fields keep their defaults, which validate (a test
    says so).
    """
    for name, value in model_values(values).items():
        if (name, value) in _CHOICES_VALID:
            continue
        field = _CLIENT_FIELDS[name]
        if field.blank and value in field.empty_values:
            continue
        try:
            field.clean(value, None)
        except ValidationError as error:
            row.error(name if name in COLUMNS_BY_KEY else "legal_name", " ".join(error.messages))
        else:
            if name in CHOICE_FIELDS:  # a few values, thousands of cells: each checked once a process
                _CHOICES_VALID.add((name, value))


def model_values(values: dict) -> dict:
    """Row values as model field values (dates parsed; tags and the RM, written on their own, left out)."""
    result = {k: v for k, v in values.items() if k not in ("tags", "manager", "manager_id")}
    for field in DATE_FIELDS:
        if result.get(field):
            result[field] = date.fromisoformat(result[field])
    return result
