"""Thin views of client assets: access through crm.selectors, reads through portfolios.selectors,
changes through portfolios.services (and portfolios.imports for files).

Every client-scoped page finds its client through ``client_list_visible`` (reading; the portfolio
page joins the drawdown limit to it) or ``client_get_editable`` (changing), so another RM's client
is a 404 everywhere and compliance reads everything and changes nothing.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from crm.forms import form_errors_add
from crm import access, audit, panels
from crm.models import SensitiveView
from crm.access import client_get_editable, client_list_editable, client_list_visible
from dataimport import engine

from . import cash_flows, imports, performance, selectors, services
from .forms import (
    AlertFilterForm,
    CashFlowForm,
    DrawdownLimitForm,
    GoalForm,
    ImportCommitForm,
    asset_upload_form,
    ProposalStatusForm,
    RebalanceForm,
    RebalanceLines,
    StopLossForm,
    SuitabilityExceptionForm,
)
from .models import Alert, DrawdownLimit, Goal, Holding, RebalanceProposal


def _portfolio_url(client_id: int) -> str:
    return reverse("portfolios:client-portfolio", args=[client_id])


# --- Client portfolio page --------------------------------------------------------------


@require_safe
def client_portfolio(request, pk: int):
    # The visible client with its drawdown limit (a one-to-one the page shows): one query, not two.
    client = get_object_or_404(client_list_visible(user=request.user).select_related("drawdown_limit"), pk=pk)
    context = selectors.portfolio_page(client=client)
    context["can_edit"] = access.client_visible_may_edit(user=request.user)  # the client is a visible one
    if "summary" in context:
        context["performance"] = performance.client_performance(client=client, summary=context["summary"])
        context["chart_data"]["returns"] = context["performance"].chart_data()
        context["holding_rows"] = list(zip(context["summary"].holdings, context["performance"].pnl.holdings,
                                           strict=True))
    # Buttons other apps add to the header (crm.panels), e.g. the client review report.
    context["action_panels"] = panels.render(panels.PORTFOLIO_ACTIONS, request=request, client=client)
    audit.sensitive_view_record(request=request, what=SensitiveView.What.PORTFOLIO_PAGE, client_id=client.pk)
    return render(request, "portfolios/client_portfolio.html", context)


def cash_flow_create(request, pk: int):
    """Record a contribution or withdrawal (the portfolio page's performance card links here)."""
    client = client_get_editable(user=request.user, pk=pk)
    form = CashFlowForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            cash_flows.cash_flow_record(client=client, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Contribution or withdrawal recorded."))
            return redirect(_portfolio_url(client.pk) + "#performance")
    return _form_page(request, client=client, form=form, title=_("Record a contribution or withdrawal"))


# --- Rebalancing ------------------------------------------------------------------------


def rebalance(request, pk: int):
    """Minimum trade size → preview of the buys and sells, naming a product per buy if the RM wants
    to (one above the client's level needs a suitability exception) → saved proposal (nothing trades)."""
    client = client_get_editable(user=request.user, pk=pk)
    form = RebalanceForm(request.POST or None)
    try:
        summary = selectors.portfolio_summary(client=client)
    except selectors.FxRateMissing as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_portfolio_url(client.pk))
    plan = lines = None
    if request.method == "POST" and form.is_valid():
        plan = selectors.rebalance_plan(client=client, minimum_trade=form.cleaned_data["minimum_trade"],
                                        summary=summary)
        lines = RebalanceLines(request.POST, plan=plan, client=client)
        if request.POST.get("action") == "save" and lines.is_valid():
            try:
                proposal = services.rebalance_proposal_create(
                    client=client, created_by=request.user, minimum_trade=form.cleaned_data["minimum_trade"],
                    notes=form.cleaned_data["notes"], products=lines.products(), exceptions=lines.exceptions())
            except ValidationError as error:
                form_errors_add(form, error)
            else:
                messages.success(request, _("Rebalance proposal saved."))
                return redirect("portfolios:proposal-detail", pk=proposal.pk)
    return render(request, "portfolios/rebalance.html", {
        "client": client, "summary": summary, "form": form, "plan": plan, "lines": lines,
        "rating_highest": selectors.rating_highest_for(client),
        "chart_data": {"allocation": selectors.allocation_chart_data(summary)},
    })


def _proposal_get(*, user, pk: int, editable: bool) -> RebalanceProposal:
    clients = client_list_editable(user=user) if editable else client_list_visible(user=user)
    return get_object_or_404(
        RebalanceProposal.objects.filter(client__in=clients).select_related("client", "allocation", "created_by"),
        pk=pk)


@require_safe
def proposal_detail(request, pk: int):
    proposal = _proposal_get(user=request.user, pk=pk, editable=False)
    can_edit = access.client_may_edit(user=request.user, client_id=proposal.client_id)
    next_statuses = sorted(services.PROPOSAL_TRANSITIONS.get(proposal.status, ())) if can_edit else []
    return render(request, "portfolios/proposal_detail.html", {
        "proposal": proposal, "client": proposal.client,
        "trades": selectors.proposal_trades(proposal=proposal),
        "status_form": ProposalStatusForm(
            next_statuses=next_statuses, action=reverse("portfolios:proposal-status", args=[proposal.pk]),
        ) if next_statuses else None,
    })


@require_POST
def proposal_status(request, pk: int):
    proposal = _proposal_get(user=request.user, pk=pk, editable=True)
    form = ProposalStatusForm(request.POST)
    if form.is_valid():
        try:
            services.rebalance_proposal_status_set(proposal=proposal, status=form.cleaned_data["status"],
                                                   user=request.user)
            messages.success(request, _("Proposal marked %(status)s.") % {"status": proposal.get_status_display()})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Unknown status."))
    return redirect("portfolios:proposal-detail", pk=proposal.pk)


# --- Goals and limits -------------------------------------------------------------------


def goal_create(request, pk: int):
    client = client_get_editable(user=request.user, pk=pk)
    form = GoalForm(request.POST or None, instance=Goal(client=client), client=client)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "linked_accounts"}
        try:
            services.goal_create(client=client, linked_accounts=form.cleaned_data["linked_accounts"], **fields)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect(_portfolio_url(client.pk))
    return _form_page(request, client=client, form=form, title=_("New goal"))


