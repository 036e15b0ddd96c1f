"""Downloads: the workbook (readers; Attendance only for managers) and CSV files.

Views only check who may have what, record the export and send the file; building
happens in workbook.py and csv_files.py."""
from __future__ import annotations

import tempfile

from flask import Blueprint, request, send_file
from flask_login import current_user

from webapp.auth.access import managers_only, readers
from webapp.audit import AuditAction, record_export
from webapp.db_types import utcnow
from webapp.exports import csv_files
from webapp.exports.workbook import build_workbook, filename_for
from webapp.programmes.services import get_programme_or_404
from webapp.results import services as results
from webapp.results.forms import ExportFilterForm
from webapp.results.views import render_programme_results

bp = Blueprint("exports", __name__, url_prefix="/organiser")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 4 * 1024 * 1024


def _filters(programme):
    """The filter form from the query string; None (and the page again) when it has errors."""
    form = ExportFilterForm(results.select_sessions(programme), formdata=request.args)
    return form, (form.to_filter() if form.validate() else None)


def _send(file, name: str, mimetype: str, personal: bool):
    file.seek(0)
    response = send_file(file, mimetype=mimetype, as_attachment=True, download_name=name,
                         max_age=0, conditional=False, etag=False)
    # Never kept by a browser or a proxy (personal data, or at least every comment).
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/programmes/<int:programme_id>/workbook.xlsx")
@readers
def workbook(programme_id: int):
    programme = get_programme_or_404(programme_id)
    form, filters = _filters(programme)
    if filters is None:
        return render_programme_results(programme, export_form=form, status=400)
    now = utcnow()
    include_attendance = current_user.can_manage
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    info = build_workbook(programme, file, include_attendance=include_attendance, filters=filters, now=now)
    record_export(current_user, AuditAction.EXPORT_WORKBOOK, programme,
                  f"{info.responses} responses, {info.sessions} sessions, "
                  f"attendance {'included' if include_attendance else 'omitted'}; filters: {filters.describe()}")
    return _send(file, filename_for(programme, now), XLSX, personal=include_attendance)


def _csv(programme_id: int, lines_for, what: str, action: AuditAction, personal: bool):
    """A CSV download: `lines_for(programme, filters)` gives its lines."""
    programme = get_programme_or_404(programme_id)
    form, filters = _filters(programme)
    if filters is None:
        return render_programme_results(programme, export_form=form, status=400)
    now = utcnow()
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    file.write(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then reads accents correctly
    for chunk in lines_for(programme, filters):
        file.write(chunk.encode("utf-8"))
    record_export(current_user, action, programme)
    return _send(file, csv_files.csv_filename(programme, what, now), "text/csv; charset=utf-8", personal)


@bp.route("/programmes/<int:programme_id>/responses.csv")
@readers
def responses_csv(programme_id: int):
    full_detail = current_user.can_manage  # viewers: rare "about you" answers hidden
    return _csv(programme_id, lambda programme, filters: csv_files.responses_csv(programme, filters, full_detail),
                "responses", AuditAction.EXPORT_RESPONSES_CSV, personal=False)


@bp.route("/programmes/<int:programme_id>/attendance.csv")
@managers_only
def attendance_csv(programme_id: int):
    return _csv(programme_id, csv_files.attendance_csv, "attendance", AuditAction.EXPORT_ATTENDANCE_CSV, personal=True)
