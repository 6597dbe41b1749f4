"""Cleaning of single client values (格式统一 / 纠错): pure functions, no database.

Each normaliser takes what a spreadsheet cell or form field may hold and returns the
one canonical form the registry stores, or raises ``ValidationError`` with a message
an RM can act on. A blank input gives the field's blank value ("" or ``None``), so
whether a value is required is decided by the caller, not here.
"""

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

DEFAULT_PHONE_REGION = "CN"

# Resident identity card, GB 11643: ISO 7064 MOD 11-2 weights and check characters.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
# Unified social credit code, GB 32100: its alphabet (no I, O, Z, S, V) and weights.
_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Excel counts days from 1899-12-30 (it wrongly treats 1900 as a leap year).
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_SERIAL_MAX = 2958465  # 9999-12-31


def _text(value) -> str:
    """The value as text with full-width forms folded (NFKC) and outer whitespace removed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def name_normalise(value) -> str:
    """A person's or company's name: NFKC (full-width letters, digits and spaces become
    half-width), whitespace collapsed to single spaces; Chinese characters kept as they are.
    """
    text = " ".join(_text(value).split())
    # Spaces inside a Chinese name are layout (张　伟 to line up columns), not part of it.
    text = _CJK_GAP.sub("", text)
    if not text:
        return ""
    if len(text) > 200:
        raise ValidationError(_("A name may be at most 200 characters long."), code="too_long")
    if not any(ch.isalpha() for ch in text):
        raise ValidationError(_("“%(value)s” is not a name.") % {"value": text}, code="invalid")
    return text


def phone_normalise(value, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """A phone number in E.164 (``+8613800138000``).

    Numbers without a country code are read as ``region`` numbers, so a landline needs
    its area code (``010-62345678``); ``0086`` and ``+86`` prefixes, spaces, dashes,
    brackets and full-width digits are accepted.
    """
    text = _text(value)
    if not text:
        return ""
    if re.fullmatch(r"\+?\d+\.0", text):  # a spreadsheet number cell written out as a float
        text = text[:-2]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number; give a mobile number or a landline with its area code.")
            % {"value": text},
            code="invalid",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normalise(value) -> str:
    """An e-mail address, trimmed and lower-cased as a whole.

    RFC 5321 lets a server treat the local part case-sensitively, but no mail service a
    client uses does, and a registry holding ``CLIENT25@example.com`` next to
    ``client25@example.com`` cannot tell that they are one person: the stored form is lower
    case, so equal addresses compare equal wherever they came from.
    """
    text = _text(value).replace(" ", "")
    if not text:
        return ""
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.lower()
    try:
        validate_email(text)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a valid e-mail address.") % {"value": text}, code="invalid")
    return text


def resident_id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_ID_WEIGHTS))
    return _RESIDENT_ID_CHECK[total % 11]


def resident_id_birth_date(number: str) -> date | None:
    """The birth date embedded in a normalised 18-character resident ID, or None."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except (ValueError, IndexError):
        return None


def resident_id_normalise(value) -> str:
    """A PRC resident ID: 18 characters, upper-case X; a legacy 15-digit ID is converted
    (century 19 inserted, check digit appended). The check digit and the embedded
    birth date are verified."""
    text = re.sub(r"[\s\-]", "", _text(value)).upper()
    if not text:
        return ""
    if re.fullmatch(r"\d{15}", text):
        first17 = f"{text[:6]}19{text[6:]}"
        text = first17 + resident_id_check_digit(first17)
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValidationError(
            _("“%(value)s” is not a resident ID number: it must have 18 characters (or 15 digits).")
            % {"value": text},
            code="invalid",
        )
    born = resident_id_birth_date(text)
    if born is None or born > date.today() or born.year < 1900:
        raise ValidationError(
            _("The resident ID number %(value)s holds an impossible birth date.") % {"value": text},
            code="invalid_birth_date",
        )
    if resident_id_check_digit(text[:17]) != text[17]:
        raise ValidationError(
            _("The resident ID number %(value)s has a wrong check digit; check it for typing errors.")
            % {"value": text},
            code="invalid_check_digit",
        )
    return text


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(_CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_CODE_WEIGHTS))
    return _CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_normalise(value) -> str:
    """A unified social credit code: 18 upper-case characters from its alphabet, check character verified."""
    text = re.sub(r"[\s\-]", "", _text(value)).upper()
    if not text:
        return ""
    if len(text) != 18 or any(ch not in _CREDIT_CODE_ALPHABET for ch in text):
        raise ValidationError(
            _("“%(value)s” is not a unified social credit code: it must have 18 letters and digits.")
            % {"value": text},
            code="invalid",
        )
    if credit_code_check_character(text[:17]) != text[17]:
        raise ValidationError(
            _("The unified social credit code %(value)s has a wrong check character; check it for typing errors.")
            % {"value": text},
            code="invalid_check_digit",
        )
    return text


