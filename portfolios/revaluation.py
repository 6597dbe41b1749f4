"""Revaluation of many clients at once, and the daily job that revalues the whole book.

``valuations_refresh`` values a batch of clients with a constant number of queries whatever the
batch holds: the day's shared data (AUM tier thresholds, concentration rules, model allocations,
FX rates, prices) comes from a ``ValuationContext`` loaded once per run; holdings, snapshots, open
alerts, stop-losses and drawdown limits are read for the whole batch; snapshots are upserted and
alerts, holdings, limits and clients written in bulk, each audited change with its history row.
``services.valuation_refresh`` is this with a batch of one, so a client revalued alone (after a
price or a limit changed) and the same client in the daily run get the same result.

``valuations_refresh_daily`` walks the clients with holdings by id, one batch per transaction,
and keeps its checkpoint and progress in the day's ``ValuationRun`` (admin: Portfolios ›
Valuation runs): a run killed half-way resumes after the last committed batch, and a day already
done is not redone unless asked.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from crm.bulk import rows_copy
from crm.history import history_bulk_update, history_copy_created
from crm.models import Client
from crm.selectors import aum_tier_for, aum_tier_thresholds

from . import selectors
from .models import (
    Alert,
    ConcentrationLimit,
    DrawdownLimit,
    Holding,
    ModelAllocation,
    ValuationRun,
    ValuationSnapshot,
)
from .selectors import HUNDRED, ZERO, FxRateMissing, PortfolioSummary, cents, plain

logger = logging.getLogger(__name__)

# Alert kinds that ``concentration_breaches`` decides; the others have their own crossing rules.
CONCENTRATION_ALERT_KINDS = [
    Alert.Kind.SINGLE_HOLDING, Alert.Kind.ASSET_CLASS_BAND, Alert.Kind.REGION,
    Alert.Kind.INDUSTRY, Alert.Kind.ISSUER, Alert.Kind.BANK_DEPOSIT,
]

BATCH_SIZE = 1000  # clients per transaction of the daily run


@dataclass
class ValuationContext:
    """What every client of one valuation day shares, loaded once: tier thresholds, concentration
    rules, the current model allocation per risk level; FX rates and latest prices are added as
    batches need them and kept for the next batches."""

    on_date: date
    thresholds: dict
    limit_rules: list[ConcentrationLimit]
    allocations: dict[str, ModelAllocation]
    rates: dict[str, Decimal | None] = field(default_factory=dict)  # None: no rate on or before on_date
    prices: dict[int, tuple[date, Decimal] | None] = field(default_factory=dict)

    @classmethod
    def load(cls, *, on_date: date) -> "ValuationContext":
        return cls(on_date=on_date, thresholds=aum_tier_thresholds(), limit_rules=list(ConcentrationLimit.objects.all()),
                   allocations=selectors.model_allocations_current(on_date=on_date))

    def rates_for(self, currencies) -> dict[str, Decimal | None]:
        missing = {c.upper() for c in currencies} - set(self.rates)
        if missing:
            found = selectors.fx_rates_found(currencies=missing, on_date=self.on_date)
            self.rates.update({currency: found.get(currency) for currency in missing})
        return self.rates

    def prices_for(self, instrument_ids) -> dict[int, tuple[date, Decimal] | None]:
        missing = set(instrument_ids) - set(self.prices)
        if missing:
            found = selectors.instrument_prices_latest(instrument_ids=missing, on_date=self.on_date)
            self.prices.update({pk: found.get(pk) for pk in missing})
        return self.prices


@dataclass
class BatchResult:
    snapshots: dict[int, ValuationSnapshot]  # by client id
    failed: dict[int, FxRateMissing]  # clients not valued: a currency they hold has no FX rate


@dataclass(slots=True)
class _OpenAlert:
    """An open alert as the batch reads it, or raises it (no ``pk`` yet): values, not a model
    instance (the book has a few per client, and most stay as they are)."""

    pk: int | None
    client_id: int
    kind: str
    subject: str
    details: dict
    resolved_at: datetime | None = None  # of an alert raised and resolved in the same batch


class _AlertBook:
    """The batch's open alerts and the writes decided so far, so the rules read as they would
    one alert at a time: resolving what is open, raising one alert per (client, kind, subject).
    Only the alerts that change are loaded as model instances, when the book is saved."""

    def __init__(self, client_ids, now):
        self.now = now
        self.open: dict[int, dict[tuple[str, str], _OpenAlert]] = {}  # by client, then (kind, subject)
        rows = Alert.objects.filter(client_id__in=client_ids, resolved_at__isnull=True).values_list(
            "pk", "client_id", "kind", "subject", "details")
        for row in rows:
            alert = _OpenAlert(*row)
            self.open.setdefault(alert.client_id, {})[(alert.kind, alert.subject)] = alert
        self.resolved: set[int] = set()  # pks of existing alerts resolved
        self.reworded: dict[int, dict] = {}  # new details of existing alerts, by pk
        self.created: list[_OpenAlert] = []

    def open_for(self, client_id: int, kinds) -> dict[tuple[str, str], _OpenAlert]:
        return {key: alert for key, alert in self.open.get(client_id, {}).items() if key[0] in kinds}

    def resolve(self, alert: _OpenAlert) -> None:
        self.open.get(alert.client_id, {}).pop((alert.kind, alert.subject), None)
        if alert.pk is None:
            alert.resolved_at = self.now  # raised in this batch: stored resolved
        else:
            self.resolved.add(alert.pk)

    def resolve_open(self, client_id: int, kind: str, subject: str) -> None:
        if (alert := self.open.get(client_id, {}).get((kind, subject[:200]))) is not None:
            self.resolve(alert)

    def reword(self, alert: _OpenAlert, details: dict) -> None:
        alert.details = details
        self.reworded[alert.pk] = details

    def raise_(self, client_id: int, kind: str, subject: str, details: dict) -> None:
        """Open an alert; ``details`` carries its message (see Alert.message_details), stored by ``save``.

        No model instance and no full_clean (they cost more than valuing the client, and a first run
        raises a few alerts a client): the kind is checked, the subject cut to its column's length,
        the client exists (its row is locked) and the open-alert constraint is the database's to enforce."""
        alert = _OpenAlert(None, client_id, Alert.Kind(kind).value, subject[:200], details)
        self.open.setdefault(client_id, {})[(alert.kind, alert.subject)] = alert
        self.created.append(alert)

    def save(self) -> None:
        # The messages in the site's language, under one override rather than one per alert.
        with translation.override(settings.LANGUAGE_CODE):
            # Resolutions first, so a new alert on a subject never meets the one it replaces still open.
            changed = list(Alert.objects.filter(pk__in=self.resolved | set(self.reworded))) if (
                self.resolved or self.reworded) else []
            for alert in changed:
                if alert.pk in self.reworded:
                    alert.details = self.reworded[alert.pk]
                    alert.message = Alert.message_stored(alert.details)
                if alert.pk in self.resolved:
                    alert.resolved_at = self.now
            history_bulk_update(changed, Alert, ["resolved_at", "message", "details"], user=None, reason="")
            # A first run raises a few alerts a client: COPY and INSERT ... SELECT for them and their
            # history rows (crm.bulk), rather than a JSON document escaped in Python twice per alert.
            ids = rows_copy(Alert, [
                {"client_id": alert.client_id, "kind": alert.kind, "subject": alert.subject, "details": alert.details,
                 "message": Alert.message_stored(alert.details)[:500], "raised_at": self.now,
                 "resolved_at": alert.resolved_at}
                for alert in self.created])
            history_copy_created(Alert, ids, user=None, reason="")


