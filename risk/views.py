"""Thin views of the risk app: access through crm.access, reads through risk.selectors, changes
through risk.services.

The one public page, ``questionnaire``, is reached by a signed link without an account: it is
``login_not_required``, CSRF-protected, rate-limited per address and per link, and a bad, expired
or used link gets a plain page saying so (404 / 410) with nothing saved.
"""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from crm import access, panels
from crm.forms import ClientFilterForm, form_errors_add
from crm.public_links import PublicLinkInvalid, public_link_open
from crm.ratelimit import client_address, rate_limit_exceeded

from . import selectors, services
from .forms import QuestionnaireForm
from .models import Assessment

# Submissions of the public questionnaire: per caller address and per link, in a 10-minute window.
RATE_WINDOW_SECONDS = 600
SUBMISSIONS_PER_ADDRESS = 20
SUBMISSIONS_PER_LINK = 5
OPENS_PER_ADDRESS = 120


# --- Staff pages ------------------------------------------------------------------------


@require_safe
def overview(request):
    """Clients whose assessment expired, expires soon or is missing, contradictory answers, and the
    portfolio side (suitability, concentration, drawdown) from the panels other apps contribute."""
    form = ClientFilterForm(request.GET or None, user=request.user)
    clients = selectors.overview_clients(user=request.user, params=form.selector_params() if request.GET else {})
    return render(request, "risk/overview.html", {
        "form": form,
        **selectors.risk_overview(clients=clients),
        "overview_panels": panels.render(panels.RISK_OVERVIEW, request=request, clients=clients),
    })


@require_safe
def client_risk(request, pk: int):
    client = access.client_get_visible(user=request.user, pk=pk)
    return render(request, "risk/client_risk.html", {
        "client": client,
        "may_assess": access.client_may_edit(user=request.user, client_id=client.pk),
        "now": timezone.now(),
        **selectors.client_risk_history(client=client),
    })


def assess(request, pk: int):
    """The RM goes through the current questionnaire with the client and records the answers."""
    client = access.client_get_editable(user=request.user, pk=pk)
    version = selectors.questionnaire_version_current()
    if version is None:
        messages.error(request, _("No risk questionnaire is published yet; an administrator must publish one."))
        return redirect("risk:client", pk=client.pk)
    form = QuestionnaireForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_complete(
                client=client, version=version, answers=form.answers(), channel=Assessment.Channel.WITH_RM,
                recorded_by=request.user, language=get_language() or "")
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Assessment saved: %(level)s, valid until %(date)s.") % {
                "level": assessment.get_level_display(), "date": assessment.valid_until.isoformat()})
            return redirect("crm:client-detail", pk=client.pk)
    return render(request, "risk/assess.html", {"client": client, "version": version, "form": form})


@require_POST
def link_issue(request, pk: int):
    """Make a single-use link for the client to complete the questionnaire on their own device.
    The token is shown once, on this response: only its hash is stored."""
    client = access.client_get_editable(user=request.user, pk=pk)
    try:
        link, token = services.assessment_link_issue(client=client, issued_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("risk:client", pk=client.pk)
    url = request.build_absolute_uri(reverse("risk:questionnaire", args=[token]))
    return render(request, "risk/link_issued.html", {
        "client": client, "link": link, "url": url, "mail_subject": _("Your risk tolerance questionnaire")})


@require_safe
def assessment_detail(request, pk: int):
    assessment = get_object_or_404(
        Assessment.objects.filter(client__in=access.client_list_visible(user=request.user))
        .select_related("client", "version__questionnaire", "recorded_by").prefetch_related("flagged_rules"),
        pk=pk)
    return render(request, "risk/assessment_detail.html", {
        "assessment": assessment, "client": assessment.client,
        "answers": selectors.assessment_answers(assessment=assessment),
    })


# --- The public questionnaire -----------------------------------------------------------


def _link_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refused(request, message: str, status: int):
    return render(request, "risk/public/refused.html", {"message": message}, status=status)


def _link_refused(request, refusal: PublicLinkInvalid):
    return _refused(request, refusal.message, 404 if refusal.reason == PublicLinkInvalid.INVALID else 410)


def _rate_limited(request, token: str) -> bool:
    address = client_address(request)
    window = RATE_WINDOW_SECONDS
    if request.method != "POST":
        return rate_limit_exceeded(scope="risk-questionnaire-open", key=address, limit=OPENS_PER_ADDRESS,
                                   window_seconds=window)
    return (rate_limit_exceeded(scope="risk-questionnaire-address", key=address, limit=SUBMISSIONS_PER_ADDRESS,
                                window_seconds=window)
            or rate_limit_exceeded(scope="risk-questionnaire-link", key=_link_key(token),
                                   limit=SUBMISSIONS_PER_LINK, window_seconds=window))


def _name_masked(name: str) -> str:
    """Enough of the client's name to recognise the form as theirs, not enough to expose it."""
    return f"{name[:1]}**" if name else ""


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire(request, token: str):
    if _rate_limited(request, token):
        return _refused(request, _("Too many attempts from this device. Please wait a few minutes and try again."),
                        429)
    try:
        link = public_link_open(token=token, purpose=selectors.LINK_PURPOSE)
    except PublicLinkInvalid as refusal:
        return _link_refused(request, refusal)
    version = selectors.version_get(pk=link.payload["version"])
    form = QuestionnaireForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_submit_by_link(token=token, answers=form.answers(),
                                                            language=get_language() or "")
        except PublicLinkInvalid as refusal:
            return _link_refused(request, refusal)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            return render(request, "risk/public/done.html", {"assessment": assessment})
    return render(request, "risk/public/questionnaire.html", {
        "form": form, "version": version, "client_name": _name_masked(link.client.legal_name),
        "expires_at": link.expires_at,
    })
