"""Writes to client assets: prices and holdings, valuations with their alerts, model
allocation versions, rebalance proposals and goals. Every change goes through here."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.history import history_note
from crm.currencies import currency_code_validate
from crm.models import Client

from . import revaluation, selectors
from .models import (
    Account,
    Alert,
    AssetClass,
    ClientRatedHoldings,
    ConcentrationLimit,
    DrawdownLimit,
    Goal,
    Holding,
    Instrument,
    InstrumentPrice,
    ModelAllocation,
    ModelAllocationWeight,
    RebalanceProposal,
    RebalanceTrade,
    SuitabilityException,
    ValuationSnapshot,
)
from .selectors import HUNDRED, ZERO, cents, plain

PRICE_PLACES = Decimal("0.000001")  # InstrumentPrice.price has six decimal places

# --- Prices and holdings ----------------------------------------------------------------


@transaction.atomic
def instrument_price_record(*, instrument: Instrument, price_date: date, price: Decimal, currency: str) -> set[int]:
    """Record the instrument's price for the day and revalue its holdings not valued later.

    Each such holding gets market value = quantity × price (to the cent) as of ``price_date``.
    Returns the ids of the clients whose holdings changed, for the caller to revalue with
    ``valuations_refresh_enqueue`` once it has recorded all its prices (recording the same price
    again returns an empty set).
    """
    currency = currency.upper()
    currency_code_validate(currency)
    price = Decimal(price).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)  # as stored, so a re-run compares equal
    existing = InstrumentPrice.objects.select_for_update().filter(instrument=instrument, price_date=price_date).first()
    if existing is not None and existing.price == price and existing.currency == currency:
        return set()
    record = existing or InstrumentPrice(instrument=instrument, price_date=price_date)
    record.price, record.currency = price, currency
    record.full_clean()
    record.save()

    affected: set[int] = set()
    holdings = Holding.objects.select_for_update(of=("self",)).filter(
        instrument=instrument, valuation_date__lte=price_date)
    for holding in holdings.select_related("account"):
        market_value = cents(holding.quantity * price)
        if (holding.market_value, holding.currency, holding.valuation_date) == (market_value, currency, price_date):
            continue
        holding.market_value, holding.currency, holding.valuation_date = market_value, currency, price_date
        holding.save(update_fields=["market_value", "currency", "valuation_date"])
        affected.add(holding.account.client_id)
    return affected


def valuations_refresh_enqueue(*, client_ids, valuation_date: date) -> int:
    """Queue a revaluation of each client once the current transaction commits (a worker runs
    ``valuation_refresh``): what changes holdings, limits or prices calls this, never revalues
    inside the request. Returns how many were queued."""
    from .tasks import valuation_refresh as valuation_refresh_task  # tasks wrap these services

    ids = sorted(set(client_ids))
    for client_id in ids:
        valuation_refresh_task.delay_on_commit(client_id, valuation_date.isoformat())
    return len(ids)


def valuations_refresh_enqueue_latest(*, latest_date_by_client: dict[int, date]) -> int:
    """Queue each client's revaluation on the latest valuation date its changed holdings carry
    (what positions arriving by import or API change); returns how many were queued."""
    return sum(
        valuations_refresh_enqueue(client_ids=[client_id for client_id, latest in latest_date_by_client.items()
                                               if latest == on], valuation_date=on)
        for on in sorted(set(latest_date_by_client.values())))


def holding_upsert(
    *, account: Account, instrument: Instrument, quantity: Decimal, cost: Decimal, market_value: Decimal,
    currency: str, valuation_date: date, is_illiquid: bool | None = None, recorded_by=None, reason: str = "",
) -> tuple[Holding, bool]:
    """Create or update the account's position in the instrument; ``changed`` is False when
    nothing differed (so re-importing the same file writes nothing). ``is_illiquid=None``
    keeps the flag as it is. The caller queues the revaluation of the clients whose positions
    changed (``valuations_refresh_enqueue``), once per client rather than per position.
    ``recorded_by`` and ``reason`` go to the holding's history row (an import names its file)."""
    values = {
        "quantity": quantity, "cost": cents(cost), "market_value": cents(market_value),
        "currency": currency.upper(), "valuation_date": valuation_date,
    }
    if is_illiquid is not None:
        values["is_illiquid"] = is_illiquid
    holding = Holding.objects.filter(account=account, instrument=instrument).first()
    if holding is None:
        holding = Holding(account=account, instrument=instrument, **values)
        history_note(holding, user=recorded_by, reason=reason)
        holding.full_clean()
        holding.save()
        client_rated_holdings_refresh(client_ids=[account.client_id])
        return holding, True
    changed = [field for field, value in values.items() if getattr(holding, field) != value]
    if not changed:
        return holding, False
    for field in changed:
        setattr(holding, field, values[field])
    history_note(holding, user=recorded_by, reason=reason)
    holding.full_clean()
    holding.save(update_fields=changed)
    return holding, True


