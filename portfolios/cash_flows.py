"""Writes of the client's contributions and withdrawals (``CashFlow``), which performance separates from
market movement (``portfolios.performance``). A service module of its own beside ``services.py``."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Client

from .models import Account, CashFlow
from .selectors import base_currency, fx_convert


@transaction.atomic
def cash_flow_record(
    *, client: Client, kind: str, flow_date: date, amount: Decimal, currency: str, account: Account | None = None,
    note: str = "", recorded_by=None, source: str = CashFlow.Source.MANUAL, today: date | None = None,
) -> CashFlow:
    """Record money the client put in or took out; returns the saved flow.

    Refuses a date after ``today`` (a flow not yet made is a plan, not a flow), an amount not above zero,
    a code that is not ISO 4217, an account of another client, and a currency with no FX rate to the base
    currency on or before the flow's day (``FxRateMissing``). The amount in the base currency is fixed at
    that day's rate, so performance reads need no rates.
    """
    today = today or timezone.localdate()
    currency = (currency or "").strip().upper()
    errors = {}
    if flow_date > today:
        errors["flow_date"] = _("The date cannot be in the future.")
    if account is not None and account.client_id != client.pk:
        errors["account"] = _("The account belongs to another client.")
    if errors:
        raise ValidationError(errors)
    flow = CashFlow(client=client, account=account, kind=kind, flow_date=flow_date, amount=amount,
                    currency=currency, note=note, recorded_by=recorded_by, source=source,
                    amount_base=Decimal("0"), base_currency=base_currency())
    flow.full_clean()  # amount above zero, ISO currency, kind and source among the choices
    flow.amount_base = fx_convert(amount=amount, currency=currency, on_date=flow_date)
    flow.save()
    return flow
