"""Writes of contacts, reviews, reminders and notifications, and the reminder scan.

The scan (``reminders_scan``) turns what ``crm.attention`` reports into reminders, notifications
and escalations. It is set-based: each step is one ``INSERT … SELECT`` or ``UPDATE`` over the
whole book in the database (``crm.bulk``), a fixed number of queries whatever its size, and no row
is loaded into Python (only the ids of reminders to close). It is safe to run any number of times,
at once or after a crash: every row it writes has a unique constraint, it inserts with ``ON
CONFLICT DO NOTHING``, each statement is atomic, and rows go in key order so two concurrent scans
cannot deadlock on each other's rows.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import (
    Case, Exists, F, Max, OuterRef, PositiveSmallIntegerField, Q, QuerySet, Subquery, Value, When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm import attention
from crm.bulk import insert_select, sql_of
from crm.history import history_bulk_update
from crm.models import Client
from crm.sql import MonthsLater

from . import selectors
from .models import ContactLog, Notification, Reminder, ReminderPolicy, Review, ReviewSchedule

logger = logging.getLogger(__name__)

BATCH = 1000


def _batches(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


# ---------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------

def contact_record(
    *, client: Client, recorded_by, summary: str, channel: str = ContactLog.Channel.PHONE,
    occurred_at: datetime | None = None, duration_minutes: int | None = None, participants: str = "",
    outcome: str = "", next_step: str = "", next_step_due_on: date | None = None,
) -> ContactLog:
    """Log a contact with a client. A next step due within the reminder horizon becomes a reminder
    at once, so it is on the RM's Today page before the next scan."""
    if next_step_due_on is not None and not next_step.strip():
        raise ValidationError({"next_step": _("Say what the next step is, or leave its due date empty.")})
    contact = ContactLog(
        client=client, recorded_by=recorded_by, channel=channel, occurred_at=occurred_at or timezone.now(),
        duration_minutes=duration_minutes, participants=participants.strip(), summary=summary.strip(),
        outcome=outcome.strip(), next_step=next_step.strip(), next_step_due_on=next_step_due_on,
    )
    if contact.occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("A contact cannot be logged in the future.")})
    contact.full_clean()
    with transaction.atomic():
        contact.save()
        today = timezone.localdate()
        if next_step_due_on is not None and next_step_due_on <= today + timedelta(
                days=ReminderPolicy.current().due_soon_days):
            _reminders_insert(selectors.KIND_FOLLOW_UP, selectors.follow_up_rows_due(
                today=today, horizon_days=(next_step_due_on - today).days, client_id=client.pk,
            ).filter(next_step_due_on=next_step_due_on))
    return contact


@transaction.atomic
def contact_follow_up_done(*, contact: ContactLog, user) -> ContactLog:
    """Mark a contact's next step done; its reminder closes when no other next step of the client
    is due that day."""
    if contact.next_step_due_on is None:
        raise ValidationError(_("This contact has no next step with a due date."))
    contact = ContactLog.objects.select_for_update().get(pk=contact.pk)
    if contact.next_step_done_at is not None:
        return contact
    contact.next_step_done_at = timezone.now()
    contact.save(update_fields=["next_step_done_at"])
    still_due = ContactLog.objects.filter(client_id=contact.client_id, next_step_due_on=contact.next_step_due_on,
                                          next_step_done_at__isnull=True).exists()
    if not still_due:
        _reminders_close(Reminder.objects.filter(client_id=contact.client_id, kind=selectors.KIND_FOLLOW_UP,
                                                 due_on=contact.next_step_due_on), user=user)
    return contact


# ---------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------

