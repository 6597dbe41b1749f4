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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import (BigIntegerField, CharField, F, GenericIPAddressField, OuterRef, Q, Subquery,
                              Value)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import masking
from .history import request_attrs
from .models import Client, SensitiveView, User


@dataclass(frozen=True)
class HistorySource:
    model: type  # the audited model (it has ``history = audited_history()``), or an append-only record
    # From its historical row to the client's id: "id", "client_id", "account__client_id"; None for
    # data of no one client (prices, thresholds, teams), shown in the compliance search only.
    client_path: str | None
    # Rows that belong to clients through another table (a household, through its members): client
    # ids (a list or a queryset) -> the condition on its historical rows. Used when client_path is None.
    clients: Callable | None = None
    # An append-only record with no history table (lifecycle transitions, merges, complaint events):
    # its rows are the trail. ``when`` and ``who`` name its date and staff fields, ``why`` its reason
    # field if any; ``changes(record, shown)`` says what it records (``shown(field, value)`` prints a
    # value), by default every field with a value.
    when: str = ""
    who: str = ""
    why: str = ""
    changes: Callable | None = None

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    @property
    def label(self) -> str:
        return self.model._meta.verbose_name

    @property
    def is_record(self) -> bool:
        return bool(self.when)

    @property
    def historical(self):
        return self.model if self.is_record else self.model.history.model


_sources: dict[str, HistorySource] = {}


def history_source_register(model, *, client_path: str | None, clients: Callable | None = None, when: str = "",
                            who: str = "", why: str = "", changes: Callable | None = None) -> None:
    """Let a model's history show on its client's History tab and in the compliance search
    (again by the same model replaces: ``ready()`` may run twice in tests).

    A model audited by simple-history needs only ``client_path`` (or ``clients``); an append-only
    record model, whose rows are themselves the trail, also names its ``when`` and ``who`` fields
    (and ``why``, ``changes``): see ``HistorySource``."""
    if bool(when) != bool(who):
        raise ValueError("An append-only record names both its when and who fields.")
    source = HistorySource(model=model, client_path=client_path, clients=clients, when=when, who=who, why=why,
                           changes=changes)
    _sources[source.key] = source


def history_sources() -> list[HistorySource]:
    return sorted(_sources.values(), key=lambda source: (source.model._meta.app_label != "crm", source.key))


def history_source_choices() -> list[tuple[str, str]]:
    return [(source.key, source.label) for source in history_sources()]


