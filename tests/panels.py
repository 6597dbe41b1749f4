"""Render the panels apps contribute to crm's pages, as the page would, outside the page."""

from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from crm import panels
from crm.roles import user_roles


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    user_roles(user)  # the page has the roles cached by the time its panels render
    return request


def panel_html(slot: str, key: str, *, user, **objects) -> str:
    """One panel's HTML for this user; only that panel is rendered (so only its queries run)."""
    panel = next(panel for panel in panels.registered(slot) if panel.key == key)
    request = _request(user)
    return render_to_string(panel.template, panel.context(request=request, **objects), request=request)


def panels_queries(slot: str, *, user, **objects) -> int:
    """How many queries all panels of a slot cost together: each app keeps its own constant."""
    request = _request(user)
    with CaptureQueriesContext(connection) as queries:
        panels.render(slot, request=request, **objects)
    return len(queries)


def facts_queries(*, user, client) -> int:
    """How many queries the apps' client facts (the client page's header strip) cost together."""
    request = _request(user)
    with CaptureQueriesContext(connection) as queries:
        panels.facts_collect(request=request, client=client)
    return len(queries)


def client_page_queries(*, user, client, known: dict) -> int:
    """What the apps add to the client page, counted as the page runs it: both columns' panels, then
    the header facts, on one request (what an app's panel and its facts share through
    ``crm.panels.request_memo`` is fetched once)."""
    request = _request(user)
    with CaptureQueriesContext(connection) as queries:
        for slot in (panels.CLIENT_MAIN, panels.CLIENT_SIDE):
            panels.render(slot, request=request, client=client, known=known)
        panels.facts_collect(request=request, client=client)
    return len(queries)
