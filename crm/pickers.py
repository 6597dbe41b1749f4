"""Searchable client pickers: a select widget that lists only the chosen clients and lets the
browser (static/js/pickers.js with the vendored Tom Select) search for others through
``crm:client-pick`` — a JSON endpoint that answers from the access module, so a picker offers
only the clients the user may see (or edit)."""

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from . import access, selectors
from .models import Client

PICK_LIMIT = 20  # suggestions per search; the user types more to narrow them


def client_pick_label(client: Client) -> str:
    """How a picker shows a client: the name, the client number, and the birth date when known (two
    people of one name are told apart by it)."""
    parts = [client.display_name, _("no. %(number)s") % {"number": client.pk}]
    if client.birth_date:
        parts.append(client.birth_date.isoformat())
    return " · ".join(parts)


def client_pick_list(*, user, term: str, editable: bool = False, limit: int = PICK_LIMIT) -> QuerySet[Client]:
    """Active and inactive (not merged) clients the user may see — or edit, with ``editable`` — that
    match ``term`` (name, ID number, phone, e-mail or client number), by name; empty for an
    empty term. One query."""
    if not term.strip():
        return Client.objects.none()
    clients = selectors.client_list_search(user=user, params={"q": term})
    if editable:
        clients = clients.filter(pk__in=access.client_list_editable(user=user).values("pk"))
    return clients.order_by("legal_name", "pk").prefetch_related(None).select_related(None)[:limit]


class ClientPickerMixin:
    """Renders only the selected clients as options (never the whole visible list) and tells the
    script where to search."""

    VISIBLE, EDITABLE = "visible", "editable"

    def __init__(self, *, scope: str = VISIBLE, attrs=None):
        super().__init__(attrs={**(attrs or {}), "data-picker": "client", "data-scope": scope})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-url"] = reverse("crm:client-pick") + (
            "?scope=editable" if self.attrs["data-scope"] == self.EDITABLE else "")
        context["widget"]["attrs"]["data-placeholder"] = _("Type a name, phone, ID or client number")
        return context

    def optgroups(self, name, value, attrs=None):
        ids = [int(v) for v in value if str(v).isdigit()]
        queryset = getattr(self.choices, "queryset", None)
        chosen = list(queryset.filter(pk__in=ids)) if ids and queryset is not None else []
        options = [] if self.allow_multiple_selected else [self.create_option(name, "", "", not chosen, 0)]
        options += [self.create_option(name, str(client.pk), client_pick_label(client), True, index)
                    for index, client in enumerate(chosen, start=1)]
        return [(None, [option], index) for index, option in enumerate(options)]


class ClientPicker(ClientPickerMixin, forms.Select):
    pass


class ClientMultiplePicker(ClientPickerMixin, forms.SelectMultiple):
    pass