def goal_edit(request, pk: int):
    goal = get_object_or_404(Goal.objects.filter(client__in=client_list_editable(user=request.user)), pk=pk)
    form = GoalForm(request.POST or None, instance=goal, client=goal.client)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name != "linked_accounts"}
        try:
            services.goal_update(goal=goal, linked_accounts=form.cleaned_data["linked_accounts"], **fields)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect(_portfolio_url(goal.client_id))
    return _form_page(request, client=goal.client, form=form, title=_("Edit goal: %(name)s") % {"name": goal.name})


def holding_stop_loss(request, pk: int):
    holding = get_object_or_404(
        Holding.objects.filter(account__client__in=client_list_editable(user=request.user))
        .select_related("instrument", "account__client", "account__institution"),
        pk=pk)
    form = StopLossForm(request.POST or None, instance=holding)
    if request.method == "POST" and form.is_valid():
        services.holding_stop_loss_set(holding=holding, price=form.cleaned_data["stop_loss_price"],
                                       pct=form.cleaned_data["stop_loss_pct"])
        _limit_saved(request, _("Stop-loss saved."))
        return redirect(_portfolio_url(holding.account.client_id))
    return render(request, "portfolios/stop_loss.html", {
        "client": holding.account.client, "form": form, "holding": holding,
        "position": selectors.holding_position(holding=holding),
        "title": _("Stop-loss: %(holding)s") % {"holding": f"{holding.instrument} · {holding.account}"}})


def drawdown_edit(request, pk: int):
    client = client_get_editable(user=request.user, pk=pk)
    limit = DrawdownLimit.objects.filter(client=client).first() or DrawdownLimit(client=client)
    form = DrawdownLimitForm(request.POST or None, instance=limit)
    if request.method == "POST" and form.is_valid():
        services.drawdown_limit_set(limit=limit, max_drawdown_pct=form.cleaned_data["max_drawdown_pct"])
        _limit_saved(request, _("Drawdown limit saved."))
        return redirect(_portfolio_url(client.pk))
    return _form_page(request, client=client, form=form, title=_("Maximum drawdown"))


def _limit_saved(request, message: str) -> None:
    messages.success(request, message)
    # The service queued the revaluation; a worker raises the alert of a limit already crossed.
    messages.info(request, _("The portfolio is being revalued: if the new limit is already crossed, "
                             "its alert appears here shortly."))


