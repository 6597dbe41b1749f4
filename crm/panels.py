"""Panels other apps contribute to crm's pages, so that crm imports none of them.

An app registers its panels in its ``AppConfig.ready()``::

    panels.register(panels.Panel(
        slot=panels.CLIENT_MAIN, key="portfolio", order=10,
        template="portfolios/includes/client_panel.html",
        context=selectors.client_portfolio_panel,   # (*, request, client) -> dict
    ))

crm's views call ``render`` for a slot and place the HTML; the context function is the
app's own selector, so each panel's queries are its own (and tested there). A panel whose
context function returns ``None`` is left out (nothing to show for this user or client).
"""

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

T = TypeVar("T")

CLIENT_MAIN = "client-main"      # the client 360 page, main column
CLIENT_SIDE = "client-side"      # the client 360 page, side column
DASHBOARD = "dashboard"          # the signed-in home page, below the book summary
# The risk overview page (risk app), below its own lists; its panels get ``clients=``, the visible
# clients matching the page's filters (RM, tier), as a QuerySet.
RISK_OVERVIEW = "risk-overview"
# The client portfolio page (portfolios app), among the buttons of its header: links other apps offer
# there (the reports app's client review report). Its panels get ``client=``.
PORTFOLIO_ACTIONS = "portfolio-actions"
SLOTS = (CLIENT_MAIN, CLIENT_SIDE, DASHBOARD, RISK_OVERVIEW, PORTFOLIO_ACTIONS)


@dataclass(frozen=True)
class Panel:
    slot: str
    key: str
    template: str
    context: Callable[..., dict | None]
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    html: SafeString


_registry: dict[str, dict[str, Panel]] = {slot: {} for slot in SLOTS}


def register(panel: Panel) -> None:
    """Add (or replace, by key: ``ready()`` may run twice in tests) a panel in its slot."""
    if panel.slot not in _registry:
        raise ValueError(f"unknown panel slot {panel.slot!r}; one of {SLOTS}")
    _registry[panel.slot][panel.key] = panel


def registered(slot: str) -> list[Panel]:
    return sorted(_registry[slot].values(), key=lambda panel: (panel.order, panel.key))


@functools.cache
def _keywords(function) -> frozenset[str] | None:
    """The keyword arguments a context function takes; ``None`` when it takes any (``**kwargs``)."""
    parameters = inspect.signature(function).parameters.values()
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return frozenset(parameter.name for parameter in parameters)


def render(slot: str, *, request, known: dict | None = None, **objects) -> list[RenderedPanel]:
    """Each panel of the slot rendered for this request; ``objects`` (e.g. ``client=``) go to
    every panel's context function. ``known`` holds what the page has fetched already (the client
    page: ``may_edit``); a context function that takes one of these as a keyword gets it and need
    not query it again, one that does not take it is called as before."""
    rendered = []
    for panel in registered(slot):
        extra = {}
        if known:
            keywords = _keywords(panel.context)
            extra = {name: value for name, value in known.items() if keywords is None or name in keywords}
        context = panel.context(request=request, **objects, **extra)
        if context is None:
            continue
        rendered.append(RenderedPanel(panel.key, render_to_string(panel.template, context, request=request)))
    return rendered


def request_memo(request, key, compute: Callable[[], T]) -> T:
    """``compute()`` once per request and ``key`` (e.g. ``("alerts-by-kind", client.pk)``): what an
    app's panel and its header facts both show is fetched once, though the page asks each alone.
    Without a request (a task, a test calling the function directly) it just computes."""
    if request is None:
        return compute()
    memo = request.__dict__.setdefault("_panels_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


# ---------------------------------------------------------------------------
# Client facts: short values other apps add to the client page's header strip
# ---------------------------------------------------------------------------
#
# The client 360 page opens with a strip of facts (AUM, tier, risk level, stage, RM from crm
# itself). Apps add theirs without crm importing them, e.g. in ``ready()``::
#
#     panels.facts_register(panels.FactSource(key="alerts", order=50, collect=selectors.client_facts))
#
# ``collect(*, request, client) -> list[Fact]``; keep it to a query or two, it runs on every client page.


@dataclass(frozen=True)
class Fact:
    key: str                     # also the element's data-testid: fact-<key>
    label: str
    value: str = ""              # shown as text; "" shows a dash unless ``badges`` says more
    url: str = ""                # where the value links to, if anywhere
    tone: str = ""               # a Bootstrap colour name (danger, warning, success...) for the value
    badges: tuple[tuple[str, str], ...] = ()  # (text, Bootstrap colour) pairs, e.g. alerts by severity


@dataclass(frozen=True)
class FactSource:
    key: str
    collect: Callable[..., list[Fact]]
    order: int = 100


_fact_sources: dict[str, FactSource] = {}


def facts_register(source: FactSource) -> None:
    """Add (or replace, by key) a source of client facts."""
    _fact_sources[source.key] = source


def facts_collect(*, request, client) -> list[Fact]:
    """Every registered source's facts about the client, in source order."""
    facts = []
    for source in sorted(_fact_sources.values(), key=lambda source: (source.order, source.key)):
        facts.extend(source.collect(request=request, client=client))
    return facts
