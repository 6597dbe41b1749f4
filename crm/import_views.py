"""Pages of the client import (upload → mapping → dry run → commit) and of the manual merge.

Thin views: the access check (``crm.access.may_import``; clients through
``crm.access.client_get_editable``), a service call from ``crm.imports`` or
``crm.services``, a render. Whoever may not import, or may not see a record, gets 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dataimport.engine import upload_table

from . import access, imports, selectors, services, spreadsheets
from .import_forms import ClientMergeForm, ImportDecisionsForm, ImportMappingForm, MergeChooseForm, client_upload_form
from .models import Client, ClientImport

PREVIEW_ROWS = 20


def _import_visible(user, pk: int) -> ClientImport:
    return get_object_or_404(imports.client_import_list_visible(user=user), pk=pk)


def _import_own_open(user, pk: int) -> ClientImport:
    """An import the user uploaded and has not committed yet: the only kind they may change."""
    access.require(access.may_import(user))
    return get_object_or_404(ClientImport, pk=pk, uploaded_by=user, status=ClientImport.Status.DRY_RUN)


@require_GET
def import_list(request):
    access.require(access.may_read_imports(request.user))
    uploads = imports.client_import_list_visible(user=request.user).defer("table", "report", "column_mapping")
    page = Paginator(uploads, 25).get_page(request.GET.get("page"))
    return render(request, "crm/imports/import_list.html",
                  {"page": page, "may_import": access.may_import(request.user)})


@require_http_methods(["GET", "POST"])
def import_upload(request):
    access.require(access.may_import(request.user))
    form = client_upload_form(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            client_import = imports.client_import_upload(user=request.user, file_name=upload.name, data=upload.read())
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("crm:import-mapping", pk=client_import.pk)
    return render(request, "crm/imports/upload.html", {"form": form})


@require_http_methods(["GET", "POST"])
def import_mapping(request, pk: int):
    client_import = _import_own_open(request.user, pk)
    table = upload_table(client_import)
    samples = [[cells[i] for _n, cells in table.rows[:3]] for i in range(len(table.headers))]
    form = ImportMappingForm(request.POST or None, headers=table.headers, samples=samples,
                             mapping=client_import.column_mapping)
    if request.method == "POST" and form.is_valid():
        imports.client_import_dry_run(client_import=client_import, user=request.user, mapping=form.mapping())
        return redirect("crm:import-detail", pk=client_import.pk)
    return render(request, "crm/imports/mapping.html", {
        "client_import": client_import, "form": form,
        "mapping_errors": client_import.report.get("mapping_errors", []) if request.method == "GET" else [],
    })


@require_GET
def import_detail(request, pk: int):
    client_import = _import_visible(request.user, pk)
    return render(request, "crm/imports/detail.html", _detail_context(request, client_import))


def _detail_context(request, client_import: ClientImport, form=None) -> dict:
    report = client_import.report
    rows = report.get("rows", [])
    may_commit = (client_import.status == ClientImport.Status.DRY_RUN and client_import.uploaded_by_id == request.user.pk
                  and access.may_import(request.user))
    if may_commit and form is None:
        form = ImportDecisionsForm(rows=rows)
    new_rows = [r for r in rows if not r["errors"] and "duplicate" not in r]
    return {
        "client_import": client_import,
        "summary": report.get("summary", {}),
        "result": report.get("result"),
        "mapping_errors": report.get("mapping_errors", []),
        "error_rows": [r for r in rows if r["errors"]],
        "warning_rows": [r for r in rows if r.get("warnings") and not r["errors"]],
        "new_rows": new_rows[:PREVIEW_ROWS],
        "new_more": max(0, len(new_rows) - PREVIEW_ROWS),
        "outcome_rows": [r for r in rows if r.get("outcome") not in (None, "created", "error")],
        "form": form if may_commit else None,
        "previous_import": imports.client_import_committed_before(client_import),
        "field_labels": {c.key: c.label for c in imports.CLIENT_COLUMNS},
    }


@require_POST
def import_commit(request, pk: int):
    client_import = _import_own_open(request.user, pk)
    form = ImportDecisionsForm(request.POST, rows=client_import.report.get("rows", []))
    if not form.is_valid():
        return render(request, "crm/imports/detail.html", _detail_context(request, client_import, form), status=400)
    try:
        client_import = imports.client_import_commit(
            client_import=client_import, user=request.user, decisions=form.decisions())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crm:import-detail", pk=client_import.pk)
    messages.success(request, _("Import committed. Created: %(created)d, merged: %(merged)d, skipped: %(skipped)d, "
                                "not imported because of errors: %(errors)d.") % {
        "created": client_import.created_count, "merged": client_import.updated_count,
        "skipped": client_import.skipped_count, "errors": client_import.error_count})
    return redirect("crm:import-detail", pk=client_import.pk)


@require_GET
def import_errors_download(request, pk: int):
    """The rows that have errors, as they were in the file plus an error column, to fix and upload again.
    Written through crm.spreadsheets: a cell of the uploaded file cannot come back as a live formula."""
    client_import = _import_visible(request.user, pk)
    table = upload_table(client_import)
    failing = {r["row"]: r for r in client_import.report.get("rows", []) if r["errors"]}
    rows = (
        [*cells, "; ".join(f"{e['column'] or e['field']}: {e['message']}" for e in failing[number]["errors"])]
        for number, cells in table.rows if number in failing
    )
    name = client_import.file_name.rsplit(".", 1)[0] or "import"
    return spreadsheets.spreadsheet_response(headers=[*table.headers, _("Errors")], rows=rows, file_format="csv",
                                             file_name=f"{name}-errors")


@require_http_methods(["GET", "POST"])
def client_merge(request, pk: int):
    """Merge a duplicate record into this client, choosing field by field."""
    access.require(access.may_import(request.user))
    client = access.client_get_editable(user=request.user, pk=pk)
    if client.status == Client.Status.MERGED:
        raise Http404
    other_pk = request.POST.get("other") if request.method == "POST" else request.GET.get("other")
    if not other_pk:
        return render(request, "crm/imports/client_merge.html", {
            "client": client, "choose_form": MergeChooseForm(),
            "suggestions": selectors.client_duplicate_suggestions(user=request.user, client=client),
        })
    try:
        other = access.client_get_editable(user=request.user, pk=int(other_pk))
    except ValueError:
        raise Http404
    if other.pk == client.pk or other.status == Client.Status.MERGED:
        messages.error(request, _("Choose another active record to merge into this one."))
        return redirect("crm:client-merge", pk=client.pk)
    differences = services.client_merge_differences(surviving=client, merged=other)
    form = ClientMergeForm(request.POST or None, initial={"other": other.pk}, differences=differences)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_merge(surviving=client, merged=other, user=request.user, field_choices=form.field_choices())
        except PermissionDenied:
            raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(other)s was merged into this record.") % {"other": other.legal_name})
            return redirect("crm:client-detail", pk=client.pk)
    return render(request, "crm/imports/client_merge.html", {"client": client, "other": other, "form": form})