def document_number_normalise(value) -> str:
    """A passport or permit number: letters and digits only, upper case, 5 to 20 characters."""
    text = re.sub(r"[\s\-]", "", _text(value)).upper()
    if not text:
        return ""
    if not re.fullmatch(r"[A-Z0-9]{5,20}", text):
        raise ValidationError(
            _("“%(value)s” is not a document number: use 5 to 20 letters and digits.") % {"value": text},
            code="invalid",
        )
    return text


def id_number_normalise(value, *, id_type: str) -> str:
    """An ID document number normalised by the rules of its type (see ``Client.IdType``)."""
    from .models import Client

    if id_type == Client.IdType.RESIDENT_ID:
        return resident_id_normalise(value)
    if id_type == Client.IdType.CREDIT_CODE:
        return credit_code_normalise(value)
    if id_type == Client.IdType.OTHER:
        text = " ".join(_text(value).split()).upper()
        if len(text) > 64:
            raise ValidationError(_("An ID number may be at most 64 characters long."), code="too_long")
        return text
    return document_number_normalise(value)


def id_type_guess(number: str, *, kind: str = "") -> str:
    """The ID type a bare number most likely is, or "" when it cannot be told."""
    from .models import Client

    text = re.sub(r"[\s\-]", "", _text(number)).upper()
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", text):
        return Client.IdType.RESIDENT_ID
    if len(text) == 18 and kind == Client.Kind.CORPORATE:
        return Client.IdType.CREDIT_CODE
    if re.fullmatch(r"[A-Z]{1,2}\d{7,8}", text):
        return Client.IdType.PASSPORT
    return ""


_DATE_PATTERNS = [
    # (regex, order of the groups); the first that matches wins.
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), "ymd"),
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"), "ymd"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "ymd"),
    # Day first when the year comes last (05/03/2024 is 5 March), as in Hong Kong,
    # Macao and the UK; branch spreadsheets in the US order are not expected.
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), "dmy"),
]


def excel_serial_to_date(serial) -> date:
    """The date an Excel serial day number stands for (1 = 1900-01-01)."""
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def date_normalise(value) -> date | None:
    """A calendar date from the forms spreadsheets hold.

    Accepted: ``date``/``datetime`` objects (openpyxl date cells), Excel serial numbers,
    2024-03-05, 2024/3/5, 2024.3.5, 20240305, 2024年3月5日, and 05/03/2024 which is
    read **day first** (5 March 2024). A time part after the date is ignored.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _excel_serial(value, str(value))
    text = _text(value)
    if not text:
        return None
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text) and not re.fullmatch(r"\d{8}", text):
        return _excel_serial(float(text), text)
    head = re.split(r"[ T]", text, maxsplit=1)[0] if re.match(r"\d{4}-", text) else text
    for pattern, order in _DATE_PATTERNS:
        match = pattern.fullmatch(head) or pattern.fullmatch(text)
        if match:
            first, second, third = (int(group) for group in match.groups())
            year, month, day = (first, second, third) if order == "ymd" else (third, second, first)
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise ValidationError(
        _("“%(value)s” is not a date; write it as 2024-03-05 (day/month/year when the year comes last).")
        % {"value": text},
        code="invalid",
    )


def _excel_serial(number, text: str) -> date:
    if not 1 <= number <= _EXCEL_SERIAL_MAX:
        raise ValidationError(_("“%(value)s” is not a date.") % {"value": text}, code="invalid")
    return excel_serial_to_date(number)


_MONEY_UNITS = {"万": Decimal("10000"), "亿": Decimal("100000000")}
_MONEY_NOISE = re.compile(r"(?i)[¥$,\s_']|CNY|RMB|元|人民币")


def money_normalise(value) -> Decimal | None:
    """An amount as a ``Decimal`` rounded half-up to cents: "1,234.50", "¥1,234.5", "1.2万"
    (= 12,000), "3亿"; currency signs and thousands separators are dropped."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = _text(value)
        if not text:
            return None
        cleaned = _MONEY_NOISE.sub("", text)
        multiplier = Decimal("1")
        if cleaned and cleaned[-1] in _MONEY_UNITS:
            multiplier = _MONEY_UNITS[cleaned[-1]]
            cleaned = cleaned[:-1]
        try:
            amount = Decimal(cleaned) * multiplier
        except InvalidOperation:
            raise ValidationError(_("“%(value)s” is not an amount of money.") % {"value": text}, code="invalid")
    if not amount.is_finite():
        raise ValidationError(_("“%(value)s” is not an amount of money.") % {"value": value}, code="invalid")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# Chinese (and common English) names of the registry's choices as branch spreadsheets
