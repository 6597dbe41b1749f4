"""Positions and prices files from custodians (CSV or XLSX): read, check row by row, then commit.

``*_import_check`` is the dry run: it writes nothing and reports every row's errors
(row, column, message) and what the file would change. ``*_import_commit`` checks again
against the database as it is now and, only if no row has an error, applies the file in
one transaction through ``holding_upsert`` / ``instrument_price_record``, then revalues the
clients whose holdings changed (``valuation_refresh`` raises the stop-loss, drawdown and
concentration alerts). Importing the same file twice changes nothing the second time.

A positions row may only name a client the importing user can edit; any other client is
"unknown", whether or not it exists.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import imports as crm_imports
from crm import normalisers
from crm.models import Client
from crm.access import client_list_editable
from crm.scales import ProductRiskRating

from . import selectors, services
from .models import Account, AssetClass, Holding, Institution, Instrument, InstrumentPrice, LiquidityTier

POSITIONS, PRICES = "positions", "prices"

QUANTITY_PLACES = Decimal("0.000001")
# The largest values the columns hold (max_digits 20/24 with 2/6 decimals).
MONEY_MAX = Decimal("1e18")
QUANTITY_MAX = Decimal("1e18")


class ImportFileError(ValidationError):
    """The file as a whole cannot be read: nothing in it is looked at, nothing changes."""


# --- Columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translatable name, shown in reports
    aliases: tuple[str, ...]  # normalised header spellings, English and Chinese


def _column(key, label, *aliases) -> Column:
    return Column(key, label, tuple(normalisers.header_key(a) for a in aliases))


POSITION_COLUMNS = (
    _column("client_id_number", gettext_lazy("client ID number"),
            "client id number", "id number", "id no", "证件号码", "客户证件号码", "证件号", "身份证号码", "身份证号"),
    _column("client_id", gettext_lazy("client id"), "client id", "client", "客户编号", "客户id", "客户号"),
    _column("account_number", gettext_lazy("account number"),
            "account number", "account no", "account", "账号", "账户号码", "账户号", "资金账号"),
    _column("institution", gettext_lazy("institution"),
            "institution", "bank", "custodian", "机构", "托管机构", "开户机构", "开户行", "银行"),
    _column("account_kind", gettext_lazy("account kind"), "account kind", "account type", "账户类型", "账户种类"),
    _column("instrument_code", gettext_lazy("instrument code"),
            "instrument code", "code", "isin", "ticker", "product code", "security code",
            "产品代码", "证券代码", "代码"),
    _column("name", gettext_lazy("name"), "name", "instrument name", "product name", "security name",
            "产品名称", "证券名称", "名称"),
    _column("asset_class", gettext_lazy("asset class"), "asset class", "资产类别", "资产类型", "资产分类"),
    _column("region", gettext_lazy("region"), "region", "地区", "区域", "市场"),
    _column("industry", gettext_lazy("industry"), "industry", "sector", "行业"),
    _column("issuer", gettext_lazy("issuer"), "issuer", "发行人", "发行机构"),
    _column("currency", gettext_lazy("currency"), "currency", "ccy", "币种", "货币"),
    _column("liquidity_tier", gettext_lazy("liquidity tier"), "liquidity tier", "liquidity", "流动性"),
    _column("risk_rating", gettext_lazy("risk rating"),
            "risk rating", "product risk rating", "风险等级", "产品风险等级", "风险评级"),
    _column("quantity", gettext_lazy("quantity"), "quantity", "units", "shares", "数量", "份额", "持有数量", "持仓数量"),
    _column("cost", gettext_lazy("cost"), "cost", "cost basis", "book cost", "成本", "持仓成本", "买入成本"),
    _column("market_value", gettext_lazy("market value"), "market value", "value", "市值", "参考市值", "持仓市值"),
    _column("valuation_date", gettext_lazy("valuation date"),
            "valuation date", "as of", "as of date", "date", "估值日期", "日期", "估值日"),
)
POSITION_REQUIRED = ("account_number", "instrument_code", "currency", "quantity", "market_value", "valuation_date")

PRICE_COLUMNS = (
    _column("instrument_code", gettext_lazy("instrument code"),
            "instrument code", "code", "isin", "ticker", "product code", "security code",
            "产品代码", "证券代码", "代码"),
    _column("price_date", gettext_lazy("price date"), "price date", "date", "as of", "价格日期", "日期", "净值日期"),
    _column("price", gettext_lazy("price"), "price", "close", "closing price", "nav", "价格", "收盘价", "净值", "单位净值"),
    _column("currency", gettext_lazy("currency"), "currency", "ccy", "币种", "货币"),
)
PRICE_REQUIRED = ("instrument_code", "price_date", "price", "currency")


# Custodians' words for our choices, besides our own values and labels.
ASSET_CLASS_ALIASES = {
    "现金": AssetClass.CASH, "存款": AssetClass.CASH, "现金及存款": AssetClass.CASH, "现金存款": AssetClass.CASH,
    "deposit": AssetClass.CASH, "deposits": AssetClass.CASH, "cash": AssetClass.CASH,
    "固定收益": AssetClass.FIXED_INCOME, "债券": AssetClass.FIXED_INCOME, "bond": AssetClass.FIXED_INCOME,
    "bonds": AssetClass.FIXED_INCOME,
    "股票": AssetClass.EQUITY, "权益": AssetClass.EQUITY, "equities": AssetClass.EQUITY, "stock": AssetClass.EQUITY,
    "基金": AssetClass.FUND, "funds": AssetClass.FUND,
    "保险": AssetClass.INSURANCE,
    "房地产": AssetClass.REAL_ESTATE, "不动产": AssetClass.REAL_ESTATE, "property": AssetClass.REAL_ESTATE,
    "贵金属": AssetClass.PHYSICAL, "实物资产": AssetClass.PHYSICAL, "贵金属及实物": AssetClass.PHYSICAL,
    "gold": AssetClass.PHYSICAL, "precious metals": AssetClass.PHYSICAL,
    "另类": AssetClass.ALTERNATIVES, "另类投资": AssetClass.ALTERNATIVES, "alternative": AssetClass.ALTERNATIVES,
    "其他": AssetClass.OTHER, "其它": AssetClass.OTHER,
}
ACCOUNT_KIND_ALIASES = {
    "存款": Account.Kind.DEPOSIT, "存款账户": Account.Kind.DEPOSIT, "bank": Account.Kind.DEPOSIT,
    "证券": Account.Kind.BROKERAGE, "证券账户": Account.Kind.BROKERAGE, "经纪": Account.Kind.BROKERAGE,
    "securities": Account.Kind.BROKERAGE,
    "基金": Account.Kind.FUND, "基金账户": Account.Kind.FUND,
    "保险": Account.Kind.INSURANCE, "保单": Account.Kind.INSURANCE, "insurance": Account.Kind.INSURANCE,
    "不动产": Account.Kind.REAL_ESTATE, "房地产": Account.Kind.REAL_ESTATE,
    "实物": Account.Kind.PHYSICAL, "实物资产": Account.Kind.PHYSICAL,
    "其他": Account.Kind.OTHER, "其它": Account.Kind.OTHER,
}
LIQUIDITY_ALIASES = {
    "t+0": LiquidityTier.SAME_DAY, "当日": LiquidityTier.SAME_DAY, "实时": LiquidityTier.SAME_DAY,
    "1个月内": LiquidityTier.MONTH, "一个月内": LiquidityTier.MONTH, "1 month": LiquidityTier.MONTH,
    "1年内": LiquidityTier.YEAR, "一年内": LiquidityTier.YEAR, "1 year": LiquidityTier.YEAR,
    "1年以上": LiquidityTier.OVER_YEAR, "一年以上": LiquidityTier.OVER_YEAR, "over 1 year": LiquidityTier.OVER_YEAR,
}
# The account a new position opens when the file gives no account kind.
ACCOUNT_KIND_FOR_CLASS = {
    AssetClass.CASH: Account.Kind.DEPOSIT, AssetClass.FUND: Account.Kind.FUND,
    AssetClass.INSURANCE: Account.Kind.INSURANCE, AssetClass.REAL_ESTATE: Account.Kind.REAL_ESTATE,
    AssetClass.PHYSICAL: Account.Kind.PHYSICAL, AssetClass.EQUITY: Account.Kind.BROKERAGE,
    AssetClass.FIXED_INCOME: Account.Kind.BROKERAGE,
}


# --- Reading the file -------------------------------------------------------------------


@dataclass
class Table:
    file_name: str
    checksum: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (the spreadsheet's row number, cells as text)

    def as_session(self) -> dict:
        return {"file_name": self.file_name, "checksum": self.checksum, "headers": self.headers, "rows": self.rows}

    @classmethod
    def from_session(cls, data: dict) -> "Table":
        return cls(data["file_name"], data["checksum"], data["headers"], [tuple(row) for row in data["rows"]])


def table_read(*, content: bytes, file_name: str) -> Table:
    """The header and data rows of a CSV (UTF-8 with or without BOM, or GB18030) or XLSX file,
    read as the client import reads its files.

    Raises ``ImportFileError`` for a file too large, not a spreadsheet, in an unknown encoding,
    or without data rows.
    """
    try:
        read = crm_imports.import_file_read(data=content)
    except ValidationError as error:
        if error.code == "no_rows":
            raise ImportFileError(_("The file has a header row but no data rows."), code="empty") from error
        raise ImportFileError(" ".join(error.messages), code=error.code) from error
    # Cells are kept as text, so the rows kept between the dry run and the commit read the same.
    return Table(file_name=file_name, checksum=crm_imports.file_checksum(content), headers=read["headers"],
                 rows=[(number, [_cell_text(c) for c in cells]) for number, cells in read["rows"]])


def _cell_text(value) -> str:
    return "" if value is None else str(value)


def columns_map(headers: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    """Which position each known column is at; the first matching header wins, unknown ones are ignored."""
    found: dict[str, int] = {}
    normalised = [normalisers.header_key(h) for h in headers]
    for column in columns:
        for index, header in enumerate(normalised):
            if header in column.aliases and index not in found.values():
                found[column.key] = index
                break
    return found


def _missing_columns(found: dict, columns: tuple[Column, ...], required: tuple[str, ...], *, kind: str) -> None:
    labels = {c.key: c.label for c in columns}
    missing = [str(labels[key]) for key in required if key not in found]
    if kind == POSITIONS and "client_id_number" not in found and "client_id" not in found:
        missing.insert(0, str(labels["client_id_number"]))
    if missing:
        raise ImportFileError(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)}, code="columns")


# --- Cells ------------------------------------------------------------------------------


class CellError(Exception):
    pass


def _text(value) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _not_negative(number: Decimal, maximum: Decimal) -> Decimal:
    if number < 0:
        raise CellError(_("Cannot be negative."))
    if number >= maximum:
        raise CellError(_("The number is too large."))
    return number


def _money(value) -> Decimal:
    try:
        amount = normalisers.money_normalise(value)
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None
    if amount is None:
        raise CellError(_("A number is required."))
    return _not_negative(amount, MONEY_MAX)


def _decimal(value, *, places: Decimal, maximum: Decimal) -> Decimal:
    """A quantity or price: more decimals than money, no currency units."""
    text = _text(value).replace(",", "").replace(" ", "")
    if not text:
        raise CellError(_("A number is required."))
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": _text(value)})
    return _not_negative(number.quantize(places, rounding=ROUND_HALF_UP), maximum)


def _date(value) -> date:
    try:
        parsed = normalisers.date_normalise(value)
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None
    if parsed is None:
        raise CellError(_("A date is required."))
    if parsed > timezone.localdate():
        raise CellError(_("The date %(date)s is in the future.") % {"date": parsed.isoformat()})
    return parsed


CURRENCY_ALIASES = {"RMB": "CNY", "人民币": "CNY", "美元": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR"}


def _currency(value) -> str:
    code = _text(value).upper()
    code = CURRENCY_ALIASES.get(code, code)
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise CellError(_("“%(value)s” is not a currency code.") % {"value": _text(value)})
    return code


def _choice(value, choices, aliases: dict) -> str:
    try:
        return normalisers.choice_normalise(value, choices=choices, aliases=aliases)
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None


# --- Report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    message: str


@dataclass(frozen=True)
class RowChange:
    row: int
    action: str  # "new", "update" or "unchanged"
    subject: str
    detail: str = ""


@dataclass
class ImportReport:
    kind: str
    file_name: str
    checksum: str
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False
    refreshed_client_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def new_count(self) -> int:
        return self.count("new")

    @property
    def update_count(self) -> int:
        return self.count("update")

    @property
    def unchanged_count(self) -> int:
        return self.count("unchanged")

    @property
    def error_rows(self) -> int:
        return len({error.row for error in self.errors})


class _FxCheck:
    """Whether a currency can be valued in the base currency on a date; remembers each answer."""

    def __init__(self):
        self.known: dict[tuple[str, date], bool] = {}

    def __call__(self, currency: str, on_date: date) -> bool:
        key = (currency, on_date)
        if key not in self.known:
            try:
                selectors.fx_rate(currency=currency, on_date=on_date)
                self.known[key] = True
            except ValidationError:
                self.known[key] = False
        return self.known[key]


def _no_fx_message(currency: str, on_date: date) -> str:
    return _("Unknown currency %(currency)s: no exchange rate to %(base)s on or before %(date)s.") % {
        "currency": currency, "base": selectors.base_currency(), "date": on_date.isoformat()}


# --- Positions --------------------------------------------------------------------------


@dataclass
class _PositionRow:
    row: int
    client: Client
    account: Account | None  # None: opened on commit
    account_number: str
    institution_name: str
    account_kind: str
    instrument: Instrument | None  # None: created on commit
    instrument_fields: dict
    quantity: Decimal
    cost: Decimal | None  # None: the market value (for a new holding) or the current cost
    market_value: Decimal
    currency: str
    valuation_date: date


def _positions_parse(table: Table, *, user) -> tuple[ImportReport, list[_PositionRow]]:
    report = ImportReport(kind=POSITIONS, file_name=table.file_name, checksum=table.checksum,
                          row_count=len(table.rows))
    found = columns_map(table.headers, POSITION_COLUMNS)
    _missing_columns(found, POSITION_COLUMNS, POSITION_REQUIRED, kind=POSITIONS)
    labels = {c.key: str(c.label) for c in POSITION_COLUMNS}

    def cell(row, key):
        index = found.get(key)
        return row[index] if index is not None and index < len(row) else None

    # Everything rows refer to, fetched once for the whole file.
    id_numbers = {re.sub(r"[\s-]", "", _text(cell(r, "client_id_number"))).upper() for _n, r in table.rows} - {""}
    client_pks = {int(t) for t in (_text(cell(r, "client_id")) for _n, r in table.rows) if t.isdigit()}
    editable = client_list_editable(user=user).exclude(status=Client.Status.MERGED)
    clients = list(editable.filter(Q(id_number__in=id_numbers) | Q(pk__in=client_pks))) if (
        id_numbers or client_pks) else []
    by_pk = {c.pk: c for c in clients}
    by_id_number: dict[str, list[Client]] = defaultdict(list)
    for c in clients:
        by_id_number[c.id_number.upper()].append(c)
    numbers = {_text(cell(r, "account_number")) for _n, r in table.rows} - {""}
    accounts: dict[str, list[Account]] = defaultdict(list)
    for account in Account.objects.filter(account_number__in=numbers).select_related("institution"):
        accounts[account.account_number].append(account)
    codes = {_text(cell(r, "instrument_code")) for _n, r in table.rows} - {""}
    instruments = {i.code: i for i in Instrument.objects.filter(code__in=codes)}
    fx_ok = _FxCheck()
    parsed: list[_PositionRow] = []
    seen: dict[tuple, int] = {}
    opening: dict[tuple[str, str], int] = {}  # (institution, account number) → the client a new account is for

    for number, row in table.rows:
        errors: list[RowError] = []

        def read(key, reader, *, optional=False):
            value = cell(row, key)
            if optional and not _text(value):
                return None
            try:
                return reader(value)
            except CellError as error:
                errors.append(RowError(number, labels[key], str(error)))
                return None

        client = None
        id_number = re.sub(r"[\s-]", "", _text(cell(row, "client_id_number"))).upper()
        client_pk = _text(cell(row, "client_id"))
        if id_number:
            matches = by_id_number.get(id_number, [])
            if len(matches) > 1:
                errors.append(RowError(number, labels["client_id_number"],
                                       _("Several of your clients have this ID number; use the client id column.")))
            client = matches[0] if len(matches) == 1 else None
            if not matches:
                errors.append(RowError(number, labels["client_id_number"], _("Unknown client.")))
        elif client_pk:
            client = by_pk.get(int(client_pk)) if client_pk.isdigit() else None
            if client is None:
                errors.append(RowError(number, labels["client_id"], _("Unknown client.")))
        else:
            errors.append(RowError(number, labels["client_id_number"], _("The client is missing.")))

        quantity = read("quantity", lambda v: _decimal(v, places=QUANTITY_PLACES, maximum=QUANTITY_MAX))
        market_value = read("market_value", _money)
        cost = read("cost", _money, optional=True)
        valuation_date = read("valuation_date", _date)
        currency = read("currency", _currency)
        if currency and valuation_date and not fx_ok(currency, valuation_date):
            errors.append(RowError(number, labels["currency"], _no_fx_message(currency, valuation_date)))

        code = _text(cell(row, "instrument_code"))
        instrument = instruments.get(code)
        instrument_fields: dict = {}
        if not code:
            errors.append(RowError(number, labels["instrument_code"], _("The instrument code is missing.")))
        elif instrument is None:
            # A new instrument needs at least a name and an asset class; the rest may stay blank.
            name = _text(cell(row, "name"))
            if not name:
                errors.append(RowError(number, labels["name"],
                                       _("Unknown instrument %(code)s: give its name to add it.") % {"code": code}))
            asset_class = read("asset_class", lambda v: _choice(v, AssetClass, ASSET_CLASS_ALIASES))
            if asset_class == "":
                errors.append(RowError(number, labels["asset_class"],
                                       _("Unknown instrument %(code)s: give its asset class to add it.")
                                       % {"code": code}))
            instrument_fields = {
                "code": code, "name": name[:200], "asset_class": asset_class,
                "region": _text(cell(row, "region"))[:60], "industry": _text(cell(row, "industry"))[:80],
                "issuer": _text(cell(row, "issuer"))[:200], "currency": currency or selectors.base_currency(),
                "liquidity_tier": read("liquidity_tier", lambda v: _choice(v, LiquidityTier, LIQUIDITY_ALIASES),
                                       optional=True) or LiquidityTier.SAME_DAY,
                "risk_rating": read("risk_rating", lambda v: _choice(v, ProductRiskRating, {}),
                                    optional=True) or "",
            }

        account_number = _text(cell(row, "account_number"))[:64]
        institution_name = _text(cell(row, "institution"))[:200]
        account = None
        account_kind = ""
        if not account_number:
            errors.append(RowError(number, labels["account_number"], _("The account number is missing.")))
        elif client is not None:
            candidates = [a for a in accounts.get(account_number, [])
                          if not institution_name or a.institution.name.casefold() == institution_name.casefold()]
            mine = [a for a in candidates if a.client_id == client.pk]
            if len(mine) == 1:
                account = mine[0]
            elif len(mine) > 1:
                errors.append(RowError(number, labels["institution"],
                                       _("The client has this account number at several institutions; "
                                         "give the institution.")))
            elif candidates or not institution_name:
                # Another client's account is as unknown as one that does not exist.
                errors.append(RowError(number, labels["account_number"],
                                       _("Unknown account; give the institution to open it.")
                                       if not institution_name else _("Unknown account.")))
            elif opening.setdefault((institution_name.casefold(), account_number), client.pk) != client.pk:
                # An account number is unique at its institution: an earlier row opens it for another client.
                errors.append(RowError(number, labels["account_number"], _("Unknown account.")))
            else:
                asset_class = instrument.asset_class if instrument else instrument_fields.get("asset_class")
                account_kind = read("account_kind", lambda v: _choice(v, Account.Kind, ACCOUNT_KIND_ALIASES),
                                    optional=True) or ACCOUNT_KIND_FOR_CLASS.get(asset_class, Account.Kind.OTHER)

        key = (client.pk if client else None, account_number.casefold(), institution_name.casefold(), code)
        if client is not None and code and account_number:
            if key in seen:
                errors.append(RowError(number, labels["instrument_code"],
                                       _("The same position as row %(row)s.") % {"row": seen[key]}))
            else:
                seen[key] = number

        if errors:
            report.errors.extend(errors)
            continue
        parsed.append(_PositionRow(
            row=number, client=client, account=account, account_number=account_number,
            institution_name=institution_name, account_kind=account_kind, instrument=instrument,
            instrument_fields=instrument_fields, quantity=quantity, cost=cost, market_value=market_value,
            currency=currency, valuation_date=valuation_date,
        ))

    existing = {
        (h.account_id, h.instrument_id): h
        for h in Holding.objects.filter(
            account__in=[p.account for p in parsed if p.account],
            instrument__in=[p.instrument for p in parsed if p.instrument],
        )
    }
    for p in parsed:
        holding = existing.get((p.account.pk, p.instrument.pk)) if p.account and p.instrument else None
        report.changes.append(_position_change(p, holding))
    return report, parsed


def _position_values(p: _PositionRow, holding: Holding | None) -> dict:
    cost = p.cost if p.cost is not None else (holding.cost if holding else p.market_value)
    return {"quantity": p.quantity, "cost": cost, "market_value": p.market_value, "currency": p.currency,
            "valuation_date": p.valuation_date}


def _position_change(p: _PositionRow, holding: Holding | None) -> RowChange:
    code = p.instrument.code if p.instrument else p.instrument_fields["code"]
    subject = f"{p.client.legal_name} · {p.account_number} · {code}"
    values = _position_values(p, holding)
    if holding is None:
        notes = []
        if p.account is None:
            notes.append(_("opens account %(number)s at %(institution)s") % {
                "number": p.account_number, "institution": p.institution_name})
        if p.instrument is None:
            notes.append(_("adds instrument %(code)s") % {"code": code})
        detail = _("%(quantity)s at %(value)s %(currency)s") % {
            "quantity": p.quantity.normalize(), "value": p.market_value, "currency": p.currency}
        return RowChange(p.row, "new", subject, "; ".join([detail, *notes]))
    differences = [
        f"{name}: {_shown(getattr(holding, name))} → {_shown(value)}"
        for name, value in values.items() if getattr(holding, name) != value
    ]
    if not differences:
        return RowChange(p.row, "unchanged", subject)
    return RowChange(p.row, "update", subject, "; ".join(differences))


def _shown(value) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def positions_import_check(*, table: Table, user) -> ImportReport:
    """The dry run: every row's errors and what committing would change; writes nothing."""
    report, _parsed = _positions_parse(table, user=user)
    return report