def _group(rows, key) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


@transaction.atomic
def valuations_refresh(*, client_ids, valuation_date: date, context: ValuationContext | None = None) -> BatchResult:
    """Value the clients' portfolios on ``valuation_date`` and act on it; safe to run again.

    Per client: upserts the day's snapshot, stores AUM and tier, raises or resolves concentration
    alerts (one open alert per kind and subject), and raises stop-loss and drawdown alerts exactly
    once per crossing: the crossing is remembered on the holding (``stop_loss_breached``) or the
    limit (``is_breached``); recovering resets it and resolves the alert, so the next crossing
    raises a new one. A client holding a currency with no FX rate is left as it was (``failed``).
    Writes only what changed; the number of queries does not depend on the number of clients.
    """
    context = context or ValuationContext.load(on_date=valuation_date)
    assert context.on_date == valuation_date
    clients = list(Client.objects.select_for_update().filter(pk__in=list(client_ids)).order_by("pk"))
    ids = [client.pk for client in clients]
    holdings = _group(selectors.holding_list_for_clients(client_ids=ids), key=lambda h: h.account__client_id)
    rates = context.rates_for({h.currency for rows in holdings.values() for h in rows})
    book = _AlertBook(ids, timezone.now())
    result = BatchResult(snapshots={}, failed={})

    summaries: dict[int, PortfolioSummary] = {}
    changed_clients = []
    for client in clients:
        rows = holdings.get(client.pk, [])
        missing = sorted({h.currency.upper() for h in rows if rates.get(h.currency.upper()) is None})
        if missing:
            result.failed[client.pk] = FxRateMissing(missing[0], valuation_date)
            continue
        summary = selectors.portfolio_summary_build(
            client=client, on_date=valuation_date, holdings=rows, rates=rates,
            allocation=context.allocations.get(client.risk_level) if client.risk_level else None, open_alerts=())
        summaries[client.pk] = summary
        tier = aum_tier_for(summary.aum_base, context.thresholds)
        if (client.aum_total, client.aum_currency, client.aum_tier) != (summary.aum_base, summary.base_currency, tier):
            client.aum_total, client.aum_currency, client.aum_tier = summary.aum_base, summary.base_currency, tier
            client.updated_at = book.now
            changed_clients.append(client)
    valued = [client for client in clients if client.pk in summaries]

    result.snapshots = _snapshots_save(summaries, valuation_date)
    # Like client_aum_set, one audited row per client whose AUM or tier moved.
    history_bulk_update(changed_clients, Client, ["aum_total", "aum_currency", "aum_tier", "updated_at"],
                        user=None, reason="")
    for client in valued:
        _concentration_alerts_sync(book, client=client, summary=summaries[client.pk], context=context)
    _stop_loss_check(book, client_ids=[client.pk for client in valued], context=context)
    _drawdown_check(book, clients=valued, summaries=summaries, on_date=valuation_date)
    book.save()
    return result


