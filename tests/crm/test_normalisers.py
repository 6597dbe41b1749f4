"""Normalisers: a table of real-world messy inputs and what the registry stores for each."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm import normalisers as n
from crm.models import Client

RID = "11010519491231002X"  # valid check character
CREDIT = "91350100M000100Y43"

NORMALISED = [
    # (function, kwargs, messy input, stored value)
    (n.name_normalise, {}, "  Zhang   Wei ", "Zhang Wei"),
    (n.name_normalise, {}, "　张　伟　", "张伟"),
    (n.name_normalise, {}, "ＷＡＮＧ　Ｆａｎｇ", "WANG Fang"),
    (n.name_normalise, {}, "欧阳 娜娜", "欧阳娜娜"),
    (n.name_normalise, {}, "Li\tNa\n", "Li Na"),
    (n.name_normalise, {}, "深圳市 腾飞科技有限公司", "深圳市腾飞科技有限公司"),
    (n.name_normalise, {}, "", ""),
    (n.phone_normalise, {}, "138 0013 8000", "+8613800138000"),
    (n.phone_normalise, {}, "+86-138-0013-8000", "+8613800138000"),
    (n.phone_normalise, {}, "0086 13800138000", "+8613800138000"),
    (n.phone_normalise, {}, "１３８００１３８０００", "+8613800138000"),
    (n.phone_normalise, {}, "(+86) 138-0013-8000", "+8613800138000"),
    (n.phone_normalise, {}, "13800138000.0", "+8613800138000"),
    (n.phone_normalise, {}, 13800138000, "+8613800138000"),
    (n.phone_normalise, {}, "010-62345678", "+861062345678"),
    (n.phone_normalise, {}, "(021) 6234 5678", "+862162345678"),
    (n.phone_normalise, {}, "+852 9123 4567", "+85291234567"),
    (n.phone_normalise, {}, "+44 20 7946 0958", "+442079460958"),
    (n.phone_normalise, {}, None, ""),
    (n.email_normalise, {}, " Zhang.Wei@EXAMPLE.COM ", "zhang.wei@example.com"),
    (n.email_normalise, {}, "mailto:li@Mail.CN", "li@mail.cn"),
    (n.email_normalise, {}, "ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "wang@example.com"),
    (n.id_number_normalise, {"id_type": "resident_id"}, "11010519491231002x", RID),
    (n.id_number_normalise, {"id_type": "resident_id"}, " 110105 19491231 002X ", RID),
    (n.id_number_normalise, {"id_type": "resident_id"}, "110105491231002", RID),  # 15-digit legacy ID
    (n.id_number_normalise, {"id_type": "passport"}, "e 1234-5678", "E12345678"),
    (n.id_number_normalise, {"id_type": "hk_macao_permit"}, "h12345678", "H12345678"),
    (n.id_number_normalise, {"id_type": "credit_code"}, "91350100m000100y43", CREDIT),
    (n.date_normalise, {}, "2024-03-05", date(2024, 3, 5)),
    (n.date_normalise, {}, "2024/3/5", date(2024, 3, 5)),
    (n.date_normalise, {}, "2024.03.05", date(2024, 3, 5)),
    (n.date_normalise, {}, "20240305", date(2024, 3, 5)),
    (n.date_normalise, {}, "05/03/2024", date(2024, 3, 5)),  # day first when the year is last
    (n.date_normalise, {}, "5-3-2024", date(2024, 3, 5)),
    (n.date_normalise, {}, "2024年3月5日", date(2024, 3, 5)),
    (n.date_normalise, {}, "２０２４年３月５日", date(2024, 3, 5)),
    (n.date_normalise, {}, "2024-03-05 14:30:00", date(2024, 3, 5)),
    (n.date_normalise, {}, 45356, date(2024, 3, 5)),  # Excel serial day
    (n.date_normalise, {}, "45356", date(2024, 3, 5)),
    (n.date_normalise, {}, datetime(2024, 3, 5, 9, 30), date(2024, 3, 5)),  # openpyxl date cell
    (n.date_normalise, {}, date(2024, 3, 5), date(2024, 3, 5)),
    (n.date_normalise, {}, "", None),
    (n.money_normalise, {}, "1,234.50", Decimal("1234.50")),
    (n.money_normalise, {}, "¥1,234.5", Decimal("1234.50")),
    (n.money_normalise, {}, "￥ 1 234.5", Decimal("1234.50")),
    (n.money_normalise, {}, "1.2万", Decimal("12000.00")),
    (n.money_normalise, {}, "3亿元", Decimal("300000000.00")),
    (n.money_normalise, {}, "RMB 100", Decimal("100.00")),
    (n.money_normalise, {}, "0.125", Decimal("0.13")),  # half up, once
    (n.money_normalise, {}, 99.999, Decimal("100.00")),
    (n.money_normalise, {}, "", None),
    (n.choice_normalise, {"choices": Client.Kind}, "个人", "individual"),
    (n.choice_normalise, {"choices": Client.Kind}, "individual", "individual"),
    (n.choice_normalise, {"choices": Client.Kind}, " CORPORATE ", "corporate"),
    (n.choice_normalise, {"choices": Client.Kind}, "企业", "corporate"),
    (n.choice_normalise, {"choices": Client.LiquidityNeed}, "高", "high"),
    (n.choice_normalise, {"choices": Client.LiquidityNeed}, "High", "high"),
    (n.choice_normalise, {"choices": Client.ReturnExpectation}, "High risk, high return", "high"),
    (n.choice_normalise, {"choices": Client.LifecycleStage}, "成熟", "maturity"),
    (n.choice_normalise, {"choices": Client.IdType}, "身份证", "resident_id"),
    (n.choice_normalise, {"choices": Client.IdType}, "Unified social credit code", "credit_code"),
    (n.choice_normalise, {"choices": Client.KycStatus, "aliases": {"ok": "verified"}}, "OK", "verified"),
]

REFUSED = [
    # (function, kwargs, bad input, words the message must hold)
    (n.name_normalise, {}, "12345", "not a name"),
    (n.name_normalise, {}, "x" * 201, "200 characters"),
    (n.phone_normalise, {}, "12345", "not a valid phone number"),
    (n.phone_normalise, {}, "6234 5678", "area code"),  # a landline without its area code
    (n.phone_normalise, {}, "call me", "not a valid phone number"),
    (n.email_normalise, {}, "zhang.wei@", "not a valid e-mail"),
    (n.email_normalise, {}, "zhang wei at example.com", "not a valid e-mail"),
    (n.id_number_normalise, {"id_type": "resident_id"}, "110105194912310021", "check digit"),
    (n.id_number_normalise, {"id_type": "resident_id"}, "110105194913310020", "birth date"),
    (n.id_number_normalise, {"id_type": "resident_id"}, "1101051949123", "18 characters"),
    (n.id_number_normalise, {"id_type": "resident_id"}, "11010519491231002Y", "18 characters"),
    (n.id_number_normalise, {"id_type": "passport"}, "E12", "5 to 20"),
    (n.id_number_normalise, {"id_type": "passport"}, "E1234567*", "5 to 20"),
    (n.id_number_normalise, {"id_type": "credit_code"}, "91350100M000100Y4", "18 letters"),
    (n.id_number_normalise, {"id_type": "credit_code"}, "91350100M000100Y44", "check character"),
    (n.id_number_normalise, {"id_type": "credit_code"}, "91350100M000100I43", "18 letters"),
    (n.date_normalise, {}, "2024-02-30", "not a date"),
    (n.date_normalise, {}, "31/02/1990", "not a date"),
    (n.date_normalise, {}, "next Tuesday", "not a date"),
    (n.date_normalise, {}, "0", "not a date"),
    (n.money_normalise, {}, "about a million", "not an amount"),
    (n.money_normalise, {}, "1,2,3.4.5", "not an amount"),
    (n.choice_normalise, {"choices": Client.Kind}, "alien", "not one of the choices"),
]


@pytest.mark.parametrize("function,kwargs,messy,stored", NORMALISED)
def test_it_normalises_messy_input(function, kwargs, messy, stored):
    assert function(messy, **kwargs) == stored


@pytest.mark.parametrize("function,kwargs,bad,words", REFUSED)
def test_it_refuses_bad_input_with_a_clear_message(function, kwargs, bad, words):
    with pytest.raises(ValidationError) as error:
        function(bad, **kwargs)
    assert words in " ".join(error.value.messages)


def test_it_reads_the_birth_date_from_a_resident_id():
    assert n.resident_id_birth_date(RID) == date(1949, 12, 31)


def test_it_guesses_the_id_type_of_a_bare_number():
    assert n.id_type_guess(RID) == "resident_id"
    assert n.id_type_guess("110105491231002") == "resident_id"
    assert n.id_type_guess("E12345678") == "passport"
    assert n.id_type_guess(CREDIT, kind="corporate") == "credit_code"
    assert n.id_type_guess("ABC") == ""


def test_it_reads_english_and_chinese_labels_whatever_the_readers_language():
    from django.utils import translation

    from crm.models import Client
    from crm.normalisers import choice_normalise

    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert choice_normalise("High risk, high return", choices=Client.ReturnExpectation) == "high"
            assert choice_normalise("高风险高收益", choices=Client.ReturnExpectation) == "high"


def test_it_builds_the_lookup_of_a_choice_set_once_not_per_cell():
    # An import reads thousands of cells of the same few choices; the lookup of every label in
    # every language was 78 % of checking a row when it was rebuilt per cell.
    n._choice_lookup.cache_clear()
    values = [n.choice_normalise(value, choices=Client.Kind) for value in ("个人", "Corporate", "企业", "individual")]
    n.choice_normalise("高", choices=Client.LiquidityNeed, aliases={"很高": "high"})
    n.choice_normalise("很高", choices=Client.LiquidityNeed, aliases={"很高": "high"})

    assert values == ["individual", "corporate", "corporate", "individual"]
    info = n._choice_lookup.cache_info()
    assert (info.misses, info.hits) == (2, 4)  # Kind once, LiquidityNeed with those aliases once