def client_rated_holdings_refresh(*, client_ids=None) -> int:
    """Recount ``ClientRatedHoldings`` of the clients ``client_ids`` (ids, or a query of ids; every
    client when None) from their holdings: those rated R2–R5 in active accounts with no exception
    covering them. Returns how many of the clients hold any. Safe to run any number of times; every
    service that adds a holding or an exception calls it, and admin edits of accounts and instruments.
    The counts depend on nothing that changes by itself overnight (the client's level and today's
    date are applied when they are read)."""
    fields = ClientRatedHoldings.FIELDS
    holdings = Holding.objects.filter(account__is_active=True, instrument__risk_rating__in=list(fields)).exclude(
        selectors.holding_exception_covered())
    existing = ClientRatedHoldings.objects.all()
    if client_ids is not None:
        holdings = holdings.filter(account__client_id__in=client_ids)
        existing = existing.filter(client_id__in=client_ids)
    counts = holdings.order_by().values("account__client_id").annotate(
        **{field: Count("pk", filter=Q(instrument__risk_rating=rating)) for rating, field in fields.items()})
    with transaction.atomic():
        if client_ids is not None:
            # Two recounts of one client (two holdings saved at once) take turns: the second counts
            # after the first committed, so the last count written is of the holdings as they are.
            list(Client.objects.filter(pk__in=client_ids).order_by("pk").select_for_update().values_list("pk"))
        rows = [ClientRatedHoldings(client_id=row["account__client_id"],
                                    **{field: row[field] for field in fields.values()}) for row in counts]
        existing.delete()  # clients that no longer hold any keep no row
        ClientRatedHoldings.objects.bulk_create(rows, batch_size=2000, update_conflicts=True,
                                                unique_fields=["client"], update_fields=list(fields.values()))
    return len(rows)


# --- Valuation and alerts ---------------------------------------------------------------


def valuation_refresh(*, client_id: int, valuation_date: date) -> ValuationSnapshot:
    """Value the client's portfolio on ``valuation_date`` and act on it; safe to run again.

    The daily run's rules for a batch of one (``revaluation.valuations_refresh``): upserts the
    day's snapshot, stores AUM and tier on the client, raises or resolves concentration alerts
    (one open alert per kind and subject), and raises stop-loss and drawdown alerts exactly once
    per crossing. Raises ``FxRateMissing`` when a currency held has no rate.
    """
    result = revaluation.valuations_refresh(client_ids=[client_id], valuation_date=valuation_date)
    if client_id in result.failed:
        raise result.failed[client_id]
    return result.snapshots[client_id]


@transaction.atomic
def concentration_limit_save(*, limit: ConcentrationLimit, previous_scope: tuple[str, str] | None = None) -> int:
    """Save an admin's concentration rule (new or changed, enabled or switched off) and queue the
    revaluation of the clients it covers — and, when its scope moved, those it covered before — so
    their alerts follow the rule (raised, or resolved when switched off) without waiting for the
    next price. Returns how many clients were queued."""
    limit.full_clean()
    limit.save()
    scopes = {(limit.risk_level, limit.aum_tier)} | ({previous_scope} if previous_scope else set())
    conditions = [Q(**{key: value for key, value in (("risk_level", risk_level), ("aum_tier", aum_tier)) if value})
                  for risk_level, aum_tier in scopes]
    client_ids = selectors.client_ids_with_holdings()
    if all(conditions):  # an empty Q is a rule for every client
        covered = Q()
        for condition in conditions:
            covered |= condition
        client_ids = client_ids.filter(account__client__in=Client.objects.filter(covered).values("pk"))
    return valuations_refresh_enqueue(client_ids=client_ids, valuation_date=timezone.localdate())


