"""The audit trail read back: a client's history, compliance's search over every change, and the
log of who looked at sensitive data.

Changes are recorded by django-simple-history (see ``crm.history``); this module only reads them.
Apps say which of their historical tables belong to a client by registering a ``HistorySource``
from their ``AppConfig.ready()`` (crm imports none of them)::

    audit.history_source_register(Holding, client_path="account__client_id")

A page of entries costs a fixed number of queries: one UNION over the registered tables (and its
count), then, per table on the page, its rows with their previous versions (two), the staff
named (one) and the clients' names (one), whatever the length of the history.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import BigIntegerField, CharField, F, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import masking
from .history import request_attrs
from .models import Client, SensitiveView, User


@dataclass(frozen=True)
class HistorySource:
    model: type  # the audited model (it has ``history = audited_history()``)
    # From its historical row to the client's id: "id", "client_id", "account__client_id"; None for
    # data of no one client (prices, thresholds, teams), shown in the compliance search only.
    client_path: str | None

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    @property
    def label(self) -> str:
        return self.model._meta.verbose_name

    @property
    def historical(self):
        return self.model.history.model


_sources: dict[str, HistorySource] = {}


def history_source_register(model, *, client_path: str | None) -> None:
    """Let a model's history show on its client's History tab and in the compliance search
    (again by the same model replaces: ``ready()`` may run twice in tests)."""
    source = HistorySource(model=model, client_path=client_path)
    _sources[source.key] = source


def history_sources() -> list[HistorySource]:
    return sorted(_sources.values(), key=lambda source: (source.model._meta.app_label != "crm", source.key))


def history_source_choices() -> list[tuple[str, str]]:
    return [(source.key, source.label) for source in history_sources()]


# --- Entries: one row per recorded change ------------------------------------------------

ENTRY_FIELDS = ("e_source", "e_id", "e_date", "e_type", "e_user", "e_reason", "e_client", "e_object", "e_ip",
                "e_request")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def history_entries(*, client_id: int | None = None, client_ids=None, user_id: int | None = None,
                    source_keys=None, date_from: date | None = None, date_to: date | None = None):
    """Every recorded change matching the filters, newest first, as one UNION queryset of dicts
    (``ENTRY_FIELDS``); ``client_ids`` may be a queryset of client ids. Slice it for a page."""
    parts = []
    for source in history_sources():
        if source_keys and source.key not in source_keys:
            continue
        if source.client_path is None and (client_id is not None or client_ids is not None):
            continue
        rows = source.historical.objects.all()
        if client_id is not None:
            rows = rows.filter(**{source.client_path: client_id})
        if client_ids is not None:
            rows = rows.filter(**{f"{source.client_path}__in": client_ids})
        client_ref = F(source.client_path) if source.client_path else Value(None, output_field=BigIntegerField())
        if user_id is not None:
            rows = rows.filter(history_user_id=user_id)
        if date_from is not None:
            rows = rows.filter(history_date__gte=_day_start(date_from))
        if date_to is not None:
            rows = rows.filter(history_date__lt=_day_start(date_to + timedelta(days=1)))
        # Every column an annotation, in one order, so the parts line up in the UNION.
        parts.append(rows.order_by().annotate(
            e_source=Value(source.key, output_field=CharField()), e_id=F("history_id"), e_date=F("history_date"),
            e_type=F("history_type"), e_user=F("history_user_id"), e_reason=F("history_change_reason"),
            e_client=client_ref, e_object=F("id"), e_ip=F("ip_address"), e_request=F("request_id"),
        ).values(*ENTRY_FIELDS))
    if not parts:
        return Client.history.none().values()
    first, *others = parts
    return first.union(*others, all=True).order_by("-e_date", "-e_id") if others else first.order_by(
        "-e_date", "-e_id")


@dataclass
class Change:
    field: str
    old: str
    new: str


KIND_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


@dataclass
class Entry:
    source: HistorySource
    when: datetime
    kind: str  # "+", "~", "-"
    user: User | None
    reason: str
    client_id: int | None
    client_name: str
    object_id: int
    object_text: str
    ip_address: str | None
    request_id: str
    changes: list[Change]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def _shown(field, value, users: dict) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        if field.related_model is User and value in users:
            return str(users[value])
        return f"#{value}"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _tracked(historical) -> list:
    # The client a row belongs to is shown with the entry, not as one of its changes.
    return [field for field in historical.tracked_fields
            if not field.primary_key and field.name != "client"]


def entries_resolve(rows: list[dict], *, masked: bool = False) -> list[Entry]:
    """The page's UNION rows as ``Entry`` objects with their field changes (old → new); ``masked``:
    ID and phone numbers partly hidden (``crm.masking``), for a reader who may not see them in full."""
    by_source: dict[str, list[int]] = {}
    for row in rows:
        by_source.setdefault(row["e_source"], []).append(row["e_id"])
    records, previous = {}, {}
    for key, ids in by_source.items():
        historical = _sources[key].historical
        earlier = historical.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        ).order_by("-history_date", "-history_id").values("history_id")[:1]
        found = list(historical.objects.filter(history_id__in=ids).annotate(prev_id=Subquery(earlier)))
        records.update({(key, record.history_id): record for record in found})
        prev_ids = [record.prev_id for record in found if record.prev_id]
        previous.update({(key, pk): record for pk, record in
                         historical.objects.in_bulk(prev_ids, field_name="history_id").items()})
    user_ids = {row["e_user"] for row in rows if row["e_user"]}
    for (key, _pk), record in [*records.items(), *previous.items()]:
        for field in _tracked(type(record)):
            if field.is_relation and field.related_model is User and getattr(record, field.attname):
                user_ids.add(getattr(record, field.attname))
    users = User.objects.in_bulk(user_ids)
    client_names = dict(Client.objects.filter(pk__in={row["e_client"] for row in rows if row["e_client"]})
                        .values_list("pk", "legal_name"))
    entries = []
    for row in rows:
        source, record = _sources[row["e_source"]], records.get((row["e_source"], row["e_id"]))
        if record is None:
            continue
        before = previous.get((row["e_source"], record.prev_id)) if record.prev_id else None
        changes = []
        for field in _tracked(type(record)):
            new = getattr(record, field.attname)
            old = getattr(before, field.attname) if before is not None else None
            if row["e_type"] == "-":
                old, new = new, None
            if old != new and not (row["e_type"] == "+" and new in (None, "")):
                shown_old, shown_new = _shown(field, old, users), _shown(field, new, users)
                if masked and field.attname in masking.MASKERS:
                    mask = masking.MASKERS[field.attname]
                    shown_old, shown_new = (value if value == "—" else mask(value) for value in (shown_old, shown_new))
                changes.append(Change(str(field.verbose_name), shown_old, shown_new))
        entries.append(Entry(
            source=source, when=row["e_date"], kind=row["e_type"], user=users.get(row["e_user"]),
            reason=row["e_reason"] or "", client_id=row["e_client"], client_name=client_names.get(row["e_client"], ""),
            object_id=row["e_object"], object_text=_object_text(record), ip_address=row["e_ip"],
            request_id=row["e_request"] or "", changes=changes,
        ))
    return entries


def _object_text(record) -> str:
    """The row's own name where it needs no query (its ``__str__`` may follow foreign keys)."""
    for name in ("legal_name", "name", "title", "subject", "code"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value
    return f"#{record.id}"


# --- Views of sensitive data -------------------------------------------------------------


def sensitive_view_record(*, request, what: str, client_id: int | None = None, detail: str = "") -> None:
    """Log that the signed-in user opened sensitive data (one INSERT)."""
    SensitiveView.objects.create(user=request.user, what=what, client_id=client_id, detail=detail[:500],
                                 **request_attrs(request))


def sensitive_view_list(*, user_id: int | None = None, client_id: int | None = None, client_ids=None,
                        what: str = "", date_from: date | None = None, date_to: date | None = None):
    views = SensitiveView.objects.select_related("user", "client")
    if user_id is not None:
        views = views.filter(user_id=user_id)
    if client_id is not None:
        views = views.filter(client_id=client_id)
    if client_ids is not None:
        views = views.filter(client_id__in=client_ids)
    if what:
        views = views.filter(what=what)
    if date_from is not None:
        views = views.filter(viewed_at__gte=_day_start(date_from))
    if date_to is not None:
        views = views.filter(viewed_at__lt=_day_start(date_to + timedelta(days=1)))
    return views


def client_ids_matching(text: str) -> models.QuerySet | list[int]:
    """The clients a search box names: a client number, or part of a legal name."""
    text = text.strip()
    if text.isdigit():
        return [int(text)]
    return Client.objects.filter(legal_name__icontains=text).values("pk")
