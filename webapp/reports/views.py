"""The board report, as a page and as a Word document (organisers and viewers: no personal data)."""
from __future__ import annotations

from flask import Blueprint, Response, render_template

from webapp import lookups
from webapp.auth.access import readers
from webapp.reports.services import THEMES_NOTE, board_report, chart_alt_text, percent

bp = Blueprint("reports", __name__, url_prefix="/organiser")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/programmes/<int:programme_id>/report")
@readers
def report(programme_id: int):
    data = board_report(lookups.programme_or_404(programme_id))
    return render_template("reports/report.html", report=data, programme=data.programme, percent=percent,
                           alt_text=chart_alt_text(data), themes_note=THEMES_NOTE)


@bp.route("/programmes/<int:programme_id>/report.docx")
@readers
def report_docx(programme_id: int):
    # python-docx (about 8 MB) is loaded by the processes that write a report, not by every one.
    from webapp.reports.docx import build_docx

    programme = lookups.programme_or_404(programme_id)
    return Response(build_docx(board_report(programme)), mimetype=DOCX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{programme.slug}-board-report.docx"'})
