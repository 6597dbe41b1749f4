"""The client review report as a printable page and as a PDF: thin views over
``review_report.client_review_report`` (access through crm.access: another RM's client is a 404).

Both are sensitive views of a client's data, logged with crm.audit like crm's client export."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from crm import audit
from crm.models import SensitiveView

from . import review_pdf
from .review_report import client_review_report


def _record(request, report: dict, what: str) -> None:
    audit.sensitive_view_record(request=request, what=SensitiveView.What.CLIENT_EXPORT,
                                client_id=report["client"].pk, detail=f"review report: {what}")


@require_safe
def client_review(request, pk: int):
    report = client_review_report(user=request.user, pk=pk)
    _record(request, report, "page")
    return render(request, "reports/review_report.html", report)


@require_safe
def client_review_pdf(request, pk: int):
    report = client_review_report(user=request.user, pk=pk)
    _record(request, report, "pdf")
    response = HttpResponse(review_pdf.review_pdf_bytes(report), content_type="application/pdf")
    file_name = f"review-{report['client'].pk}-{report['report_date']:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{file_name}"'
    return response
