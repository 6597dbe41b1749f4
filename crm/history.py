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

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_update_with_history

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