def alert_acknowledge(*, alert: Alert, user) -> Alert:
    """Record that ``user`` has seen the alert; it stays open until its cause is gone. Idempotent."""
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = user, timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return alert


# --- Model allocations and rebalancing --------------------------------------------------


@transaction.atomic
def model_allocation_version_create(
    *, risk_level: str, weights: dict[str, tuple[Decimal, Decimal]], effective_from: date, notes: str = ""
) -> int:
    """Add the next version of the risk level's model allocation; earlier versions stay for history.

    ``weights`` maps an asset class to (target %, tolerance ± percentage points); the targets
    must add up to 100. Returns the new version number.
    """
    # Through str() so a float like 33.3 becomes Decimal("33.3"), not its binary approximation.
    weights = {c: (Decimal(str(t)), Decimal(str(tol))) for c, (t, tol) in weights.items()}
    errors = []
    for asset_class, (target, tolerance) in weights.items():
        if asset_class not in AssetClass.values:
            errors.append(_("Unknown asset class: %(value)s.") % {"value": asset_class})
        elif not (ZERO <= target <= HUNDRED) or not (ZERO <= tolerance <= HUNDRED):
            errors.append(_("Weights and tolerances are percentages between 0 and 100."))
    total = sum((target for target, _tolerance in weights.values()), ZERO)
    if total != HUNDRED:
        errors.append(_("The target weights add up to %(total)s%%, not 100%%.") % {"total": plain(total)})
    if errors:
        raise ValidationError(errors)
    # Lock the level's versions so two admins saving at once cannot pick the same number.
    existing = ModelAllocation.objects.select_for_update().filter(risk_level=risk_level)
    version = (existing.aggregate(latest=Max("version"))["latest"] or 0) + 1
    allocation = ModelAllocation(risk_level=risk_level, version=version, effective_from=effective_from, notes=notes)
    allocation.full_clean()
    allocation.save()
    ModelAllocationWeight.objects.bulk_create([
        ModelAllocationWeight(allocation=allocation, asset_class=c, target_weight=t, tolerance=tol)
        for c, (t, tol) in weights.items()
    ])
    return version


@transaction.atomic
def rebalance_proposal_create(
    *, client: Client, created_by, minimum_trade: Decimal, notes: str = "",
    products: dict[str, Instrument] | None = None, exceptions: dict[str, "ExceptionTerms"] | None = None,
) -> RebalanceProposal:
    """Save the current rebalance plan as a draft proposal; nothing is traded.

    ``products`` names the product to buy on an asset class's buy line (asset class → instrument).
    A product rated above what the client's risk level allows (``selectors.instrument_suitable``:
    only R1 without a valid questionnaire assessment) needs a suitability exception for its line
    in ``exceptions`` (asset class → ExceptionTerms), saved with the proposal; without a complete
    one nothing is saved and the ValidationError names the product and its rating.
    """
    if minimum_trade < 0:
        raise ValidationError({"minimum_trade": _("The minimum trade size cannot be negative.")})
    summary = selectors.portfolio_summary(client=client)
    if not summary.has_target:
        raise ValidationError(summary.no_target_reason)
    plan = selectors.rebalance_plan(client=client, minimum_trade=minimum_trade, summary=summary)
    if not plan:
        raise ValidationError(_("Nothing to rebalance: every asset class is within its band, or the trades "
                                "are below the minimum size."))
    products = products or {}
    excepted = _rebalance_products_check(client=client, plan=plan, products=products, exceptions=exceptions or {})
    proposal = RebalanceProposal(
        client=client, allocation_id=summary.allocation_id, aum=summary.aum_base, currency=summary.base_currency,
        minimum_trade=cents(minimum_trade), notes=notes, created_by=created_by,
    )
    proposal._history_user = created_by
    proposal.full_clean()
    proposal.save()
    trades = RebalanceTrade.objects.bulk_create([
        RebalanceTrade(proposal=proposal, asset_class=t.asset_class, action=t.action, amount=t.amount,
                       currency=t.currency, weight_before=t.weight_before, weight_after=t.weight_after,
                       instrument=products.get(t.asset_class) if t.action == RebalanceTrade.Action.BUY else None)
        for t in plan
    ])
    for trade in trades:
        if trade.instrument is not None and trade.asset_class in excepted:
            _suitability_exception_create(client=client, instrument=trade.instrument, trade=trade,
                                          terms=excepted[trade.asset_class], recorded_by=created_by)
    return proposal


