"""Thin views of the dashboards and reports: access through crm.access (and the selectors that start
from it), figures from reports.selectors, exports through crm.spreadsheets (formula-safe), each
export logged as a view of sensitive data like the client export."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from communications import feedback_selectors
from crm import access, audit, masking, spreadsheets
from crm import selectors as crm_selectors
from crm.forms import ClientFilterForm
from crm.models import SensitiveView

from . import selectors
from .forms import AumReportForm, ReviewComplianceForm, TeamDashboardForm

BOOK_PAGE_SIZE = 50


def _export_format(request) -> str | None:
    """The requested download format, None for the page itself; an unknown format is a 404."""
    file_format = request.GET.get("format")
    if file_format is None:
        return None
    if file_format not in spreadsheets.CONTENT_TYPES:
        raise Http404
    return file_format


def _query_without_format(request) -> str:
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("page", None)
    return query.urlencode()


def _export(request, *, name: str, file_format: str, headers, rows):
    audit.sensitive_view_record(request=request, what=SensitiveView.What.CLIENT_EXPORT,
                                detail=f"report {name}, {file_format}: {_query_without_format(request)}")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return spreadsheets.spreadsheet_response(headers=headers, rows=rows, file_format=file_format,
                                             file_name=f"{name}-{stamp}")


def _render(request, template: str, context: dict):
    return render(request, template, {"query": _query_without_format(request), **context})


@require_GET
def index(request):
    return render(request, "reports/index.html", {
        "may_read_team": selectors.may_read_team_dashboard(request.user),
        "satisfaction_dimensions": list(feedback_selectors.SATISFACTION_DIMENSIONS.items()),
    })


@require_GET
def team(request):
    """The team-lead dashboard: per RM of the lead's teams (every team for supervisors)."""
    access.require(selectors.may_read_team_dashboard(request.user))
    teams = list(selectors.teams_visible(user=request.user))
    form = TeamDashboardForm(request.GET, teams=teams)
    return render(request, "reports/team.html", {
        "form": form, "dashboard": selectors.team_dashboard(user=request.user, team_id=form.team_id()),
    })


@require_GET
def book(request):
    """Book of business: the visible clients the filters select, with RM, tier, AUM, risk level,
    stage, last contact and next review."""
    form = ClientFilterForm(request.GET or None, user=request.user)
    params = form.selector_params() if request.GET else {}
    found = crm_selectors.client_list_search(user=request.user, params=params)
    clients = selectors.book_of_business(found)
    file_format = _export_format(request)
    if file_format:
        headers = [_("Client number"), _("Legal name"), _("Phone"), _("Primary RM"), _("AUM tier"), _("AUM"),
                   _("AUM currency"), _("Risk level"), _("Lifecycle stage"), _("Status"), _("Last contact"),
                   _("Next review")]
        rows = ([
            c.pk, c.legal_name, masking.client_pii(user=request.user, client=c, field="phone"),
            str(c.primary_manager or ""), c.get_aum_tier_display(), c.aum_total, c.aum_currency,
            c.get_risk_level_display() or _("Not assessed"), c.get_lifecycle_stage_display(), c.get_status_display(),
            timezone.localtime(c.last_contact_at).date() if c.last_contact_at else "", c.next_review_on or "",
        ] for c in clients.iterator(chunk_size=2000))
        return _export(request, name="book-of-business", file_format=file_format, headers=headers, rows=rows)
    summary = crm_selectors.client_list_summary(found)
    paginator = Paginator(selectors.book_of_business(crm_selectors.client_list_for_page(
        found, total=summary["client_count"], searched=bool(params.get("q")))), BOOK_PAGE_SIZE)
    paginator.count = summary["client_count"]  # already counted with the AUM sum: no second COUNT
    return _render(request, "reports/book.html", {
        "form": form, "summary": summary, "page": paginator.get_page(request.GET.get("page")),
        "today": timezone.localdate(),
    })


@require_GET
def aum(request):
    """AUM by tier, by RM or by asset class, for the visible clients the filters select."""
    form = AumReportForm(request.GET, user=request.user)
    dimension = form.dimension()
    clients = crm_selectors.client_list_search(user=request.user, params=form.client_params())
    rows = selectors.aum_report(clients=clients, dimension=dimension)
    label = dict(form.fields["by"].choices)[dimension]
    file_format = _export_format(request)
    if file_format:
        headers = [str(label), _("Clients"), _("AUM"), _("Currency"), _("Share of AUM %")]
        return _export(request, name=f"aum-by-{dimension.replace('_', '-')}", file_format=file_format,
                       headers=headers, rows=([r["label"], r.get("client_count", ""), r["aum"],
                                               settings.BASE_CURRENCY, r["share"]] for r in rows))
    return _render(request, "reports/aum.html", {
        "form": form, "rows": rows, "dimension": dimension, "dimension_label": label, "heading": form.heading(),
        "currency": settings.BASE_CURRENCY,
        "total": sum((r["aum"] for r in rows), selectors.ZERO),
        "chart": {"labels": [str(r["label"]) for r in rows], "values": [float(r["aum"]) for r in rows],
                  "currency": settings.BASE_CURRENCY, "label": str(_("AUM"))},
    })


@require_GET
def review_compliance(request):
    """Share of reviews done on time per RM or team and month."""
    form = ReviewComplianceForm(request.GET, user=request.user)
    clients = crm_selectors.client_list_search(user=request.user, params=form.client_params())
    report = selectors.review_compliance(clients=clients, group=form.grouping())
    file_format = _export_format(request)
    if file_format:
        headers = [_("Team") if report["group"] == "team" else _("Relationship manager"), _("Month"),
                   _("Reviews due"), _("Done on time"), _("Done late"), _("Missed"), _("On time %")]
        return _export(request, name="review-compliance", file_format=file_format, headers=headers,
                       rows=selectors.review_compliance_rows(report))
    return _render(request, "reports/review_compliance.html", {"form": form, "report": report})


@require_GET
def satisfaction_export(request):
    """communications' satisfaction report (by RM, team or AUM tier, per month) as CSV or XLSX; the
    page itself is communications' (/communications/satisfaction/)."""
    dimension = request.GET.get("by", "rm")
    if dimension not in feedback_selectors.SATISFACTION_DIMENSIONS:
        raise Http404
    file_format = _export_format(request) or "csv"
    report = feedback_selectors.satisfaction_report(user=request.user, dimension=dimension)
    headers = [feedback_selectors.SATISFACTION_GROUP_LABELS[dimension], _("Month"), _("Answers"), _("NPS answers"),
               _("Promoters"), _("Passives"), _("Detractors"), _("NPS"), _("CSAT answers"), _("CSAT (1–5)")]
    return _export(request, name=f"satisfaction-by-{dimension}", file_format=file_format, headers=headers,
                   rows=selectors.satisfaction_rows(report))
