"""Reads of contacts, reviews, reminders and notifications, and the Today page.

Who may see which client is ``crm.access``'s answer; every list here starts from it. The two
attention sources this app registers (``review_rows_due``, ``follow_up_rows_due``) are one query
each over the whole book, whatever its size.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import (
    Case, CharField, Count, Exists, F, JSONField, OuterRef, Q, QuerySet, Subquery, Value, When, Window,
)
from django.db.models.functions import JSONObject, RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm import access, attention, panels
from crm.models import Client, Team

from .models import ContactLog, Notification, Reminder, ReminderPolicy, Review, ReviewCadence, ReviewSchedule

# Reminder kinds this app raises; other apps' kinds come from their crm.attention sources.
KIND_REVIEW = "review"
KIND_FOLLOW_UP = "follow-up"

DEFAULT_CADENCE_MONTHS = {Client.AumTier.HNW: 1, Client.AumTier.AFFLUENT: 3, Client.AumTier.MASS: 12}

TODAY_ITEMS_SHOWN = 5
TIMELINE_ITEMS_SHOWN = 10


def months_later(day: date, months: int) -> date:
    """The same day ``months`` months on; the month's last day when it is shorter."""
    return day + relativedelta(months=months)


def review_cadences() -> dict[str, int]:
    """Months between reviews per AUM tier, as the administrator set them; a tier without a row
    keeps the domain default (HNW monthly, mass-affluent quarterly, mass yearly)."""
    cadences = dict(DEFAULT_CADENCE_MONTHS)
    cadences.update(ReviewCadence.objects.values_list("tier", "interval_months"))
    return cadences


def review_due_on(*, client: Client, cadences: dict[str, int] | None = None) -> date:
    """The client's next review date: from the schedule, or, before the scan first scheduled the
    client, counted from the day the client was registered. One query: the schedule's date and the
    tier's cadence together, unless the caller has the ``cadences`` (then the schedule alone)."""
    if cadences is not None:
        schedule = ReviewSchedule.objects.filter(client=client).first()
        if schedule is not None:
            return schedule.due_on
        months = cadences[client.aum_tier]
    else:
        scheduled, months = Client.objects.filter(pk=client.pk).values_list(
            Subquery(ReviewSchedule.objects.filter(client=OuterRef("pk")).values("due_on")[:1]),
            Subquery(ReviewCadence.objects.filter(tier=client.aum_tier).values("interval_months")[:1]),
        ).get()
        if scheduled is not None:
            return scheduled
        if months is None:
            months = DEFAULT_CADENCE_MONTHS[client.aum_tier]
    return months_later(timezone.localdate(client.created_at), months)


def reviews_schedulable() -> QuerySet[Client]:
    """Clients who are reviewed: active ones."""
    return Client.objects.filter(status=Client.Status.ACTIVE)


# ---------------------------------------------------------------------------
# Attention sources (registered in apps.py): whole book, set-based
# ---------------------------------------------------------------------------

def review_rows_due(*, today: date, horizon_days: int) -> QuerySet:
    """Active clients whose review falls due by ``today + horizon_days`` (overdue ones included), as
    ``attention.due_rows``."""
    schedules = ReviewSchedule.objects.filter(
        due_on__lte=today + timedelta(days=horizon_days), client__status=Client.Status.ACTIVE)
    return attention.due_rows(
        schedules, client_id=F("client_id"), manager_id=F("client__primary_manager_id"), due_on=F("due_on"),
        summary=gettext_noop("Periodic review"), params=JSONObject(),
        url=attention.url_with_id("communications:review-complete", F("client_id")))


def follow_up_rows_due(*, today: date, horizon_days: int, client_id: int | None = None) -> QuerySet:
    """Open next steps of contacts due by ``today + horizon_days``, one row per client and due date
    (two next steps promised for the same day are one reminder: the first one's words, and how
    many), as ``attention.due_rows``. ``client_id`` narrows it to one client (a contact just logged)."""
    open_due = Q(next_step_due_on__lte=today + timedelta(days=horizon_days), next_step_done_at__isnull=True)
    contacts = ContactLog.objects.filter(open_due, client__status=Client.Status.ACTIVE)
    if client_id is not None:
        contacts = contacts.filter(client_id=client_id)
    # The first open next step of each client and day, with how many there are: no GROUP BY (the
    # open next steps due are read through their partial index, not the whole contact log).
    same_day = ContactLog.objects.filter(open_due, client_id=OuterRef("client_id"),
                                         next_step_due_on=OuterRef("next_step_due_on")).order_by()
    firsts = contacts.exclude(Exists(same_day.filter(id__lt=OuterRef("id")))).annotate(
        steps=Subquery(same_day.values("client_id").annotate(steps=Count("id")).values("steps")))
    one = Q(steps=1)
    return attention.due_rows(
        firsts, client_id=F("client_id"), manager_id=F("client__primary_manager_id"), due_on=F("next_step_due_on"),
        # One next step: the RM's own words, nothing to translate.
        summary=Case(When(one, then=Value("%(step)s")),
                     default=Value(gettext_noop("%(count)s next steps, first: %(step)s")), output_field=CharField()),
        params=Case(When(one, then=JSONObject(step=F("next_step"))),
                    default=JSONObject(count=F("steps"), step=F("next_step")), output_field=JSONField()),
        url=attention.url_with_id("crm:client-detail", F("client_id")))


