"""The daily revaluation, set-based: a batch gives what the per-client path gave (alerts raised,
reworded and resolved, stop-loss and drawdown crossings, tiers moved with their history rows), with
a number of queries that does not depend on the clients in it; an interrupted run resumes after its
last committed batch and doubles nothing; the day's run record shows the progress."""

import datetime
import json
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_noop

from crm.models import Client
from crm.selectors import aum_tier_for
from crm.services import client_aum_set
from portfolios import revaluation, selectors, tasks
from portfolios.models import (
    Alert,
    AssetClass,
    DrawdownLimit,
    Holding,
    ValuationRun,
    ValuationSnapshot,
)
from portfolios.revaluation import CONCENTRATION_ALERT_KINDS, stop_loss_state
from portfolios.revaluation import holding_subject as _holding_subject
from portfolios.selectors import HUNDRED, ZERO, cents, plain
from tests.factories import ClientFactory

from .factories import (
    TODAY,
    AccountFactory,
    AlertFactory,
    DrawdownLimitFactory,
    FxRateFactory,
    HoldingFactory,
    InstrumentFactory,
    InstrumentPriceFactory,
    concentration_limits_set,
)

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - datetime.timedelta(days=1)


# --- The per-client path as it was before the batch (commit 065fbeb), kept as the oracle ----------


@transaction.atomic
def reference_valuation_refresh(*, client_id: int, valuation_date: date) -> ValuationSnapshot:
    """Value the client's portfolio on ``valuation_date`` and act on it; safe to run again.

    Upserts the day's snapshot, stores AUM and tier on the client, raises or resolves
    concentration alerts (one open alert per kind and subject), and raises stop-loss and
    drawdown alerts exactly once per crossing: the crossing is remembered on the holding
    (``stop_loss_breached``) or the limit (``is_breached``); recovering resets it and resolves
    the alert, so the next crossing raises a new one.
    """
    client = Client.objects.select_for_update().get(pk=client_id)
    summary = selectors.portfolio_summary(client=client, on_date=valuation_date)
    by_class = {total.asset_class: str(total.amount_base) for total in summary.by_asset_class}
    snapshot = ValuationSnapshot.objects.filter(client=client, valuation_date=valuation_date).first()
    if snapshot is None:
        snapshot = ValuationSnapshot(client=client, valuation_date=valuation_date)
    if snapshot.pk is None or (snapshot.aum, snapshot.currency, snapshot.by_asset_class) != (
        summary.aum_base, summary.base_currency, by_class
    ):
        snapshot.aum, snapshot.currency, snapshot.by_asset_class = summary.aum_base, summary.base_currency, by_class
        # by_asset_class is built above; an empty portfolio's {} is a valid value the field calls blank.
        snapshot.full_clean(validate_unique=False, exclude=["by_asset_class"])
        snapshot.save()

    if (client.aum_total, client.aum_currency, client.aum_tier) != (
        summary.aum_base, summary.base_currency, aum_tier_for(summary.aum_base)
    ):
        client_aum_set(client=client, aum_total=summary.aum_base, currency=summary.base_currency)

    now = timezone.now()
    _concentration_alerts_sync(client=client, summary=summary, now=now)
    _stop_loss_check(client=client, on_date=valuation_date, now=now)
    _drawdown_check(client=client, aum=summary.aum_base, on_date=valuation_date, now=now)
    return snapshot


def _concentration_alerts_sync(*, client: Client, summary, now) -> None:
    breaches = {(b.kind, b.subject): b for b in selectors.concentration_breaches(client=client, summary=summary)}
    open_alerts = {
        (a.kind, a.subject): a
        for a in Alert.objects.filter(client=client, kind__in=CONCENTRATION_ALERT_KINDS, resolved_at__isnull=True)
    }
    for key, alert in open_alerts.items():
        if key not in breaches:
            _alert_resolve(alert, now)
    for key, breach in breaches.items():
        details = {"actual": str(breach.actual), "limit": str(breach.limit),
                   **Alert.message_details(breach.template, breach.params)}
        alert = open_alerts.get(key)
        if alert is None:
            _alert_raise(client=client, kind=breach.kind, subject=breach.subject, details=details, now=now)
        elif alert.details != details:
            alert.message, alert.details = Alert.message_stored(details), details
            alert.save(update_fields=["message", "details"])


