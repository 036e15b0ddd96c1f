"""Downloads: the workbook (readers; Attendance only for managers) and CSV files.

Views only check who may have what, record the export and send the file; building
happens in workbook.py and csv_files.py."""
from __future__ import annotations

import tempfile

from flask import (Blueprint, current_app, make_response, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from webapp import lookups
from webapp.auth.access import managers_only, readers
from webapp.audit import AuditAction, record_export
from webapp.db_types import utcnow
from webapp.exports import builds, csv_files
from webapp.exports.models import BuildStatus
from webapp.exports.workbook import build_workbook, filename_for
from webapp.results import services as results
from webapp.results.forms import ExportFilterForm
from webapp.results.views import render_programme_results

bp = Blueprint("exports", __name__, url_prefix="/organiser")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 4 * 1024 * 1024
BUILD_REFRESH_SECONDS = 3


def _filters(programme):
    """The filter form from the query string; None (and the page again) when it has errors."""
    form = ExportFilterForm(results.select_sessions(programme), formdata=request.args)
    return form, (form.to_filter() if form.validate() else None)


def _send(file, name: str, mimetype: str):
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
    """Small programmes: built and sent at once. Large ones: a worker builds the file
    and the build's page shows its progress."""
    programme = lookups.programme_or_404(programme_id)
    form, filters = _filters(programme)
    if filters is None:
        return render_programme_results(programme, export_form=form, status=400)
    include_attendance = current_user.can_manage
    sessions = results.select_sessions(programme, filters)
    if builds.response_count(sessions) >= current_app.config["WORKBOOK_STREAM_BELOW"]:
        build = builds.request_workbook(current_user, programme, filters, include_attendance)
        return redirect(url_for("exports.workbook_build", programme_id=programme.id, build_id=build.id))
    now = utcnow()
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    info = build_workbook(programme, file, include_attendance=include_attendance, filters=filters, now=now)
    record_export(current_user, AuditAction.EXPORT_WORKBOOK, programme,
                  builds.export_detail(info.responses, info.sessions, include_attendance, filters))
    return _send(file, filename_for(programme, now), XLSX)


@bp.route("/programmes/<int:programme_id>/workbook/<int:build_id>")
@readers
def workbook_build(programme_id: int, build_id: int):
    programme = lookups.programme_or_404(programme_id)
    build = lookups.workbook_build_of_or_404(programme, build_id, may_see_attendance=current_user.can_manage)
    ready = builds.file_path(build) is not None
    finished = build.status in (BuildStatus.READY, BuildStatus.FAILED)
    response = make_response(render_template(
        "exports/build.html", programme=programme, build=build, ready=ready, statuses=BuildStatus,
        refresh_seconds=None if finished else BUILD_REFRESH_SECONDS))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/programmes/<int:programme_id>/workbook/<int:build_id>/download")
@readers
def workbook_build_download(programme_id: int, build_id: int):
    programme = lookups.programme_or_404(programme_id)
    build = lookups.workbook_build_of_or_404(programme, build_id, may_see_attendance=current_user.can_manage)
    path = builds.file_path(build)
    if path is None:
        return redirect(url_for("exports.workbook_build", programme_id=programme.id, build_id=build.id))
    record_export(current_user, AuditAction.EXPORT_WORKBOOK, programme, build.detail)
    return _send(path.open("rb"), filename_for(programme, build.finished_at or utcnow()), XLSX)


def _csv(programme_id: int, lines_for, what: str, action: AuditAction):
    """A CSV download: `lines_for(programme, filters)` gives its lines."""
    programme = lookups.programme_or_404(programme_id)
    form, filters = _filters(programme)
    if filters is None:
        return render_programme_results(programme, export_form=form, status=400)
    now = utcnow()
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    file.write(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel then reads accents correctly
    for chunk in lines_for(programme, filters):
        file.write(chunk.encode("utf-8"))
    record_export(current_user, action, programme)
    return _send(file, csv_files.csv_filename(programme, what, now), "text/csv; charset=utf-8")


@bp.route("/programmes/<int:programme_id>/responses.csv")
@readers
def responses_csv(programme_id: int):
    full_detail = current_user.can_manage  # viewers: rare "about you" answers hidden
    return _csv(programme_id, lambda programme, filters: csv_files.responses_csv(programme, filters, full_detail),
                "responses", AuditAction.EXPORT_RESPONSES_CSV)


@bp.route("/programmes/<int:programme_id>/attendance.csv")
@managers_only
def attendance_csv(programme_id: int):
    return _csv(programme_id, csv_files.attendance_csv, "attendance", AuditAction.EXPORT_ATTENDANCE_CSV)
