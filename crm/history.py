"""The audit trail's shape: every historical row (django-simple-history) says from which request.

Apps declare their audited models with ``history = audited_history()`` instead of a bare
``HistoricalRecords()``: the historical table then also has ``ip_address`` and ``request_id``,
filled for saves by simple-history's documented ``pre_create_historical_record`` signal from the
request its ``HistoryRequestMiddleware`` holds. Bulk paths, which send no signal, pass
``request_attrs()`` as ``custom_historical_attrs`` to ``bulk_create_with_history`` /
``bulk_update_with_history`` (see ``history_bulk_update``).

The historical rows are never changed through the app or the admin (crm.admin): they are written
only by simple-history, on each save, bulk write and delete of the audited rows.
"""

import uuid
from contextlib import contextmanager

from django.db import models
from django.db.models import OuterRef, Subquery
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_update_with_history

from .bulk import Column, rows_copy_select
from .ratelimit import client_address


class AuditRequestFields(models.Model):
    """Fields every historical table adds: where the change came from."""

    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request"), max_length=32, blank=True, db_index=True)

    class Meta:
        abstract = True


def audited_history(**options) -> HistoricalRecords:
    """``HistoricalRecords`` with the request fields; accepts simple-history's options."""
    return HistoricalRecords(bases=[AuditRequestFields], **options)


def request_id(request) -> str:
    """One id per request, shared by every row the request writes (a proxy's X-Request-ID if sane)."""
    cached = getattr(request, "_audit_request_id", None)
    if cached is None:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        cached = given if given.isalnum() and len(given) <= 32 else uuid.uuid4().hex
        request._audit_request_id = cached
    return cached


def current_request():
    """The request simple-history's middleware is handling in this thread, or None (tasks, shell)."""
    return getattr(HistoricalRecords.context, "request", None)


def request_attrs(request=None) -> dict:
    """``ip_address`` and ``request_id`` of the request (by default the current one) for history rows."""
    request = request or current_request()
    if request is None:
        return {}
    return {"ip_address": client_address(request), "request_id": request_id(request)}


@receiver(pre_create_historical_record, dispatch_uid="crm.history.request_fields")
def _request_fields_fill(sender, history_instance, **kwargs) -> None:
    if not isinstance(history_instance, AuditRequestFields):
        return
    for name, value in request_attrs().items():
        if not getattr(history_instance, name):
            setattr(history_instance, name, value)


def history_note(instance, *, user, reason: str = "") -> None:
    """Who and why for the history row of the instance's next save, also outside a request (a task,
    an import); without them simple-history takes the request's user and no reason."""
    if user is not None:
        instance._history_user = user
    if reason:
        instance._change_reason = reason.strip()[:100]


def history_bulk_update(objs, model, fields: list[str], *, user, reason: str, batch_size: int = 500) -> None:
    """``bulk_update`` that writes one history row per object, with the user, reason and request."""
    if not objs:
        return
    bulk_update_with_history(objs, model, fields, batch_size=batch_size, default_user=user,
                             default_change_reason=reason[:100], custom_historical_attrs=request_attrs())


def history_copy_created(model, ids, *, user, reason: str) -> None:
    """The "+" history row of each new object of ``model`` (``ids``), copied in the database from its
    row as written, with the user, reason and request: what ``bulk_create_with_history`` writes,
    without loading the rows into Python (``crm.bulk``)."""
    historical = model.history.model
    values = {field.attname: Column(field.column) for field in historical.tracked_fields}
    values.update(history_date=timezone.now(), history_type="+", history_change_reason=reason[:100],
                  history_user_id=getattr(user, "pk", None), **request_attrs())
    rows_copy_select(historical, values, source=model, ids=ids)


@contextmanager
def history_m2m_deferred(instance):
    """Inside, changes to the instance's audited many-to-many fields (``m2m_fields``) write no history
    row of their own: the instance's next save records them, with its fields, in one row (every
    history row keeps the many-to-many values as they are when it is written)."""
    instance.skip_history_when_saving = True  # simple-history's own switch, read by its m2m handler
    try:
        yield
    finally:
        del instance.skip_history_when_saving


def history_m2m_snapshot(model, object_ids, *, batch_size: int = 500) -> None:
    """Give each object's latest history row its many-to-many values as they are now, for a bulk
    write (``bulk_create_with_history``, then rows in the through table) that sends no signal."""
    historical = model.history.model
    fields = getattr(historical, "_history_m2m_fields", [])
    object_ids = list(object_ids)
    for start in range(0, len(object_ids), batch_size):
        ids = object_ids[start:start + batch_size]
        latest = historical.objects.filter(id=OuterRef("id")).order_by("-history_date", "-history_id")
        history_ids = dict(historical.objects.filter(id__in=ids, history_id=Subquery(latest.values("history_id")[:1]))
                           .values_list("id", "history_id"))
        for field in fields:
            m2m_historical = getattr(historical, field.name).model
            through = getattr(model, field.name).through
            own = field.m2m_field_name()  # the through table's column for ``model``
            columns = [f.attname for f in through._meta.concrete_fields]
            m2m_historical.objects.bulk_create([
                m2m_historical(history_id=history_ids[row[own + "_id"]], **row)
                for row in through.objects.filter(**{f"{own}_id__in": ids}).values(*columns)
                if row[own + "_id"] in history_ids
            ], batch_size=batch_size)
