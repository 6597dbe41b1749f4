"""The client review report as an A4 PDF (reportlab), from ``review_report.client_review_report``'s
dictionary, in the active language.

Text is set in reportlab's built-in CID font STSong-Light: the PDF viewer supplies the glyphs, so
Chinese and Latin text render without shipping a font file. The PDF has the printable page's
sections, each kept on one page where it fits; every page's footer carries the disclaimer, the
client's name, the report date and the page number (the RM is named under the title).
"""

from dataclasses import dataclass
from functools import cache
from io import BytesIO
from xml.sax.saxutils import escape

from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
MARGIN = 18 * mm
GRID = colors.Color(0.55, 0.55, 0.55)
HEADER_FILL = colors.Color(0.9, 0.9, 0.9)  # light grey: reads in black and white


def _styles() -> dict[str, ParagraphStyle]:
    """The styles for the active language: Chinese text wraps between any two characters, English
    text between words (so an English word is never broken)."""
    return _styles_for(translation.get_language() or "en")


@cache
def _styles_for(language: str) -> dict[str, ParagraphStyle]:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    wrap = "CJK" if language.startswith("zh") else None
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13.5, wordWrap=wrap)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=11),
        "footer": ParagraphStyle("footer", parent=body, fontSize=7, leading=9),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11),
        "cell_right": ParagraphStyle("cell_right", parent=body, fontSize=8.5, leading=11, alignment=2),
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=24, spaceAfter=2 * mm),
        "h2": ParagraphStyle("h2", parent=body, fontSize=12.5, leading=17, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "h3": ParagraphStyle("h3", parent=body, fontSize=10.5, leading=14, spaceBefore=3 * mm, spaceAfter=1 * mm),
    }


def _p(text, style: str = "body") -> Paragraph:
    return Paragraph(escape(str(text)), _styles()[style])


def money(amount) -> str:
    return floatformat(amount, "2g")


def signed(text: str, number) -> str:
    """``text`` (a formatted number) with a plus sign when the number is positive, as the page shows it."""
    return f"+{text}" if number > 0 else text


# --- The report's text, in the active language ------------------------------------------


# Only ASCII punctuation and CJK in the PDF's own text: a viewer without the Adobe Asian fonts draws
# STSong-Light with a substitute that lacks some signs (the middle dot) and sets others full width.
SEPARATOR = "   |   "


def title(report: dict) -> str:
    return _("Client review: %(name)s") % {"name": report["client"].display_name}


def meta_line(report: dict) -> str:
    return SEPARATOR.join([_("Report date: %(date)s") % {"date": report["report_date"].isoformat()},
                           _("Relationship manager: %(manager)s") % {"manager": report["manager"] or "-"}])


def footer(report: dict) -> str:
    return SEPARATOR.join([title(report), _("Report date: %(date)s") % {"date": report["report_date"].isoformat()}])


def risk_lines(report: dict) -> list[str]:
    client = report["client"]
    if not client.risk_level:
        return [_("Risk level: not assessed."),
                _("Next review due %(date)s") % {"date": report["next_review_on"].isoformat()}]
    lines = [_("Risk level: %(level)s") % {"level": client.get_risk_level_display()},
             _("Basis: %(basis)s") % {"basis": client.get_risk_level_basis_display() or "—"}]
    if client.risk_assessed_on:
        lines.append(_("Recorded on %(date)s") % {"date": client.risk_assessed_on.isoformat()})
    if client.risk_valid_until:
        valid_until = client.risk_valid_until.isoformat()
        lines.append(_("Expired: was valid until %(date)s") % {"date": valid_until}
                     if client.risk_assessment_expired else _("Valid until %(date)s") % {"date": valid_until})
    assessment = report["assessment"]
    if assessment is not None:
        lines.append(_("Last assessment %(date)s, score %(score)s, %(channel)s") % {
            "date": timezone.localdate(assessment.completed_at).isoformat(), "score": assessment.score,
            "channel": assessment.get_channel_display()})
    lines.append(_("Next review due %(date)s") % {"date": report["next_review_on"].isoformat()})
    return lines