# ---------------------------------------------------------------------------
# Reminder recipients (querysets: the scan joins them to the reminders in SQL)
# ---------------------------------------------------------------------------

def team_leads_notified() -> QuerySet:
    """Active users who lead a team, as rows ``{"lead_id"}``: they hear about clients without a
    primary RM."""
    return Team.objects.filter(lead__is_active=True).order_by().values("lead_id").distinct()


def team_leads_by_member() -> QuerySet:
    """Each RM with each active lead of the teams they belong to (not themself), as rows
    ``{"member_id", "lead_id"}``: whom their overdue items escalate to."""
    return Team.members.through.objects.filter(team__lead__is_active=True).exclude(
        user_id=F("team__lead_id")).order_by().values(member_id=F("user_id"), lead_id=F("team__lead_id"))


# ---------------------------------------------------------------------------
# Reminders and notifications for one user
# ---------------------------------------------------------------------------

def reminder_list_open(*, user, kind: str | None = None, overdue_on: date | None = None,
                       manager_id: int | None = None) -> QuerySet[Reminder]:
    """Open reminders on the clients the user serves (``crm.access.client_list_served``), or, with
    ``manager_id``, on the visible clients of that RM (a team lead's view of a team member's book);
    most urgent (earliest due) first."""
    if manager_id is None:
        clients = access.client_list_served(user=user)
    else:
        clients = access.client_list_visible(user=user).filter(primary_manager_id=manager_id)
    reminders = Reminder.objects.filter(access.among_clients(clients), done_at__isnull=True)
    if kind:
        reminders = reminders.filter(kind=kind)
    if overdue_on is not None:
        reminders = reminders.filter(due_on__lt=overdue_on)
    return reminders.select_related("client").order_by("due_on", "kind", "id")


def reminder_get_editable(*, user, pk: int) -> Reminder:
    """An open or closed reminder on a client the user may change; 404 otherwise."""
    return get_object_or_404(
        Reminder.objects.filter(client__in=access.client_list_editable(user=user).values("pk"))
        .select_related("client"), pk=pk)


def notification_list(*, user) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their reminder and client."""
    return Notification.objects.filter(recipient=user).select_related("reminder", "reminder__client").order_by(
        "-created_at", "-id")


def notification_unread_count(*, user) -> int:
    """One query on a partial index (the navbar shows it on every page)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def kind_labels() -> dict[str, str]:
    """The translatable label of each registered attention kind."""
    return {source.kind: source.label for source in attention.sources()}


# ---------------------------------------------------------------------------
# The Today page
# ---------------------------------------------------------------------------

@dataclass
class TodaySection:
    kind: str
    label: str
    count: int = 0
    overdue: int = 0
    items: list = field(default_factory=list)


