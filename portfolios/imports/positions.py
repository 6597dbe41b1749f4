"""Positions files from custodians: one row per holding (client, account, instrument, quantity, value).

A row may only name a client the importing user can edit (``crm.access.client_list_editable``);
any other client is "unknown", whether or not it exists. A new account needs its institution,
a new instrument its name and asset class. Committing upserts each holding through
``services.holding_upsert`` and queues the revaluation of every client whose holdings changed
(``services.valuations_refresh_enqueue``, after the commit), on the latest valuation date of
its rows. A holding the file does not mention is kept.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.access import client_list_editable
from crm.models import Client
from crm.scales import ProductRiskRating
from dataimport.columns import Column, decimal_read, text_normalise
from dataimport.engine import ImportKind, Row

from .. import selectors, services
from ..models import (
    Account,
    AssetClass,
    Holding,
    Institution,
    Instrument,
    LiquidityTier,
)
from .cells import (
    CURRENCY,
    INSTRUMENT_CODE,
    QUANTITY_MAX,
    AssetReport,
    FxCheck,
    choice_read,
    currency_read,
    date_read,
    identifier_read,
    money_read,
    no_fx_message,
    shown,
)

QUANTITY_PLACES = Decimal("0.000001")

POSITION_COLUMNS = (
    Column("client_id_number", gettext_lazy("client ID number"), (
        "client id number", "id number", "id no", "证件号码", "客户证件号码", "证件号", "身份证号码", "身份证号")),
    Column("client_id", gettext_lazy("client id"), ("client id", "client", "客户编号", "客户id", "客户号")),
    Column("account_number", gettext_lazy("account number"), (
        "account number", "account no", "account", "账号", "账户号码", "账户号", "资金账号")),
    Column("institution", gettext_lazy("institution"), (
        "institution", "bank", "custodian", "机构", "托管机构", "开户机构", "开户行", "银行")),
    Column("account_kind", gettext_lazy("account kind"), ("account kind", "account type", "账户类型", "账户种类")),
    INSTRUMENT_CODE,
    Column("name", gettext_lazy("name"), (
        "name", "instrument name", "product name", "security name", "产品名称", "证券名称", "名称")),
    Column("asset_class", gettext_lazy("asset class"), ("asset class", "资产类别", "资产类型", "资产分类")),
    Column("region", gettext_lazy("region"), ("region", "地区", "区域", "市场")),
    Column("industry", gettext_lazy("industry"), ("industry", "sector", "行业")),
    Column("issuer", gettext_lazy("issuer"), ("issuer", "发行人", "发行机构")),
    CURRENCY,
    Column("liquidity_tier", gettext_lazy("liquidity tier"), ("liquidity tier", "liquidity", "流动性")),
    Column("risk_rating", gettext_lazy("risk rating"), (
        "risk rating", "product risk rating", "风险等级", "产品风险等级", "风险评级")),
    Column("quantity", gettext_lazy("quantity"), (
        "quantity", "units", "shares", "数量", "份额", "持有数量", "持仓数量")),
    Column("cost", gettext_lazy("cost"), ("cost", "cost basis", "book cost", "成本", "持仓成本", "买入成本")),
    Column("market_value", gettext_lazy("market value"), ("market value", "value", "市值", "参考市值", "持仓市值")),
    Column("valuation_date", gettext_lazy("valuation date"), (
        "valuation date", "as of", "as of date", "date", "估值日期", "日期", "估值日")),
)

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
# Which column a new instrument's field comes from, for the model's own refusals.
INSTRUMENT_FIELD_COLUMNS = {
    "code": "instrument_code", "name": "name", "asset_class": "asset_class", "region": "region",
    "industry": "industry", "issuer": "issuer", "currency": "currency", "liquidity_tier": "liquidity_tier",
    "risk_rating": "risk_rating",
}


@dataclass
class Position:
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
    holding: Holding | None = None  # the holding the row updates, once found


@dataclass
class _Context:
    """What the rows refer to, fetched once for the whole file, and what earlier rows claimed."""

    by_pk: dict
    by_id_number: dict
    accounts: dict
    instruments: dict
    fx_ok: FxCheck
    seen: dict  # (client, account number, institution, code) → the row that named it first
    opening: dict  # (institution, account number) → the client a new account is for


def _client_id_number(value) -> str:
    return re.sub(r"[\s-]", "", text_normalise(value)).upper()


class PositionsImport(ImportKind):
    key = "positions"
    columns = POSITION_COLUMNS
    required = (("client_id_number", "client_id"), ("account_number",), ("instrument_code",), ("currency",),
                ("quantity",), ("market_value",), ("valuation_date",))
    report_class = AssetReport

    def prepare(self, rows: list[Row], *, user) -> _Context:
        id_numbers = {_client_id_number(r.cell("client_id_number")) for r in rows} - {""}
        client_pks = {int(t) for t in (text_normalise(r.cell("client_id")) for r in rows)
                      if re.fullmatch(r"[0-9]{1,18}", t)}
        editable = client_list_editable(user=user).exclude(status=Client.Status.MERGED)
        clients = list(editable.filter(Q(id_number__in=id_numbers) | Q(pk__in=client_pks))) if (
            id_numbers or client_pks) else []
        by_id_number: dict[str, list[Client]] = defaultdict(list)
        for c in clients:
            by_id_number[c.id_number.upper()].append(c)
        numbers = {text_normalise(r.cell("account_number")) for r in rows} - {""}
        accounts: dict[str, list[Account]] = defaultdict(list)
        for account in Account.objects.filter(account_number__in=numbers).select_related("institution"):
            accounts[account.account_number].append(account)
        codes = {text_normalise(r.cell("instrument_code")) for r in rows} - {""}
        return _Context(
            by_pk={c.pk: c for c in clients}, by_id_number=by_id_number, accounts=accounts,
            instruments={i.code: i for i in Instrument.objects.filter(code__in=codes)},
            fx_ok=FxCheck(), seen={}, opening={},
        )

    def check_row(self, row: Row, context: _Context) -> None:
        client = self._client(row, context)
        quantity = row.read("quantity", decimal_read, places=QUANTITY_PLACES, maximum=QUANTITY_MAX)
        market_value = row.read("market_value", money_read)
        cost = row.read("cost", money_read, optional=True)
        valuation_date = row.read("valuation_date", date_read)
        currency = row.read("currency", currency_read)
        if currency and valuation_date and not context.fx_ok(currency, valuation_date):
            row.error("currency", no_fx_message(currency, valuation_date))

        code = row.read("instrument_code", identifier_read, model=Instrument, field="code",
                        missing_message=_("The instrument code is missing.")) or ""
        instrument = context.instruments.get(code)
        instrument_fields = self._instrument_new(row, code, currency) if code and instrument is None else {}

        account_number = row.read("account_number", identifier_read, model=Account, field="account_number",
                                  missing_message=_("The account number is missing.")) or ""
        institution_name = row.read("institution", identifier_read, model=Institution, field="name",
                                    missing_message="", optional=True) or ""
        account, account_kind = None, ""
        if account_number and client is not None and not row.has_error_in("institution"):
            account, account_kind = self._account(row, context, client, account_number, institution_name,
                                                  instrument.asset_class if instrument
                                                  else instrument_fields.get("asset_class"))

        key = (client.pk if client else None, account_number.casefold(), institution_name.casefold(), code)
        if client is not None and code and account_number:
            if key in context.seen:
                row.error("instrument_code", _("The same position as row %(row)s.") % {"row": context.seen[key]})
            else:
                context.seen[key] = row.number
        if not row.has_errors:
            row.parsed = Position(
                client=client, account=account, account_number=account_number, institution_name=institution_name,
                account_kind=account_kind, instrument=instrument, instrument_fields=instrument_fields,
                quantity=quantity, cost=cost, market_value=market_value, currency=currency,
                valuation_date=valuation_date,
            )

    def _client(self, row: Row, context: _Context) -> Client | None:
        id_number = _client_id_number(row.cell("client_id_number"))
        client_pk = text_normalise(row.cell("client_id"))
        if id_number:
            matches = context.by_id_number.get(id_number, [])
            if len(matches) > 1:
                row.error("client_id_number", _("Several of your clients have this ID number; use the client id column."))
            if not matches:
                row.error("client_id_number", _("Unknown client."))
            return matches[0] if len(matches) == 1 else None
        if client_pk:
            client = context.by_pk.get(int(client_pk)) if re.fullmatch(r"[0-9]{1,18}", client_pk) else None
            if client is None:
                row.error("client_id", _("Unknown client."))
            return client
        row.error("client_id_number", _("The client is missing."))
        return None

    def _instrument_new(self, row: Row, code: str, currency: str | None) -> dict:
        """The fields of an instrument the row adds; it needs at least a name and an asset class."""
        name = text_normalise(row.cell("name"))
        if not name:
            row.error("name", _("Unknown instrument %(code)s: give its name to add it.") % {"code": code})
        asset_class = row.read("asset_class", choice_read, AssetClass, ASSET_CLASS_ALIASES)
        if asset_class == "":
            row.error("asset_class", _("Unknown instrument %(code)s: give its asset class to add it.") % {"code": code})
        fields = {
            # Descriptions are cut to fit their columns; codes and numbers never are.
            "code": code, "name": name[:200], "asset_class": asset_class,
            "region": text_normalise(row.cell("region"))[:60], "industry": text_normalise(row.cell("industry"))[:80],
            "issuer": text_normalise(row.cell("issuer"))[:200], "currency": currency or selectors.base_currency(),
            "liquidity_tier": row.read("liquidity_tier", choice_read, LiquidityTier, LIQUIDITY_ALIASES,
                                       optional=True) or LiquidityTier.SAME_DAY,
            "risk_rating": row.read("risk_rating", choice_read, ProductRiskRating, {}, optional=True) or "",
        }
        if name and asset_class:
            try:  # what the commit's full_clean would refuse, refused now
                Instrument(**fields).full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    row.error(INSTRUMENT_FIELD_COLUMNS.get(field, "instrument_code"), " ".join(messages))
        return fields

    def _account(self, row: Row, context: _Context, client: Client, account_number: str, institution_name: str,
                 asset_class: str | None) -> tuple[Account | None, str]:
        """(the client's existing account, "") or (None, the kind of the account the row opens)."""
        candidates = [a for a in context.accounts.get(account_number, [])
                      if not institution_name or a.institution.name.casefold() == institution_name.casefold()]
        mine = [a for a in candidates if a.client_id == client.pk]
        if len(mine) == 1:
            return mine[0], ""
        if len(mine) > 1:
            row.error("institution", _("The client has this account number at several institutions; "
                                       "give the institution."))
        elif candidates or not institution_name:
            # Another client's account is as unknown as one that does not exist.
            row.error("account_number", _("Unknown account; give the institution to open it.")
                      if not institution_name else _("Unknown account."))
        elif context.opening.setdefault((institution_name.casefold(), account_number), client.pk) != client.pk:
            # An account number is unique at its institution: an earlier row opens it for another client.
            row.error("account_number", _("Unknown account."))
        else:
            kind = row.read("account_kind", choice_read, Account.Kind, ACCOUNT_KIND_ALIASES, optional=True)
            return None, kind or ACCOUNT_KIND_FOR_CLASS.get(asset_class, Account.Kind.OTHER)
        return None, ""

    def describe(self, rows: list[Row], context: _Context, report: AssetReport) -> None:
        parsed = [row.parsed for row in rows if row.parsed is not None]
        existing = {
            (h.account_id, h.instrument_id): h
            for h in Holding.objects.filter(
                account__in=[p.account for p in parsed if p.account],
                instrument__in=[p.instrument for p in parsed if p.instrument],
            )
        }
        for row in rows:
            p = row.parsed
            if p is not None:
                p.holding = existing.get((p.account.pk, p.instrument.pk)) if p.account and p.instrument else None
                row.entry["change"] = _change(p)

    def write(self, rows: list[Row], context: _Context, report: AssetReport, *, user, upload, options) -> None:
        refresh: dict[int, date] = {}
        institutions: dict[str, Institution] = {}
        opened: dict[tuple, Account] = {}
        reason = _("Positions import of %(file)s") % {"file": report.file_name}
        for row in rows:
            p = row.parsed
            account = p.account or _account_open(p, institutions, opened)
            instrument = p.instrument or _instrument_add(p.instrument_fields)
            _holding, changed = services.holding_upsert(account=account, instrument=instrument, recorded_by=user,
                                                        reason=reason, **_values(p))
            if changed:
                refresh[p.client.pk] = max(refresh.get(p.client.pk, p.valuation_date), p.valuation_date)
        queued = services.valuations_refresh_enqueue_latest(latest_date_by_client=refresh)
        report.result = {"created": report.new_count, "updated": report.update_count,
                         "skipped": report.unchanged_count, "errors": 0, "revaluations_queued": queued}


def _values(p: Position) -> dict:
    holding = p.holding
    cost = p.cost if p.cost is not None else (holding.cost if holding else p.market_value)
    return {"quantity": p.quantity, "cost": cost, "market_value": p.market_value, "currency": p.currency,
            "valuation_date": p.valuation_date}


def _change(p: Position) -> dict:
    code = p.instrument.code if p.instrument else p.instrument_fields["code"]
    subject = f"{p.client.legal_name} · {p.account_number} · {code}"
    if p.holding is None:
        notes = []
        if p.account is None:
            notes.append(_("opens account %(number)s at %(institution)s") % {
                "number": p.account_number, "institution": p.institution_name})
        if p.instrument is None:
            notes.append(_("adds instrument %(code)s") % {"code": code})
        detail = _("%(quantity)s at %(value)s %(currency)s") % {
            "quantity": shown(p.quantity), "value": p.market_value, "currency": p.currency}
        return {"action": "new", "subject": subject, "detail": "; ".join([detail, *notes])}
    differences = [
        f"{name}: {shown(getattr(p.holding, name))} → {shown(value)}"
        for name, value in _values(p).items() if getattr(p.holding, name) != value
    ]
    if not differences:
        return {"action": "unchanged", "subject": subject, "detail": ""}
    return {"action": "update", "subject": subject, "detail": "; ".join(differences)}


def _account_open(p: Position, institutions: dict, opened: dict) -> Account:
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


POSITIONS = PositionsImport()
