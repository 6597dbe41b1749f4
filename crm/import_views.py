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
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dataimport.engine import upload_table

from . import access, imports, selectors, services, spreadsheets
from .import_forms import ClientMergeForm, ImportDecisionsForm, ImportMappingForm, MergeChooseForm, client_upload_form
from .models import Client, ClientImport

PREVIEW_ROWS = 20
PREVIEW_ERRORS = 100  # the download has every row with an error
DUPLICATES_PER_PAGE = 50
OUTCOMES_PER_PAGE = 100
ROWS_PER_PAGE = 100
# A row's outcome and the result count it adds to: one vocabulary for the message, the history and the table.
OUTCOMES = {"created": gettext_lazy("Created"), "merged": gettext_lazy("Merged"), "skipped": gettext_lazy("Skipped"),
            "error": gettext_lazy("Not imported (errors)")}
RESULT_KEYS = {"created": "created", "merged": "updated", "skipped": "skipped", "error": "errors"}


def _import_visible(user, pk: int, *, with_table: bool = False) -> ClientImport:
    """An import the user may read; its rows as read (as large as the file) only when asked for."""
    imports_visible = imports.client_import_list_visible(user=user)
    return get_object_or_404(imports_visible if with_table else imports_visible.defer("table"), pk=pk)


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


def _duplicates(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not r["errors"] and "duplicate" in r]


def _may_commit(request, client_import: ClientImport) -> bool:
    return (client_import.status == ClientImport.Status.DRY_RUN and client_import.uploaded_by_id == request.user.pk
            and access.may_import(request.user))


def _detail_context(request, client_import: ClientImport, form=None, duplicates_page=None) -> dict:
    """The check's report (a page of duplicates to decide on) or, once committed, its outcome
    (a page of rows with the outcome chosen); each page's size is bounded however long the file."""
    report = client_import.report
    rows = report.get("rows", [])
    result = report.get("result")
    may_commit = _may_commit(request, client_import)
    if may_commit and form is None:
        duplicates_page = Paginator(_duplicates(rows), DUPLICATES_PER_PAGE).get_page(request.GET.get("page"))
        form = ImportDecisionsForm(rows=rows, shown=list(duplicates_page), saved=client_import.decisions)
    new_rows = [r for r in rows if not r["errors"] and "duplicate" not in r]
    error_rows = [r for r in rows if r["errors"]]
    context = {
        "client_import": client_import,
        "summary": report.get("summary", {}),
        "result": result,
        "warnings": report.get("warnings", []),
        "mapping_errors": report.get("mapping_errors", []),
        "error_rows": error_rows[:PREVIEW_ERRORS],
        "error_more": max(0, len(error_rows) - PREVIEW_ERRORS),
        "new_rows": new_rows[:PREVIEW_ROWS],
        "new_more": max(0, len(new_rows) - PREVIEW_ROWS),
        "form": form if may_commit else None,
        "duplicates_page": duplicates_page if may_commit else None,
        "previous_import": imports.client_import_committed_before(client_import),
        "may_use_team_pages": access.may_use_team_pages(request.user),
    }
    if result is not None:
        outcome = request.GET.get("outcome") if request.GET.get("outcome") in OUTCOMES else ""
        shown = [r for r in rows if r.get("outcome") == outcome] if outcome else rows
        context.update(
            outcome=outcome, outcome_query=urlencode({"outcome": outcome}) if outcome else "",
            outcomes_page=Paginator(shown, OUTCOMES_PER_PAGE).get_page(request.GET.get("page")),
            outcome_counts=[(key, label, result.get(RESULT_KEYS[key], 0)) for key, label in OUTCOMES.items()],
        )
    return context


