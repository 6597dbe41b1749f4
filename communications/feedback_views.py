"""Thin views of the feedback work: the public feedback form (no account, signed link, rate-limited)
and the staff's satisfaction and complaint pages. Access through crm.access and feedback_selectors."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import access
from crm.forms import form_errors_add
from crm.public_links import PublicLinkInvalid, public_link_open
from crm.ratelimit import client_address, rate_limit_exceeded

from . import feedback_selectors as selectors
from . import feedback_services as services
from .feedback_forms import (
    ComplaintAssignForm,
    ComplaintCreateForm,
    ComplaintFilterForm,
    ComplaintTransitionForm,
    FeedbackForm,
    FeedbackLinkForm,
)

# Rate limits of the public form, as (attempts, window in seconds). Opening the page is cheap and
# may be repeated (language switch, reload); sending is counted per address and per link, valid or not.
OPENS_PER_ADDRESS = (60, 600)
SENDS_PER_ADDRESS = (10, 3600)
SENDS_PER_LINK = (5, 3600)
INVALID_LINK_STATUS = {PublicLinkInvalid.INVALID: 404, PublicLinkInvalid.EXPIRED: 410, PublicLinkInvalid.USED: 410}
SESSION_LINK_KEY = "communications.feedback_link_shown"
COMPLAINTS_PER_PAGE = 50


# ---------------------------------------------------------------------------
# The public form
# ---------------------------------------------------------------------------


def _limited(scope: str, key: str, limit: tuple[int, int]) -> bool:
    return rate_limit_exceeded(scope=scope, key=key, limit=limit[0], window_seconds=limit[1])


def _public_message(request, *, title: str, message: str, status: int, testid: str):
    return render(request, "communications/feedback/public_message.html",
                  {"title": title, "message": message, "testid": testid}, status=status)


def _too_many(request):
    return _public_message(request, title=_("Please wait a moment"), status=429, testid="feedback-rate-limited",
                           message=_("There were too many attempts from here. Please try again in a few minutes."))


@login_not_required
def feedback_form(request, token: str):
    """The client's feedback page: a bad, expired or used link shows why (404/410) and saves nothing."""
    address = client_address(request)
    if request.method == "POST":
        # The link key is a hash: raw tokens stay out of the cache.
        link_key = hashlib.sha256(token.encode()).hexdigest()[:32]
        if (_limited("feedback-send-address", address, SENDS_PER_ADDRESS)
                or _limited("feedback-send-link", link_key, SENDS_PER_LINK)):
            return _too_many(request)
    elif _limited("feedback-open-address", address, OPENS_PER_ADDRESS):
        return _too_many(request)
    try:
        link = public_link_open(token=token, purpose=services.FEEDBACK_PURPOSE)
    except PublicLinkInvalid as invalid:
        return _link_invalid(request, invalid)
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(token=token, language=translation.get_language() or "", **form.cleaned_data)
        except PublicLinkInvalid as invalid:  # used up by a double click between opening and saving
            return _link_invalid(request, invalid)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            return redirect("communications:feedback-thanks")
    return render(request, "communications/feedback/public_form.html", {
        "form": form, "manager": link.client.primary_manager, "expires_at": link.expires_at})


def _link_invalid(request, invalid: PublicLinkInvalid):
    return _public_message(request, title=_("This feedback link cannot be used"), message=invalid.message,
                           status=INVALID_LINK_STATUS[invalid.reason], testid=f"feedback-link-{invalid.reason}")


@login_not_required
def feedback_thanks(request):
    return _public_message(request, title=_("Thank you for your feedback"), status=200, testid="feedback-thanks",
                           message=_("Your answers have reached your relationship manager."))


# ---------------------------------------------------------------------------
# Client page panel and sending a link
# ---------------------------------------------------------------------------


def client_feedback_panel(*, request, client, may_edit: bool | None = None) -> dict:
    """The client page's feedback panel: recent feedback, open complaints, the link buttons for
    those who may change the client, and a link issued just now (shown this once). Two queries,
    three when the page has not passed ``may_edit`` (crm.panels ``known``)."""
    context = selectors.client_feedback_summary(client=client)
    if may_edit is None:
        may_edit = access.client_may_edit(user=request.user, client_id=client.pk)
    shown = request.session.pop(SESSION_LINK_KEY, None) if hasattr(request, "session") else None
    context.update({
        "client": client,
        "may_edit": may_edit,
        "link_form": FeedbackLinkForm(client=client) if may_edit else None,
        "issued_link": shown if shown and shown.get("client") == client.pk else None,
    })
    return context