def holding_exception(request, pk: int):
    """Record why the client holds a product rated above their level, and their acknowledgement."""
    holding = get_object_or_404(
        Holding.objects.filter(account__client__in=client_list_editable(user=request.user))
        .select_related("instrument", "account__client", "account__institution"),
        pk=pk)
    form = SuitabilityExceptionForm(request.POST or None, submit_label=_("Record the exception"))
    if request.method == "POST" and form.is_valid():
        try:
            services.holding_suitability_exception_record(holding=holding, terms=form.terms(),
                                                          recorded_by=request.user)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Suitability exception recorded."))
            return redirect(_portfolio_url(holding.account.client_id) + "#suitability")
    return _form_page(request, client=holding.account.client, form=form,
                      title=_("Suitability exception: %(holding)s") % {
                          "holding": f"{holding.instrument} ({holding.instrument.risk_rating}) · {holding.account}"})


def _form_page(request, *, client, form, title):
    return render(request, "portfolios/form_page.html", {"client": client, "form": form, "title": title})


# --- Alerts -----------------------------------------------------------------------------

ALERT_CLIENTS_PER_PAGE = 20


@require_safe
def alert_list(request):
    """Open alerts on the clients the user may see: filters, totals, one group per client, the most
    severe clients first."""
    form = AlertFilterForm(request.GET or None, user=request.user)
    alerts = selectors.alert_list_filter(selectors.alert_list_open(user=request.user), params=form.selector_params())
    page = Paginator(selectors.alert_client_groups(alerts), ALERT_CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portfolios/alert_list.html", {
        "form": form, "totals": selectors.alert_totals(alerts), "page": page,
        "groups": selectors.alert_groups_load(alerts, page.object_list),
        "editable_ids": set(client_list_editable(user=request.user).filter(
            pk__in=[row["client_id"] for row in page.object_list]).values_list("pk", flat=True)),
        "query": _query_except_page(request),
    })


def _query_except_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()



@require_POST
def alert_acknowledge(request, pk: int):
    alert = get_object_or_404(Alert.objects.filter(client__in=client_list_editable(user=request.user)), pk=pk)
    services.alert_acknowledge(alert=alert, user=request.user)
    messages.success(request, _("Alert acknowledged."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = _portfolio_url(alert.client_id)
    return redirect(target)


# --- Imports ----------------------------------------------------------------------------


def import_positions(request):
    access.require(access.may_import(request.user))
    return _import_page(request, kind=imports.POSITIONS)


def import_prices(request):
    # Market data: a price revalues every holder in every team, so not every importer's to set.
    access.require(access.may_edit_market_data(request.user))
    return _import_page(request, kind=imports.PRICES)


def _import_page(request, *, kind):
    """Upload → dry-run report → commit. Between the two, the file waits as a staged upload
    (``dataimport.ImportUpload``) of this user; the commit form names its checksum. The caller
    checks the user may import this kind."""
    upload_form, commit_form, report = asset_upload_form(), None, None
    if request.method == "POST" and "checksum" in request.POST:
        form = ImportCommitForm(request.POST)
        staged = form.is_valid() and engine.upload_open(kind, user=request.user,
                                                        checksum=form.cleaned_data["checksum"])
        if not staged:
            messages.error(request, _("That file is no longer waiting to be imported; upload it again."))
            return redirect(request.path)
        try:
            report = engine.upload_report(kind, engine.upload_commit(kind, upload=staged, user=request.user))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.path)
        if report.committed:
            messages.success(request, _("Imported %(file)s: %(new)s new, %(updated)s updated, %(same)s unchanged.") % {
                "file": report.file_name, "new": report.new_count, "updated": report.update_count,
                "same": report.unchanged_count})
    elif request.method == "POST":
        upload_form = asset_upload_form(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            try:
                staged = engine.upload_stage(kind, user=request.user, file_name=upload.name, content=upload.read())
            except imports.ImportFileError as error:
                upload_form.add_error("file", error)
            else:
                report = engine.upload_report(kind, staged)
                if report.ok:
                    commit_form = ImportCommitForm(initial={"checksum": staged.file_sha256})
                upload_form = asset_upload_form()
    return render(request, "portfolios/import.html", {
        "kind": kind.key, "upload_form": upload_form, "commit_form": commit_form, "report": report,
        "may_import_positions": access.may_import(request.user),
    })
