"""Every spreadsheet the app writes (CSV and XLSX downloads), safe against formula injection.

Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
a tab or carriage return before one) as a formula, so a client named ``=HYPERLINK(...)`` or
``+cmd|...`` would run as one in the RM's spreadsheet. Following OWASP ("CSV injection"):

- CSV: such a cell gets a leading single quote, which spreadsheet programs read as "text".
- XLSX: such a cell is written as a text cell with Excel's quote-prefix style (what Excel itself
  does when someone types ``'=...``): the value is kept as it was and is never a formula.

Plain numbers are left alone, so a phone number in E.164 (``+8613800138000``) or a signed amount
stays usable; in XLSX every string, phone numbers included, is a text cell.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A signed integer or decimal, e.g. "+8613800138000" or "-12.50": a number to a spreadsheet, never a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def is_formula_like(value) -> bool:
    """Whether a spreadsheet program would read ``value`` as a formula."""
    return (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and not _PLAIN_NUMBER.fullmatch(value))


def cell_safe(value):
    """``value`` for a CSV cell: a formula-like string gets a leading quote; anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value


def csv_text(headers: Sequence, rows: Iterable[Sequence]) -> str:
    """The table as CSV, every cell made safe; starts with a BOM so that spreadsheet programs read
    Chinese text as UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([cell_safe(cell) for cell in headers])
    for row in rows:
        writer.writerow([cell_safe("" if cell is None else cell) for cell in row])
    return buffer.getvalue()


def _xlsx_value(value):
    """``value`` as a type openpyxl stores: aware datetimes in local time (Excel has no zones), other
    objects (lazy translations, model instances) as their text."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, (str, int, float, Decimal, datetime.date, datetime.time)):
        return value
    return str(value)


def xlsx_bytes(headers: Sequence, rows: Iterable[Sequence], *, title: str = "Sheet1") -> bytes:
    """The table as one XLSX sheet: strings are text cells (a formula-like one quote-prefixed),
    numbers and dates keep their type, and no cell is ever a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)  # streams rows: exports can hold the whole book
    sheet = workbook.create_sheet(title=title[:31])

    def cells(values):
        for value in map(_xlsx_value, values):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
                if is_formula_like(value):
                    cell.quotePrefix = True
            yield cell

    sheet.append(list(cells(headers)))
    for row in rows:
        sheet.append(list(cells(row)))
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def spreadsheet_response(*, headers: Sequence, rows: Iterable[Sequence], file_format: str,
                         file_name: str) -> HttpResponse:
    """A download of the table as ``file_format`` ("csv" or "xlsx"), named ``file_name.<format>``."""
    body = csv_text(headers, rows) if file_format == "csv" else xlsx_bytes(headers, rows)
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{file_name}.{file_format}")
    return response