def changes_from_to(label, from_field: str, to_field: str, *also: str) -> Callable:
    """``changes`` for a record of one move (a lifecycle transition, a complaint's status): ``label``
    from → to, then each field of ``also`` that has a value."""

    def changes(record, shown) -> list["Change"]:
        found = [Change(str(label), shown(from_field, getattr(record, from_field)),
                        shown(to_field, getattr(record, to_field)))]
        for name in also:
            field = record._meta.get_field(name)
            value = getattr(record, field.attname)
            if value not in (None, ""):
                found.append(Change(str(field.verbose_name), "—", shown(name, value)))
        return found

    return changes


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
        rows = source.historical.objects.all()
        client_ref = F(source.client_path) if source.client_path else Value(None, output_field=BigIntegerField())
        if client_id is not None or client_ids is not None:
            if source.client_path:
                rows = (rows.filter(**{source.client_path: client_id}) if client_id is not None
                        else rows.filter(**{f"{source.client_path}__in": client_ids}))
            elif source.clients:
                rows = rows.filter(source.clients([client_id] if client_id is not None else client_ids))
                if client_id is not None:  # the one client whose tab this is
                    client_ref = Value(client_id, output_field=BigIntegerField())
            else:
                continue
        when, who = (source.when, source.who) if source.is_record else ("history_date", "history_user")
        if user_id is not None:
            rows = rows.filter(**{f"{who}_id": user_id})
        if date_from is not None:
            rows = rows.filter(**{f"{when}__gte": _day_start(date_from)})
        if date_to is not None:
            rows = rows.filter(**{f"{when}__lt": _day_start(date_to + timedelta(days=1))})
        if source.is_record:  # each row records one event: "created", with no request kept
            columns = dict(e_id=F("id"), e_date=F(when), e_type=Value("+", output_field=CharField()),
                           e_user=F(f"{who}_id"),
                           e_reason=F(source.why) if source.why else Value("", output_field=CharField()),
                           e_ip=Value(None, output_field=GenericIPAddressField()),
                           e_request=Value("", output_field=CharField()))
        else:
            columns = dict(e_id=F("history_id"), e_date=F("history_date"), e_type=F("history_type"),
                           e_user=F("history_user_id"), e_reason=F("history_change_reason"), e_ip=F("ip_address"),
                           e_request=F("request_id"))
        # Every column an annotation, in one order, so the parts line up in the UNION.
        parts.append(rows.order_by().annotate(
            e_source=Value(source.key, output_field=CharField()), e_id=columns["e_id"], e_date=columns["e_date"],
            e_type=columns["e_type"], e_user=columns["e_user"], e_reason=columns["e_reason"], e_client=client_ref,
            e_object=F("id"), e_ip=columns["e_ip"], e_request=columns["e_request"],
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


def _tracked(model) -> list:
    # The client a row belongs to is shown with the entry, not as one of its changes.
    fields = getattr(model, "tracked_fields", None) or model._meta.concrete_fields
    return [field for field in fields if not field.primary_key and field.name != "client"]


def _m2m_values(historical, history_ids) -> dict[tuple[str, int], list[str]]:
    """(field name, history id) -> the many-to-many values a history row kept (``m2m_fields``, e.g. a
    client's tags), one query per such field."""
    values: dict[tuple[str, int], list[str]] = {}
    for field in getattr(historical, "_history_m2m_fields", []):
        m2m_historical = getattr(historical, field.name).model
        target = field.m2m_reverse_field_name()
        for row in m2m_historical.objects.filter(history_id__in=history_ids).select_related(target):
            values.setdefault((field.name, row.history_id), []).append(str(getattr(row, target)))
    return values


def _record_changes(source: HistorySource, record, users: dict) -> list[Change]:
    """What an append-only record says: its ``changes``, or every field with a value."""
    def shown(name, value):
        return _shown(record._meta.get_field(name), value, users)

    if source.changes is not None:
        return source.changes(record, shown)
    skip = {source.when, source.who, source.why, (source.client_path or "").split("__")[0].removesuffix("_id")}
    return [Change(str(field.verbose_name), "—", shown(field.name, getattr(record, field.attname)))
            for field in _tracked(type(record))
            if field.name not in skip and field.get_internal_type() != "JSONField"
            and getattr(record, field.attname) not in (None, "")]


def entries_resolve(rows: list[dict], *, masked: bool = False) -> list[Entry]:
    """The page's UNION rows as ``Entry`` objects with their field changes (old → new); ``masked``:
    ID and phone numbers partly hidden (``crm.masking``), for a reader who may not see them in full."""
    by_source: dict[str, list[int]] = {}
    for row in rows:
        by_source.setdefault(row["e_source"], []).append(row["e_id"])
    records, previous, m2m = {}, {}, {}
    for key, ids in by_source.items():
        source = _sources[key]
        historical = source.historical
        if source.is_record:
            records.update({(key, pk): record for pk, record in historical.objects.in_bulk(ids).items()})
            continue
        earlier = historical.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        ).order_by("-history_date", "-history_id").values("history_id")[:1]
        found = list(historical.objects.filter(history_id__in=ids).annotate(prev_id=Subquery(earlier)))
        records.update({(key, record.history_id): record for record in found})
        prev_ids = [record.prev_id for record in found if record.prev_id]
        previous.update({(key, pk): record for pk, record in
                         historical.objects.in_bulk(prev_ids, field_name="history_id").items()})
        m2m[key] = _m2m_values(historical, [*ids, *prev_ids])
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
        if source.is_record:
            changes = _record_changes(source, record, users)
        else:
            before = previous.get((row["e_source"], record.prev_id)) if record.prev_id else None
            changes = _field_changes(record, before, row["e_type"], users, masked=masked)
            changes += _m2m_changes(type(record), m2m.get(row["e_source"], {}), record, before, row["e_type"])
        entries.append(Entry(
            source=source, when=row["e_date"], kind=row["e_type"], user=users.get(row["e_user"]),
            reason=row["e_reason"] or "", client_id=row["e_client"], client_name=client_names.get(row["e_client"], ""),
            object_id=row["e_object"], object_text=_object_text(record), ip_address=row["e_ip"],
            request_id=row["e_request"] or "", changes=changes,
        ))
    return entries


def _field_changes(record, before, kind: str, users: dict, *, masked: bool) -> list[Change]:
    changes = []
    for field in _tracked(type(record)):
        new = getattr(record, field.attname)
        old = getattr(before, field.attname) if before is not None else None
        if kind == "-":
            old, new = new, None
        if old != new and not (kind == "+" and new in (None, "")):
            shown_old, shown_new = _shown(field, old, users), _shown(field, new, users)
            if masked and field.attname in masking.MASKERS:
                mask = masking.MASKERS[field.attname]
                shown_old, shown_new = (value if value == "—" else mask(value) for value in (shown_old, shown_new))
            changes.append(Change(str(field.verbose_name), shown_old, shown_new))
    return changes


def _m2m_changes(historical, values: dict, record, before, kind: str) -> list[Change]:
    """A many-to-many field (a client's tags) whose values differ from the row before: old → new."""
    changes = []
    for field in getattr(historical, "_history_m2m_fields", []):
        new = sorted(values.get((field.name, record.history_id), []))
        old = sorted(values.get((field.name, before.history_id), [])) if before is not None else []
        if kind == "-":
            old, new = new, []
        if old != new:
            changes.append(Change(str(field.verbose_name), ", ".join(old) or "—", ", ".join(new) or "—"))
    return changes


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
