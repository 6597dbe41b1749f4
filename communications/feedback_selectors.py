"""Reads of client feedback and complaints. Who sees which: the clients ``crm.access`` lets them see.

An RM sees the feedback and complaints of the clients they serve, a team lead their teams',
compliance and administrators everything; complaints are handled by those who may change the
client (``crm.access.client_list_editable``), so compliance reads them and changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, JSONObject, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from crm import access
from crm.attention import due_rows, url_with_id
from crm.models import Client

from .models import Complaint, Feedback, FeedbackSettings

# NPS, the standard definition: promoters answer 9–10, detractors 0–6 (passives 7–8);
# NPS = % promoters − % detractors, from −100 to +100.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
ONE_PLACE = Decimal("0.1")
MONTHS_SHOWN = 12
RECENT_FEEDBACK_SHOWN = 5
COMPLAINT_OVERDUE = "complaint-overdue"


def feedback_settings() -> FeedbackSettings:
    """The administrator's settings row (created by a migration); its defaults if it went missing."""
    return FeedbackSettings.current()


# ---------------------------------------------------------------------------
# NPS and CSAT arithmetic
# ---------------------------------------------------------------------------


def nps_score(*, promoters: int, detractors: int, responses: int) -> Decimal | None:
    """% promoters − % detractors, to one decimal place; None without any answer."""
    if not responses:
        return None
    return (Decimal(100) * (promoters - detractors) / responses).quantize(ONE_PLACE, ROUND_HALF_UP)


def csat_average(*, total: int, responses: int) -> Decimal | None:
    """The mean satisfaction score (1–5) to one decimal place; None without any answer."""
    if not responses:
        return None
    return (Decimal(total) / responses).quantize(ONE_PLACE, ROUND_HALF_UP)


@dataclass
class Score:
    """Counts that add up across months and groups, and the scores they give."""

    answers: int = 0
    nps_responses: int = 0
    promoters: int = 0
    detractors: int = 0
    csat_responses: int = 0
    csat_total: int = 0

    def add(self, row: dict) -> None:
        self.answers += row["answers"]
        self.nps_responses += row["nps_responses"]
        self.promoters += row["promoters"]
        self.detractors += row["detractors"]
        self.csat_responses += row["csat_responses"]
        self.csat_total += row["csat_total"] or 0

    @property
    def passives(self) -> int:
        return self.nps_responses - self.promoters - self.detractors

    @property
    def nps(self) -> Decimal | None:
        return nps_score(promoters=self.promoters, detractors=self.detractors, responses=self.nps_responses)

    @property
    def csat(self) -> Decimal | None:
        return csat_average(total=self.csat_total, responses=self.csat_responses)

    @property
    def responses(self) -> int:
        """Submissions counted, whichever questions they answered (or only a comment)."""
        return self.answers

    def _share(self, count: int) -> Decimal | None:
        if not self.nps_responses:
            return None
        return (Decimal(100) * count / self.nps_responses).quantize(ONE_PLACE, ROUND_HALF_UP)

    @property
    def promoter_share(self) -> Decimal | None:
        return self._share(self.promoters)

    @property
    def passive_share(self) -> Decimal | None:
        return self._share(self.passives)

    @property
    def detractor_share(self) -> Decimal | None:
        return self._share(self.detractors)


# What NPS and CSAT are computed from: counts that add up across months and groups (``Score.add``).
FEEDBACK_COUNTS = {
    "answers": Count("pk"),
    "nps_responses": Count("nps"),
    "promoters": Count("pk", filter=Q(nps__gte=PROMOTER_MIN)),
    "detractors": Count("pk", filter=Q(nps__lte=DETRACTOR_MAX)),
    "csat_responses": Count("csat"),
    "csat_total": Sum("csat"),
}


# ---------------------------------------------------------------------------
# Feedback
# ---------------------------------------------------------------------------


def feedback_list_visible(*, user) -> QuerySet[Feedback]:
    """Feedback of the clients the user may see."""
    feedback = Feedback.objects.all()
    if access.is_supervisor(user):
        return feedback
    return feedback.filter(client__in=access.client_list_visible(user=user).values("pk"))