def _alert_raise(*, client: Client, kind: str, subject: str, details: dict, now) -> Alert:
    """Open an alert; ``details`` carries its message (see Alert.message_details)."""
    alert = Alert(client=client, kind=kind, subject=subject[:200], message=Alert.message_stored(details)[:500],
                  details=details, raised_at=now)
    alert.full_clean(validate_constraints=False)  # the open-alert constraint is the database's to enforce
    alert.save()
    return alert


def _alert_resolve(alert: Alert, now) -> None:
    alert.resolved_at = now
    alert.save(update_fields=["resolved_at"])


def _alert_resolve_open(*, client: Client, kind: str, subject: str, now) -> None:
    for alert in Alert.objects.filter(client=client, kind=kind, subject=subject[:200], resolved_at__isnull=True):
        _alert_resolve(alert, now)


def _stop_loss_check(*, client: Client, on_date: date, now) -> None:
    holdings = list(
        Holding.objects.filter(account__client=client).select_related("instrument", "account__institution")
        .exclude(stop_loss_price__isnull=True, stop_loss_pct__isnull=True, stop_loss_breached=False)
    )
    prices = selectors.instrument_prices_latest(instrument_ids={h.instrument_id for h in holdings}, on_date=on_date)
    for holding in holdings:
        price_date, price = prices.get(holding.instrument_id, (None, None))
        if price_date is not None and price_date < holding.valuation_date:
            price = None  # positions imported after the last price: their own value is newer
        breached, message_details = stop_loss_state(holding, price)
        if breached == holding.stop_loss_breached:
            continue
        holding.stop_loss_breached = breached
        holding.save(update_fields=["stop_loss_breached"])
        subject = _holding_subject(holding)
        if breached:
            _alert_resolve_open(client=client, kind=Alert.Kind.STOP_LOSS, subject=subject, now=now)
            _alert_raise(client=client, kind=Alert.Kind.STOP_LOSS, subject=subject,
                         details={"holding_id": holding.pk, **message_details}, now=now)
        else:
            _alert_resolve_open(client=client, kind=Alert.Kind.STOP_LOSS, subject=subject, now=now)


def _drawdown_check(*, client: Client, aum: Decimal, on_date: date, now) -> None:
    limit = DrawdownLimit.objects.filter(client=client).first()
    if limit is None:
        return
    peak = cents(selectors.valuation_peak(client_id=client.pk, on_date=on_date))
    drawdown = (peak - aum) * HUNDRED / peak if peak > 0 else ZERO
    breached = drawdown >= limit.max_drawdown_pct and drawdown > 0
    if breached == limit.is_breached:
        return
    limit.is_breached = breached
    limit.save(update_fields=["is_breached"])
    _alert_resolve_open(client=client, kind=Alert.Kind.DRAWDOWN, subject="", now=now)
    if breached:
        shown = selectors.percent(peak - aum, peak)
        _alert_raise(
            client=client, kind=Alert.Kind.DRAWDOWN, subject="",
            details={"peak": str(peak), "aum": str(aum), "drawdown_pct": str(shown), **Alert.message_details(
                gettext_noop("AUM is %(drawdown)s%% below its peak of %(peak)s %(currency)s, beyond the %(limit)s%% "
                             "maximum drawdown."),
                {"drawdown": str(shown), "peak": str(peak), "currency": client.aum_currency,
                 "limit": plain(limit.max_drawdown_pct)})},
            now=now,
        )



# --- A mixed book -----------------------------------------------------------------------


