"""Keyset pagination of an ordered list: deep pages without OFFSET.

``OFFSET 99950`` makes the database produce and throw away every row before page 2000 of the whole
book. A keyset page instead starts *after* (or ends *before*) the sort key of a row of the page the
reader came from, so the query reads one page whatever its depth: on PostgreSQL, an index walk from
that key for the name, AUM and creation-date orders.

The cursor in the URL (``after`` / ``before``) holds the sort, the boundary row's key values (the
last one always the primary key, so ties on the sort key are broken the same way on every page) and
the row's position in the list, which is shown ("2,001–2,050 of 9,842") but never used to select rows.
A cursor from another sort, or one that does not parse, is ignored: the list starts at its first page.
The rows are always those of the queryset given, so the access rule and filters apply to every page.
"""

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, OrderBy, Q, QuerySet
from django.utils.http import urlencode

# Pages reached by number (``?page=N``, an OFFSET of at most this many pages less one); the others by
# cursor. A number past the last page shows the last page, a deeper one the last numbered page.
NUMBERED_PAGES = 5
CURSOR_PARAMETERS = ("page", "after", "before", "last")


@dataclass(frozen=True)
class _Key:
    expression: object
    descending: bool
    nulls_last: bool  # where NULLs sort in this direction (only the RM's names can be NULL)


def _keys(queryset: QuerySet) -> list[_Key]:
    keys = []
    for item in queryset.query.order_by:
        if isinstance(item, str):
            item = F(item[1:]).desc() if item.startswith("-") else F(item).asc()
        if not isinstance(item, OrderBy):
            item = item.asc()
        nulls_last = item.nulls_last if (item.nulls_last or item.nulls_first) else not item.descending
        keys.append(_Key(item.expression, item.descending, bool(nulls_last)))
    return keys


def _after(alias: str, key: _Key, value, *, forward: bool) -> Q | None:
    """Rows whose ``alias`` comes strictly after ``value`` in the order (before it when not forward);
    None when no row can."""
    descending = key.descending != (not forward)
    nulls_last = key.nulls_last if forward else not key.nulls_last
    if value is None:
        return None if nulls_last else Q(**{f"{alias}__isnull": False})
    condition = Q(**{f"{alias}__{'lt' if descending else 'gt'}": value})
    return condition | Q(**{f"{alias}__isnull": True}) if nulls_last and _nullable(key) else condition


def _nullable(key: _Key) -> bool:
    return "__" in getattr(key.expression, "name", "")  # through a nullable relation (the primary RM)


def _equal(alias: str, value) -> Q:
    return Q(**{f"{alias}__isnull": True}) if value is None else Q(**{alias: value})


def _beyond(keys: list[_Key], values: list, *, forward: bool) -> Q:
    """Rows after the row with key ``values`` (before it when not forward): the usual expansion
    (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., each key in its own direction."""
    condition, equal = Q(pk__in=[]), Q()
    for index, (key, value) in enumerate(zip(keys, values)):
        alias = f"sort_key_{index}"
        after = _after(alias, key, value, forward=forward)
        if after is not None:
            condition |= equal & after
        equal &= _equal(alias, value)
    first_key, first_value = keys[0], values[0]
    if first_value is not None and not _nullable(first_key):
        # The same bound on the first key alone, so the planner can start an index walk there.
        descending = first_key.descending != (not forward)
        condition &= Q(**{f"sort_key_0__{'lte' if descending else 'gte'}": first_value})
    return condition


def _encode(sort: str, position: int, values: list) -> str:
    data = json.dumps([sort, position, [None if v is None else str(v) for v in values]], ensure_ascii=False)
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _decode(token: str, *, sort: str, key_count: int) -> tuple[int, list] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
        token_sort, position, values = data
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if (token_sort != sort or not isinstance(position, int) or position < 0 or not isinstance(values, list)
            or len(values) != key_count or not all(v is None or isinstance(v, str) for v in values)):
        return None
    return position, values


