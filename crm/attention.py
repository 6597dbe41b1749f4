"""What needs an RM's attention, gathered from every app without crm importing any of them.

Each app registers sources in its ``AppConfig.ready()``: portfolios its open alerts, risk its
expiring and expired assessments, communications its reviews, follow-ups and complaints.
The reminder scan and the Today page read them all through ``items_due`` and never import
the apps that own the data.

A source's ``collect(*, today, horizon_days)`` returns ``AttentionItem``s due on or before
``today + horizon_days`` (overdue ones included), for every client, in a few queries whatever
the size of the book: set-based, never a query per client.

A source that can say it in one queryset registers ``due`` instead: the same items as rows
(``due_rows``), at most one per client and due date. The reminder scan then diffs them against
the reminders in the database without loading them into Python (100,000 clients: seconds, not
minutes), and ``collect`` is derived from it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django.db.models import CharField, Expression, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse


@dataclass(frozen=True)
class AttentionItem:
    client_id: int
    manager_id: int | None      # whom it concerns: usually the client's primary RM
    kind: str                   # stable key, e.g. "risk-assessment-expiring"; with due_on, identifies it
    due_on: date
    summary: str = ""           # untranslated text with %(name)s parameters, rendered in the reader's language
    params: dict = field(default_factory=dict)
    url: str = ""               # where to act on it


@dataclass(frozen=True)
class AttentionSource:
    kind: str
    label: str                  # translatable (gettext_lazy) name of the kind, for lists and filters
    collect: Callable[..., Iterable[AttentionItem]] | None = None   # derived from ``due`` when not given
    order: int = 100            # urgency order on the Today page: lower first
    due: Callable[..., QuerySet] | None = None  # (*, today, horizon_days) -> due_rows(...): the set-based form

    def __post_init__(self):
        if self.collect is None:
            if self.due is None:
                raise ValueError(f"The attention source {self.kind!r} needs collect or due.")
            object.__setattr__(self, "collect", partial(_items_from_rows, self))


# The columns of a set-based source's rows (``due_rows``), each named ITEM_PREFIX + column.
ITEM_COLUMNS = ("client_id", "manager_id", "due_on", "summary", "params", "url")
ITEM_PREFIX = "item_"


def due_rows(queryset: QuerySet, *, client_id, manager_id, due_on, summary, params, url) -> QuerySet:
    """A set-based source's rows: ``queryset`` (grouped with ``values()`` if need be, so there is
    one row per client and due date) with each item column as an expression, named
    ``item_<column>`` so it clashes with no field. ``summary`` is the untranslated text (a string
    or an expression), ``params`` a ``JSONObject``, ``url`` usually ``url_with_id``."""
    columns = {"client_id": client_id, "manager_id": manager_id, "due_on": due_on, "summary": summary,
               "params": params, "url": url}
    return queryset.annotate(**{
        ITEM_PREFIX + name: value if isinstance(value, Expression | F) else Value(value, output_field=CharField())
        for name, value in columns.items()
    }).values(*(ITEM_PREFIX + name for name in ITEM_COLUMNS))


def url_with_id(viewname: str, id_expression) -> Concat:
    """The SQL for ``reverse(viewname, args=[id])`` of every row: the path around the id is
    reversed once."""
    marker = 2_147_483_647
    before, after = reverse(viewname, args=[marker]).split(str(marker))
    return Concat(Value(before), Cast(id_expression, CharField()), Value(after), output_field=CharField())


def _items_from_rows(source: AttentionSource, *, today: date, horizon_days: int) -> list[AttentionItem]:
    rows = source.due(today=today, horizon_days=horizon_days).order_by(
        ITEM_PREFIX + "due_on", ITEM_PREFIX + "client_id")
    return [AttentionItem(kind=source.kind, **{name: row[ITEM_PREFIX + name] for name in ITEM_COLUMNS})
            for row in rows]


_sources: dict[str, AttentionSource] = {}


def register(source: AttentionSource) -> None:
    _sources[source.kind] = source


def sources() -> list[AttentionSource]:
    return sorted(_sources.values(), key=lambda source: (source.order, source.kind))


def items_due(*, today: date, horizon_days: int) -> list[AttentionItem]:
    """Every registered source's items due by ``today + horizon_days``."""
    return [item for source in sources() for item in source.collect(today=today, horizon_days=horizon_days)]
