"""Floors: what a page would cost at the least, measured in the same run as the page.

Each floor is a minimal Django view behind the same middleware (session, sign-in, CSP): it fetches
the rows the page shows with one or two hand-written SQL queries and renders them as a bare HTML
table through the Django template engine. The benchmark mounts these views under ``/bench-floor/``
in its own process only (``floors_mounted``); the app's URLs never include them.
"""

import re
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection
from django.http import Http404, HttpResponse
from django.template import engines
from django.urls import clear_url_caches, path
from django.utils import timezone

from crm.access import is_supervisor
from crm.roles import Role, has_role

PAGE_SIZE = 50  # the client list's page
_TABLES = engines["django"].from_string(
    "<!doctype html><title>floor</title>{% for rows in tables %}<table>{% for row in rows %}<tr>"
    "{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}"
)


def _visible(user) -> tuple[str, list]:
    """The access rule of crm.access.client_list_visible, in SQL over ``crm_client c``, in the shape
    PostgreSQL serves from indexes (a BitmapOr): the backup clients and team members as arrays
    (``= ANY(ARRAY(...))``), not ``OR EXISTS (...)``, which makes every query read the whole table."""
    if is_supervisor(user):
        return "TRUE", []
    sql = ("(c.primary_manager_id = %s OR c.id = ANY(ARRAY(SELECT a.client_id FROM crm_assignment a "
           "WHERE a.manager_id = %s AND a.role = 'backup' AND a.ended_at IS NULL))")
    params = [user.pk, user.pk]
    if has_role(user, Role.TEAM_LEAD):
        sql += (" OR c.primary_manager_id = ANY(ARRAY(SELECT m.user_id FROM crm_team_members m JOIN crm_team t "
                "ON t.id = m.team_id WHERE t.lead_id = %s)) OR c.primary_manager_id IS NULL")
        params.append(user.pk)
    return sql + ")", params


def _search(term: str) -> tuple[str, list]:
    """The same expressions as crm.selectors' search, so the floor uses the same indexes: names by
    trigram (not for a term of digits), ID numbers by prefix, phones by their last digits (reversed)."""
    compact = term.replace(" ", "").replace("-", "")
    digits = "".join(ch for ch in term if ch.isdigit())
    number = bool(re.fullmatch(r"\+?\d+[Xx]?", compact))
    arms, params = [], []
    if not number:
        like = f"%{term}%"
        arms += ["UPPER(c.legal_name::text) LIKE UPPER(%s)", "UPPER(c.preferred_name::text) LIKE UPPER(%s)"]
        params += [like, like]
    arms += ["c.id_number = %s", "c.id_number::text LIKE %s"]
    params += [compact.upper(), compact.upper() + "%"]
    if len(digits) >= 4:
        for tail in {tail for tail in (digits, digits.lstrip("0")) if len(tail) >= 4}:
            arms.append("REVERSE(c.phone::text) LIKE %s")
            params.append(tail[::-1] + "%")
    return "(" + " OR ".join(arms) + ")", params


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def client_list(request):
    where, params = _visible(request.user)
    where += " AND c.status <> 'merged'"
    if request.GET.get("tier"):
        where += " AND c.aum_tier = %s"
        params.append(request.GET["tier"])
    if request.GET.get("q"):
        search, search_params = _search(request.GET["q"])
        where += " AND " + search
        params += search_params
    rows = _fetch(
        "SELECT c.id, c.legal_name, c.preferred_name, c.aum_total, c.aum_tier, c.risk_level, c.lifecycle_stage, "
        "u.first_name, u.last_name FROM crm_client c LEFT JOIN crm_user u ON u.id = c.primary_manager_id "
        f"WHERE {where} ORDER BY c.legal_name, c.id LIMIT {PAGE_SIZE + 1}", params)
    total = _fetch(f"SELECT count(*) FROM crm_client c WHERE {where}", params)
    return _render([rows, total])


def _client_visible(request, pk: int) -> None:
    where, params = _visible(request.user)
    if not _fetch(f"SELECT 1 FROM crm_client c WHERE c.id = %s AND {where}", [pk, *params]):
        raise Http404


def client_360(request, pk: int):
    _client_visible(request, pk)
    client = _fetch("SELECT c.*, u.first_name, u.last_name FROM crm_client c "
                    "LEFT JOIN crm_user u ON u.id = c.primary_manager_id WHERE c.id = %s", [pk])
    allocation = _fetch(
        "SELECT i.asset_class, SUM(h.market_value) FROM portfolios_holding h JOIN portfolios_account a "
        "ON a.id = h.account_id JOIN portfolios_instrument i ON i.id = h.instrument_id WHERE a.client_id = %s "
        "GROUP BY i.asset_class ORDER BY 2 DESC", [pk])
    contacts = _fetch("SELECT occurred_at, channel, summary, next_step, next_step_due_on FROM "
                      "communications_contactlog WHERE client_id = %s ORDER BY occurred_at DESC LIMIT 10", [pk])
    return _render([client, allocation, contacts])


def portfolio(request, pk: int):
    _client_visible(request, pk)
    holdings = _fetch(
        "SELECT a.name, a.account_number, i.code, i.name, i.asset_class, h.quantity, h.cost, h.market_value, "
        "h.currency FROM portfolios_holding h JOIN portfolios_account a ON a.id = h.account_id "
        "JOIN portfolios_instrument i ON i.id = h.instrument_id WHERE a.client_id = %s "
        "ORDER BY a.id, i.code", [pk])
    return _render([holdings])


def book(request):
    """The totals a dashboard, a report or the risk overview shows: per RM and tier, over the visible
    book: clients, AUM, and expired or missing risk assessments."""
    where, params = _visible(request.user)
    today = timezone.localdate()
    rows = _fetch(
        "SELECT c.primary_manager_id, c.aum_tier, count(*), SUM(c.aum_total), "
        "count(*) FILTER (WHERE c.risk_valid_until < %s), "
        "count(*) FILTER (WHERE c.risk_valid_until BETWEEN %s AND %s), count(*) FILTER (WHERE c.risk_level = '') "
        f"FROM crm_client c WHERE {where} AND c.status <> 'merged' GROUP BY 1, 2 ORDER BY 1, 2",
        [today, today, today + timedelta(days=30), *params])
    return _render([rows])


def _render(tables) -> HttpResponse:
    return HttpResponse(_TABLES.render({"tables": tables}))


@contextmanager
def floors_mounted():
    """The floor views in this process's URLs (``bench-floor-<name>``) while the block runs."""
    from config import urls

    routes = [
        path("bench-floor/client-list/", client_list, name="bench-floor-client-list"),
        path("bench-floor/client-360/<int:pk>/", client_360, name="bench-floor-client-360"),
        path("bench-floor/portfolio/<int:pk>/", portfolio, name="bench-floor-portfolio"),
        path("bench-floor/book/", book, name="bench-floor-book"),
    ]
    # First: in DEBUG the media files' catch-all route ends the list.
    urls.urlpatterns[:0] = routes
    clear_url_caches()
    try:
        yield
    finally:
        del urls.urlpatterns[:len(routes)]
        clear_url_caches()