@require_POST
def import_commit(request, pk: int):
    """Save the choices posted for the duplicates (one kind at a time, or the rows of one page), then
    commit, or go to another page of duplicates ("goto"), or stay ("save")."""
    client_import = _import_own_open(request.user, pk)
    rows = client_import.report.get("rows", [])
    duplicates_page = Paginator(_duplicates(rows), DUPLICATES_PER_PAGE).get_page(request.POST.get("page"))
    form = ImportDecisionsForm(request.POST, rows=rows, shown=list(duplicates_page), saved=client_import.decisions)
    if not form.is_valid():
        return render(request, "crm/imports/detail.html",
                      _detail_context(request, client_import, form, duplicates_page), status=400)
    imports.client_import_decisions_save(client_import=client_import, user=request.user, bulk=form.bulk(),
                                         decisions=form.decisions())
    if "goto" in request.POST or "save" in request.POST:
        page = request.POST.get("goto") or duplicates_page.number
        if "save" in request.POST:
            messages.success(request, _("Your choices are saved; they are applied when you commit the import."))
        return redirect(f"{reverse('crm:import-detail', kwargs={'pk': client_import.pk})}?{urlencode({'page': page})}"
                        "#duplicates")
    try:
        client_import = imports.client_import_commit(client_import=client_import, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("crm:import-detail", pk=client_import.pk)
    messages.success(request, _("Import committed. Created: %(created)d, merged: %(merged)d, skipped: %(skipped)d, "
                                "not imported because of errors: %(errors)d.") % {
        "created": client_import.created_count, "merged": client_import.updated_count,
        "skipped": client_import.skipped_count, "errors": client_import.error_count})
    return redirect("crm:import-detail", pk=client_import.pk)


@require_GET
def import_rows(request, pk: int):
    """Every row of the file with its cleaned values, a page at a time (the download has them all)."""
    client_import = _import_visible(request.user, pk)
    fields = _cleaned_fields(client_import)
    page = Paginator(client_import.report.get("rows", []), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "crm/imports/rows.html", {
        "client_import": client_import, "page": page,
        "columns": [(f, imports.COLUMNS_BY_KEY[f].label) for f in fields],
        "table": [(row, [_cell(row.get("values", {}).get(f)) for f in fields], _row_status(row)) for row in page],
    })


@require_GET
def import_rows_download(request, pk: int, file_format: str):
    """Every row's cleaned values as CSV or XLSX, written through crm.spreadsheets (no cell comes back
    as a live formula), with what the check (or the commit) makes of the row."""
    client_import = _import_visible(request.user, pk)
    fields = _cleaned_fields(client_import)
    rows = (
        [row["row"], _row_status(row), *[_cell(row.get("values", {}).get(f)) for f in fields],
         "; ".join(f"{e['column'] or e['field']}: {e['message']}" for e in row["errors"]),
         " ".join(row.get("warnings", []))]
        for row in client_import.report.get("rows", [])
    )
    headers = [_("Row"), _("Status"), *[imports.COLUMNS_BY_KEY[f].label for f in fields], _("Errors"), _("Notes")]
    name = client_import.file_name.rsplit(".", 1)[0] or "import"
    return spreadsheets.spreadsheet_response(headers=headers, rows=rows, file_format=file_format,
                                             file_name=f"{name}-cleaned")


def _cleaned_fields(client_import: ClientImport) -> list[str]:
    """The client fields the rows' cleaned values fill, in the order of the columns."""
    filled = {f for row in client_import.report.get("rows", []) for f in row.get("values", {})}
    return [c.key for c in imports.CLIENT_COLUMNS if c.key in filled]


def _cell(value):
    return ", ".join(value) if isinstance(value, list) else value


def _row_status(row: dict) -> str:
    """What becomes of a row, in the words of the result's counts (or, before the commit, the check's)."""
    if row.get("outcome"):
        return str(OUTCOMES[row["outcome"]])
    if row["errors"]:
        return _("Error")
    duplicate = row.get("duplicate")
    if duplicate is None:
        return _("New client")
    if duplicate["source"] == "registry":
        return _("Duplicate of %(name)s (no. %(number)d)") % {"name": duplicate["client_name"],
                                                              "number": duplicate["client_id"]}
    return _("Duplicate of row %(row)d") % {"row": duplicate["row"]}


@require_GET
def import_errors_download(request, pk: int):
    """The rows that have errors, as they were in the file plus an error column, to fix and upload again.
    Written through crm.spreadsheets: a cell of the uploaded file cannot come back as a live formula."""
    client_import = _import_visible(request.user, pk, with_table=True)
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
