"""The staff list, coverage and invitations (organisers; viewers see coverage only,
aggregated), and the personal invitation link (public)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webapp import lookups
from webapp.audit import AuditAction, record_export
from webapp.auth.access import managers_only, readers
from webapp.db_types import utcnow
from webapp.extensions import csrf, db
from webapp.forms import ConfirmForm
from webapp.security import personal_data
from webapp.sessions.models import EventSession
from webapp.staff import coverage as coverage_figures
from webapp.staff import importing, invitations
from webapp.staff.forms import AnswerForm, InviteForm, UploadForm, mapping_form, mapping_from
from webapp.staff.models import NotApplicable, StaffMember
from webapp.text import csv_cell

bp = Blueprint("staff", __name__)
STAFF = "/organiser/programmes/<int:programme_id>/staff"


@bp.route(STAFF)
@readers
def overview(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    viewer = not current_user.can_manage
    grouping = request.args.get("by", "team")
    grouping = grouping if grouping in coverage_figures.GROUPINGS else "team"
    figures = coverage_figures.coverage(programme, grouping, viewer=viewer)
    threshold = request.args.get("below", 50, type=int)
    threshold = min(max(threshold or 50, 1), 100)
    below = [] if viewer else coverage_figures.below_threshold(figures, grouping, threshold / 100)
    return render_template("staff/overview.html", programme=programme, figures=figures, viewer=viewer,
                           groupings=coverage_figures.GROUPINGS, grouping=grouping, threshold=threshold,
                           below=below, small=coverage_figures.SMALL_GROUP)


@bp.route(f"{STAFF}/upload", methods=["GET", "POST"])
@csrf.exempt  # checked by the form, after the larger size limit below is set
@managers_only
def upload(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    # A staff list is bigger than any form: its own limit, and a clear answer past it.
    request.max_content_length = current_app.config["STAFF_UPLOAD_MAX_BYTES"]
    try:
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        limit_mb = current_app.config["STAFF_UPLOAD_MAX_BYTES"] // 1_000_000
        form.file.errors = [f"The file must be smaller than {limit_mb} MB"]
        submitted = False
    if submitted:
        try:
            staged = importing.read_upload(programme, current_user, form.file.data.filename or "staff list",
                                           form.file.data.read())
        except importing.StaffListError as problem:
            form.file.errors = [str(problem)]
        else:
            return redirect(url_for("staff.mapping", programme_id=programme.id, upload_id=staged.id))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/upload.html", programme=programme, form=form), status


@bp.route(f"{STAFF}/uploads/<int:upload_id>", methods=["GET", "POST"])
@managers_only
@personal_data
def mapping(programme_id: int, upload_id: int):
    programme = lookups.programme_or_404(programme_id)
    staged = lookups.staff_upload_of_or_404(programme, upload_id)
    form = mapping_form(staged.headers, staged.mapping, formdata=request.form if request.method == "POST" else None)
    problem = None
    if form.validate_on_submit():
        try:
            importing.check_rows(staged, mapping_from(form))
        except importing.StaffListError as error:
            problem = str(error)
        else:
            return redirect(url_for("staff.preview", programme_id=programme.id, upload_id=staged.id))
    return render_template("staff/mapping.html", programme=programme, upload=staged, form=form, problem=problem,
                           sample=importing.sample_rows(staged)), (400 if problem else 200)


@bp.route(f"{STAFF}/uploads/<int:upload_id>/preview")
@managers_only
@personal_data
def preview(programme_id: int, upload_id: int):
    programme = lookups.programme_or_404(programme_id)
    staged = lookups.staff_upload_of_or_404(programme, upload_id)
    return render_template("staff/preview.html", programme=programme, upload=staged,
                           preview=importing.preview(staged), form=ConfirmForm())


@bp.route(f"{STAFF}/uploads/<int:upload_id>/import", methods=["POST"])
@managers_only
def apply(programme_id: int, upload_id: int):
    programme = lookups.programme_or_404(programme_id)
    staged = lookups.staff_upload_of_or_404(programme, upload_id)
    if ConfirmForm().validate_on_submit():
        if request.form.get("discard"):
            importing.discard_upload(staged)
            flash("The upload was discarded: nothing was imported.", "info")
            return redirect(url_for("staff.overview", programme_id=programme.id))
        try:
            done = importing.apply_upload(staged, current_user)
        except importing.StaffListError as problem:
            flash(str(problem), "error")
            return redirect(url_for("staff.preview", programme_id=programme.id, upload_id=upload_id))
        flash(f"Staff list imported: {done.added} added, {done.updated} updated, {done.removed} removed"
              + (f"; {done.errors} rows with problems were left out." if done.errors else "."), "success")
    return redirect(url_for("staff.overview", programme_id=programme.id))


@bp.route(f"{STAFF}/people.csv")
@managers_only
def people_csv(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    record_export(current_user, AuditAction.STAFF_LIST_DOWNLOADED, programme)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Name", "Email", "Team or service", "Locality", "Role group", "Organisation",
                     "Does not apply"])
    for person in db.session.scalars(db.select(StaffMember).where(StaffMember.programme_id == programme.id)
                                     .order_by(StaffMember.team, StaffMember.name)):
        writer.writerow([csv_cell(value) for value in (
            person.name, person.email, person.team, person.locality, person.role_group, person.organisation,
            person.not_applicable.label if person.not_applicable else "")])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{programme.slug}-staff-list.csv"',
        "Cache-Control": "no-store"})


def _invite_form(programme) -> InviteForm:
    form = InviteForm()
    form.session_id.choices = [(s.id, f"{s.title} ({s.starts_at:%d %b %Y})") for s in programme.sessions
                               if s.is_bookable()]
    return form


@bp.route(f"{STAFF}/invite", methods=["GET", "POST"])
@managers_only
@personal_data
def invite(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = _invite_form(programme)
    plan = None
    if form.validate_on_submit():
        session = lookups.session_of_or_404(programme, form.session_id.data)
        without_booking = form.who.data == "not_booked"
        if request.form.get("confirm") == "1":
            sent = invitations.invite(programme, session, current_user, without_booking=without_booking,
                                      again=form.again.data)
            flash(f"{sent} invitations will be emailed. This page shows how many have been sent.", "success")
            return redirect(url_for("staff.invitation_results", programme_id=programme.id, session_id=session.id))
        plan = invitations.plan(programme, session, without_booking=without_booking, again=form.again.data)
    return render_template("staff/invite.html", programme=programme, form=form, plan=plan)


@bp.route(f"{STAFF}/invitations/<int:session_id>")
@managers_only
def invitation_results(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = db.session.get(EventSession, session_id)
    if session is None or session.programme_id != programme.id:
        abort(404)
    return render_template("staff/invitation_results.html", programme=programme, session=session,
                           results=invitations.results(session))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def answer(token: str):
    invitation = invitations.invitation_by_token(token)
    if invitation is None:
        abort(404)
    form = AnswerForm()
    if form.validate_on_submit() and form.answer.data in {a.value for a in NotApplicable}:
        invitations.does_not_apply(invitation, NotApplicable(form.answer.data))
        return render_template("staff/answered.html", invitation=invitation), 200, {"Cache-Control": "no-store"}
    session = db.session.get(EventSession, invitation.session_id)
    return render_template("staff/answer.html", invitation=invitation, session=session, form=form,
                           now=utcnow()), 200, {"Cache-Control": "no-store"}