def mixed_client(n: int, *, manager) -> Client:
    """A client on whom every rule has something to do; ``n`` varies which way each goes."""
    client = ClientFactory(manager=manager)
    if n % 4 == 0:  # recorded as HNW: the valuation moves it down a tier
        Client.objects.filter(pk=client.pk).update(aum_total=Decimal("9000000"), aum_tier=Client.AumTier.HNW)
    account = AccountFactory(client=client)
    HoldingFactory(account=account, instrument=InstrumentFactory(code=f"BIG{n}"),
                   quantity=Decimal("1000"), market_value=Decimal(600000 + 1000 * n))
    HoldingFactory(account=account, instrument=InstrumentFactory(code="DEP", asset_class=AssetClass.CASH),
                   market_value=Decimal("300000"))
    HoldingFactory(account=account, instrument=InstrumentFactory(code="AAPL", currency="USD"),
                   market_value=Decimal("10000"))
    stop = HoldingFactory(account=account, instrument=InstrumentFactory(code="SL"), quantity=Decimal("1000"),
                          cost=Decimal("10000"), market_value=Decimal("8900"),
                          stop_loss_price=Decimal("9") if n % 2 else None,
                          stop_loss_pct=None if n % 2 else Decimal("10"))  # crosses, by price or by loss
    recovered = HoldingFactory(account=account, instrument=InstrumentFactory(code="REC"), market_value=Decimal("1000"),
                               stop_loss_price=Decimal("0.5"), stop_loss_breached=True)
    AlertFactory(client=client, kind=Alert.Kind.STOP_LOSS, subject=_holding_subject(recovered))
    AlertFactory(client=client, kind=Alert.Kind.SINGLE_HOLDING, subject="GONE")  # no longer breached
    if n % 2 == 0:  # open on the same breach with other figures: reworded, not raised again
        AlertFactory(client=client, kind=Alert.Kind.SINGLE_HOLDING, subject=f"BIG{n}", details={"actual": "1.00"})
    if n % 3 != 2:
        DrawdownLimitFactory(client=client, max_drawdown_pct=Decimal("10"))
        ValuationSnapshot.objects.create(client=client, valuation_date=YESTERDAY, currency="CNY",
                                         aum=Decimal("2000000") if n % 3 == 0 else Decimal("900000"))
    if n % 3 == 1:  # breached before, and recovered since (yesterday's peak is lower than today)
        DrawdownLimit.objects.filter(client=client).update(is_breached=True)
        AlertFactory(client=client, kind=Alert.Kind.DRAWDOWN, subject="")
    assert stop.pk
    return client


@pytest.fixture
def book(owner):
    concentration_limits_set(single_holding=40, bank_deposit=200000)
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    InstrumentPriceFactory(instrument=InstrumentFactory(code="SL"), price=Decimal("8.9"))
    InstrumentPriceFactory(instrument=InstrumentFactory(code="REC"), price=Decimal("1"))
    clients = [mixed_client(n, manager=owner) for n in range(8)]
    euro = ClientFactory(manager=owner)  # a currency without a rate: not valued, by either path
    HoldingFactory(account=AccountFactory(client=euro), instrument=InstrumentFactory(code="SAP", currency="EUR"))
    return [*clients, euro]


def outcome() -> dict:
    """What a valuation leaves behind, without ids and times that differ from run to run."""
    def history(model, *fields):
        return Counter(tuple(row[:-2]) + (row[-2] is None, row[-1]) if model is Alert else row
                       for row in model.history.values_list(*fields, "history_type"))

    return {
        "snapshots": sorted(
            (s.client_id, s.valuation_date, s.aum, s.currency, json.dumps(s.by_asset_class, sort_keys=True))
            for s in ValuationSnapshot.objects.all()),
        "clients": sorted(Client.objects.values_list("pk", "aum_total", "aum_currency", "aum_tier")),
        "alerts": sorted(
            (a.client_id, a.kind, a.subject, a.message, json.dumps(a.details, sort_keys=True), a.resolved_at is None)
            for a in Alert.objects.all()),
        "holdings": sorted(Holding.objects.values_list("pk", "stop_loss_breached")),
        "limits": sorted(DrawdownLimit.objects.values_list("client_id", "is_breached")),
        "client history": history(Client, "id", "aum_total", "aum_tier", "history_user_id"),
        "alert history": history(Alert, "client_id", "kind", "subject", "message", "resolved_at"),
        "holding history": history(Holding, "id", "stop_loss_breached"),
        "limit history": history(DrawdownLimit, "client_id", "is_breached"),
    }


def outcome_of(valuate) -> dict:
    with transaction.atomic():
        valuate()
        result = outcome()
        transaction.set_rollback(True)
    return result