@transaction.atomic
def review_complete(
    *, client: Client, completed_by, completed_on: date | None = None, portfolio_reviewed: bool = False,
    risk_assessment_valid: bool = False, goals_reviewed: bool = False, notes: str = "",
) -> Review:
    """Record a periodic review and schedule the next one: the completion date plus the cadence of
    the client's segment. The client's open review reminders close."""
    today = timezone.localdate()
    completed_on = completed_on or today
    if completed_on > today:
        raise ValidationError({"completed_on": _("A review cannot be completed in the future.")})
    if not (portfolio_reviewed or risk_assessment_valid or goals_reviewed or notes.strip()):
        raise ValidationError(_("Tick what was reviewed, or write a note."))
    # The schedule row is the lock: two completions of one client's review queue up here.
    schedule = ReviewSchedule.objects.select_for_update().filter(client=client).first()
    months = selectors.review_cadences()[client.aum_tier]
    next_due_on = selectors.months_later(completed_on, months)
    review = Review(
        client=client, completed_by=completed_by, completed_on=completed_on,
        was_due_on=schedule.due_on if schedule else selectors.review_due_on(client=client),
        portfolio_reviewed=portfolio_reviewed, risk_assessment_valid=risk_assessment_valid,
        goals_reviewed=goals_reviewed, notes=notes.strip(), next_due_on=next_due_on,
    )
    review.full_clean()
    review.save()
    if schedule is None:
        schedule = ReviewSchedule(client=client)
    schedule.anchor_on, schedule.interval_months, schedule.due_on = completed_on, months, next_due_on
    schedule.save()
    _reminders_close(Reminder.objects.filter(client=client, kind=selectors.KIND_REVIEW, due_on__lt=next_due_on),
                     user=completed_by)
    return review


def review_schedules_sync(*, today: date) -> int:
    """Give every active client a review schedule (counted from their last review, or from the day
    they were registered), and move the due date of those whose segment or the segment's cadence
    changed; returns how many schedules were written. In SQL: the cadences, one insert, whether any
    moved, and then one update per segment."""
    cadences = selectors.review_cadences()
    cadence = Case(*[When(aum_tier=tier, then=Value(months)) for tier, months in cadences.items()],
                   output_field=PositiveSmallIntegerField())
    last_review = Review.objects.filter(client=OuterRef("pk")).order_by("-completed_on").values("completed_on")[:1]
    unscheduled = selectors.reviews_schedulable().filter(review_schedule__isnull=True).order_by().annotate(
        schedule_client=F("pk"), schedule_anchor=Coalesce(Subquery(last_review), TruncDate("created_at")),
        schedule_months=cadence,
    ).annotate(schedule_due=MonthsLater(F("schedule_anchor"), F("schedule_months"))).values(
        "schedule_client", "schedule_anchor", "schedule_months", "schedule_due")
    rows, params = sql_of(unscheduled)
    written = insert_select(
        ReviewSchedule, ["client", "anchor_on", "interval_months", "due_on"],
        f"SELECT s.schedule_client, s.schedule_anchor, s.schedule_months, s.schedule_due FROM ({rows}) s "
        "WHERE TRUE ORDER BY s.schedule_client", params)
    changed = Q()
    for tier, months in cadences.items():
        changed |= Q(client__aum_tier=tier) & ~Q(interval_months=months)
    if ReviewSchedule.objects.filter(changed).exists():  # rarely: a client's segment or a cadence changed
        for tier, months in cadences.items():
            written += ReviewSchedule.objects.filter(client__aum_tier=tier).exclude(interval_months=months).update(
                interval_months=months, due_on=MonthsLater(F("anchor_on"), months))
    return written


# ---------------------------------------------------------------------------
# Reminders: the scan
# ---------------------------------------------------------------------------

@dataclass
class ScanResult:
    today: str
    schedules_written: int = 0
    reminders_open: int = 0  # after the scan, of every kind
    reminders_created: int = 0
    reminders_closed: int = 0
    notifications_created: int = 0
    escalations_created: int = 0
    failed_sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def reminders_scan(*, today: date) -> ScanResult:
    """The daily scan (beat runs it hourly and when it starts; ``manage.py reminders_scan`` by hand):
    schedule reviews, turn every registered attention item due within the policy's horizon into a
    reminder, close the reminders whose item went away, notify the RMs (team leads for clients
    without one) and escalate to team leads what is overdue by more than the policy's days.

    Safe to run any number of times, concurrently too: a reminder exists once per (client, kind,
    due date), a notification once per (reminder, recipient, reason) — unique constraints, not
    checks. A source that fails is logged and skipped (its reminders are neither created nor
    closed), so one app's bug does not stop everyone's reminders.

    In SQL, whatever the size of the book: the policy, the schedules (3 queries), per set-based
    source 2 (the new ones inserted, the ids of those gone read) plus 2 per 1,000 reminders
    closed, one insert each for notifications and escalations, and the count of open reminders."""
    policy = ReminderPolicy.current()
    result = ScanResult(today=today.isoformat())
    result.schedules_written = review_schedules_sync(today=today)
    horizon_end = today + timedelta(days=policy.due_soon_days)
    for source in attention.sources():
        try:
            # A savepoint: a source whose SQL fails leaves the scan's transaction (if any) usable.
            with transaction.atomic():
                sync = _reminders_sync_rows if source.due is not None else _reminders_sync_items
                created, closed = sync(source, today=today, horizon_days=policy.due_soon_days,
                                       horizon_end=horizon_end)
        except Exception:  # one app's broken source must not stop the others' reminders
            logger.exception("Attention source %s failed; its reminders are left as they are", source.kind)
            result.failed_sources.append(source.kind)
            continue
        result.reminders_created += created
        result.reminders_closed += closed
    result.notifications_created = _notifications_create()
    result.escalations_created = _escalations_create(overdue_before=today - timedelta(days=policy.escalation_days))
    result.reminders_open = Reminder.objects.filter(done_at__isnull=True).count()
    return result