def risk_flags(report: dict) -> list[str]:
    assessment = report["assessment"]
    return [rule.message for rule in assessment.flagged_rules.all()] if assessment is not None else []


def aum_line(report: dict) -> str:
    summary = report["summary"]
    return _("Assets under management %(amount)s %(currency)s, valued on %(date)s") % {
        "amount": money(summary.aum_base), "currency": summary.base_currency, "date": summary.on_date.isoformat()}


def allocation_table(report: dict) -> tuple[list[str], list[list[str]], set[int]]:
    """Header, rows and the indexes of rows outside their band; without a target, the classes held."""
    summary = report["summary"]
    if not summary.has_target:
        return ([_("Asset class"), _("Amount"), _("Actual %")],
                [[total.label, money(total.amount_base), floatformat(total.weight, 2)]
                 for total in summary.by_asset_class], set())
    rows, marked = [], set()
    for index, row in enumerate(summary.allocation_rows):
        drift = signed(floatformat(row.drift, 2), row.drift)
        if row.outside_band:
            marked.add(index)
            drift = f"{drift} ({_('outside band')})"
        rows.append([row.label, money(row.amount_base), floatformat(row.actual, 2), floatformat(row.target, -2),
                     f"{floatformat(row.band_low, -2)} - {floatformat(row.band_high, -2)}", drift])
    header = [_("Asset class"), _("Amount"), _("Actual %"), _("Target %"), _("Band"), _("Drift")]
    return header, rows, marked


@dataclass(frozen=True)
class TableText:
    heading: str
    header: list[str]
    rows: list[list[str]]
    widths: list[float]
    right: frozenset[int]
    empty: str = ""  # shown instead of a table without rows


def _pct(value) -> str:
    return "-" if value is None else f"{value}%"


def performance_tables(report: dict) -> list[TableText]:
    """The performance section's tables: year to date and 12 months, the months, P/L by asset class."""
    performance = report["performance"]
    periods = []
    for label, period in performance.periods:
        if period.is_partial:
            label = f"{label} ({_('since %(date)s') % {'date': period.since.isoformat()}})"
        if period.has_data:
            periods.append([label, _pct(period.twr_pct), money(period.start_value), money(period.contributions),
                            money(period.withdrawals), money(period.market_movement), money(period.end_value)])
        else:
            periods.append([label, _("Not enough valuations in this period."), "", "", "", "", ""])
    months = [[month.month.strftime("%Y-%m"), _pct(month.twr_pct), money(month.net_flows),
               money(month.market_movement), money(month.end_value)] if month.has_data
              else [month.month.strftime("%Y-%m"), "-", "", "", ""] for month in report["performance_months"]]
    pnl = [[total.label, money(total.cost_base), money(total.market_value_base), money(total.pnl_base),
            _pct(total.pnl_pct)] for total in performance.pnl.by_asset_class]
    if pnl:
        total = performance.pnl.total
        pnl.append([f"{_('Total')} ({performance.pnl.currency})", money(total.cost_base),
                    money(total.market_value_base), money(total.pnl_base), _pct(total.pnl_pct)])
    return [
        TableText("", [_("Period"), _("Return"), _("Start value"), _("Contributions"), _("Withdrawals"),
                       _("Market movement"), _("End value")], periods,
                  [0.24, 0.1, 0.13, 0.13, 0.13, 0.14, 0.13], frozenset({1, 2, 3, 4, 5, 6})),
        TableText(_("Monthly returns"), [_("Month"), _("Return"), _("Net flows"), _("Market movement"), _("End value")],
                  months if performance.has_history else [], [0.16, 0.14, 0.22, 0.24, 0.24], frozenset({1, 2, 3, 4}),
                  empty=_("No valuation history yet: returns appear once the portfolio has been valued on two days.")),
        TableText(_("Unrealised profit and loss by asset class"),
                  [_("Asset class"), _("Cost"), _("Market value"), _("P/L"), "%"], pnl,
                  [0.3, 0.19, 0.19, 0.19, 0.13], frozenset({1, 2, 3, 4}),
                  empty=performance.pnl_error or _("No holdings recorded yet.")),
    ]


