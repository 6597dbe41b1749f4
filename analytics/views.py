"""Thin views of client value: access through crm.access, reads through analytics.selectors, writes
through analytics.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm import access
from crm.forms import form_errors_add

from . import selectors, services
from .forms import (
    CostForm,
    OpportunityForm,
    OpportunityStageForm,
    ProspectForm,
    ReferralForm,
    RevenueForm,
)
from .models import Opportunity


def _forms(request, client, *, estimate, **bound) -> dict:
    """The page's four forms, each posting to its own URL; ``bound`` replaces one with the invalid one."""
    def action(name):
        return reverse(f"analytics:{name}", args=[client.pk])

    return {
        "cost_form": bound.get("cost_form") or CostForm(action=action("cost-create")),
        "revenue_form": bound.get("revenue_form") or RevenueForm(action=action("revenue-create")),
        "referral_form": bound.get("referral_form") or ReferralForm(user=request.user, referrer=client,
                                                                    action=action("referral-create")),
        "prospect_form": bound.get("prospect_form") or ProspectForm(instance=estimate, action=action("prospect-set")),
        "opportunity_form": bound.get("opportunity_form") or OpportunityForm(action=action("opportunity-create")),
    }


def _page(request, client, *, status: int = 200, **bound):
    may_edit = access.client_may_edit(user=request.user, client_id=client.pk)
    records = selectors.client_value_records(client=client)
    return render(request, "analytics/client_value.html", {
        "client": client,
        "may_edit": may_edit,
        "working": selectors.client_value_working(client=client),
        "opportunities": selectors.client_opportunities(client=client),
        "stage_choices": Opportunity.Stage.choices,
        **records,
        **(_forms(request, client, estimate=records["estimate"], **bound) if may_edit else {}),
    }, status=status)


@require_safe
def client_value(request, pk: int):
    """Every step of the client's lifetime value, and (for who may edit the client) the forms that feed it."""
    return _page(request, access.client_get_visible(user=request.user, pk=pk))


def _record(request, pk: int, *, form_class, form_name: str, save, done: str, **form_kwargs):
    client = access.client_get_editable(user=request.user, pk=pk)
    form = form_class(request.POST, **{key: (value(client) if callable(value) else value)
                                       for key, value in form_kwargs.items()})
    if form.is_valid():
        try:
            save(client, form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, done)
            return redirect("analytics:client-value", pk=client.pk)
    return _page(request, client, status=400, **{form_name: form})


@require_POST
def cost_create(request, pk: int):
    return _record(request, pk, form_class=CostForm, form_name="cost_form", done=_("Cost recorded."),
                   save=lambda client, data: services.cost_record(client=client, recorded_by=request.user, **data))


@require_POST
def revenue_create(request, pk: int):
    return _record(request, pk, form_class=RevenueForm, form_name="revenue_form", done=_("Revenue recorded."),
                   save=lambda client, data: services.revenue_record(client=client, recorded_by=request.user, **data))


@require_POST
def referral_create(request, pk: int):
    return _record(request, pk, form_class=ReferralForm, form_name="referral_form", done=_("Referral recorded."),
                   user=request.user, referrer=lambda client: client,
                   save=lambda client, data: services.referral_record(referrer=client, recorded_by=request.user,
                                                                      **data))


@require_POST
def prospect_set(request, pk: int):
    return _record(request, pk, form_class=ProspectForm, form_name="prospect_form", done=_("Estimate saved."),
                   save=lambda client, data: services.prospect_estimate_set(client=client, recorded_by=request.user,
                                                                            **data))


@require_POST
def opportunity_create(request, pk: int):
    return _record(request, pk, form_class=OpportunityForm, form_name="opportunity_form",
                   done=_("Opportunity recorded."),
                   save=lambda client, data: services.opportunity_record(client=client, owner=request.user, **data))


@require_POST
def opportunity_stage(request, pk: int):
    """Move an opportunity to another stage (who may edit its client); won and lost are final."""
    opportunity = selectors.opportunity_get_editable(user=request.user, pk=pk)
    form = OpportunityStageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["stage"])
        services.opportunity_stage_set(opportunity=opportunity, stage=form.cleaned_data["stage"], user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Stage changed."))
    return redirect(reverse("analytics:client-value", args=[opportunity.client_id]) + "#opportunities")


@require_safe
def pipeline(request):
    """The visible book's open opportunities by stage, what should close soon, and what was won and lost."""
    return render(request, "analytics/pipeline.html", selectors.pipeline_summary(user=request.user))


@require_safe
def segment_value(request):
    """Group CLV per AUM tier and, for team leads and administrators, per team, with the working."""
    return render(request, "analytics/segment_value.html", selectors.segment_values(user=request.user))


@require_safe
def lifecycle(request):
    """The visible book's lifecycle: stages, moves per month, churn and lifetime per segment and RM."""
    return render(request, "analytics/lifecycle.html", selectors.lifecycle_summary(user=request.user))


@require_POST
def record_delete(request, kind: str, pk: int):
    """Remove a cost, revenue or referral entered by mistake (who may edit the client)."""
    record = selectors.record_get_editable(user=request.user, kind=kind, pk=pk)
    client_id = record.referrer_id if kind == "referral" else record.client_id
    services.record_delete(record=record, user=request.user)
    messages.success(request, _("Removed."))
    return redirect("analytics:client-value", pk=client_id)
