"""What the positions and prices imports share: readers of money, dates, currencies and choices
(built on ``crm.normalisers``), the FX check and the report with its revaluation count."""

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import normalisers
from dataimport.columns import Column, amount_bounded, text_normalise
from dataimport.report import Report

from .. import selectors

CENTS = Decimal("0.01")
# The largest values the columns hold (max_digits 20/24 with 2/6 decimals; prices 20 with 6).
MONEY_MAX = Decimal("1e18")
QUANTITY_MAX = Decimal("1e18")
PRICE_MAX = Decimal("1e14")
CURRENCY_ALIASES = {"RMB": "CNY", "人民币": "CNY", "美元": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR"}

# Columns both files have.
INSTRUMENT_CODE = Column("instrument_code", gettext_lazy("instrument code"), (
    "instrument code", "code", "isin", "ticker", "product code", "security code", "产品代码", "证券代码", "代码"))
CURRENCY = Column("currency", gettext_lazy("currency"), ("currency", "ccy", "币种", "货币"))


class AssetReport(Report):
    """A positions or prices report; the commit's result also counts the revaluations it queued."""

    @property
    def refreshed_client_count(self) -> int:
        return (self.result or {}).get("revaluations_queued", 0)


def money_read(value) -> Decimal:
    try:
        amount = normalisers.money_normalise(value)
    except ValidationError as error:
        raise ValidationError(" ".join(error.messages)) from None
    except ArithmeticError:  # more digits than rounding to cents can hold (1e30)
        raise ValidationError(_("The number is too large.")) from None
    if amount is None:
        raise ValidationError(_("A number is required."))
    return amount_bounded(amount, places=CENTS, maximum=MONEY_MAX)


def date_read(value) -> date:
    """A date not in the future."""
    parsed = normalisers.date_normalise(value)
    if parsed is None:
        raise ValidationError(_("A date is required."))
    if parsed > timezone.localdate():
        raise ValidationError(_("The date %(date)s is in the future.") % {"date": parsed.isoformat()})
    return parsed


def currency_read(value) -> str:
    code = text_normalise(value).upper()
    code = CURRENCY_ALIASES.get(code, code)
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValidationError(_("“%(value)s” is not a currency code.") % {"value": text_normalise(value)})
    return code


def identifier_read(value, *, model, field: str, missing_message) -> str:
    """A code or number that identifies a record: required, and never cut to fit its column."""
    text = text_normalise(value)
    if not text:
        raise ValidationError(missing_message)
    limit = model._meta.get_field(field).max_length
    if len(text) > limit:
        raise ValidationError(_("“%(start)s…” is longer than %(limit)d characters.")
                              % {"start": text[:20], "limit": limit})
    return text


def choice_read(value, choices, aliases: dict) -> str:
    return normalisers.choice_normalise(value, choices=choices, aliases=aliases)


class FxCheck:
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


def no_fx_message(currency: str, on_date: date) -> str:
    return _("Unknown currency %(currency)s: no exchange rate to %(base)s on or before %(date)s.") % {
        "currency": currency, "base": selectors.base_currency(), "date": on_date.isoformat()}


def shown(value) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
