"""Writes of client value: costs, other revenue, referrals and prospect estimates an RM records, and
the set-based recompute of every client's stored lifetime value.

Each record write refreshes the client's stored value in the same transaction, so lists sorted by
CLV agree with the client's page at once; the daily task refreshes everyone (churn and FX move).
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.history import history_note
from crm.models import Client
from portfolios.selectors import FxRateMissing, fx_rate

from . import selectors
from .models import (
    ClientValue,
    CostRecord,
    Opportunity,
    ProspectEstimate,
    Referral,
    RevenueRecord,
)

RECOMPUTE_BATCH = 2000
OPPORTUNITY_HORIZON_YEARS = 5  # an expected close further ahead is a typo, not a plan


def _currency_check(*, currency: str, on_date: date) -> None:
    """An amount the calculation could not convert is refused when it is entered, not skipped later."""
    try:
        fx_rate(currency=currency, on_date=on_date)
    except FxRateMissing as missing:
        raise ValidationError({"currency": missing.messages}) from None


def _save(record, *, currency_on: date, recorded_by, value_of: Client, validate_unique: bool = True):
    """Check, save with who recorded it (history), and refresh the stored value of the client it counts for."""
    record.full_clean(validate_unique=validate_unique)
    _currency_check(currency=record.currency, on_date=currency_on)
    history_note(record, user=recorded_by)
    record.save()
    client_values_recompute(client_ids=[value_of.pk])
    return record


def _year_day(year: int) -> date:
    return min(date(year, 12, 31), timezone.localdate())


@transaction.atomic
def cost_record(*, client: Client, year: int, kind: str, amount: Decimal, currency: str, description: str = "",
                recorded_by) -> CostRecord:
    cost = CostRecord(client=client, year=year, kind=kind, amount=amount, currency=currency.upper(),
                      description=description.strip(), recorded_by=recorded_by)
    return _save(cost, currency_on=_year_day(year), recorded_by=recorded_by, value_of=client)


@transaction.atomic
def revenue_record(*, client: Client, year: int, amount: Decimal, currency: str, description: str = "",
                   recorded_by) -> RevenueRecord:
    revenue = RevenueRecord(client=client, year=year, amount=amount, currency=currency.upper(),
                            description=description.strip(), recorded_by=recorded_by)
    return _save(revenue, currency_on=_year_day(year), recorded_by=recorded_by, value_of=client)


@transaction.atomic
def referral_record(*, referrer: Client, referred: Client, referred_on: date, value: Decimal, currency: str,
                    note: str = "", recorded_by) -> Referral:
    """Record that ``referrer`` introduced ``referred``; the value counts in the referrer's CLV."""
    if referred_on > timezone.localdate():
        raise ValidationError({"referred_on": _("The referral date cannot be in the future.")})
    referral = Referral(referrer=referrer, referred=referred, referred_on=referred_on, value=value,
                        currency=currency.upper(), note=note.strip(), recorded_by=recorded_by)
    return _save(referral, currency_on=referred_on, recorded_by=recorded_by, value_of=referrer)


@transaction.atomic
def prospect_estimate_set(*, client: Client, purchase_amount: Decimal, currency: str, wallet_share_pct: Decimal,
                          margin_pct: Decimal, transactions_per_year: Decimal, recorded_by) -> ProspectEstimate:
    """Create or replace the client's P, K, M, N estimate."""
    estimate = ProspectEstimate.objects.select_for_update().filter(client=client).first() or ProspectEstimate(
        client=client)
    estimate.purchase_amount, estimate.currency = purchase_amount, currency.upper()
    estimate.wallet_share_pct, estimate.margin_pct = wallet_share_pct, margin_pct
    estimate.transactions_per_year, estimate.recorded_by = transactions_per_year, recorded_by
    estimate.updated_at = timezone.now()
    return _save(estimate, currency_on=timezone.localdate(), recorded_by=recorded_by, value_of=client,
                 validate_unique=False)


@transaction.atomic
def record_delete(*, record: CostRecord | RevenueRecord | Referral, user) -> None:
    """Remove a cost, revenue or referral entered by mistake (its history keeps who removed it) and
    refresh the value of the client it counted for."""
    client_id = record.referrer_id if isinstance(record, Referral) else record.client_id
    history_note(record, user=user, reason="Removed on the client value page")
    record.delete()
    client_values_recompute(client_ids=[client_id])