def test_a_batch_leaves_what_the_per_client_path_left(book):
    def one_by_one():
        for client in book:
            try:
                reference_valuation_refresh(client_id=client.pk, valuation_date=TODAY)
            except selectors.FxRateMissing:
                pass

    expected = outcome_of(one_by_one)
    batched = outcome_of(lambda: revaluation.valuations_refresh(client_ids=[c.pk for c in book],
                                                                valuation_date=TODAY))

    assert batched == expected
    # The book had something for every rule to do.
    alerts = expected["alerts"]
    assert {kind for _c, kind, _s, _m, _d, is_open in alerts if is_open} == {
        Alert.Kind.SINGLE_HOLDING, Alert.Kind.BANK_DEPOSIT, Alert.Kind.STOP_LOSS, Alert.Kind.DRAWDOWN}
    assert {(kind, subject) for _c, kind, subject, _m, _d, is_open in alerts if not is_open} >= {
        (Alert.Kind.SINGLE_HOLDING, "GONE"), (Alert.Kind.DRAWDOWN, "")}
    tiers = Counter(tier for _pk, _aum, _currency, tier in expected["clients"])
    assert tiers[Client.AumTier.AFFLUENT] == 8
    assert sum(count for (_id, _aum, tier, _user, kind), count in expected["client history"].items()
               if (tier, kind) == (Client.AumTier.AFFLUENT, "~")) == 8  # one audited row per client moved
    assert Counter(breached for _pk, breached in expected["holdings"])[True] == 8


def test_the_daily_run_gives_the_same_result_in_batches_of_any_size(book):
    single = outcome_of(lambda: revaluation.valuations_refresh_daily(valuation_date=TODAY, batch_size=1000))
    small = outcome_of(lambda: revaluation.valuations_refresh_daily(valuation_date=TODAY, batch_size=3))

    assert small == single


def queries_for(clients) -> int:
    context = revaluation.ValuationContext.load(on_date=TODAY)
    with CaptureQueriesContext(connection) as queries:
        revaluation.valuations_refresh(client_ids=[c.pk for c in clients], valuation_date=TODAY, context=context)
    return len(queries.captured_queries)


def test_a_batch_costs_the_same_queries_whatever_the_number_of_clients(book):
    with transaction.atomic():
        few = queries_for(book[:2])
        transaction.set_rollback(True)
    many = queries_for(book[:8])

    # Reads: clients (locked), holdings, FX rates, open alerts, today's snapshots, stop-loss holdings,
    # their prices, drawdown limits and peaks (9). Writes, each with its history rows: the snapshot
    # upsert (1), clients (2), holdings (2), drawdown limits (2), alerts resolved or reworded (read as
    # instances, then written: 3) and raised (2); its savepoint and release (2). (SQLite splits an
    # INSERT past its 999 parameters, so there a batch of more than ~20 clients adds a statement per
    # table; PostgreSQL does not.)
    assert (few, many) == (23, 23)


def test_the_day_is_recorded_and_not_redone_once_finished(book, django_assert_num_queries):
    run = revaluation.valuations_refresh_daily(valuation_date=TODAY, batch_size=3)

    run.refresh_from_db()
    assert (run.clients_total, run.clients_done, run.clients_failed) == (9, 8, 1)
    assert run.finished_at is not None and run.last_client_id == book[-1].pk
    assert "EUR" in run.last_error
    with django_assert_num_queries(1):  # the run record says the day is done
        assert tasks.valuations_refresh_daily(TODAY.isoformat()) == 8


def test_an_interrupted_run_resumes_after_its_last_batch_and_doubles_nothing(book, monkeypatch):
    expected = outcome_of(lambda: revaluation.valuations_refresh_daily(valuation_date=TODAY, batch_size=3))
    real_refresh, calls = revaluation.valuations_refresh, []

    def dies_in_the_second_batch(**kwargs):
        calls.append(kwargs["client_ids"])
        result = real_refresh(**kwargs)  # written, then the worker dies before the batch commits
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return result

    monkeypatch.setattr(revaluation, "valuations_refresh", dies_in_the_second_batch)
    with pytest.raises(SystemExit):
        revaluation.valuations_refresh_daily(valuation_date=TODAY, batch_size=3)
    run = ValuationRun.objects.get(valuation_date=TODAY)
    assert (run.clients_done, run.last_client_id, run.finished_at) == (3, calls[0][-1], None)
    assert ValuationSnapshot.objects.filter(valuation_date=TODAY).count() == 3

    monkeypatch.setattr(revaluation, "valuations_refresh", real_refresh)
    run = revaluation.valuations_refresh_daily(valuation_date=TODAY, batch_size=3)

    assert run.finished_at is not None and (run.clients_done, run.clients_failed) == (8, 1)
    assert outcome() == expected


def test_a_restart_revalues_the_day_again_and_changes_nothing_that_did_not_move(book):
    revaluation.valuations_refresh_daily(valuation_date=TODAY)
    before = outcome()

    run = revaluation.valuations_refresh_daily(valuation_date=TODAY, restart=True)

    assert (run.clients_done, run.clients_failed) == (8, 1)
    assert outcome() == before
