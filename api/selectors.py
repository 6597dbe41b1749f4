"""Reads of the API. Which clients: ``crm.access`` (another RM's client answers 404, like a missing one)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from communications.models import ContactLog
from crm import access
from crm.models import Client
from portfolios.models import Account, Holding, Instrument, ValuationSnapshot


def client_get_visible(*, user, pk: int) -> Client:
    """The client with what its representation reads (RM, tags), or 404."""
    return get_object_or_404(
        access.client_list_visible(user=user).select_related("primary_manager").prefetch_related("tags"), pk=pk)


def valuation_list(*, client: Client) -> QuerySet[ValuationSnapshot]:
    return ValuationSnapshot.objects.filter(client=client).order_by("valuation_date", "id")


def contact_list(*, client: Client) -> QuerySet[ContactLog]:
    return ContactLog.objects.filter(client=client).order_by("-occurred_at", "-id")


def accounts_editable(*, user, ids) -> dict[int, Account]:
    """The accounts among ``ids`` of clients the user may change (merged records left out); an
    account of any other client is as unknown as one that does not exist. One query."""
    clients = access.client_list_editable(user=user).exclude(status=Client.Status.MERGED).values("pk")
    return {account.pk: account for account in Account.objects.filter(pk__in=set(ids), client__in=clients)}


def instruments_by_code(*, codes) -> dict[str, Instrument]:
    return {instrument.code: instrument for instrument in Instrument.objects.filter(code__in=set(codes))}


def holdings_existing(*, pairs) -> dict[tuple[int, int], Holding]:
    """The holdings of these (account id, instrument id) pairs that exist; one query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    holdings = Holding.objects.filter(account_id__in={a for a, _i in pairs}, instrument_id__in={i for _a, i in pairs})
    return {(h.account_id, h.instrument_id): h for h in holdings}
