"""ISO 4217 currency codes: the only currencies a goal, a price or an amount may be in."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Active ISO 4217 alphabetic codes (list one, 2024), without the test, fund, precious-metal and
# "no currency" codes (XTS, XXX, XAU, …), which are no currency a client's goal is in.
ISO_4217_CODES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
XOF XPF YER ZAR ZMW ZWG
""".split())


def currency_code_validate(value: str) -> None:
    """Refuse anything but an ISO 4217 code in capitals (``CNY``, ``USD``)."""
    if value not in ISO_4217_CODES:
        raise ValidationError(_("“%(value)s” is not an ISO 4217 currency code, such as CNY, USD or HKD."),
                              code="invalid_currency", params={"value": value})