REMINDER_FIELDS = ["client", "kind", "due_on", "manager", "summary", "params", "url", "created_at"]


def _reminders_sync_rows(source: attention.AttentionSource, *, today: date, horizon_days: int,
                         horizon_end: date) -> tuple[int, int]:
    """A set-based source: its rows are inserted where no reminder has their key, and matched
    against its kind's open reminders, in the database. Returns (created, closed)."""
    rows = source.due(today=today, horizon_days=horizon_days).order_by()
    sql, params = sql_of(rows)
    created = _reminders_insert(source.kind, rows)
    # Open reminders of this kind within the horizon whose item was not reported this time (the
    # review was done, the alert resolved, the complaint closed); one due later was not asked about
    # (the horizon may have shrunk). EXCEPT reads each side once, whatever the planner guesses of a
    # table the scan has just filled.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id FROM {_table(Reminder)} r INNER JOIN ("
            f"SELECT o.client_id, o.due_on FROM {_table(Reminder)} o "
            "WHERE o.done_at IS NULL AND o.kind = %s AND o.due_on <= %s "
            f"EXCEPT SELECT s.item_client_id, s.item_due_on FROM ({sql}) s"
            ") gone ON gone.client_id = r.client_id AND gone.due_on = r.due_on WHERE r.kind = %s ORDER BY r.id",
            (source.kind, connection.ops.adapt_datefield_value(horizon_end), *params, source.kind))
        gone = [pk for (pk,) in cursor.fetchall()]
    return created, _reminders_close_ids(gone)


def _reminders_insert(kind: str, rows) -> int:
    """Insert a reminder for each of these ``attention.due_rows`` that has none with its key (open
    or closed: closed is closed), in key order; returns how many were new. The unique (client,
    kind, due date) constraint decides, so concurrent callers create each once; the NOT EXISTS
    spares an unchanged book's rescan any write."""
    sql, params = sql_of(rows.order_by())
    return insert_select(
        Reminder, REMINDER_FIELDS,
        "SELECT s.item_client_id, %s, s.item_due_on, s.item_manager_id, s.item_summary, s.item_params, s.item_url, %s "
        f"FROM ({sql}) s WHERE NOT EXISTS (SELECT 1 FROM {_table(Reminder)} r "
        "WHERE r.client_id = s.item_client_id AND r.kind = %s AND r.due_on = s.item_due_on) "
        "ORDER BY s.item_client_id, s.item_due_on",
        (kind, _now_param(), *params, kind))


def _reminders_sync_items(source: attention.AttentionSource, *, today: date, horizon_days: int,
                          horizon_end: date) -> tuple[int, int]:
    """A source that reports items in Python (``collect``): its open reminders are read once, an
    item that has one is not inserted again, one whose item was not reported is closed."""
    items = list(source.collect(today=today, horizon_days=horizon_days))
    open_rows = list(Reminder.objects.filter(done_at__isnull=True, kind=source.kind).values_list(
        "pk", "client_id", "kind", "due_on"))
    open_keys = {(client_id, kind, due_on) for _pk, client_id, kind, due_on in open_rows}
    created = reminders_upsert(
        items=[item for item in items if (item.client_id, item.kind, item.due_on) not in open_keys])
    reported = {(item.client_id, item.kind, item.due_on) for item in items}
    gone = [pk for pk, client_id, kind, due_on in open_rows
            if due_on <= horizon_end and (client_id, kind, due_on) not in reported]
    return created, _reminders_close_ids(gone)