def positions_import_commit(*, table: Table, user) -> ImportReport:
    """Apply the file if no row has an error (else change nothing and return the errors), then
    revalue each client whose holdings changed on the latest valuation date of its rows."""
    with transaction.atomic():
        report, parsed = _positions_parse(table, user=user)
        if not report.ok:
            return report
        refresh: dict[int, date] = {}
        institutions: dict[str, Institution] = {}
        opened: dict[tuple, Account] = {}
        for p in parsed:
            account = p.account or _account_open(p, institutions, opened)
            instrument = p.instrument or _instrument_add(p.instrument_fields)
            holding = Holding.objects.filter(account=account, instrument=instrument).first()
            _holding, changed = services.holding_upsert(
                account=account, instrument=instrument, **_position_values(p, holding))
            if changed:
                refresh[p.client.pk] = max(refresh.get(p.client.pk, p.valuation_date), p.valuation_date)
        _valuations_refresh(report, {on: {c for c, d in refresh.items() if d == on} for on in set(refresh.values())})
    report.committed = True
    return report


def _account_open(p: _PositionRow, institutions: dict, opened: dict) -> Account:
    key = (p.client.pk, p.account_number, p.institution_name.casefold())
    if key in opened:
        return opened[key]
    name = p.institution_name.casefold()
    if name not in institutions:
        institutions[name] = (
            Institution.objects.filter(name__iexact=p.institution_name).first()
            or Institution.objects.create(name=p.institution_name)
        )
    account = Account(client=p.client, kind=p.account_kind, institution=institutions[name],
                      account_number=p.account_number, currency=p.currency)
    account.full_clean()
    account.save()
    opened[key] = account
    return account