def _snapshots_save(summaries: dict[int, PortfolioSummary], valuation_date: date) -> dict[int, ValuationSnapshot]:
    """Write the day's snapshot of each client: new ones with COPY (crm.bulk; a new day has one a
    client), stored ones only where their values differ.

    No full_clean: the values are the summary's (an amount the database's NUMERIC refuses if too
    large, the base currency, {class: amount}), the client's row is locked, and one snapshot a
    client and day is the database's unique constraint."""
    stored = {row[1]: row for row in ValuationSnapshot.objects.filter(
        client_id__in=list(summaries), valuation_date=valuation_date,
    ).values_list("pk", "client_id", "aum", "currency", "by_asset_class")}
    snapshots, new, changed = {}, [], []
    for client_id, summary in summaries.items():
        by_class = {total.asset_class: str(total.amount_base) for total in summary.by_asset_class}
        pk, _client_id, aum, currency, by_asset_class = stored.get(client_id) or (None, client_id, None, "", None)
        snapshot = snapshots[client_id] = ValuationSnapshot(
            pk=pk, client_id=client_id, valuation_date=valuation_date, aum=summary.aum_base,
            currency=summary.base_currency, by_asset_class=by_class)
        if pk is None:
            new.append(snapshot)
        elif (aum, currency, by_asset_class) != (summary.aum_base, summary.base_currency, by_class):
            changed.append(snapshot)
    ids = rows_copy(ValuationSnapshot, [
        {"client_id": s.client_id, "valuation_date": s.valuation_date, "aum": s.aum, "currency": s.currency,
         "by_asset_class": s.by_asset_class} for s in new])
    for snapshot, pk in zip(new, ids, strict=True):
        snapshot.pk = pk
    ValuationSnapshot.objects.bulk_update(changed, ["aum", "currency", "by_asset_class"], batch_size=500)
    return snapshots