def reminders_upsert(*, items) -> int:
    """Create the reminders of these attention items that do not exist yet; returns how many were
    new. The unique (client, kind, due date) constraint decides, so concurrent callers create each
    once; rows go in key order, so concurrent callers lock them in the same order."""
    unique = {}
    for item in items:
        unique.setdefault((item.client_id, item.kind, item.due_on), item)
    rows = [
        Reminder(client_id=item.client_id, kind=item.kind, due_on=item.due_on, manager_id=item.manager_id,
                 summary=item.summary, params=item.params, url=item.url)
        for _key, item in sorted(unique.items(), key=lambda pair: pair[0])
    ]
    if not rows:
        return 0
    before = Reminder.objects.aggregate(top=Max("pk"))["top"] or 0
    for batch in _batches(rows):
        with transaction.atomic():
            Reminder.objects.bulk_create(batch, ignore_conflicts=True)
    # bulk_create(ignore_conflicts=True) does not say which rows were new: count the ids above the
    # highest one before (a concurrent caller's rows included; the figure is for logs).
    return Reminder.objects.filter(pk__gt=before).count()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _now_param():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _reminders_close(reminders, *, user=None) -> int:
    """Close open reminders (``user`` marked them done; None: the item no longer needs attention) and
    mark their unread notifications read."""
    return _reminders_close_ids(
        list(reminders.filter(done_at__isnull=True).order_by("pk").values_list("pk", flat=True)), user=user)


def _reminders_close_ids(ids: list[int], *, user=None) -> int:
    now = timezone.now()
    for batch in _batches(sorted(ids)):
        Reminder.objects.filter(pk__in=batch, done_at__isnull=True).update(done_at=now, done_by=user)
        Notification.objects.filter(reminder_id__in=batch, read_at__isnull=True).update(read_at=now)
    return len(ids)


NOTIFICATION_FIELDS = ["reminder", "recipient", "reason", "created_at"]


def _open_without(reason: str, **filters) -> QuerySet[Reminder]:
    """Open reminders (matching ``filters``) without a notification for ``reason`` yet."""
    return Reminder.objects.filter(done_at__isnull=True, **filters).exclude(Exists(
        Notification.objects.filter(reminder=OuterRef("pk"), reason=reason))).order_by()


def _notifications_create() -> int:
    """A notification for each open reminder that has none yet: to the RM it concerns, or to every
    active team lead when the client has no primary RM. One insert."""
    pending = _open_without(Notification.Reason.REMINDER).values(notify_reminder=F("pk"), notify_manager=F("manager_id"))
    leads = selectors.team_leads_notified().values(notify_lead=F("lead_id"))
    (pending_sql, pending_params), (leads_sql, leads_params) = sql_of(pending), sql_of(leads)
    # Joined to the leads only without an RM; no lead at all leaves it pending (recipient NULL).
    return insert_select(
        Notification, NOTIFICATION_FIELDS,
        "SELECT p.notify_reminder, COALESCE(p.notify_manager, l.notify_lead), %s, %s "
        f"FROM ({pending_sql}) p LEFT JOIN ({leads_sql}) l ON p.notify_manager IS NULL "
        "WHERE COALESCE(p.notify_manager, l.notify_lead) IS NOT NULL ORDER BY 1, 2",
        (Notification.Reason.REMINDER.value, _now_param(), *pending_params, *leads_params))


def _escalations_create(*, overdue_before: date) -> int:
    """An escalation to the active leads of the RM's teams (not the RM themself) for each open
    reminder due before ``overdue_before`` that has not been escalated yet (clients without an RM
    are the leads' already). One insert."""
    pending = _open_without(Notification.Reason.ESCALATION, due_on__lt=overdue_before, manager__isnull=False).values(
        escalate_reminder=F("pk"), escalate_manager=F("manager_id"))
    leads = selectors.team_leads_by_member().values(escalate_member=F("member_id"), escalate_lead=F("lead_id"))
    (pending_sql, pending_params), (leads_sql, leads_params) = sql_of(pending), sql_of(leads)
    return insert_select(
        Notification, NOTIFICATION_FIELDS,
        "SELECT DISTINCT p.escalate_reminder, l.escalate_lead, %s, %s "
        f"FROM ({pending_sql}) p INNER JOIN ({leads_sql}) l ON l.escalate_member = p.escalate_manager "
        "WHERE TRUE ORDER BY 1, 2",
        (Notification.Reason.ESCALATION.value, _now_param(), *pending_params, *leads_params))