@require_POST
def feedback_link_create(request, client_pk: int):
    client = access.client_get_editable(user=request.user, pk=client_pk)
    form = FeedbackLinkForm(request.POST, client=client)
    if not form.is_valid():
        return redirect("crm:client-detail", pk=client.pk)
    email = form.cleaned_data["delivery"] == FeedbackLinkForm.EMAIL
    try:
        issued = services.feedback_link_issue(client=client, issued_by=request.user, send_email=email,
                                              base_url=request.build_absolute_uri("/"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        request.session[SESSION_LINK_KEY] = {
            "client": client.pk, "url": issued.url, "emailed_to": issued.emailed_to,
            "expires_on": timezone.localdate(issued.link.expires_at).isoformat()}
    return redirect("crm:client-detail", pk=client.pk)


# ---------------------------------------------------------------------------
# Satisfaction
# ---------------------------------------------------------------------------


def satisfaction(request):
    """NPS and CSAT per month for the clients the user may see, by RM, team or AUM tier."""
    dimension = request.GET.get("by", "rm")
    if dimension not in selectors.SATISFACTION_DIMENSIONS:
        dimension = "rm"
    report = selectors.satisfaction_report(user=request.user, dimension=dimension)
    return render(request, "communications/feedback/satisfaction.html", {
        "report": report,
        "dimensions": selectors.SATISFACTION_DIMENSIONS,
        "dimension_label": selectors.SATISFACTION_GROUP_LABELS[dimension],
        "chart_data": selectors.satisfaction_chart_data(report),
    })


# ---------------------------------------------------------------------------
# Complaints
# ---------------------------------------------------------------------------


def complaint_list(request):
    form = ComplaintFilterForm(request.GET or None)
    status, overdue = "", False
    if form.is_valid():
        status, overdue = form.cleaned_data["status"], form.cleaned_data["overdue"]
    complaints = selectors.complaint_list_search(user=request.user, status=status, overdue=overdue)
    page = Paginator(complaints, COMPLAINTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "communications/feedback/complaint_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "today": timezone.localdate()})


def complaint_detail(request, pk: int):
    complaint = selectors.complaint_get_visible(user=request.user, pk=pk)
    may_edit = selectors.complaint_may_edit(user=request.user, complaint=complaint)
    return _complaint_page(request, complaint, may_edit=may_edit)


def _complaint_page(request, complaint, *, may_edit: bool, transition_form=None, assign_form=None, status=200):
    open_complaint = not complaint.is_closed
    if may_edit and open_complaint:
        transition_form = transition_form or ComplaintTransitionForm(complaint=complaint)
        if access.may_use_team_pages(request.user):
            assign_form = assign_form or ComplaintAssignForm(complaint=complaint)
    return render(request, "communications/feedback/complaint_detail.html", {
        "complaint": complaint,
        "events": complaint.events.select_related("actor", "assignee"),
        "transition_form": transition_form if may_edit and open_complaint else None,
        "assign_form": assign_form if may_edit and open_complaint else None,
        "today": timezone.localdate(),
    }, status=status)


def _complaint_change(request, pk: int, *, form_class, service, done: str, form_name: str):
    """A POST that changes a complaint through ``service``; on a refusal the page again, with the form."""
    complaint = selectors.complaint_get_editable(user=request.user, pk=pk)
    form = form_class(request.POST, complaint=complaint)
    if form.is_valid():
        try:
            service(complaint=complaint, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, done)
            return redirect("communications:complaint-detail", pk=complaint.pk)
    complaint = selectors.complaint_get_visible(user=request.user, pk=pk)
    return _complaint_page(request, complaint, may_edit=True, status=400, **{form_name: form})


@require_POST
def complaint_transition(request, pk: int):
    return _complaint_change(request, pk, form_class=ComplaintTransitionForm, service=services.complaint_transition,
                             done=_("Complaint status changed."), form_name="transition_form")


@require_POST
def complaint_assign(request, pk: int):
    access.require(access.may_use_team_pages(request.user))
    return _complaint_change(request, pk, form_class=ComplaintAssignForm, service=services.complaint_assign,
                             done=_("Complaint reassigned."), form_name="assign_form")


def complaint_create(request, client_pk: int):
    """Staff record a complaint the client made another way (phone, meeting, letter)."""
    client = access.client_get_editable(user=request.user, pk=client_pk)
    form = ComplaintCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_raise(client=client, raised_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Complaint recorded; due on %(date)s.") % {"date": complaint.due_on})
            return redirect("communications:complaint-detail", pk=complaint.pk)
    return render(request, "communications/feedback/complaint_form.html", {"form": form, "client": client})
