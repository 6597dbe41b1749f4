"""Formatting of amounts for templates: ``{{ amount|money:currency }}`` and ``{{ amount|money_short:currency }}``.

Pure formatting (no queries). Grouping and separators come from the active locale's formats
(config/formats: zh_Hans groups by thousands too), so one filter serves both languages.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()

CENT = Decimal("0.01")
WAN = Decimal("10000")
YI = Decimal("100000000")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _grouped(number: Decimal, places: int = 2) -> str:
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def _with_currency(text: str, currency) -> str:
    return f"{text} {currency}" if currency else text


@register.filter
def money(value, currency=""):
    """``36,173,000.63 CNY``: two decimals, rounded half up, grouped in the reader's locale; "—" when empty."""
    number = _decimal(value)
    if number is None:
        return "—"
    return _with_currency(_grouped(number), currency)


@register.filter
def money_short(value, currency=""):
    """Large sums the way the reader counts them: in Chinese 3,617.30万 or 3.62亿 (万 from 10,000, 亿 from
    100,000,000); in other languages the full amount, as ``money``."""
    number = _decimal(value)
    if number is None:
        return "—"
    if (get_language() or "").lower().startswith("zh"):
        if abs(number) >= YI:
            return _with_currency(_grouped(number / YI) + "亿", currency)
        if abs(number) >= WAN:
            return _with_currency(_grouped(number / WAN) + "万", currency)
    return _with_currency(_grouped(number), currency)