@transaction.atomic
def reminder_done(*, reminder: Reminder, user) -> Reminder:
    """Someone marks a reminder done: it leaves the Today page and is not escalated. A follow-up's
    reminder done means its next steps (of that client, that day) are done."""
    if reminder.kind == selectors.KIND_FOLLOW_UP:
        # Saved with their history rows (not .update()): the audit trail says who closed each next step.
        contacts = list(ContactLog.objects.filter(client_id=reminder.client_id, next_step_due_on=reminder.due_on,
                                                  next_step_done_at__isnull=True))
        for contact in contacts:
            contact.next_step_done_at = timezone.now()
        history_bulk_update(contacts, ContactLog, ["next_step_done_at"], user=user, reason=_("Reminder done"))
    _reminders_close(Reminder.objects.filter(pk=reminder.pk), user=user)
    reminder.refresh_from_db(fields=["done_at", "done_by"])
    return reminder


# ---------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------

def notification_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_read_all(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def _outbox() -> QuerySet[Notification]:
    """Notifications still to e-mail: of open reminders, to active staff with an address."""
    return Notification.objects.filter(
        emailed_at__isnull=True, reminder__done_at__isnull=True, recipient__is_active=True,
    ).exclude(recipient__email="")


def notifications_email_pending() -> bool:
    return _outbox().exists()


def notifications_email_send(*, max_recipients: int | None = None) -> int:
    """E-mail each recipient their pending notifications, one message per recipient; returns how
    many messages were sent.

    Each recipient's batch is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in its own
    transaction, sent, and marked ``emailed_at`` before the commit: two senders never claim the
    same rows, and a sender that dies before committing leaves them to the next run (the scan
    enqueues one every time). So every notification is e-mailed; only a crash between the mail
    server accepting a message and the commit could send that one message twice."""
    sent, last_recipient_id = 0, 0
    while max_recipients is None or sent < max_recipients:
        recipient_id = _outbox().filter(recipient_id__gt=last_recipient_id).order_by("recipient_id").values_list(
            "recipient_id", flat=True).first()
        if recipient_id is None:
            break
        with transaction.atomic():
            claimed = list(_outbox().filter(recipient_id=recipient_id).select_for_update(
                skip_locked=True, of=("self",)).select_related("recipient", "reminder", "reminder__client").order_by(
                "reminder__due_on", "id")[:EMAIL_NOTIFICATIONS_MAX])
            if claimed:
                _email_one(claimed)
                Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(emailed_at=timezone.now())
                sent += 1
        if len(claimed) < EMAIL_NOTIFICATIONS_MAX:
            last_recipient_id = recipient_id  # done with them; rows another sender holds are left to it
    return sent


EMAIL_NOTIFICATIONS_MAX = 500  # per message: a backlog (the first scan of a book) goes out in a few messages
EMAIL_LINES_MAX = 50  # listed in a message; the rest are counted and wait in the notification centre


def _email_one(notifications: list[Notification]) -> None:
    recipient = notifications[0].recipient
    today = timezone.localdate()
    base_url = settings.SITE_URL.rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        labels = selectors.kind_labels()
        lines = [{
            "notification": n, "client": n.reminder.client, "text": n.reminder.text,
            "label": labels.get(n.reminder.kind, n.reminder.kind), "due_on": n.reminder.due_on,
            "overdue": n.reminder.due_on < today, "escalation": n.reason == Notification.Reason.ESCALATION,
            "url": base_url + (n.reminder.url or reverse("crm:client-detail", args=[n.reminder.client_id])),
        } for n in notifications[:EMAIL_LINES_MAX]]
        subject = ngettext("RM CRM: %(count)d reminder", "RM CRM: %(count)d reminders", len(notifications)) % {
            "count": len(notifications)}
        body = render_to_string("communications/email/reminders.txt", {
            "recipient": recipient, "lines": lines, "more": len(notifications) - len(lines),
            "notifications_url": base_url + reverse("communications:notification-list"),
        })
    message = EmailMessage(subject=subject, body=body, to=[recipient.email],
                           headers={"X-CRM-Notifications": ",".join(str(n.pk) for n in notifications)})
    message.send()