def goals_table(report: dict) -> tuple[list[str], list[list[str]]]:
    header = [_("Goal"), _("Horizon"), _("Target date"), _("Target"), _("Funded"), _("Monthly saving needed")]
    rows = [[f"{goal.name} ({goal.get_kind_display()})", progress.horizon_label, goal.target_date.isoformat(),
             f"{money(progress.target_amount)} {progress.currency}", f"{progress.funded_ratio}%",
             f"{money(progress.monthly_saving)} {progress.currency}"] for goal, progress in report["goals"]]
    return header, rows


def suitability_line(report: dict) -> str:
    client = report["client"]
    if client.risk_assessment_valid():
        return _("The client's level %(level)s suits products rated up to %(highest)s.") % {
            "level": client.get_risk_level_display(), "highest": report["rating_highest"]}
    return _("Without a valid questionnaire assessment only products rated %(highest)s suit the client.") % {
        "highest": report["rating_highest"]}


def flags_table(report: dict) -> tuple[list[str], list[list[str]]]:
    header = [_("Product"), _("Rating"), _("Account"), _("Status")]
    rows = []
    for flag in report["suitability_flags"]:
        if flag.resolved:
            status = _("Exception acknowledged by the client on %(date)s") % {
                "date": flag.exception.client_acknowledged_on.isoformat()}
        else:
            status = _("Above the client's level, no exception recorded")
        rows.append([f"{flag.instrument_code} {flag.instrument_name}", flag.rating, flag.account, status])
    return header, rows


def exceptions_table(report: dict) -> tuple[list[str], list[list[str]]]:
    header = [_("Recorded"), _("Product"), _("Client's level then"), _("Reason"), _("Client acknowledged")]
    rows = [[timezone.localdate(exception.recorded_at).isoformat(),
             f"{exception.instrument.code}, {exception.product_rating}",
             exception.client_risk_level or "-", exception.reason, exception.client_acknowledged_on.isoformat()]
            for exception in report["suitability_exceptions"]]
    return header, rows


def _table(header: list[str], rows: list[list], *, right: set[int] = frozenset(), widths=None,
           marked: set[int] = frozenset()) -> Table:
    """A table with a grey header row; ``widths`` are the columns' shares of the line; columns in
    ``right`` aligned right; rows in ``marked`` (by index in ``rows``) set off with a heavier rule
    and a light fill, as the page marks them in bold."""
    def cell(value, column):
        return _p(value, "cell_right" if column in right else "cell")

    data = [[cell(value, column) for column, value in enumerate(header)]]
    data += [[cell(value, column) for column, value in enumerate(row)] for row in rows]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for index in marked:
        style += [("BOX", (0, index + 1), (-1, index + 1), 1.2, colors.black),
                  ("BACKGROUND", (0, index + 1), (-1, index + 1), colors.Color(0.95, 0.95, 0.95))]
    frame = A4[0] - 2 * MARGIN
    return Table(data, colWidths=[frame * share for share in widths] if widths else None, repeatRows=1,
                 style=TableStyle(style), hAlign="LEFT")


def _section(heading: str, flowables: list) -> list:
    """A section kept on one page when it fits (a long table goes on over the next, its header repeated)."""
    return [KeepTogether([_p(heading, "h2"), *flowables])]


