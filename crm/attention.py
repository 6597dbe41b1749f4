"""What needs an RM's attention, gathered from every app without crm importing any of them.

Each app registers sources in its ``AppConfig.ready()``: portfolios its open alerts, risk its
expiring and expired assessments, communications its reviews, follow-ups and complaints.
The reminder scan and the Today page read them all through ``items_due`` and never import
the apps that own the data.

A source's ``collect(*, today, horizon_days)`` returns ``AttentionItem``s due on or before
``today + horizon_days`` (overdue ones included), for every client, in a few queries whatever
the size of the book: set-based, never a query per client.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date


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
    collect: Callable[..., Iterable[AttentionItem]]
    order: int = 100            # urgency order on the Today page: lower first


_sources: dict[str, AttentionSource] = {}


def register(source: AttentionSource) -> None:
    _sources[source.kind] = source


def sources() -> list[AttentionSource]:
    return sorted(_sources.values(), key=lambda source: (source.order, source.kind))


def items_due(*, today: date, horizon_days: int) -> list[AttentionItem]:
    """Every registered source's items due by ``today + horizon_days``."""
    return [item for source in sources() for item in source.collect(today=today, horizon_days=horizon_days)]
