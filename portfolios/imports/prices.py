"""Prices files: one row per instrument and day (code, date, price, currency).

Committing records the prices day by day, oldest first, through
``services.instrument_price_record`` (which revalues the holdings each price moves), and queues
the revaluation of the clients whose holdings changed, per day, after the commit
(``services.valuations_refresh_enqueue``; the revaluation raises the stop-loss, drawdown and
concentration alerts). Recording the same price again changes nothing.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import access
from dataimport.columns import Column, decimal_read, text_normalise
from dataimport.engine import ImportKind, Row

from .. import services
from ..models import Instrument, InstrumentPrice
from .cells import (
    CURRENCY,
    INSTRUMENT_CODE,
    PRICE_MAX,
    AssetReport,
    FxCheck,
    currency_read,
    date_read,
    identifier_read,
    no_fx_message,
    shown,
)

PRICE_COLUMNS = (
    INSTRUMENT_CODE,
    Column("price_date", gettext_lazy("price date"), ("price date", "date", "as of", "价格日期", "日期", "净值日期")),
    Column("price", gettext_lazy("price"), (
        "price", "close", "closing price", "nav", "价格", "收盘价", "净值", "单位净值")),
    CURRENCY,
)


@dataclass
class Price:
    instrument: Instrument
    price_date: date
    price: Decimal
    currency: str


@dataclass
class _Context:
    instruments: dict
    fx_ok: FxCheck
    seen: dict  # (instrument, day) → the row that priced it first


class PricesImport(ImportKind):
    key = "prices"
    columns = PRICE_COLUMNS
    required = (("instrument_code",), ("price_date",), ("price",), ("currency",))
    report_class = AssetReport

    def prepare(self, rows: list[Row], *, user) -> _Context:
        # A price revalues every holder of the instrument in every team: market data is the data
        # desk's and administrators' (the page answers 404 to others; this guards every other path).
        # ``user`` None is a trusted caller without a request (the shell, prices_import_check).
        if user is not None and not access.may_edit_market_data(user):
            raise PermissionDenied
        codes = {text_normalise(r.cell("instrument_code")) for r in rows} - {""}
        return _Context(instruments={i.code: i for i in Instrument.objects.filter(code__in=codes)},
                        fx_ok=FxCheck(), seen={})

    def check_row(self, row: Row, context: _Context) -> None:
        code = row.read("instrument_code", identifier_read, model=Instrument, field="code",
                        missing_message=_("The instrument code is missing."))
        instrument = context.instruments.get(code) if code else None
        if code and instrument is None:
            row.error("instrument_code", _("Unknown instrument %(code)s.") % {"code": code})
        price_date = row.read("price_date", date_read)
        price = row.read("price", decimal_read, places=services.PRICE_PLACES, maximum=PRICE_MAX)
        if price is not None and price <= 0:  # the database refuses it too: caught here, in the dry run
            row.error("price", _("A price must be above zero."))
            price = None
        currency = row.read("currency", currency_read)
        if currency and instrument is not None and currency != instrument.currency.upper():
            row.error("currency", _("%(code)s is priced in %(expected)s, not %(currency)s.") % {
                "code": instrument.code, "expected": instrument.currency.upper(), "currency": currency})
        elif currency and price_date and not context.fx_ok(currency, price_date):
            row.error("currency", no_fx_message(currency, price_date))
        if instrument is not None and price_date:
            key = (instrument.pk, price_date)
            if key in context.seen:
                row.error("price_date", _("A second price for the same day as row %(row)s.")
                          % {"row": context.seen[key]})
            else:
                context.seen[key] = row.number
        if not row.has_errors:
            row.parsed = Price(instrument, price_date, price, currency)

    def describe(self, rows: list[Row], context: _Context, report: AssetReport) -> None:
        parsed = [row.parsed for row in rows if row.parsed is not None]
        existing = {
            (p.instrument_id, p.price_date): p
            for p in InstrumentPrice.objects.filter(
                instrument__in={p.instrument for p in parsed}, price_date__in={p.price_date for p in parsed})
        }
        for row in rows:
            p = row.parsed
            if p is None:
                continue
            subject = f"{p.instrument.code} · {p.price_date.isoformat()}"
            new = f"{shown(p.price)} {p.currency}"
            current = existing.get((p.instrument.pk, p.price_date))
            if current is None:
                row.entry["change"] = {"action": "new", "subject": subject, "detail": new}
            elif (current.price, current.currency) == (p.price, p.currency):
                row.entry["change"] = {"action": "unchanged", "subject": subject, "detail": new}
            else:
                row.entry["change"] = {"action": "update", "subject": subject,
                                       "detail": f"{shown(current.price)} {current.currency} → {new}"}

    def write(self, rows: list[Row], context: _Context, report: AssetReport, *, user, upload, options) -> None:
        by_date: dict[date, list[Price]] = defaultdict(list)
        for row in rows:
            by_date[row.parsed.price_date].append(row.parsed)
        queued = 0
        for price_date in sorted(by_date):
            affected: set[int] = set()
            for p in by_date[price_date]:
                affected |= services.instrument_price_record(
                    instrument=p.instrument, price_date=p.price_date, price=p.price, currency=p.currency)
            queued += services.valuations_refresh_enqueue(client_ids=affected, valuation_date=price_date)
        report.result = {"created": report.new_count, "updated": report.update_count,
                         "skipped": report.unchanged_count, "errors": 0, "revaluations_queued": queued}


PRICES = PricesImport()
