"""Writes of the API app: issuing and revoking API tokens."""

import hashlib
import secrets
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.currencies import currency_code_validate
from crm.history import history_note

from .models import ApiToken

PREFIX_LENGTH = 8
# The usage stamp moves at most this often, so a busy system costs no write per request.
LAST_USED_REFRESH = timedelta(minutes=1)


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user, name: str, issued_by=None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it and its key, which is shown this once and never stored."""
    if not user.is_active:
        raise ValidationError({"user": _("An inactive user cannot be given an API token.")})
    key = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), prefix=key[:PREFIX_LENGTH], key_hash=api_token_hash(key),
                     created_by=issued_by)
    token.full_clean()
    history_note(token, user=issued_by, reason=_("API token issued"))
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by=None) -> ApiToken:
    """End the token at once; the next request with it answers 401. Revoking again changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = timezone.now(), revoked_by
        history_note(token, user=revoked_by, reason=_("API token revoked"))
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_token_used(*, token: ApiToken) -> None:
    """Stamp the token's last use, at most once a minute. A bare update on purpose: the field is kept
    out of the token's history (it records what people changed, not each call)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_REFRESH:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# ---------------------------------------------------------------------------
# Holdings pushed by a custodian or trading system
# ---------------------------------------------------------------------------

def holdings_upsert(*, user, positions: list[dict]) -> dict:
    """Create or update each position (account id, instrument code, quantity, values, date) through
    ``portfolios.services.holding_upsert``, all or nothing, then queue the revaluation of every
    client whose holdings changed, on the latest valuation date of its positions, after the commit
    (as the positions import does).

    Refused, keyed ``holdings.<index>.<field>``: an account of a client the user may not change (as
    unknown as a missing one), an unknown instrument or currency, a currency with no FX rate to
    the base currency on that day, the same position twice. Returns counts and the holdings with
    their ``change`` ("created", "updated", "unchanged").
    """
    from portfolios import services as portfolio_services
    from portfolios.imports.cells import FxCheck, no_fx_message

    from . import selectors

    accounts = selectors.accounts_editable(user=user, ids=[p["account"] for p in positions])
    instruments = selectors.instruments_by_code(codes=[p["instrument"] for p in positions])
    fx_ok, seen, errors = FxCheck(), {}, {}
    for index, position in enumerate(positions):
        def refuse(field, message, code, index=index):
            errors.setdefault(f"holdings.{index}.{field}", []).append(ValidationError(message, code=code))

        account, instrument = accounts.get(position["account"]), instruments.get(position["instrument"])
        if account is None:
            refuse("account", _("Unknown account."), "unknown")
        if instrument is None:
            refuse("instrument", _("Unknown instrument."), "unknown")
        try:
            currency_code_validate(position["currency"])
        except ValidationError as error:
            refuse("currency", " ".join(error.messages), "invalid_currency")
        else:
            if not fx_ok(position["currency"], position["valuation_date"]):
                refuse("currency", no_fx_message(position["currency"], position["valuation_date"]), "no_fx_rate")
        if account is not None and instrument is not None:
            first = seen.setdefault((account.pk, instrument.pk), index)
            if first != index:
                refuse("instrument", _("The same position as holdings.%(index)d.") % {"index": first}, "duplicate")
    if errors:
        raise ValidationError(errors)

    existing = selectors.holdings_existing(pairs=seen)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    refresh: dict[int, date] = {}
    holdings = []
    reason = _("Sent through the API")
    with transaction.atomic():
        for position in positions:
            account, instrument = accounts[position["account"]], instruments[position["instrument"]]
            current = existing.get((account.pk, instrument.pk))
            cost = position.get("cost")
            if cost is None:
                cost = current.cost if current is not None else position["market_value"]
            holding, changed = portfolio_services.holding_upsert(
                account=account, instrument=instrument, quantity=position["quantity"], cost=cost,
                market_value=position["market_value"], currency=position["currency"],
                valuation_date=position["valuation_date"], is_illiquid=position.get("is_illiquid"),
                recorded_by=user, reason=reason)
            holding.change = "unchanged" if not changed else ("updated" if current is not None else "created")
            counts[holding.change] += 1
            holdings.append(holding)
            if changed:
                day = position["valuation_date"]
                refresh[account.client_id] = max(refresh.get(account.client_id, day), day)
        queued = portfolio_services.valuations_refresh_enqueue_latest(latest_date_by_client=refresh)
    return {**counts, "revaluations_queued": queued, "holdings": holdings}