def _concentration_alerts_sync(book: _AlertBook, *, client: Client, summary, context: ValuationContext) -> None:
    limits = selectors.concentration_limits_pick(rules=context.limit_rules, risk_level=client.risk_level,
                                                 aum_tier=client.aum_tier)
    breaches = {(b.kind, b.subject): b
                for b in selectors.concentration_breaches(client=client, summary=summary, limits=limits)}
    open_alerts = book.open_for(client.pk, CONCENTRATION_ALERT_KINDS)
    for key, alert in open_alerts.items():
        if key not in breaches:
            book.resolve(alert)
    for key, breach in breaches.items():
        details = {"actual": str(breach.actual), "limit": str(breach.limit),
                   **Alert.message_details(breach.template, breach.params)}
        alert = open_alerts.get(key)
        if alert is None:
            book.raise_(client.pk, breach.kind, breach.subject, details)
        elif alert.details != details:
            book.reword(alert, details)


def holding_subject(holding: Holding) -> str:
    return f"{holding.instrument.code} · {holding.account}"[:200]


def _stop_loss_check(book: _AlertBook, *, client_ids: list[int], context: ValuationContext) -> None:
    holdings = list(
        Holding.objects.filter(account__client_id__in=client_ids).select_related("instrument", "account__institution")
        .exclude(stop_loss_price__isnull=True, stop_loss_pct__isnull=True, stop_loss_breached=False)
        .order_by("account__client_id", "account", "instrument__code")
    )
    prices = context.prices_for({h.instrument_id for h in holdings})
    changed = []
    for holding in holdings:
        price_date, price = prices.get(holding.instrument_id) or (None, None)
        if price_date is not None and price_date < holding.valuation_date:
            price = None  # positions imported after the last price: their own value is newer
        breached, message_details = stop_loss_state(holding, price)
        if breached == holding.stop_loss_breached:
            continue
        holding.stop_loss_breached = breached
        changed.append(holding)
        client_id, subject = holding.account.client_id, holding_subject(holding)
        book.resolve_open(client_id, Alert.Kind.STOP_LOSS, subject)
        if breached:
            book.raise_(client_id, Alert.Kind.STOP_LOSS, subject, {"holding_id": holding.pk, **message_details})
    history_bulk_update(changed, Holding, ["stop_loss_breached"], user=None, reason="")


def stop_loss_state(holding: Holding, price: Decimal | None) -> tuple[bool, dict]:
    """Whether the holding is at or beyond its stop-loss now, and what to say if so.

    The price is the instrument's latest recorded price unless the holding was valued after
    it; then market value / quantity.
    """
    if price is None and holding.quantity:
        price = holding.market_value / holding.quantity
    code = holding.instrument.code
    if holding.stop_loss_price is not None and price is not None and price <= holding.stop_loss_price:
        return True, Alert.message_details(
            gettext_noop("%(code)s is at %(price)s, at or below its stop-loss price of %(stop)s."),
            {"code": code, "price": plain(price), "stop": plain(holding.stop_loss_price)})
    if holding.stop_loss_pct is not None and holding.cost > 0:
        loss = (holding.cost - holding.market_value) * HUNDRED / holding.cost
        if loss >= holding.stop_loss_pct:
            return True, Alert.message_details(
                gettext_noop("%(code)s has lost %(loss)s%% against cost, at or beyond its %(stop)s%% stop-loss."),
                {"code": code, "loss": str(selectors.percent(holding.cost - holding.market_value, holding.cost)),
                 "stop": plain(holding.stop_loss_pct)})
    return False, {}


