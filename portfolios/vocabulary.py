"""Words stored in English on instruments (regions, industries, issuers of the demo and the usual
custodian files) that alert texts show as labels: listed here so the catalogues translate them,
and ``models.label_translate`` renders them in the reader's language. A value not listed stays as
it was typed."""

from django.utils.translation import gettext_noop

REGIONS = [
    gettext_noop("China"), gettext_noop("Hong Kong"), gettext_noop("Macau"), gettext_noop("Taiwan"),
    gettext_noop("United States"), gettext_noop("Europe"), gettext_noop("Japan"), gettext_noop("Asia Pacific"),
    gettext_noop("Emerging markets"), gettext_noop("Global"),
]

INDUSTRIES = [
    gettext_noop("Banking"), gettext_noop("Government"), gettext_noop("Policy bank"),
    gettext_noop("Consumer staples"), gettext_noop("Consumer discretionary"), gettext_noop("Industrials"),
    gettext_noop("Technology"), gettext_noop("Diversified"), gettext_noop("Insurance"),
    gettext_noop("Precious metals"), gettext_noop("Real estate"), gettext_noop("Private equity"),
    gettext_noop("Healthcare"), gettext_noop("Energy"), gettext_noop("Materials"), gettext_noop("Utilities"),
    gettext_noop("Telecommunications"), gettext_noop("Financials"),
]

ISSUERS = [
    gettext_noop("Ministry of Finance"), gettext_noop("China Development Bank"), gettext_noop("Kweichow Moutai"),
    gettext_noop("China Merchants Bank"), gettext_noop("CATL"), gettext_noop("Tencent"), gettext_noop("Apple"),
    gettext_noop("E Fund"), gettext_noop("ChinaAMC"), gettext_noop("Ping An Insurance"), gettext_noop("Hony Capital"),
]
