"""Reading files: CSV in the encodings branches use, XLSX, and clear refusals of what cannot be read."""

import datetime
import io
import zipfile

import pytest

from dataimport.reading import (
    MAX_COLUMNS,
    ImportFileError,
    Table,
    file_checksum,
    table_read,
)
from tests.factories import csv_bytes, xlsx_bytes

ROWS = [["姓名", "手机"], ["王芳", "13800138000"]]


def refused(content: bytes, **kwargs) -> ImportFileError:
    with pytest.raises(ImportFileError) as error:
        table_read(content=content, file_name="f.csv", **kwargs)
    return error.value


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_it_reads_csv_in_utf8_with_or_without_bom_and_in_gb18030(encoding):
    content = csv_bytes(ROWS, encoding=encoding)

    table = table_read(content=content, file_name="客户.csv")

    assert table.headers == ["姓名", "手机"]  # no BOM left on the first header
    assert table.rows == [(2, ["王芳", "13800138000"])]
    assert (table.file_name, table.checksum) == ("客户.csv", file_checksum(content))
    assert table.encoding == ("utf-8" if encoding.startswith("utf") else "gb18030")


BIG5_ROWS = [["客戶姓名", "手機號碼", "地址"], ["陳大文", "91234567", "香港九龍彌敦道"], ["黃美玲", "92345678", "臺北市信義路"]]


@pytest.mark.parametrize("rows", [BIG5_ROWS, [["姓名"], ["陳大文"]]])
def test_it_reads_a_big5_file_as_big5_not_as_garbled_gbk(rows):
    content = csv_bytes(rows, encoding="big5")
    assert content.decode("gb18030") != "\r\n".join(",".join(r) for r in rows) + "\r\n"  # GB18030 reads it, wrongly

    table = table_read(content=content, file_name="香港客戶.csv")

    assert table.encoding == "big5"
    assert table.headers == rows[0]
    assert [cells for _number, cells in table.rows] == rows[1:]


@pytest.mark.parametrize("rows", [
    [["客户姓名", "手机号码", "客户经理", "备注"], ["王芳", "13800138000", "赵敏", "退休教师"], ["陈大文", "13900139000", "上海", "VIP"]],
    [["姓名"], ["陈大文"]],  # three characters that also read as Big5 (麻湮恅)
])
def test_it_keeps_reading_simplified_chinese_files_as_gb18030(rows):
    content = csv_bytes(rows, encoding="gbk")
    content.decode("big5hkscs")  # the same bytes are valid Big5 too

    table = table_read(content=content, file_name="客户.csv")

    assert table.encoding == "gb18030"
    assert [cells for _number, cells in table.rows] == rows[1:]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_finds_the_delimiter_in_the_first_line(delimiter):
    table = table_read(content=csv_bytes(ROWS, delimiter=delimiter), file_name="f.csv")

    assert table.rows == [(2, ["王芳", "13800138000"])]


def test_it_keeps_spreadsheet_row_numbers_skips_blank_rows_and_pads_short_ones():
    content = b"Name,Phone,Notes\n\nLi Na,139\n, ,\nWang,138,VIP,extra\n"

    table = table_read(content=content, file_name="f.csv")

    assert table.headers == ["Name", "Phone", "Notes", "Column 4"]
    assert table.rows == [(3, ["Li Na", "139", None, None]), (5, ["Wang", "138", "VIP", "extra"])]


def test_it_reads_the_first_sheet_of_an_xlsx_with_dates_and_numbers_as_json():
    content = xlsx_bytes([["Name", "Born", "Phone", "Amount"],
                          ["Chen Jie", datetime.datetime(1980, 5, 17), 13800138000.0, 12.5]])

    table = table_read(content=content, file_name="book.xlsx")

    assert table.rows == [(2, ["Chen Jie", "1980-05-17", 13800138000, 12.5])]


def test_a_table_survives_its_json_round_trip():
    table = table_read(content=xlsx_bytes([["A", "B"], [1, None]]), file_name="t.xlsx")

    again = Table.from_json(table.to_json(), file_name=table.file_name, checksum=table.checksum)

    assert again == table


@pytest.mark.parametrize("content,code,words", [
    (b"", "empty", "The file is empty."),
    (b" \r\n\r\n", "empty", "The file is empty."),
    (b"\xef\xbb\xbf", "empty", "The file is empty."),
    ("Name,Phone\nJosé Müller,1\n".encode("latin-1"), "encoding", "could not be read as UTF-8, GB18030 (GBK) or Big5"),
    ("Name,Phone\nLi,1\n".encode("utf-16"), "encoding", "UTF-16"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "xls", ".xls"),
    (b"%PDF-1.7\n", "not_spreadsheet", "not a spreadsheet"),
    (b"\x89PNG\r\n\x1a\n", "not_spreadsheet", "not a spreadsheet"),
    (b"PK\x03\x04 not a zip", "not_spreadsheet", "not a spreadsheet"),
    (b"Name,Phone\n\x01\x02\x03,1\n", "not_spreadsheet", "not a spreadsheet"),
])
def test_it_refuses_what_it_cannot_read_with_a_reason(content, code, words):
    error = refused(content)

    assert error.code == code
    assert words in error.messages[0]


def test_it_refuses_a_zip_that_is_no_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert refused(buffer.getvalue()).code == "not_spreadsheet"


def test_it_refuses_a_header_without_rows_in_the_words_of_the_importing_app():
    assert refused(b"Name,Phone\n").messages == ["The file has a header row but no data rows."]
    assert refused(b"Name,Phone\n", no_rows_message="No clients.").messages == ["No clients."]
    assert refused(xlsx_bytes([["Name"]])).code == "empty"


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024

    error = refused(b"Name\n" + b"x" * (1024 * 1024))

    assert error.code == "too_large"
    assert error.messages == ["The file is larger than 1 MB; split it into smaller files."]


@pytest.mark.parametrize("xlsx", [False, True])
def test_it_refuses_more_rows_than_the_limit_and_accepts_the_limit(settings, xlsx):
    settings.IMPORT_MAX_ROWS = 3
    rows = [["Name"], ["a"], ["b"], ["c"]]
    make = xlsx_bytes if xlsx else csv_bytes

    assert len(table_read(content=make(rows), file_name="f").rows) == 3
    error = refused(make(rows + [["d"]]))
    assert error.code == "too_many_rows"
    assert error.messages == ["The file has more than 3 rows; split it into smaller files."]


def test_it_refuses_more_columns_than_the_limit():
    assert refused(csv_bytes([["x"] * (MAX_COLUMNS + 1), ["1"]])).code == "too_many_columns"
    assert len(table_read(content=csv_bytes([["x"] * MAX_COLUMNS, ["1"]]), file_name="f").headers) == MAX_COLUMNS


def test_it_ignores_empty_cells_right_of_the_data():
    table = table_read(content=b"Name,Phone,,,\nLi,139,,,\n", file_name="f.csv")

    assert table.headers == ["Name", "Phone"]
    assert table.rows == [(2, ["Li", "139"])]
