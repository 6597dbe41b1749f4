"""Reading an uploaded spreadsheet into a ``Table``: CSV or XLSX, refused with a clear message
when it cannot be read.

CSV: UTF-8 with or without BOM, else GB18030 (a superset of GBK and GB2312, what Chinese
Excel saves in the mainland) or Big5 (traditional Chinese, Hong Kong and Taiwan), told apart
by which reading gives common characters (``_legacy_decode``); the delimiter is the commonest of , tab ; | in the first line. XLSX: the first
sheet, through openpyxl, formulas read as their cached values. Old .xls, UTF-16, PDFs, images
and other binaries are refused. Limits: ``settings.IMPORT_MAX_BYTES`` per file,
``settings.IMPORT_MAX_ROWS`` data rows and ``MAX_COLUMNS`` columns.
"""

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .columns import cell_text

MAX_COLUMNS = 256
NO_ROWS_MESSAGE = gettext_lazy("The file has a header row but no data rows.")
_FILE_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"MZ")


class ImportFileError(ValidationError):
    """The file as a whole cannot be imported: nothing in it is looked at, nothing changes.
    ``code`` says why: too_large, too_many_rows, too_many_columns, empty, xls, not_spreadsheet,
    encoding, missing_columns, unknown_column, column_twice."""


@dataclass
class Table:
    """A file's header and data rows. Cells are JSON-safe (text, numbers, ISO dates of date
    cells, None), so a table is staged between the dry run and the commit as it was read."""

    file_name: str
    checksum: str  # sha256 of the file's bytes
    headers: list[str]
    rows: list[tuple[int, list]]  # (the spreadsheet's row number, the header being row 1; cells)
    encoding: str = ""  # a CSV file's encoding as read ("utf-8", "gb18030", "big5"); "" for XLSX

    def to_json(self) -> dict:
        return {"headers": self.headers, "rows": [[number, cells] for number, cells in self.rows],
                "encoding": self.encoding}

    @classmethod
    def from_json(cls, data: dict, *, file_name: str, checksum: str) -> "Table":
        return cls(file_name, checksum, list(data["headers"]), [(number, cells) for number, cells in data["rows"]],
                   data.get("encoding", ""))


