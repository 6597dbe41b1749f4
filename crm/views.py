"""Thin views of the client registry: access through crm.access, reads through crm.selectors,
changes through crm.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST, require_safe

from . import access, audit, masking, pagination, panels, pickers, selectors, services, spreadsheets
from .forms import (
    ClientFilterForm,
    ClientForm,
    HandoverForm,
    HouseholdCreateForm,
    HouseholdForm,
    HouseholdMemberAddForm,
    LifecycleTransitionForm,
    ReassignForm,
    SavedFilterForm,
    form_errors_add,
)
from .models import SensitiveView

PAGE_SIZE = 50


class _Page:
    """One page of a long list without COUNT(*): fetch one row more than shown to know if there is a next.
    With ``total`` known (the list's summary counted it), a page past the end shows the last one."""

    def __init__(self, queryset, number, per_page: int = PAGE_SIZE, total: int | None = None):
        try:
            self.number = max(int(number or 1), 1)
        except ValueError:
            self.number = 1
        if total is not None:
            self.number = min(self.number, max((total + per_page - 1) // per_page, 1))
        self.total = total
        start = (self.number - 1) * per_page
        rows = list(queryset[start:start + per_page + 1])
        self.object_list = rows[:per_page]
        self.has_next = len(rows) > per_page
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1
        self.start_index = start + 1 if self.object_list else 0
        self.end_index = start + len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _sort_links(request, current: str) -> dict:
    """Per sortable column: the URL that sorts by it (toggling direction) and whether it is active."""
    base = _query_without(request, "sort", *pagination.CURSOR_PARAMETERS)
    links = {}
    for name in selectors.CLIENT_SORTS:
        active = current.lstrip("-") == name
        descending = active and current.startswith("-")
        target = name if (not active or descending) else f"-{name}"
        links[name] = {"url": f"?{base}&sort={target}" if base else f"?sort={target}",
                       "active": active, "descending": descending}
    return links


def home(request):
    tiers = selectors.client_tier_summary(user=request.user)
    return render(request, "crm/home.html", {
        "client_count": sum(row["client_count"] for row in tiers),
        "tiers": tiers,
        # The book's panel takes the tier counts from here rather than counting the book again.
        "dashboard_panels": panels.render(panels.DASHBOARD, request=request, known={"tiers": tiers}),
    })


RECENT_SESSION_KEY = "crm_recent_clients"


def client_list(request):
    form = ClientFilterForm(request.GET or None, user=request.user)
    params = form.selector_params() if request.GET else {}
    clients = selectors.client_list_search(user=request.user, params=params)
    query = _query_without(request, *pagination.CURSOR_PARAMETERS)
    summary = selectors.client_list_summary(clients)
    return render(request, "crm/client_list.html", {
        "form": form,
        "summary": summary,
        "columns": selectors.client_list_columns(user=request.user),
        "column_choices": _column_choices(),
        "recent_clients": selectors.client_list_recent(user=request.user,
                                                       client_ids=request.session.get(RECENT_SESSION_KEY)),
        "page": pagination.KeysetPage(selectors.client_list_for_page(clients, total=summary["client_count"],
                                                                        searched=bool(params.get("q"))),
                                      request.GET, sort=params.get("sort") or "name",
                                      total=summary["client_count"], query=query),
        "query": query,
        "sort_links": _sort_links(request, params.get("sort") or "name"),
        "saved_filters": selectors.saved_filter_list(user=request.user),
        "save_form": SavedFilterForm(initial={"query_string": query}),
        "may_create": access.may_change_clients(request.user),
        # Each row links to its client twice (table and phone card): one reverse, not a {% url %} per link.
        "client_url_prefix": reverse("crm:client-detail", args=[0]).removesuffix("0/"),
    })


def _column_choices() -> list[tuple[str, str]]:
    labels = {"phone": _("Phone"), "rm": _("Primary RM"), "tier": _("AUM tier"), "risk": _("Risk level"),
              "lifecycle": _("Lifecycle stage"), "tags": _("Tags"), "created": pgettext("date", "Created")}
    return [(key, labels[key]) for key in selectors.CLIENT_COLUMNS]


@require_POST
def client_list_columns(request):
    """The column chooser: remember the user's columns, back to the list with its filters."""
    services.client_list_columns_save(user=request.user, columns=request.POST.getlist("columns"))
    query = request.POST.get("query", "")
    return redirect(f"{reverse('crm:client-list')}?{query}" if query else reverse("crm:client-list"))


def client_export(request):
    """The current filtered list as CSV or XLSX: only clients the user can see, as on the page.
    Written through crm.spreadsheets, so no client's data can act as a formula."""
    export_format = request.GET.get("format", "csv")
    if export_format not in spreadsheets.CONTENT_TYPES:
        raise Http404
    form = ClientFilterForm(request.GET, user=request.user)
    clients = selectors.client_list_search(user=request.user, params=form.selector_params())
    headers = [
        _("Client number"), _("Legal name"), _("Preferred name"), _("Kind"), _("ID document type"),
        _("ID document number"), _("Phone"), _("E-mail"), _("Primary RM"), _("AUM tier"), _("AUM"),
        _("AUM currency"), _("Risk level"), _("Lifecycle stage"), _("Status"), _("Tags"),
    ]
    rows = ([
        client.pk, client.legal_name, client.preferred_name, client.get_kind_display(),
        client.get_id_type_display(), masking.client_pii(user=request.user, client=client, field="id_number"),
        masking.client_pii(user=request.user, client=client, field="phone"), client.email,
        str(client.primary_manager or ""), client.get_aum_tier_display(), client.aum_total,
        client.aum_currency, client.get_risk_level_display() or _("Not assessed"),
        client.get_lifecycle_stage_display(), client.get_status_display(),
        ", ".join(tag.name for tag in client.tags.all()),
    ] for client in clients.iterator(chunk_size=2000))
    audit.sensitive_view_record(request=request, what=SensitiveView.What.CLIENT_EXPORT,
                                detail=f"{export_format}: {_query_without(request, 'format')}")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return spreadsheets.spreadsheet_response(headers=headers, rows=rows, file_format=export_format,
                                             file_name=f"clients-{stamp}")


@require_POST
def saved_filter_save(request):
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        try:
            saved = services.saved_filter_save(owner=request.user, name=form.cleaned_data["name"],
                                               query_string=form.cleaned_data["query_string"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
            return redirect(f"{reverse('crm:client-list')}?{saved.query_string}")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect(f"{reverse('crm:client-list')}?{form.data.get('query_string', '')}")


@require_POST
def saved_filter_delete(request, pk: int):
    saved = get_object_or_404(selectors.saved_filter_list(user=request.user), pk=pk)
    services.saved_filter_delete(saved_filter=saved)
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect("crm:client-list")


def client_create(request):
    access.require(access.may_change_clients(request.user))
    form = ClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        primary = form.cleaned_data.get("primary_manager")
        if "primary_manager" not in form.fields and access.is_relationship_manager(request.user):
            primary = request.user
        try:
            client = services.client_create(created_by=request.user, primary_manager=primary,
                                            tags=form.cleaned_data["tags"], **form.service_fields())
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Client %(name)s created.") % {"name": client.legal_name})
            return redirect("crm:client-detail", pk=client.pk)
    return render(request, "crm/client_form.html", {"form": form, "client": None})


def client_edit(request, pk: int):
    client = access.client_get_editable(user=request.user, pk=pk)
    form = ClientForm(request.POST or None, instance=client, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(client=client, tags=form.cleaned_data["tags"], updated_by=request.user,
                                   **form.service_fields())
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("crm:client-detail", pk=client.pk)
    return render(request, "crm/client_form.html", {"form": form, "client": client})


def client_detail(request, pk: int):
    context = selectors.client_360(user=request.user, pk=pk)
    client = context["client"]
    may_edit = access.client_visible_may_edit(user=request.user)  # the client came through the visible list
    context.update({
        "may_edit": may_edit,
        "may_reassign": may_edit and access.may_use_team_pages(request.user),
        "lifecycle_form": LifecycleTransitionForm(client=client) if may_edit else None,
        # The panels that ask whether the user may edit the client take the answer from here.
        "main_panels": panels.render(panels.CLIENT_MAIN, request=request, client=client,
                                     known={"may_edit": may_edit}),
        "side_panels": panels.render(panels.CLIENT_SIDE, request=request, client=client,
                                     known={"may_edit": may_edit}),
        "facts": panels.facts_collect(request=request, client=client),
    })
    recent = request.session.get(RECENT_SESSION_KEY)
    pushed = services.client_recent_push(recent_ids=recent, client_id=client.pk)
    if pushed != recent:  # the same client again: no session write (an UPDATE on every reload otherwise)
        request.session[RECENT_SESSION_KEY] = pushed
    audit.sensitive_view_record(request=request, what=SensitiveView.What.CLIENT_PAGE, client_id=client.pk)
    return render(request, "crm/client_detail.html", context)


def client_lifecycle(request, pk: int):
    client = access.client_get_editable(user=request.user, pk=pk)
    form = LifecycleTransitionForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            services.lifecycle_transition(client=client, to_stage=form.cleaned_data["to_stage"],
                                          reason=form.cleaned_data["reason"], changed_by=request.user)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Lifecycle stage changed."))
            return redirect("crm:client-detail", pk=client.pk)
    return render(request, "crm/client_action.html", {
        "client": client, "form": form, "title": _("Change lifecycle stage")})


def client_reassign(request, pk: int):
    access.require(access.may_use_team_pages(request.user))
    client = access.client_get_editable(user=request.user, pk=pk)
    form = ReassignForm(request.POST or None, user=request.user, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_transfer(client=client, manager=form.cleaned_data["manager"],
                                         role=form.cleaned_data["role"], reason=form.cleaned_data["reason"],
                                         assigned_by=request.user)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Relationship manager assigned."))
            return redirect("crm:client-detail", pk=client.pk)
    return render(request, "crm/client_action.html", {
        "client": client, "form": form, "title": _("Assign a relationship manager")})


# ---------------------------------------------------------------------------
# Households
# ---------------------------------------------------------------------------

def household_create(request, pk: int):
    """Open a household with this client as its first member."""
    client = access.client_get_editable(user=request.user, pk=pk)
    form = HouseholdCreateForm(request.POST or None, action=request.path,
                               initial={"name": _("%(name)s household") % {"name": client.legal_name}})
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(
                name=form.cleaned_data["name"], notes=form.cleaned_data["notes"], first_member=client,
                relationship=form.cleaned_data["relationship"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Household created."))
            return redirect("crm:household-detail", pk=household.pk)
    return render(request, "crm/client_action.html", {"client": client, "form": form, "title": _("New household")})


def _household_page(request, household, *, add_form=None, status=200):
    context = selectors.household_with_members(user=request.user, household=household)
    may_edit = access.household_may_edit(user=request.user, household_id=household.pk)
    # Remove buttons for the members whose client the user may edit, even in a household they may not
    # rename: taking one's own client out needs no access to the other members.
    removable_ids = set(
        access.household_member_list_removable(user=request.user)
        .filter(pk__in=[m.pk for m in context["members"]]).values_list("client_id", flat=True)
    )
    context.update({
        "may_edit": may_edit,
        "editable_client_ids": removable_ids,
        "add_form": add_form or (HouseholdMemberAddForm(user=request.user, household=household) if may_edit
                                 else None),
    })
    return render(request, "crm/household_detail.html", context, status=status)


def household_detail(request, pk: int):
    household = access.household_get_visible(user=request.user, pk=pk)
    return _household_page(request, household)


def household_edit(request, pk: int):
    household = access.household_get_editable(user=request.user, pk=pk)
    form = HouseholdForm(request.POST or None, instance=household, action=request.path)
    if request.method == "POST" and form.is_valid():
        services.household_update(household=household, name=form.cleaned_data["name"],
                                  notes=form.cleaned_data["notes"])
        messages.success(request, _("Changes saved."))
        return redirect("crm:household-detail", pk=household.pk)
    return render(request, "crm/household_form.html", {"household": household, "form": form})


def household_member_add(request, pk: int):
    household = access.household_get_editable(user=request.user, pk=pk)
    form = HouseholdMemberAddForm(request.POST or None, user=request.user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.household_member_add(household=household, client=form.cleaned_data["client"],
                                                   relationship=form.cleaned_data["relationship"])
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("%(name)s added to the household.") % {"name": member.client.legal_name})
            return redirect("crm:household-detail", pk=household.pk)
    return _household_page(request, household, add_form=form)


@require_POST
def household_member_remove(request, pk: int, member_pk: int):
    member = access.household_member_get_removable(user=request.user, household_id=pk, pk=member_pk)
    remaining = services.household_member_remove(member=member)
    messages.success(request, _("%(name)s removed from the household.") % {"name": member.client.legal_name})
    if remaining is None:
        return redirect("crm:client-detail", pk=member.client_id)
    return redirect("crm:household-detail", pk=pk)


# ---------------------------------------------------------------------------
# Team lead pages
# ---------------------------------------------------------------------------

def workload(request):
    access.require(access.may_use_team_pages(request.user))
    return render(request, "crm/workload.html", selectors.manager_workload(user=request.user))


def _handover_mapping(post) -> dict[int, int]:
    mapping = {}
    for key, value in post.items():
        if key.startswith("target-") and key[7:].isdigit() and value.isdigit():
            mapping[int(key[7:])] = int(value)
    return mapping


def handover(request):
    """Step one (form) and two (preview) of a bulk handover; the preview posts to handover-confirm."""
    access.require(access.may_use_team_pages(request.user))
    form = HandoverForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        plan = selectors.handover_plan(
            user=request.user, leaving_manager=form.cleaned_data["leaving_manager"],
            targets=form.cleaned_data["targets"], client_ids=form.client_ids(),
        )
        if plan:
            return render(request, "crm/handover_preview.html", {
                "form": form, "plan": plan, "targets": form.cleaned_data["targets"],
                "hidden_fields": [(name, value) for name, values in form.data.lists() if name in form.fields
                                  for value in values],
            })
        form.add_error(None, _("There are no clients to hand over."))
    return render(request, "crm/handover.html", {"form": form})


@require_POST
def handover_confirm(request):
    access.require(access.may_use_team_pages(request.user))
    form = HandoverForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            moved = services.assignment_handover_bulk(
                user=request.user, leaving_manager=form.cleaned_data["leaving_manager"],
                targets=form.cleaned_data["targets"], reason=form.cleaned_data["reason"],
                client_ids=form.client_ids(), mapping=_handover_mapping(request.POST),
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, ngettext(
                "%(count)d client handed over.", "%(count)d clients handed over.", len(moved)) % {
                "count": len(moved)})
            return redirect("crm:workload")
    return render(request, "crm/handover.html", {"form": form})


@require_safe
def client_recent(request):
    """The user's recently viewed clients they may still see, as JSON for the navbar's search box."""
    clients = selectors.client_list_recent(user=request.user, client_ids=request.session.get(RECENT_SESSION_KEY))
    return JsonResponse({"results": [{"name": c.display_name, "number": c.pk,
                                      "url": reverse("crm:client-detail", args=[c.pk])} for c in clients]})


@require_safe
def client_pick(request):
    """Picker suggestions as JSON: clients matching ``q`` that the user may see, or edit with
    ``scope=editable`` (crm.pickers)."""
    clients = pickers.client_pick_list(user=request.user, term=request.GET.get("q", "")[:200],
                                       editable=request.GET.get("scope") == "editable")
    return JsonResponse({"results": [{"id": c.pk, "text": pickers.client_pick_label(c)} for c in clients]})