def _drawdown_check(book: _AlertBook, *, clients: list[Client], summaries: dict, on_date: date) -> None:
    limits = {limit.client_id: limit for limit in DrawdownLimit.objects.filter(client_id__in=[c.pk for c in clients])}
    if not limits:
        return
    # After this batch's snapshots were written: the peak counts today's AUM too.
    peaks = dict(ValuationSnapshot.objects.filter(client_id__in=list(limits), valuation_date__lte=on_date)
                 .values("client_id").annotate(peak=Max("aum")).values_list("client_id", "peak"))
    changed = []
    for client in clients:
        if (limit := limits.get(client.pk)) is None:
            continue
        aum = summaries[client.pk].aum_base
        peak = cents(peaks.get(client.pk) or ZERO)
        drawdown = (peak - aum) * HUNDRED / peak if peak > 0 else ZERO
        breached = drawdown >= limit.max_drawdown_pct and drawdown > 0
        if breached == limit.is_breached:
            continue
        limit.is_breached = breached
        changed.append(limit)
        book.resolve_open(client.pk, Alert.Kind.DRAWDOWN, "")
        if breached:
            shown = selectors.percent(peak - aum, peak)
            book.raise_(client.pk, Alert.Kind.DRAWDOWN, "", {
                "peak": str(peak), "aum": str(aum), "drawdown_pct": str(shown), **Alert.message_details(
                    gettext_noop("AUM is %(drawdown)s%% below its peak of %(peak)s %(currency)s, beyond the "
                                 "%(limit)s%% maximum drawdown."),
                    {"drawdown": str(shown), "peak": str(peak), "currency": client.aum_currency,
                     "limit": plain(limit.max_drawdown_pct)})})
    history_bulk_update(changed, DrawdownLimit, ["is_breached"], user=None, reason="")


# --- The daily run ----------------------------------------------------------------------


def client_ids_to_value(*, after: int = 0):
    """Ids of clients with a holding in an active account, above ``after``, in id order: the
    daily run's keyset (it walks the client primary key and probes holdings per client)."""
    with_holdings = Holding.objects.filter(account__client_id=OuterRef("pk"), account__is_active=True)
    return Client.objects.filter(Exists(with_holdings), pk__gt=after).order_by("pk").values_list("pk", flat=True)


def valuations_refresh_daily(*, valuation_date: date, batch_size: int = BATCH_SIZE, restart: bool = False,
                             stop_after: int | None = None) -> ValuationRun:
    """Revalue every client with holdings on ``valuation_date``, ``batch_size`` clients per
    transaction, and return the day's run record.

    Each batch commits with the run's checkpoint (the last client id done), so a run that dies
    resumes after its last committed batch when called again, and two runs at once take turns
    (the run row is locked per batch) instead of doing a batch twice. A finished day is left
    as it is unless ``restart``. ``stop_after`` (batches) lets tests interrupt a run.
    """
    run, created = ValuationRun.objects.get_or_create(valuation_date=valuation_date)
    if run.finished_at is not None and not restart:
        return run
    if created or restart:
        run.clients_total, run.clients_done, run.clients_failed = client_ids_to_value().count(), 0, 0
        run.last_client_id, run.last_error, run.started_at, run.finished_at = 0, "", timezone.now(), None
        run.save()
    logger.info("valuation %s: %s with %d of %d clients done", valuation_date,
                "resumed" if run.last_client_id else "started", run.clients_done, run.clients_total)
    context = ValuationContext.load(on_date=valuation_date)
    started, valued, batches = time.monotonic(), 0, 0
    while stop_after is None or batches < stop_after:
        with transaction.atomic():
            run = ValuationRun.objects.select_for_update().get(pk=run.pk)
            if run.finished_at is not None:
                break
            ids = list(client_ids_to_value(after=run.last_client_id)[:batch_size])
            if not ids:
                run.finished_at = timezone.now()
                run.save(update_fields=["finished_at", "updated_at"])
                break
            result = valuations_refresh(client_ids=ids, valuation_date=valuation_date, context=context)
            run.last_client_id = ids[-1]
            run.clients_done += len(ids) - len(result.failed)
            run.clients_failed += len(result.failed)
            if result.failed:
                client_id, error = next(reversed(result.failed.items()))
                run.last_error = f"client {client_id}: {error.message}"[:500]
            run.save()
        batches += 1
        valued += len(ids)
        for client_id, error in result.failed.items():
            logger.warning("valuation %s: client %d not valued: %s", valuation_date, client_id, error.message)
        logger.info("valuation %s: %d of %d clients done (%d not valued), %.0f clients/s", valuation_date,
                    run.clients_done, run.clients_total, run.clients_failed,
                    valued / max(time.monotonic() - started, 1e-6))
    if run.finished_at is not None:
        logger.info("valuation %s: finished, %d clients valued, %d not valued", valuation_date, run.clients_done,
                    run.clients_failed)
    return run