class KeysetPage:
    """One page of ``queryset`` (ordered, its last key unique) for the request's ``page``, ``after``,
    ``before`` or ``last`` parameter, with ``total`` rows in the list (counted by the caller).

    Iterates over its rows; ``start_index``, ``end_index``, ``number``, ``total``; ``has_previous``,
    ``has_next`` and the query strings that lead there (``previous_query``, ``next_query``,
    ``first_query``, ``last_query``, ``numbered``: (number, query) of the first pages)."""

    def __init__(self, queryset: QuerySet, params, *, sort: str, total: int, query: str = "",
                 per_page: int = 50):
        self.per_page, self.total, self._sort, self._query = per_page, total, sort, query
        self._keys = _keys(queryset)
        annotated = queryset.annotate(**{f"sort_key_{i}": key.expression for i, key in enumerate(self._keys)})
        self.last_number = max((total + per_page - 1) // per_page, 1)
        rows = None
        for name, forward in (("after", True), ("before", False)):
            cursor = _decode(params.get(name) or "", sort=sort, key_count=len(self._keys))
            if cursor is not None:
                rows = self._by_cursor(annotated, *cursor, forward=forward)
                if rows is not None:
                    break
        if rows is None and params.get("last"):
            rows = self._last(annotated)
        if rows is None:
            rows = self._numbered(annotated, params.get("page"))
        self.object_list = rows
        self.end_index = self.start_index + len(rows) - 1 if rows else 0
        self.number = (self.start_index - 1) // per_page + 1 if rows else 1

    def _by_cursor(self, annotated, position: int, values: list, *, forward: bool):
        try:
            selected = annotated.filter(_beyond(self._keys, values, forward=forward))
        except (ValidationError, ValueError, TypeError):
            return None  # a key value that is not of its column's type: a forged cursor
        if forward:
            rows = list(selected[:self.per_page + 1])
            self.has_next, self.has_previous = len(rows) > self.per_page, True
            rows = rows[:self.per_page]
            self.start_index = max(position, 1)
            return rows
        rows = list(selected.reverse()[:self.per_page + 1])
        self.has_previous, self.has_next = len(rows) > self.per_page, True
        rows = rows[:self.per_page][::-1]
        # The position is the page's last row; a list that changed since may leave fewer rows before.
        self.start_index = max(position - len(rows) + 1, 1) if self.has_previous else 1
        return rows

    def _last(self, annotated):
        count = self.total - (self.last_number - 1) * self.per_page
        rows = list(annotated.reverse()[:max(count, 0)])[::-1]
        self.has_previous, self.has_next = self.last_number > 1, False
        self.start_index = (self.last_number - 1) * self.per_page + 1
        return rows

    def _numbered(self, annotated, number):
        try:
            number = max(int(number or 1), 1)
        except (TypeError, ValueError):
            number = 1
        if number > self.last_number:
            return self._last(annotated)
        number = min(number, NUMBERED_PAGES)  # deeper pages are reached by cursor, not OFFSET
        self.start_index = (number - 1) * self.per_page + 1
        rows = list(annotated[self.start_index - 1:self.start_index + self.per_page])
        self.has_next, self.has_previous = len(rows) > self.per_page, number > 1
        return rows[:self.per_page]

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def _link(self, **params) -> str:
        extra = urlencode(params)
        return f"{self._query}&{extra}" if self._query else extra

    def _cursor(self, row, position: int) -> str:
        return _encode(self._sort, position, [getattr(row, f"sort_key_{i}") for i in range(len(self._keys))])

    @property
    def next_query(self) -> str:
        return self._link(after=self._cursor(self.object_list[-1], self.end_index + 1)) if self.has_next else ""

    @property
    def previous_query(self) -> str:
        if not self.has_previous:
            return ""
        if self.number <= NUMBERED_PAGES + 1 and self.start_index == (self.number - 1) * self.per_page + 1:
            return self._link(page=self.number - 1)  # near the top: the numbered page, cheap and shareable
        return self._link(before=self._cursor(self.object_list[0], self.start_index - 1))

    @property
    def first_query(self) -> str:
        return self._link(page=1)

    @property
    def last_query(self) -> str:
        return self._link(last=1)

    @property
    def numbered(self) -> list[tuple[int, str]]:
        return [(n, self._link(page=n)) for n in range(1, min(NUMBERED_PAGES, self.last_number) + 1)]