def today_sections(*, user, today: date) -> list[TodaySection]:
    """One section per attention kind with open reminders on the user's clients: how many, how many
    overdue, and the most urgent few. Sections follow the registry's urgency order. Two queries:
    the counts per kind, and the first items of every kind together."""
    labels = kind_labels()
    order = {source.kind: index for index, source in enumerate(attention.sources())}
    reminders = reminder_list_open(user=user)
    counts = reminders.order_by().values("kind").annotate(
        total=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    sections = {
        row["kind"]: TodaySection(kind=row["kind"], label=labels.get(row["kind"], row["kind"]),
                                  count=row["total"], overdue=row["overdue"])
        for row in counts
    }
    if not sections:
        return []
    # The first few of each kind in one query: a window over the kinds present.
    ranked = reminders.annotate(rank=Window(RowNumber(), partition_by=[F("kind")], order_by=[
        F("due_on").asc(), F("id").asc()]))
    for reminder in ranked.filter(rank__lte=TODAY_ITEMS_SHOWN):
        sections[reminder.kind].items.append(reminder)
    return sorted(sections.values(), key=lambda section: (order.get(section.kind, len(order)), section.kind))


def team_overdue_by_manager(*, user, today: date) -> list[dict]:
    """For a team lead (or administrator): each RM of theirs with open overdue reminders, and how
    many per kind; one query. Empty for anyone else."""
    if not access.may_use_team_pages(user):
        return []
    managers = access.manager_list_filterable(user=user).exclude(pk=user.pk)
    rows = Reminder.objects.filter(
        access.among_clients(access.client_list_visible(user=user).filter(primary_manager__in=managers)),
        done_at__isnull=True, due_on__lt=today,
    ).values("client__primary_manager_id", "client__primary_manager__first_name",
             "client__primary_manager__last_name", "client__primary_manager__username", "kind").annotate(
        count=Count("id")).order_by("client__primary_manager__first_name", "client__primary_manager__username")
    labels = kind_labels()
    by_manager: dict[int, dict] = {}
    for row in rows:
        manager_id = row["client__primary_manager_id"]
        name = " ".join(filter(None, [row["client__primary_manager__first_name"],
                                      row["client__primary_manager__last_name"]]))
        entry = by_manager.setdefault(manager_id, {
            "manager_id": manager_id, "name": name or row["client__primary_manager__username"],
            "total": 0, "kinds": []})
        entry["total"] += row["count"]
        entry["kinds"].append({"kind": row["kind"], "label": labels.get(row["kind"], row["kind"]),
                               "count": row["count"]})
    return sorted(by_manager.values(), key=lambda entry: (-entry["total"], entry["name"]))


# ---------------------------------------------------------------------------
# The client page's timeline panel
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    at: date
    kind: str  # "contact" or "review"
    record: object


def _contacts_and_reviews(client: Client) -> tuple[QuerySet[ContactLog], QuerySet[Review]]:
    """A client's contacts and reviews, each newest first, with who recorded them."""
    return (ContactLog.objects.filter(client=client).select_related("recorded_by").order_by("-occurred_at", "-id"),
            Review.objects.filter(client=client).select_related("completed_by").order_by("-completed_on", "-id"))


def client_timeline(*, client: Client, limit: int | None = TIMELINE_ITEMS_SHOWN) -> list[TimelineEntry]:
    """Contacts and reviews of a client, newest first; two queries."""
    contacts, reviews = _contacts_and_reviews(client)
    if limit is not None:
        contacts, reviews = contacts[:limit], reviews[:limit]
    return _timeline_entries(contacts, reviews, limit=limit)


def _timeline_entries(contacts, reviews, *, limit: int | None) -> list[TimelineEntry]:
    entries = [TimelineEntry(timezone.localtime(c.occurred_at).date(), "contact", c) for c in contacts]
    entries += [TimelineEntry(r.completed_on, "review", r) for r in reviews]
    entries.sort(key=lambda entry: (entry.at, entry.kind == "contact"), reverse=True)
    return entries[:limit] if limit is not None else entries


@dataclass(frozen=True)
class ClientCommunications:
    review_due_on: date
    contacts: list  # the latest TIMELINE_ITEMS_SHOWN, newest first
    reviews: list


def client_communications(*, request, client: Client) -> ClientCommunications:
    """The next review date and the latest contacts and reviews, which the client page's panel and
    its header facts both show: three queries, once per request (crm.panels.request_memo)."""
    def fetch() -> ClientCommunications:
        contacts, reviews = _contacts_and_reviews(client)
        return ClientCommunications(review_due_on=review_due_on(client=client),
                                    contacts=list(contacts[:TIMELINE_ITEMS_SHOWN]),
                                    reviews=list(reviews[:TIMELINE_ITEMS_SHOWN]))
    return panels.request_memo(request, ("communications", client.pk), fetch)


def client_timeline_panel(*, request, client: Client, may_edit: bool | None = None) -> dict:
    """The client page's communication panel: next review, latest contacts and reviews, the links to
    log a contact and complete a review for those who may change the client. Four queries
    (``client_communications``'s, shared with the header facts, and the reminder policy), five when
    the page has not passed ``may_edit`` (crm.panels ``known``)."""
    if may_edit is None:
        may_edit = access.client_may_edit(user=request.user, client_id=client.pk)
    today = timezone.localdate()
    recent = client_communications(request=request, client=client)
    due_on = recent.review_due_on
    policy = ReminderPolicy.current()
    return {
        "client": client,
        "entries": _timeline_entries(recent.contacts, recent.reviews, limit=TIMELINE_ITEMS_SHOWN),
        "review_due_on": due_on,
        "review_overdue": due_on < today,
        "review_due_soon": today <= due_on <= today + timedelta(days=policy.due_soon_days),
        "may_edit": may_edit,
    }


def client_facts(*, request, client: Client) -> list[panels.Fact]:
    """The client page's header facts from this app: last contact and next review (registered with
    crm.panels.facts_register in reminder_setup). ``client_communications``'s queries, none when
    the page's panel has asked already."""
    recent = client_communications(request=request, client=client)
    last = recent.contacts[0].occurred_at if recent.contacts else None
    due_on = recent.review_due_on
    overdue = due_on < timezone.localdate()
    return [
        panels.Fact(key="last-contact", label=_("Last contact"),
                    value=timezone.localtime(last).date().isoformat() if last else _("None yet"),
                    tone="" if last else "secondary"),
        panels.Fact(key="next-review", label=_("Next review"), value=due_on.isoformat(),
                    tone="danger" if overdue else "",
                    badges=((_("overdue"), "danger"),) if overdue else ()),
    ]