# --- Investor suitability ----------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionTerms:
    """What an RM records to propose or keep a product rated above the client's level: why, and
    that the client acknowledged it (the checkbox) on which day."""

    reason: str
    client_acknowledged: bool
    client_acknowledged_on: date | None


def _exception_terms_problems(terms: ExceptionTerms | None) -> dict[str, str]:
    """What is missing from the terms, by field; empty when they are complete."""
    if terms is None:
        return {"reason": _("Record a suitability exception: the reason and the client's acknowledgement.")}
    problems = {}
    if not terms.reason.strip():
        problems["reason"] = _("Give the reason for the exception.")
    if not terms.client_acknowledged:
        problems["client_acknowledged"] = _("The client must acknowledge the exception.")
    if terms.client_acknowledged_on is None:
        problems["client_acknowledged_on"] = _("Give the date the client acknowledged it.")
    elif terms.client_acknowledged_on > timezone.localdate():
        problems["client_acknowledged_on"] = _("The client cannot have acknowledged it in the future.")
    return problems


def _unsuitable_message(*, client: Client, instrument: Instrument) -> str:
    params = {"code": instrument.code, "name": instrument.name, "rating": instrument.risk_rating,
              "highest": selectors.rating_highest_for(client)}
    if client.risk_assessment_valid():
        return _("%(code)s %(name)s is rated %(rating)s, above the client's risk level (up to %(highest)s).") % params
    return _("%(code)s %(name)s is rated %(rating)s, and without a valid risk assessment only %(highest)s "
             "suits the client.") % params


def _rebalance_products_check(*, client: Client, plan, products: dict, exceptions: dict) -> dict[str, ExceptionTerms]:
    """Check each named product against its buy line and the client's level; the complete
    exceptions of the unsuitable ones, by asset class. Raises ValidationError naming each problem."""
    buys = {trade.asset_class for trade in plan if trade.action == RebalanceTrade.Action.BUY}
    errors, excepted = [], {}
    for asset_class, instrument in products.items():
        if asset_class not in buys or instrument.asset_class != asset_class:
            errors.append(_("%(code)s is not a product for a purchase in this plan.") % {"code": instrument.code})
        elif not selectors.instrument_suitable(client=client, instrument=instrument):
            problems = _exception_terms_problems(exceptions.get(asset_class))
            if problems:
                errors.append(" ".join([_unsuitable_message(client=client, instrument=instrument), *problems.values()]))
            else:
                excepted[asset_class] = exceptions[asset_class]
    if errors:
        raise ValidationError(errors)
    return excepted


def _suitability_exception_create(*, client: Client, instrument: Instrument, terms: ExceptionTerms, recorded_by,
                                  holding: Holding | None = None, trade: RebalanceTrade | None = None):
    exception = SuitabilityException(
        subject=SuitabilityException.Subject.HOLDING if holding else SuitabilityException.Subject.PROPOSAL,
        client=client, instrument=instrument, holding=holding, trade=trade, product_rating=instrument.risk_rating,
        client_risk_level=client.risk_level, client_assessment_valid=client.risk_assessment_valid(),
        reason=terms.reason.strip(), client_acknowledged=terms.client_acknowledged,
        client_acknowledged_on=terms.client_acknowledged_on, recorded_by=recorded_by,
    )
    exception.full_clean()
    exception.save()
    if holding is not None:
        client_rated_holdings_refresh(client_ids=[client.pk])  # the holding is no longer counted
    return exception


