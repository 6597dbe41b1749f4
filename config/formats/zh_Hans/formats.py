"""Simplified Chinese formats: Django's, with amounts grouped by thousands (36,173,000.63).

Django ships zh_Hans without a thousand separator, so ``floatformat:"2g"`` printed 36173000.63.
Chinese finance writes amounts with commas every three digits; 万 / 亿 is offered by the
``money_short`` filter (crm.templatetags.money), not here.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403  (dates and input formats unchanged)

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
