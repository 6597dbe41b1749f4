"""A bad file gives a clear message and changes nothing."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm import imports
from crm.models import Client, ClientImport
from tests.factories import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

GOOD_ROWS = [["姓名", "手机"], ["王芳", "13800138000"]]


def post_file(client, user, name, data):
    client.force_login(user)
    return client.post(reverse("crm:import-upload"), {"file": SimpleUploadedFile(name, data)})


def assert_refused(response, words):
    assert response.status_code == 200
    body = response.content.decode()
    assert words in body, body[-2000:]
    assert not ClientImport.objects.exists()
    assert not Client.objects.exists()


def test_it_refuses_text_in_an_unknown_encoding(client, owner):
    data = "Name,Phone\nJosé Müller,13800138000\n".encode("latin-1")
    assert_refused(post_file(client, owner, "latin1.csv", data), "could not be read as UTF-8, GB18030 (GBK) or Big5")


def test_it_refuses_utf16_text(client, owner):
    data = "Name,Phone\nLi Na,13800138000\n".encode("utf-16")
    assert_refused(post_file(client, owner, "utf16.csv", data), "UTF-16")


@pytest.mark.parametrize("data,words", [
    (bytes(range(1, 256)) * 20, "could not be read as UTF-8, GB18030 (GBK) or Big5"),  # no text in any encoding
    (bytes(range(1, 128)) * 20, "not a spreadsheet"),  # decodes, but is full of control characters
])
def test_it_refuses_binary_garbage(client, owner, data, words):
    assert_refused(post_file(client, owner, "clients.csv", data), words)


@pytest.mark.parametrize("name,data", [
    ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
    ("archive.xlsx", None),  # a zip that is no workbook
])
def test_it_refuses_a_file_that_is_not_a_spreadsheet(client, owner, name, data):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("readme.txt", "hello")
        data = buffer.getvalue()
    assert_refused(post_file(client, owner, name, data), "not a spreadsheet")


def test_it_refuses_an_old_xls_file(client, owner):
    assert_refused(post_file(client, owner, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100), ".xls")


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n", b"\xef\xbb\xbf", xlsx_bytes([])])
def test_it_refuses_an_empty_file(client, owner, data):
    response = post_file(client, owner, "empty.csv", data)
    assert response.status_code == 200
    assert "empty" in response.content.decode()
    assert not ClientImport.objects.exists()


def test_it_refuses_a_file_with_a_header_and_no_rows(client, owner):
    assert_refused(post_file(client, owner, "header.csv", csv_bytes([["姓名", "手机"]])), "no clients")


def test_it_refuses_a_file_over_the_size_limit(client, owner, settings):
    settings.IMPORT_MAX_BYTES = 1024
    data = csv_bytes(GOOD_ROWS + [["王芳", "13800138000"]] * 100)
    assert len(data) > 1024
    assert_refused(post_file(client, owner, "big.csv", data), "larger than")


def test_it_refuses_a_file_over_ten_megabytes_in_the_service(owner):
    data = csv_bytes(GOOD_ROWS) + b"x" * (10 * 1024 * 1024)
    with pytest.raises(imports.ValidationError) as error:
        imports.client_import_upload(user=owner, file_name="big.csv", data=data)
    assert "larger than 10 MB" in " ".join(error.value.messages)
    assert not ClientImport.objects.exists()


@pytest.mark.parametrize("rows,words", [
    ([["Phone", "E-mail"], ["13800138000", "a@b.cn"]], "a legal name column"),
    ([["Name", "Notes"], ["Wang Fang", "VIP"]], "ID number, phone or e-mail"),
])
def test_it_reports_missing_required_columns_and_imports_nothing(client, owner, rows, words):
    response = post_file(client, owner, "clients.csv", csv_bytes(rows))
    client_import = ClientImport.objects.get()
    assert response.url == reverse("crm:import-mapping", kwargs={"pk": client_import.pk})
    assert words in client_import.report["mapping_errors"][0]
    page = client.get(response.url)
    assert words in page.content.decode()
    with pytest.raises(imports.ValidationError):
        imports.client_import_commit(client_import=client_import, user=owner)
    response = client.post(reverse("crm:import-commit", kwargs={"pk": client_import.pk}))
    assert response.status_code == 302
    assert not Client.objects.exists()
    client_import.refresh_from_db()
    assert client_import.status == ClientImport.Status.DRY_RUN


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_it_reads_the_encodings_branches_use(owner, encoding):
    client_import = imports.client_import_upload(
        user=owner, file_name="clients.csv", data=csv_bytes(GOOD_ROWS, encoding=encoding))
    assert client_import.report["rows"][0]["values"]["legal_name"] == "王芳"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_it_reads_other_delimiters(owner, delimiter):
    client_import = imports.client_import_upload(
        user=owner, file_name="clients.csv", data=csv_bytes(GOOD_ROWS, delimiter=delimiter))
    assert client_import.report["rows"][0]["values"]["phone"] == "+8613800138000"
