"""The one header matcher and the cell readers that need nothing of the registry."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from dataimport.columns import (
    Column,
    amount_bounded,
    cell_text,
    columns_find,
    decimal_read,
    header_key,
)

COLUMNS = (
    Column("name", gettext_lazy("Legal name"), ("name", "client", "姓名")),
    Column("phone", gettext_lazy("Phone"), ("phone", "mobile", "手机号码")),
    Column("client_id", gettext_lazy("client id"), ("client id", "client")),  # "client" is the name's first
)


@pytest.mark.parametrize("header,key", [
    ("Phone", "phone"), ("  PHONE  ", "phone"), ("手机号码（必填）", "手机号码"), ("Mobile (required)", "mobile"),
    ("ＰＨＯＮＥ", "phone"), ("\ufeffName", "name"), ("client_id", "clientid"), ("E-mail:", "email"), (None, ""),
])
def test_it_reduces_headers_to_what_matters_for_matching(header, key):
    assert header_key(header) == key


def test_it_maps_each_recognised_header_to_its_column_by_index():
    assert columns_find(COLUMNS, ["手机号码 *", "Remarks", "姓名"]) == {"0": "phone", "2": "name"}


def test_the_first_header_for_a_column_wins_and_later_ones_are_ignored():
    assert columns_find(COLUMNS, ["Phone", "Mobile", "Name"]) == {"0": "phone", "2": "name"}


def test_a_spelling_two_columns_share_belongs_to_the_column_listed_first():
    assert columns_find(COLUMNS, ["Client", "Client ID"]) == {"0": "name", "1": "client_id"}


def test_a_column_is_also_found_by_its_key_and_its_label_in_every_shipped_language():
    assert columns_find(COLUMNS, ["client_id", "Legal name"]) == {"0": "client_id", "1": "name"}
    assert columns_find(COLUMNS, ["电话"]) == {"0": "phone"}  # the Chinese label of "Phone"


def test_a_cell_reads_as_trimmed_text():
    assert (cell_text(None), cell_text("  a b "), cell_text(12)) == ("", "a b", "12")


@pytest.mark.parametrize("value,expected", [
    ("1,234.5", Decimal("1234.500000")), ("１２", Decimal("12.000000")), (7, Decimal("7.000000")),
    ("0.0000004", Decimal("0.000000")), ("0.0000005", Decimal("0.000001")),
])
def test_it_reads_a_decimal_rounded_half_up(value, expected):
    assert decimal_read(value, places=Decimal("0.000001"), maximum=Decimal("1e18")) == expected


@pytest.mark.parametrize("value,message", [
    ("", "A number is required."), ("lots", "“lots” is not a number."), ("NaN", "“NaN” is not a number."),
    ("-Infinity", "“-Infinity” is not a number."), ("-0.01", "Cannot be negative."),
    ("1e18", "The number is too large."), ("1e30", "The number is too large."),
    ("9" * 40, "The number is too large."),
])
def test_it_refuses_what_is_no_decimal_or_out_of_range_with_a_message(value, message):
    with pytest.raises(ValidationError) as error:
        decimal_read(value, places=Decimal("0.000001"), maximum=Decimal("1e18"))
    assert error.value.messages == [message]


def test_a_bound_too_large_for_the_decimal_context_is_refused_not_an_arithmetic_error():
    with pytest.raises(ValidationError) as error:
        amount_bounded(Decimal("1e30"), places=Decimal("0.01"), maximum=Decimal("1e40"))
    assert error.value.code == "too_large"