def _profile(report: dict) -> list:
    width = A4[0] - 2 * MARGIN
    rows = [[_p(row.label, "cell"), _p(row.value, "cell")] for row in report["profile"]]
    table = Table(rows, colWidths=[width * 0.35, width * 0.65], hAlign="LEFT", style=TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return _section(_("Client profile"), [table])


def _risk(report: dict) -> list:
    lines = [_p(line) for line in risk_lines(report)]
    for message in risk_flags(report):
        lines.append(_p(f"- {message}", "small"))
    return _section(_("Risk level"), lines)


def _allocation(report: dict) -> list:
    summary = report["summary"]
    if summary is None:
        return _section(_("Allocation vs target"), [_p(report["fx_error"])])
    flowables = [_p(aum_line(report))]
    if summary.has_target:
        flowables.append(_p(_("Model allocation for %(level)s, version %(version)s") % {
            "level": report["client"].risk_level, "version": summary.allocation_version}, "small"))
        header, rows, marked = allocation_table(report)
        flowables.append(_table(header, rows, right={1, 2, 3, 4, 5}, marked=marked,
                                widths=[0.27, 0.17, 0.12, 0.12, 0.13, 0.19]))
    else:
        flowables.append(_p(summary.no_target_reason))
        header, rows, _marked = allocation_table(report)
        flowables.append(_table(header, rows, right={1, 2}, widths=[0.5, 0.3, 0.2]))
    return _section(_("Allocation vs target"), flowables)


def _performance(report: dict) -> list:
    flowables = [_p(_("Time-weighted return in %(currency)s; contributions and withdrawals are not counted as "
                      "gains or losses.") % {"currency": report["performance"].currency}, "small")]
    for table in performance_tables(report):
        if table.heading:
            flowables.append(_p(table.heading, "h3"))
        if table.rows:
            flowables.append(_table(table.header, table.rows, right=table.right, widths=table.widths))
        else:
            flowables.append(_p(table.empty))
    return _section(_("Performance of AUM"), flowables)


def _goals(report: dict) -> list:
    header, rows = goals_table(report)
    if not rows:
        return _section(_("Goals"), [_p(_("No goals recorded."))])
    return _section(_("Goals"), [_table(header, rows, right={3, 4, 5}, widths=[0.24, 0.18, 0.13, 0.17, 0.12, 0.16])])


def _suitability(report: dict) -> list:
    flowables = [_p(suitability_line(report))]
    header, rows = flags_table(report)
    if rows:
        flowables.append(_table(header, rows, widths=[0.3, 0.09, 0.26, 0.35]))
    else:
        flowables.append(_p(_("Every holding suits the client's risk level.")))
    header, rows = exceptions_table(report)
    if rows:
        flowables += [_p(_("Exceptions on record"), "h3"), _table(header, rows, widths=[0.14, 0.2, 0.16, 0.32, 0.18])]
    return _section(_("Suitability notes"), flowables)


def review_pdf_bytes(report: dict) -> bytes:
    """The report as a PDF document (A4, portrait)."""
    styles = _styles()
    buffer = BytesIO()
    heading = title(report)
    footer_left = footer(report)
    disclaimer = str(report["disclaimer"])

    def decorate(canvas, document):
        """Every page's footer: a rule, the disclaimer (a page may be handed on alone), the client, the
        report date and the page number."""
        canvas.saveState()
        canvas.setStrokeColor(GRID)
        canvas.line(MARGIN, 19 * mm, A4[0] - MARGIN, 19 * mm)
        note = Paragraph(escape(disclaimer), styles["footer"])
        _width, height = note.wrap(A4[0] - 2 * MARGIN, 10 * mm)
        note.drawOn(canvas, MARGIN, 18 * mm - height)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.black)
        canvas.drawString(MARGIN, 8 * mm, footer_left)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, _("Page %(page)s") % {"page": document.page})
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=24 * mm, title=heading, author=str(report["manager"] or ""),
                                 subject=_("Client review report"))
    story = [
        Paragraph(escape(heading), styles["title"]),
        _p(meta_line(report)),
        Spacer(1, 2 * mm),
        *_profile(report),
        *_risk(report),
        *_allocation(report),
        *_performance(report),
        *_goals(report),
        *_suitability(report),
    ]
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
