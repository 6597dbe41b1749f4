"""Columns of an import, the one header matcher, and the readers of single cells that need
nothing of the registry (text, bounded decimals).

A ``Column`` is a field a file may fill: its key, the label reports and the mapping page
show, and the header spellings (English and Chinese) recognised for it. Headers are
compared by ``header_key``: half-width, case-folded, without notes in brackets,
"required" marks, spaces or separators, so "手机号码（必填）" matches "手机号码".
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # translatable (lazy) name, shown in reports and on the mapping page
    headers: tuple[str, ...] = ()  # spellings mapped to it automatically, English and Chinese

    def header_keys(self) -> tuple[set[str], set[str]]:
        """(the keys of its spellings, the keys of its own name and its label in every shipped language)."""
        names = {header_key(self.key)}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.add(header_key(str(self.label)))
        return {header_key(h) for h in self.headers}, names


def header_key(text) -> str:
    """A spreadsheet header reduced for matching against known column names: half-width,
    case-folded, without notes in brackets, "required" marks, spaces or separators."""
    text = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "").casefold()
    text = re.sub(r"\(.*?\)|（.*?）|必填|required", "", text)
    return re.sub(r"[\s_\-*:：.#/]+", "", text)


def columns_find(columns, headers: list[str]) -> dict[str, str]:
    """The mapping ``{column index (str): column key}`` of every header recognised.

    A header is looked up among the columns' spellings first, then among their names and
    labels; where two columns share a spelling the one listed first has it. Headers are read
    left to right and the first one found for a column fills it; later ones are ignored.
    """
    spellings: dict[str, str] = {}
    names: dict[str, str] = {}
    for column in columns:
        own, named = column.header_keys()
        for key in own:
            spellings.setdefault(key, column.key)
        for key in named:
            names.setdefault(key, column.key)
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        found = spellings.get(header_key(header)) or names.get(header_key(header))
        if found and found not in mapping.values():
            mapping[str(index)] = found
    return mapping


# --- Cells -----------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as text without outer whitespace; "" for an empty cell."""
    return "" if value is None else str(value).strip()


def text_normalise(value) -> str:
    """A cell as text with full-width forms folded (NFKC) and outer whitespace removed."""
    return unicodedata.normalize("NFKC", cell_text(value)).strip()


def decimal_read(value, *, places: Decimal, maximum: Decimal) -> Decimal:
    """A quantity or price (no currency units), rounded half-up to ``places``; refused when
    it is not a number, is negative, or is not below ``maximum``."""
    text = text_normalise(value).replace(",", "").replace(" ", "")
    if not text:
        raise ValidationError(_("A number is required."), code="required")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text_normalise(value)}, code="invalid")
    return amount_bounded(number, places=places, maximum=maximum)


def amount_bounded(number: Decimal, *, places: Decimal, maximum: Decimal) -> Decimal:
    """``number`` rounded to ``places`` if it is neither negative nor as large as ``maximum``
    (checked before rounding: 1e30 is refused, not an arithmetic error)."""
    if number < 0:
        raise ValidationError(_("Cannot be negative."), code="negative")
    if number >= maximum:
        raise ValidationError(_("The number is too large."), code="too_large")
    try:
        return number.quantize(places, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        raise ValidationError(_("The number is too large."), code="too_large") from None