def months_back(today: date, count: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    months, year, month = [], today.year, today.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


SATISFACTION_DIMENSIONS = {
    "rm": _("By relationship manager"),
    "team": _("By team"),
    "tier": _("By AUM tier"),
}
SATISFACTION_GROUP_LABELS = {
    "rm": _("Relationship manager"),
    "team": _("Team"),
    "tier": _("AUM tier"),
}
_GROUP_FIELDS = {
    "rm": ("manager_id", "manager__first_name", "manager__last_name", "manager__username"),
    "team": ("manager__teams__id", "manager__teams__name"),
    "tier": ("aum_tier",),
}


def _group_key_label(dimension: str, row: dict) -> tuple:
    if dimension == "rm":
        if row["manager_id"] is None:
            return None, _("No RM")
        name = f"{row['manager__first_name']} {row['manager__last_name']}".strip()
        return row["manager_id"], name or row["manager__username"]
    if dimension == "team":
        if row["manager__teams__id"] is None:
            return None, _("No team")
        return row["manager__teams__id"], row["manager__teams__name"]
    tier = row["aum_tier"]
    return tier or None, Client.AumTier(tier).label if tier in Client.AumTier.values else _("Unknown tier")


@dataclass
class SatisfactionGroup:
    key: object
    label: str
    total: Score = field(default_factory=Score)
    by_month: dict = field(default_factory=dict)   # first day of month -> Score

    def months(self, months: list[date]) -> list[Score]:
        return [self.by_month.get(month, Score()) for month in months]


def _local_month(value) -> date:
    """TruncMonth gives an aware datetime (local midnight) on most backends; a date on some."""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def satisfaction_report(*, user, dimension: str, today: date | None = None) -> dict:
    """NPS and CSAT per month over the last twelve months, overall and per RM, team or AUM tier.

    Two queries (the groups' months, the overall months) whatever the number of answers: every
    figure is a count summed in the database. An RM in two teams counts in both teams' rows, so
    team rows need not add up to the total.
    """
    if dimension not in SATISFACTION_DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    today = today or timezone.localdate()
    months = months_back(today)
    start = timezone.make_aware(timezone.datetime(months[0].year, months[0].month, 1))
    answers = feedback_list_visible(user=user).filter(submitted_at__gte=start).order_by()
    monthly = answers.annotate(month=TruncMonth("submitted_at"))

    overall = SatisfactionGroup(key="all", label=_("All visible clients"))
    for row in monthly.values("month").annotate(**FEEDBACK_COUNTS):
        score = overall.by_month.setdefault(_local_month(row["month"]), Score())
        score.add(row)
        overall.total.add(row)

    groups: dict = {}
    for row in monthly.values("month", *_GROUP_FIELDS[dimension]).annotate(**FEEDBACK_COUNTS):
        key, label = _group_key_label(dimension, row)
        group = groups.setdefault(key, SatisfactionGroup(key=key, label=str(label)))
        group.by_month.setdefault(_local_month(row["month"]), Score()).add(row)
        group.total.add(row)
    ordered = sorted(groups.values(), key=lambda g: (g.key is None, g.label))
    if dimension == "tier":
        rank = {tier: index for index, tier in enumerate(Client.AumTier.values)}
        ordered = sorted(groups.values(), key=lambda g: rank.get(g.key, len(rank)))
    monthly_rows = [{"label": group.label, "scores": group.months(months)} for group in [overall, *ordered]]
    return {"months": months, "overall": overall, "groups": ordered, "dimension": dimension,
            "monthly_rows": monthly_rows}


def satisfaction_chart_data(report: dict) -> dict:
    """The report as plain JSON for Chart.js: month labels and one series per group, overall first."""
    months = report["months"]
    series = [report["overall"], *report["groups"]]

    def values(metric: str):
        return [
            {"label": group.label,
             "values": [None if getattr(s, metric) is None else float(getattr(s, metric)) for s in group.months(months)]}
            for group in series
        ]

    return {
        "months": [month.strftime("%Y-%m") for month in months],
        "nps": {"label": str(_("NPS")), "series": values("nps")},
        "csat": {"label": str(_("CSAT (1–5)")), "series": values("csat")},
    }


# ---------------------------------------------------------------------------
# Complaints
# ---------------------------------------------------------------------------

OPEN_STATUSES = (Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS)


def complaint_list_visible(*, user) -> QuerySet[Complaint]:
    complaints = Complaint.objects.all()
    if access.is_supervisor(user):
        return complaints
    return complaints.filter(client__in=access.client_list_visible(user=user).values("pk"))


def complaint_list_editable(*, user) -> QuerySet[Complaint]:
    """Complaints the user may move on or reassign: those of clients they may change."""
    return Complaint.objects.filter(client__in=access.client_list_editable(user=user).values("pk"))


def complaint_get_visible(*, user, pk: int) -> Complaint:
    return get_object_or_404(
        complaint_list_visible(user=user).select_related("client", "assignee", "raised_by", "feedback"), pk=pk)


def complaint_get_editable(*, user, pk: int) -> Complaint:
    return get_object_or_404(complaint_list_editable(user=user).select_related("client"), pk=pk)


def complaint_may_edit(*, user, complaint: Complaint) -> bool:
    return access.client_may_edit(user=user, client_id=complaint.client_id)


def complaint_list_search(*, user, status: str = "", overdue: bool = False,
                          today: date | None = None) -> QuerySet[Complaint]:
    """Visible complaints, soonest due first; ``status`` one of Complaint.Status or "" for the open
    ones (open and in progress), "all" for every one; ``overdue`` keeps those past their due date."""
    today = today or timezone.localdate()
    complaints = complaint_list_visible(user=user).select_related("client", "assignee")
    if status in Complaint.Status.values:
        complaints = complaints.filter(status=status)
    elif status != "all":
        complaints = complaints.filter(status__in=OPEN_STATUSES)
    if overdue:
        complaints = complaints.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    return complaints.order_by("due_on", "id")


def complaint_assignees(*, complaint: Complaint) -> QuerySet:
    """Staff a complaint may be handed to: the client's RMs (primary and backup) and the primary
    RM's team leads, or every team lead for a client without an RM (leads see unassigned clients). The
    service checks the choice with ``crm.access.client_may_edit``, the rule these mirror."""
    from crm.models import Assignment, Team, User
    from crm.roles import Role

    serving = Assignment.objects.filter(client_id=complaint.client_id, ended_at__isnull=True).values("manager")
    primary = complaint.client.primary_manager_id
    leads = Team.objects.all() if primary is None else Team.objects.filter(members=primary)
    return (User.objects.filter(is_active=True, groups__name__in=[Role.RELATIONSHIP_MANAGER, Role.TEAM_LEAD])
            .filter(Q(pk__in=serving) | Q(pk__in=leads.values("lead"))).distinct()
            .order_by("first_name", "last_name", "username"))


def complaint_overdue_rows(*, today: date, horizon_days: int) -> QuerySet:
    """crm.attention source: complaints past their SLA due date, not resolved or rejected, for the
    assignee (else the client's RM), as ``crm.attention.due_rows``: one row per client and due date,
    the earliest complaint's."""
    overdue = Complaint.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today).order_by()
    earlier = overdue.filter(client_id=OuterRef("client_id"), due_on=OuterRef("due_on"), pk__lt=OuterRef("pk"))
    return due_rows(
        overdue.exclude(Exists(earlier)),
        client_id=F("client_id"), manager_id=Coalesce("assignee_id", "client__primary_manager_id"),
        due_on=F("due_on"), summary=gettext_noop("Complaint not resolved by its due date, %(due_on)s"),
        params=JSONObject(due_on=F("due_on")), url=url_with_id("communications:complaint-detail", F("pk")))


def client_feedback_summary(*, client: Client) -> dict:
    """The client page panel's data: recent feedback and the complaints not closed; two queries."""
    return {
        "recent_feedback": list(Feedback.objects.filter(client=client)
                                .select_related("complaint")[:RECENT_FEEDBACK_SHOWN]),
        "open_complaints": list(Complaint.objects.filter(client=client, status__in=OPEN_STATUSES)
                                .select_related("assignee").order_by("due_on", "id")),
        "today": timezone.localdate(),
    }