# write them, keyed by the TextChoices class name; the translations may be incomplete,
# so the import does not depend on them.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "Kind": {"个人": "individual", "自然人": "individual", "person": "individual", "机构": "corporate",
             "企业": "corporate", "公司": "corporate", "法人": "corporate", "company": "corporate"},
    "IdType": {"身份证": "resident_id", "居民身份证": "resident_id", "ID card": "resident_id", "护照": "passport",
               "港澳通行证": "hk_macao_permit", "回乡证": "hk_macao_permit", "台胞证": "taiwan_permit",
               "外国人永久居留证": "foreign_pr", "统一社会信用代码": "credit_code", "营业执照": "credit_code",
               "信用代码": "credit_code", "其他": "other"},
    "KycStatus": {"待审核": "pending", "待定": "pending", "已认证": "verified", "已验证": "verified",
                  "通过": "verified", "过期": "expired", "已过期": "expired", "拒绝": "rejected", "已拒绝": "rejected"},
    "InvestmentPreference": {"存款": "deposits", "理财": "deposits", "固收": "fixed_income", "固定收益": "fixed_income",
                             "债券": "fixed_income", "基金": "funds", "股票": "equities", "权益": "equities",
                             "保险": "insurance", "房产": "real_estate", "不动产": "real_estate",
                             "另类": "alternatives", "另类投资": "alternatives", "混合": "mixed", "均衡": "mixed"},
    "InvestmentGoal": {"养老": "retirement", "退休": "retirement", "教育": "education", "子女教育": "education",
                       "购房": "property", "置业": "property", "应急": "emergency_reserve",
                       "应急储备": "emergency_reserve", "财富增值": "wealth_growth", "增值": "wealth_growth"},
    "LiquidityNeed": {"高": "high", "中": "medium", "低": "low"},
    "ReturnExpectation": {"稳健": "stable", "稳定": "stable", "中": "medium", "中等": "medium",
                          "高": "high", "高风险高收益": "high"},
    "LifecycleStage": {"潜在": "potential", "开发": "development", "成长": "growth", "成熟": "maturity",
                       "衰退": "decline", "终止": "termination"},
    "IncomeBand": {"20万以下": "lt_200k", "20-50万": "200k_500k", "50-100万": "500k_1m", "100-500万": "1m_5m",
                   "500万以上": "gt_5m"},
}


def _choice_key(text: str) -> str:
    return re.sub(r"[\s_\-/,.()（）]+", "", _text(text).casefold())


@functools.cache
def _choice_lookup(choices, aliases: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Every spelling of the choices (``choice_normalise``) by its key, built once per process: an
    import reads thousands of cells of the same few choices (labels, translations and aliases
    are fixed while the process runs)."""
    from django.utils import translation

    lookup: dict[str, str] = {}
    for stored, label in choices.choices:
        lookup[_choice_key(stored)] = stored
        # A file's labels are in whichever shipped language its author used, not the reader's.
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                lookup.setdefault(_choice_key(str(label)), stored)
    for alias, stored in {**CHOICE_ALIASES.get(choices.__name__, {}), **dict(aliases)}.items():
        lookup[_choice_key(alias)] = stored
    return lookup


def choice_normalise(value, *, choices, aliases: dict[str, str] | None = None) -> str:
    """The stored value of a choice given its value, its English label, its Chinese name
    (``CHOICE_ALIASES`` or the translations) or one of ``aliases``, case-insensitively."""
    text = _text(value)
    if not text:
        return ""
    lookup = _choice_lookup(choices, tuple(sorted((aliases or {}).items())))
    found = lookup.get(_choice_key(text))
    if found is None:
        options = ", ".join(str(label) for _stored, label in choices.choices)
        raise ValidationError(
            _("“%(value)s” is not one of the choices: %(options)s.") % {"value": text, "options": options},
            code="invalid_choice",
        )
    return found
