"""The audit pages: a client's History tab, compliance's search over every change (and its
export), and the log of views of sensitive data. Read-only: GET only, nothing here writes a change."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import access, audit, spreadsheets
from .audit_forms import ChangeFilterForm, ViewFilterForm
from .models import SensitiveView
from .views import _Page, _query_without

EXPORT_LIMIT = 50_000  # rows of one audit export; narrow the filters for more
EXPORT_CHUNK = 500


def _entries_page(request, entries, *, masked: bool = False):
    page = _Page(entries, request.GET.get("page"))
    page.object_list = audit.entries_resolve(page.object_list, masked=masked)
    return page


@require_safe
def client_history(request, pk: int):
    """Every recorded change of the client and its records (portfolio, risk, contacts…), newest first."""
    client = access.client_get_visible(user=request.user, pk=pk)
    # A team lead reads a team member's client with ID and phone numbers masked, as on its page.
    masked = not access.may_see_full_pii(user=request.user, client=client)
    page = _entries_page(request, audit.history_entries(client_id=client.pk), masked=masked)
    return render(request, "crm/audit/client_history.html", {
        "client": client, "page": page, "query": _query_without(request, "page")})


@require_safe
def audit_changes(request):
    access.require(access.may_read_audit(request.user))
    form = ChangeFilterForm(request.GET)
    page = _entries_page(request, audit.history_entries(**form.selector_params()))
    return render(request, "crm/audit/changes.html", {
        "form": form, "page": page, "query": _query_without(request, "page", "format")})


@require_safe
def audit_changes_export(request):
    """The filtered changes as CSV or XLSX, one row per changed field, through crm.spreadsheets
    (formula-safe); the export itself is logged as a view of sensitive data."""
    access.require(access.may_read_audit(request.user))
    file_format = request.GET.get("format", "csv")
    if file_format not in spreadsheets.CONTENT_TYPES:
        file_format = "csv"
    form = ChangeFilterForm(request.GET)
    entries = audit.history_entries(**form.selector_params())
    audit.sensitive_view_record(request=request, what=SensitiveView.What.AUDIT_EXPORT,
                                detail=f"{file_format}: {_query_without(request, 'format')}")
    headers = [_("When"), _("Staff member"), _("Action"), _("Record"), _("Record number"), _("Client number"),
               _("Client"), _("Field"), _("Old value"), _("New value"), _("Reason"), _("IP address"), _("Request")]

    def rows():
        for start in range(0, EXPORT_LIMIT, EXPORT_CHUNK):
            chunk = list(entries[start:start + EXPORT_CHUNK])
            for entry in audit.entries_resolve(chunk):
                common = [timezone.localtime(entry.when).strftime("%Y-%m-%d %H:%M:%S"), str(entry.user or ""),
                          str(entry.kind_label), str(entry.source.label), entry.object_id, entry.client_id,
                          entry.client_name]
                tail = [entry.reason, entry.ip_address or "", entry.request_id]
                for change in entry.changes or [None]:
                    yield [*common, *((change.field, change.old, change.new) if change else ("", "", "")), *tail]
            if len(chunk) < EXPORT_CHUNK:
                return

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return spreadsheets.spreadsheet_response(headers=headers, rows=rows(), file_format=file_format,
                                             file_name=f"audit-trail-{stamp}")


@require_safe
def audit_views(request):
    """Who opened which client's page, portfolio or export, and when."""
    access.require(access.may_read_audit(request.user))
    form = ViewFilterForm(request.GET)
    page = _Page(audit.sensitive_view_list(**form.selector_params()), request.GET.get("page"))
    return render(request, "crm/audit/views.html", {
        "form": form, "page": page, "query": _query_without(request, "page")})
