"""Amounts inside alert and breach messages are grouped the reader's way, as on the rest of the pages."""

from django.utils import translation

from portfolios.models import message_render

TEMPLATE = "Deposits at %(bank)s are %(amount)s %(currency)s, above the %(cover)s %(currency)s deposit-insurance cover."


def test_it_groups_the_amounts_of_a_message_in_english_and_chinese():
    params = {"bank": "ICBC", "amount": "3727000.01", "cover": "500000.00", "currency": "CNY"}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            text = message_render(TEMPLATE, params)
        assert "3,727,000.01 CNY" in text and "500,000.00 CNY" in text, (language, text)
        assert "3727000.01" not in text


def test_it_leaves_a_value_that_is_not_a_number_as_stored():
    with translation.override("en"):
        text = message_render(TEMPLATE, {"bank": "ICBC", "amount": "n/a", "cover": "500000", "currency": "CNY"})
    assert "are n/a CNY" in text and "500,000.00 CNY" in text