def client_values_recompute(*, client_ids=None, today: date | None = None) -> int:
    """Store the lifetime value of the given clients (default: every client), in batches: a fixed
    number of queries per batch of clients. Safe to run any number of times: each client has one row,
    overwritten. Merged records lose theirs. Returns the number of values stored."""
    # Every client at once counts the churn afresh (and refreshes the pages' cache); one client reuses it.
    context = selectors.value_context(today, fresh=client_ids is None)
    clients = Client.objects.exclude(status=Client.Status.MERGED).order_by("pk")
    if client_ids is not None:
        clients = clients.filter(pk__in=list(client_ids))
    rows = list(clients.values_list("pk", "aum_tier", "lifecycle_stage"))
    now = timezone.now()
    stored = 0
    for start in range(0, len(rows), RECOMPUTE_BATCH):
        batch = selectors.workings(rows[start:start + RECOMPUTE_BATCH], context=context)
        values = [ClientValue(client_id=working.client_id, clv=working.clv, yearly_contribution=working.contribution,
                              yearly_cost=working.cost, lifetime_years=working.lifetime, currency=working.currency,
                              method=working.method, inputs=working.inputs(), computed_at=now)
                  for working in batch]
        ClientValue.objects.bulk_create(
            values, update_conflicts=True, unique_fields=["client"],
            update_fields=["clv", "yearly_contribution", "yearly_cost", "lifetime_years", "currency", "method",
                           "inputs", "computed_at"])
        stored += len(values)
    merged = ClientValue.objects.filter(client__status=Client.Status.MERGED)
    if client_ids is not None:
        merged = merged.filter(client_id__in=list(client_ids))
    merged.delete()
    return stored


# --- Opportunity pipeline ---------------------------------------------------------------


def _close_check(expected_close_on: date, *, stage: str) -> None:
    today = timezone.localdate()
    try:
        horizon = today.replace(year=today.year + OPPORTUNITY_HORIZON_YEARS)
    except ValueError:  # 29 February
        horizon = today.replace(year=today.year + OPPORTUNITY_HORIZON_YEARS, day=28)
    if expected_close_on > horizon:
        raise ValidationError({"expected_close_on": _("The expected close is at most %(years)s years ahead.")
                               % {"years": OPPORTUNITY_HORIZON_YEARS}})
    if stage in Opportunity.OPEN and expected_close_on < today:
        raise ValidationError({"expected_close_on": _("An open opportunity cannot be expected to close in the "
                                                      "past.")})


@transaction.atomic
def opportunity_record(*, client: Client, product: str, amount: Decimal, currency: str, expected_close_on: date,
                       stage: str = Opportunity.Stage.IDENTIFIED, notes: str = "", owner) -> Opportunity:
    """Record a product the RM means to sell the client; the caller checked the user may edit the client."""
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    _close_check(expected_close_on, stage=stage)
    now = timezone.now()
    opportunity = Opportunity(client=client, product=product.strip(), amount=amount, currency=currency.strip().upper(),
                              stage=stage, expected_close_on=expected_close_on, notes=notes.strip(), owner=owner,
                              created_at=now, stage_changed_at=now, stage_changed_by=owner)
    opportunity.full_clean()
    history_note(opportunity, user=owner)
    opportunity.save()
    return opportunity


@transaction.atomic
def opportunity_stage_set(*, opportunity: Opportunity, stage: str, user) -> Opportunity:
    """Move an opportunity along; won and lost are final. Records who moved it and when."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if stage not in Opportunity.Stage.values:
        raise ValidationError({"stage": _("Choose a stage from the list.")})
    if opportunity.stage in Opportunity.FINAL:
        raise ValidationError({"stage": _("This opportunity is already %(stage)s: won and lost are final.")
                               % {"stage": opportunity.get_stage_display()}})
    if stage == opportunity.stage:
        return opportunity
    opportunity.stage, opportunity.stage_changed_at, opportunity.stage_changed_by = stage, timezone.now(), user
    history_note(opportunity, user=user, reason="Stage changed on the client value page")
    opportunity.save(update_fields=["stage", "stage_changed_at", "stage_changed_by"])
    return opportunity
