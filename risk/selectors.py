"""Reads of risk tolerance: the questionnaire in use, scoring and band mapping, a client's risk
history and panel, the risk overview, and what needs an RM's attention (crm.attention)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, JSONObject, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm import access
from crm.attention import due_rows, url_with_id
from crm.models import Client, PublicLink
from crm.scales import RiskBasis
from crm.sql import DaysLater
from crm.selectors import client_list_search

from .models import Assessment, Option, Question, Questionnaire, QuestionnaireVersion, RecordedLevel

LINK_PURPOSE = "risk-questionnaire"
# The overview lists assessments expiring within this many days next to the expired ones.
EXPIRING_WITHIN_DAYS = 30
OVERVIEW_ROWS = 20
HISTORY_ROWS = 20


# --- The questionnaire ------------------------------------------------------------------


def version_content(queryset: QuerySet[QuestionnaireVersion]) -> QuerySet[QuestionnaireVersion]:
    """Versions with their questions, options, bands and rules prefetched (five queries in all)."""
    return queryset.select_related("questionnaire").prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position").prefetch_related(
            Prefetch("options", queryset=Option.objects.order_by("position")))),
        "bands",
        "rules",
    )


def questionnaire_version_current(*, questionnaire: Questionnaire | None = None) -> QuestionnaireVersion | None:
    """The newest published version of ``questionnaire`` (default: the default questionnaire), with its
    content; None when nothing is published."""
    versions = QuestionnaireVersion.objects.filter(status=QuestionnaireVersion.Status.PUBLISHED)
    if questionnaire is None:
        versions = versions.filter(questionnaire__is_default=True)
    else:
        versions = versions.filter(questionnaire=questionnaire)
    return version_content(versions.order_by("-number")).first()


def version_get(*, pk: int) -> QuestionnaireVersion:
    return version_content(QuestionnaireVersion.objects.filter(pk=pk)).get()


@dataclass(frozen=True)
class Result:
    score: int
    level: str
    flagged_rules: tuple  # ConsistencyRule, in the version's order


def score_range(version: QuestionnaireVersion) -> tuple[int, int]:
    """The lowest and highest total a complete set of answers can score."""
    lowest = highest = 0
    for question in version.questions.all():
        scores = [option.score for option in question.options.all()]
        if scores:
            lowest, highest = lowest + min(scores), highest + max(scores)
    return lowest, highest


def assessment_result(*, version: QuestionnaireVersion, options: Mapping[int, Option]) -> Result:
    """Score (the sum of the chosen options' scores), level (the band the score falls in) and the
    consistency rules whose two answers were both chosen. ``options`` maps question id to the
    chosen option; the caller has checked that every question has one of its own options."""
    score = sum(option.score for option in options.values())
    level = next((band.level for band in version.bands.all() if band.min_score <= score <= band.max_score), None)
    if level is None:
        raise ValidationError(_("No score band of this questionnaire covers a score of %(score)s.") % {"score": score})
    chosen = {option.pk for option in options.values()}
    flagged = tuple(rule for rule in version.rules.all()
                    if rule.first_option_id in chosen and rule.second_option_id in chosen)
    return Result(score=score, level=level, flagged_rules=flagged)


# --- A client's risk record -------------------------------------------------------------


def assessment_latest(*, client: Client) -> Assessment | None:
    """The client's most recent assessment, with its version and flagged rules (two queries)."""
    return (Assessment.objects.filter(client=client).select_related("version__questionnaire", "recorded_by")
            .prefetch_related("flagged_rules").order_by("-completed_at", "-id").first())


def link_pending(*, client: Client) -> PublicLink | None:
    """A questionnaire link sent to the client that can still be used."""
    return (PublicLink.objects.filter(client=client, purpose=LINK_PURPOSE, used_at__isnull=True,
                                      expires_at__gt=timezone.now()).order_by("-issued_at").first())


def client_risk_panel(*, request, client: Client, may_edit: bool | None = None) -> dict:
    """The client page's risk card: level and its basis (read from the client), the latest
    assessment's contradictions, a link still waiting for the client, and whether the user may
    assess. Three queries, four when the page has not passed ``may_edit`` (crm.panels ``known``)."""
    if may_edit is None:
        may_edit = access.client_may_edit(user=request.user, client_id=client.pk)
    return {
        "client": client,
        "latest": assessment_latest(client=client),
        "pending_link": link_pending(client=client),
        "may_assess": may_edit,
    }


def client_risk_history(*, client: Client) -> dict:
    """Assessments (newest first, with who recorded them and their flags) and the levels recorded
    without an assessment; four queries."""
    return {
        "assessments": list(Assessment.objects.filter(client=client)
                            .select_related("version__questionnaire", "recorded_by")
                            .prefetch_related("flagged_rules").order_by("-completed_at", "-id")[:HISTORY_ROWS]),
        "recorded": list(RecordedLevel.objects.filter(client=client).order_by("-recorded_on")),
        "links": list(PublicLink.objects.filter(client=client, purpose=LINK_PURPOSE)
                      .select_related("issued_by").order_by("-issued_at")[:HISTORY_ROWS]),
    }


def assessment_answers(*, assessment: Assessment) -> list:
    """The answers in question order, each with its question and option (one query)."""
    return list(assessment.answers.select_related("question", "option").order_by("question__position"))


# --- The overview -----------------------------------------------------------------------


def _assessment_valid(today: date) -> Q:
    # The same rule as Client.risk_assessment_valid, in SQL.
    return Q(risk_level_basis=RiskBasis.ASSESSMENT, risk_valid_until__gte=today)


def overview_clients(*, user, params: Mapping) -> QuerySet[Client]:
    """The visible, not merged clients, filtered by RM and tier as the client list filters them."""
    return client_list_search(user=user, params={key: params.get(key) for key in ("rm", "tier")})


def risk_overview(*, clients: QuerySet[Client], today: date | None = None) -> dict:
    """Among ``clients`` (``overview_clients``) still active, counts and the first rows of: expired
    assessments, assessments expiring soon, clients without an assessment (recorded level or
    none) and latest assessments with contradictory answers. Six queries whatever the book's size."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    clients = clients.exclude(status=Client.Status.INACTIVE)
    assessed = Q(risk_level_basis=RiskBasis.ASSESSMENT)
    expired = assessed & Q(risk_valid_until__lt=today)
    expiring = _assessment_valid(today) & Q(risk_valid_until__lte=soon)
    unassessed = ~assessed
    counts = clients.order_by().aggregate(
        expired=Count("pk", filter=expired), expiring=Count("pk", filter=expiring),
        unassessed=Count("pk", filter=unassessed), recorded=Count("pk", filter=unassessed & ~Q(risk_level="")),
        total=Count("pk"),
    )
    rows = clients.prefetch_related(None).select_related("primary_manager")
    later = Assessment.objects.filter(client=OuterRef("client"), completed_at__gt=OuterRef("completed_at"))
    flagged = (Assessment.objects.filter(client__in=clients.order_by().values("pk"), valid_until__gte=today)
               .filter(Exists(Assessment.flagged_rules.through.objects.filter(assessment=OuterRef("pk"))))
               .exclude(Exists(later))
               .select_related("client__primary_manager").prefetch_related("flagged_rules")
               .order_by("-completed_at"))
    return {
        "counts": counts,
        "expired": list(rows.filter(expired).order_by("risk_valid_until", "legal_name")[:OVERVIEW_ROWS]),
        "expiring": list(rows.filter(expiring).order_by("risk_valid_until", "legal_name")[:OVERVIEW_ROWS]),
        "unassessed": list(rows.filter(unassessed).order_by("legal_name")[:OVERVIEW_ROWS]),
        "flagged": list(flagged[:OVERVIEW_ROWS]),
        "expiring_within_days": EXPIRING_WITHIN_DAYS,
        "rows_shown": OVERVIEW_ROWS,
    }


# --- What needs attention (registered with crm.attention in apps.py) ---------------------


def _active_clients() -> QuerySet[Client]:
    return Client.objects.filter(status=Client.Status.ACTIVE).order_by()


def _attention_rows(clients: QuerySet[Client], *, due_on, summary) -> QuerySet:
    return due_rows(
        clients, client_id=F("pk"), manager_id=F("primary_manager_id"), due_on=due_on, summary=summary,
        params=JSONObject(client=F("legal_name"), level=F("risk_level"), date=F("risk_valid_until")),
        url=url_with_id("risk:client", F("pk")))


def attention_expiring(*, today: date, horizon_days: int) -> QuerySet:
    """Valid assessments whose last valid day falls within the horizon (``crm.attention.due_rows``)."""
    return _attention_rows(
        _active_clients().filter(_assessment_valid(today), risk_valid_until__lte=today + timedelta(days=horizon_days)),
        due_on=F("risk_valid_until"),
        summary=gettext_noop("The risk assessment of %(client)s (%(level)s) is valid until %(date)s."))


def attention_expired(*, today: date, horizon_days: int) -> QuerySet:
    """Assessments past their last valid day, overdue since the day after it (``crm.attention.due_rows``)."""
    return _attention_rows(
        _active_clients().filter(risk_level_basis=RiskBasis.ASSESSMENT, risk_valid_until__lt=today),
        due_on=DaysLater(F("risk_valid_until"), 1),
        summary=gettext_noop("The risk assessment of %(client)s (%(level)s) expired after %(date)s."))


def attention_missing(*, today: date, horizon_days: int) -> QuerySet:
    """Active clients never assessed with a questionnaire, due since their level was recorded, or
    since they were registered (``crm.attention.due_rows``)."""
    clients = _active_clients().exclude(risk_level_basis=RiskBasis.ASSESSMENT).annotate(
        missing_since=Coalesce("risk_assessed_on", TruncDate("created_at"))).filter(
        missing_since__lte=today + timedelta(days=horizon_days))
    return due_rows(
        clients, client_id=F("pk"), manager_id=F("primary_manager_id"), due_on=F("missing_since"),
        summary=Case(When(risk_level="", then=Value(gettext_noop("%(client)s has no risk assessment."))),
                     default=Value(gettext_noop(
                         "%(client)s has no risk assessment; their level %(level)s was recorded without one.")),
                     output_field=CharField()),
        params=JSONObject(client=F("legal_name"), level=F("risk_level")),
        url=url_with_id("risk:client", F("pk")))