def file_checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def table_read(*, content: bytes, file_name: str, no_rows_message=None) -> Table:
    """The header and data rows of a CSV or XLSX file; blank rows are left out and short rows
    padded, so every row has a cell for every header. Raises ``ImportFileError``.

    ``no_rows_message`` words the refusal of a file with a header and nothing below it
    (an app may name what it expected: "no clients below it").
    """
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(limit)d MB; split it into smaller files.")
            % {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not content.strip():
        raise ImportFileError(_("The file is empty."), code="empty")
    encoding = ""
    if content.startswith(b"PK\x03\x04"):
        lines = _xlsx_rows(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("Old Excel (.xls) files cannot be read; save the sheet as .xlsx or CSV and upload it again."),
            code="xls",
        )
    elif content.startswith(_FILE_SIGNATURES):
        raise ImportFileError(_("This is not a spreadsheet: upload a CSV or XLSX file."), code="not_spreadsheet")
    else:
        text, encoding = _decode(content)
        lines = _csv_rows(text)
    rows = _rows_kept(lines)
    if not rows:
        raise ImportFileError(_("The file is empty."), code="empty")
    (_header_number, header_cells), data_rows = rows[0], rows[1:]
    if not data_rows:
        raise ImportFileError(str(no_rows_message or NO_ROWS_MESSAGE), code="empty")
    width = max(len(header_cells), *(len(cells) for _number, cells in data_rows))
    if width > MAX_COLUMNS:
        raise ImportFileError(
            _("The file has more than %(limit)d columns; keep only the columns to import.") % {"limit": MAX_COLUMNS},
            code="too_many_columns",
        )
    headers = [cell_text(c) or _("Column %(number)d") % {"number": i + 1} for i, c in enumerate(header_cells)]
    headers += [_("Column %(number)d") % {"number": i + 1} for i in range(len(headers), width)]
    return Table(
        file_name=file_name, checksum=file_checksum(content), headers=headers,
        rows=[(number, cells + [None] * (width - len(cells))) for number, cells in data_rows],
        encoding=encoding,
    )


def _rows_kept(lines) -> list[tuple[int, list]]:
    """The non-blank rows, trailing empty cells trimmed; refuses more than the row limit
    without reading further (a huge sheet is not decompressed to the end)."""
    limit = settings.IMPORT_MAX_ROWS + 1  # and the header
    rows = []
    for number, cells in lines:
        while cells and not cell_text(cells[-1]):
            cells = cells[:-1]
        if not cells:
            continue
        if len(rows) == limit:
            raise ImportFileError(
                _("The file has more than %(limit)d rows; split it into smaller files.")
                % {"limit": settings.IMPORT_MAX_ROWS},
                code="too_many_rows",
            )
        rows.append((number, list(cells)))
    return rows


ENCODINGS_SUPPORTED = gettext_lazy("UTF-8, GB18030 (GBK) or Big5")


# Unicode's control characters (category Cc: U+0000–U+001F, U+007F–U+009F) but tab and line ends;
# one regular expression, not a Python loop over every character of the file.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _decode(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in: UTF-8 (BOM or not), else
    GB18030 or Big5, whichever gives the text of common characters."""
    if b"\x00" in content:
        raise ImportFileError(
            _("The file is not text in %(encodings)s: it may be UTF-16 or binary. "
              "Save it as “CSV UTF-8” or as .xlsx and upload it again.") % {"encodings": ENCODINGS_SUPPORTED},
            code="encoding",
        )
    try:
        text, encoding = content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _legacy_decode(content)
    if _CONTROL_CHARACTER.search(text):
        raise ImportFileError(_("This is not a spreadsheet: upload a CSV or XLSX file."), code="not_spreadsheet")
    return text, encoding


# Python's codecs for the two legacy encodings, and the one whose table ranks the characters:
# GB2312 level 1 (lead bytes B0–D7) holds the 3,755 commonest simplified characters, Big5's
# A440–C67E the 5,401 commonest traditional ones.
# (name, codec read with, codec ranked by, lead bytes of its common characters)
_LEGACY_ENCODINGS = (("gb18030", "gb18030", "gb2312", (0xB0, 0xD7)), ("big5", "big5hkscs", "big5", (0xA4, 0xC6)))
_SAMPLE_CHARACTERS = 20_000


def _legacy_decode(content: bytes) -> tuple[str, str]:
    """A non-UTF-8 file read as GB18030 or Big5.

    Both are double-byte encodings over the same byte ranges, so Big5 bytes read as GB18030
    without an error, as nonsense (陳大文 becomes 朝ゅ), and the other way round. The reading
    in which more of the non-ASCII characters are common characters of that encoding wins;
    a tie goes to GB18030, what mainland Excel saves.
    """
    readings = []
    for name, codec, ranking, common in _LEGACY_ENCODINGS:
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        readings.append((_common_share(text, ranking, common), name == "gb18030", name, text))
    if not readings:
        raise ImportFileError(
            _("The file's characters could not be read as %(encodings)s. "
              "Save it as “CSV UTF-8” or as .xlsx and upload it again.") % {"encodings": ENCODINGS_SUPPORTED},
            code="encoding",
        )
    _share, _preferred, name, text = max(readings)
    return text, name


def _common_share(text: str, codec: str, common: tuple[int, int]) -> float:
    """The share of the text's (first) non-ASCII characters that are common in ``codec``'s table."""
    characters = [ch for ch in text if ord(ch) > 0x7F][:_SAMPLE_CHARACTERS]
    if not characters:
        return 1.0
    found = 0
    for ch in characters:
        try:
            encoded = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        found += len(encoded) == 2 and common[0] <= encoded[0] <= common[1]
    return found / len(characters)


def _csv_rows(text: str):
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([",", "\t", ";", "|"], key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        yield from enumerate(reader, 1)
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file could not be read: %(error)s") % {"error": error}, code="not_spreadsheet"
        ) from error


def _xlsx_rows(content: bytes):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ImportFileError(_("This is not a spreadsheet: upload a CSV or XLSX file."), code="not_spreadsheet")
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [_cell_json(value) for value in row]
    finally:
        workbook.close()


def _cell_json(value):
    """A spreadsheet cell as JSON: dates as ISO text, whole floats as integers."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)