def _instrument_add(fields: dict) -> Instrument:
    instrument = Instrument.objects.filter(code=fields["code"]).first()
    if instrument is None:
        instrument = Instrument(**fields)
        instrument.full_clean()
        instrument.save()
    return instrument


def _valuations_refresh(report: ImportReport, clients_by_date: dict[date, set[int]]) -> None:
    """Revalue each client on each date, oldest first; one that cannot be valued (an FX rate missing
    for a currency it held before) is reported, and the file's changes stay."""
    for on_date in sorted(clients_by_date):
        for client_id in sorted(clients_by_date[on_date]):
            try:
                with transaction.atomic():
                    services.valuation_refresh(client_id=client_id, valuation_date=on_date)
                report.refreshed_client_count += 1
            except ValidationError as error:
                report.warnings.append(
                    _("A client's portfolio could not be revalued on %(date)s: %(error)s")
                    % {"date": on_date.isoformat(), "error": " ".join(error.messages)})


# --- Prices -----------------------------------------------------------------------------


@dataclass
class _PriceRow:
    row: int
    instrument: Instrument
    price_date: date
    price: Decimal
    currency: str


PRICE_PLACES = Decimal("0.000001")


def _prices_parse(table: Table) -> tuple[ImportReport, list[_PriceRow]]:
    report = ImportReport(kind=PRICES, file_name=table.file_name, checksum=table.checksum, row_count=len(table.rows))
    found = columns_map(table.headers, PRICE_COLUMNS)
    _missing_columns(found, PRICE_COLUMNS, PRICE_REQUIRED, kind=PRICES)
    labels = {c.key: str(c.label) for c in PRICE_COLUMNS}

    def cell(row, key):
        index = found[key]
        return row[index] if index < len(row) else None

    codes = {_text(cell(r, "instrument_code")) for _n, r in table.rows} - {""}
    instruments = {i.code: i for i in Instrument.objects.filter(code__in=codes)}
    fx_ok = _FxCheck()
    parsed: list[_PriceRow] = []
    seen: dict[tuple, int] = {}
    for number, row in table.rows:
        errors: list[RowError] = []

        def read(key, reader):
            try:
                return reader(cell(row, key))
            except CellError as error:
                errors.append(RowError(number, labels[key], str(error)))
                return None

        code = _text(cell(row, "instrument_code"))
        instrument = instruments.get(code)
        if instrument is None:
            errors.append(RowError(number, labels["instrument_code"],
                                   _("Unknown instrument %(code)s.") % {"code": code} if code
                                   else _("The instrument code is missing.")))
        price_date = read("price_date", _date)
        price = read("price", lambda v: _decimal(v, places=PRICE_PLACES, maximum=Decimal("1e14")))
        currency = read("currency", _currency)
        if currency and instrument is not None and currency != instrument.currency.upper():
            errors.append(RowError(number, labels["currency"],
                                   _("%(code)s is priced in %(expected)s, not %(currency)s.") % {
                                       "code": instrument.code, "expected": instrument.currency.upper(),
                                       "currency": currency}))
        elif currency and price_date and not fx_ok(currency, price_date):
            errors.append(RowError(number, labels["currency"], _no_fx_message(currency, price_date)))
        if instrument is not None and price_date:
            key = (instrument.pk, price_date)
            if key in seen:
                errors.append(RowError(number, labels["price_date"],
                                       _("A second price for the same day as row %(row)s.") % {"row": seen[key]}))
            else:
                seen[key] = number
        if errors:
            report.errors.extend(errors)
            continue
        parsed.append(_PriceRow(number, instrument, price_date, price, currency))

    existing = {
        (p.instrument_id, p.price_date): p
        for p in InstrumentPrice.objects.filter(
            instrument__in={p.instrument for p in parsed}, price_date__in={p.price_date for p in parsed})
    }
    for p in parsed:
        subject = f"{p.instrument.code} · {p.price_date.isoformat()}"
        shown = f"{_shown(p.price)} {p.currency}"
        current = existing.get((p.instrument.pk, p.price_date))
        if current is None:
            report.changes.append(RowChange(p.row, "new", subject, shown))
        elif (current.price, current.currency) == (p.price, p.currency):
            report.changes.append(RowChange(p.row, "unchanged", subject, shown))
        else:
            report.changes.append(RowChange(p.row, "update", subject,
                                            f"{_shown(current.price)} {current.currency} → {shown}"))
    return report, parsed


def prices_import_check(*, table: Table) -> ImportReport:
    """The dry run of a prices file; writes nothing."""
    report, _parsed = _prices_parse(table)
    return report


def prices_import_commit(*, table: Table) -> ImportReport:
    """Record the file's prices day by day, oldest first, revaluing after each day the clients
    whose holdings the day's prices changed; nothing changes if any row has an error."""
    with transaction.atomic():
        report, parsed = _prices_parse(table)
        if not report.ok:
            return report
        by_date: dict[date, list[_PriceRow]] = defaultdict(list)
        for p in parsed:
            by_date[p.price_date].append(p)
        for price_date in sorted(by_date):
            affected: set[int] = set()
            for p in by_date[price_date]:
                affected |= services.instrument_price_record(
                    instrument=p.instrument, price_date=p.price_date, price=p.price, currency=p.currency)
            _valuations_refresh(report, {price_date: affected})
    report.committed = True
    return report


def import_check(*, kind: str, table: Table, user) -> ImportReport:
    return positions_import_check(table=table, user=user) if kind == POSITIONS else prices_import_check(table=table)


def import_commit(*, kind: str, table: Table, user) -> ImportReport:
    return positions_import_commit(table=table, user=user) if kind == POSITIONS else prices_import_commit(table=table)