@transaction.atomic
def holding_suitability_exception_record(*, holding: Holding, terms: ExceptionTerms,
                                         recorded_by) -> SuitabilityException:
    """Document why the client holds a product rated above what their level allows (a position from
    the bank's systems, so a fact, not refused): the holding is no longer flagged while the
    product's rating stays at most the one recorded. Raises ValidationError (by field) when the
    terms are incomplete or the holding suits the client."""
    holding = Holding.objects.select_related("account__client", "instrument").get(pk=holding.pk)
    client = holding.account.client
    if selectors.instrument_suitable(client=client, instrument=holding.instrument):
        raise ValidationError(_("%(code)s suits the client's risk level; no exception is needed.")
                              % {"code": holding.instrument.code})
    problems = _exception_terms_problems(terms)
    if problems:
        raise ValidationError(problems)
    return _suitability_exception_create(client=client, instrument=holding.instrument, terms=terms,
                                         recorded_by=recorded_by, holding=holding)


PROPOSAL_TRANSITIONS = {
    RebalanceProposal.Status.DRAFT: {RebalanceProposal.Status.PRESENTED, RebalanceProposal.Status.REJECTED},
    RebalanceProposal.Status.PRESENTED: {RebalanceProposal.Status.ACCEPTED, RebalanceProposal.Status.REJECTED},
}


def rebalance_proposal_status_set(*, proposal: RebalanceProposal, status: str, user) -> RebalanceProposal:
    """Move a proposal draft → presented → accepted / rejected (a draft may be rejected directly)."""
    if status not in PROPOSAL_TRANSITIONS.get(proposal.status, set()):
        raise ValidationError(
            _("A proposal cannot go from %(current)s to %(new)s.") % {
                "current": proposal.get_status_display(),
                "new": RebalanceProposal.Status(status).label if status in RebalanceProposal.Status.values else status,
            },
            code="invalid_transition",
        )
    proposal.status, proposal.status_changed_at = status, timezone.now()
    proposal._history_user = user
    proposal.save(update_fields=["status", "status_changed_at"])
    return proposal


# --- Goals ------------------------------------------------------------------------------

GOAL_FIELDS = ("kind", "name", "target_amount", "currency", "target_date", "funded_amount", "expected_return_pct")


@transaction.atomic
def goal_create(*, client: Client, linked_accounts=(), **fields) -> Goal:
    """Create a goal for the client; ``fields`` are Goal's own fields, accounts must be the client's."""
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"goal_create() got unexpected fields {sorted(unknown)}")
    goal = Goal(client=client, **fields)
    if goal.target_date is not None and goal.target_date <= timezone.localdate():
        # Only on creation: an existing goal whose date has passed may still be edited (and closed).
        raise ValidationError({"target_date": _("A new goal's target date must lie in the future.")})
    goal.full_clean()
    goal.save()
    _goal_accounts_set(goal, linked_accounts)
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, linked_accounts=None, **fields) -> Goal:
    """Change a goal's fields (and linked accounts when given)."""
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"goal_update() got unexpected fields {sorted(unknown)}")
    for field, value in fields.items():
        setattr(goal, field, value)
    goal.full_clean()
    if fields:
        goal.save(update_fields=list(fields))
    if linked_accounts is not None:
        _goal_accounts_set(goal, linked_accounts)
    return goal


def _goal_accounts_set(goal: Goal, accounts) -> None:
    accounts = list(accounts)
    if any(account.client_id != goal.client_id for account in accounts):
        raise ValidationError({"linked_accounts": _("A goal can only be funded by the client's own accounts.")})
    goal.linked_accounts.set(accounts)


@transaction.atomic
def holding_stop_loss_set(*, holding: Holding, price, pct) -> Holding:
    """Set (or clear, with None) a holding's stop-loss price and loss percentage, and queue the
    client's revaluation: a stop already crossed raises its alert then, not at the next price."""
    holding.stop_loss_price, holding.stop_loss_pct = price, pct
    holding.full_clean()
    holding.save(update_fields=["stop_loss_price", "stop_loss_pct"])
    valuations_refresh_enqueue(client_ids=[holding.account.client_id], valuation_date=timezone.localdate())
    return holding


@transaction.atomic
def drawdown_limit_set(*, limit: DrawdownLimit, max_drawdown_pct) -> DrawdownLimit:
    """Set a client's maximum drawdown from peak AUM (``limit`` may be unsaved), and queue the
    client's revaluation: a drawdown already beyond the new limit raises its alert then."""
    limit.max_drawdown_pct = max_drawdown_pct
    limit.full_clean()
    limit.save()
    valuations_refresh_enqueue(client_ids=[limit.client_id], valuation_date=timezone.localdate())
    return limit
