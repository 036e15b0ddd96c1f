"""Organisers set up programmes and their findings."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import lookups
from webapp.auth.access import managers_only, readers
from webapp.confirm import confirm_then_act
from webapp.bookings import services as bookings
from webapp.programmes import services
from webapp.forms import ConfirmForm
from webapp.programmes.forms import (FindingForm, ProgrammeForm, reminder_days_text,
                                     reminder_hours_from_days)
from webapp.programmes.models import FINDING_KIND_PLURALS, FindingKind

bp = Blueprint("programmes", __name__, url_prefix="/organiser")


@bp.route("/")
@readers
def home():
    return redirect(url_for("programmes.index"))


@bp.route("/programmes")
@readers
def index():
    return render_template(
        "programmes/index.html", programmes=services.list_programmes(), can_manage=current_user.can_manage
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
@managers_only
def create():
    form = ProgrammeForm()
    if form.validate_on_submit():
        programme = services.create_programme(form.title.data, form.summary.data or "",
                                              bool(form.allows_several_places.data), actor=current_user,
                                              reminder_hours=reminder_hours_from_days(form.reminder_days.data))
        flash(f"Programme “{programme.title}” created. Add its findings next.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template("programmes/form.html", form=form, programme=None)


@bp.route("/programmes/<int:programme_id>")
@managers_only
def show(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    return render_template(
        "programmes/show.html",
        programme=programme,
        # Booked / waiting / attended per session, for the sessions table.
        counts=bookings.counts_by_session([session.id for session in programme.sessions]),
        plurals=FINDING_KIND_PLURALS,
        confirm=ConfirmForm(),
    )


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = ProgrammeForm(obj=programme)
    if request.method == "GET":
        form.reminder_days.data = reminder_days_text(programme.reminder_hours_list)
    if form.validate_on_submit():
        services.update_programme(programme, form.title.data, form.summary.data or "",
                                  bool(form.allows_several_places.data), actor=current_user,
                                  reminder_hours=reminder_hours_from_days(form.reminder_days.data))
        flash("Programme saved.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template("programmes/form.html", form=form, programme=programme)


@bp.route("/programmes/<int:programme_id>/status", methods=["POST"])
@managers_only
def set_status(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    if ConfirmForm().validate_on_submit():
        is_open = request.form.get("open") == "1"
        services.set_open(programme, is_open, actor=current_user)
        flash("Programme opened: its sessions are on the front page." if is_open
              else "Programme closed: its sessions are no longer listed or bookable.", "success")
    return redirect(url_for("programmes.show", programme_id=programme.id))


@bp.route("/programmes/<int:programme_id>/findings/new", methods=["GET", "POST"])
@managers_only
def add_finding(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    form = FindingForm()
    if request.method == "GET" and request.args.get("kind") in set(FindingKind):
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        services.add_finding(programme, actor=current_user, **form.finding_fields())
        flash("Finding added.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id, _anchor=f"kind-{form.kind.data}"))
    return render_template("programmes/finding_form.html", form=form, programme=programme, finding=None)


@bp.route("/programmes/<int:programme_id>/findings/<int:finding_id>/edit", methods=["GET", "POST"])
@managers_only
def edit_finding(programme_id: int, finding_id: int):
    programme = lookups.programme_or_404(programme_id)
    finding = lookups.finding_of_or_404(programme, finding_id)
    form = FindingForm(obj=finding)
    if form.validate_on_submit():
        services.update_finding(finding, actor=current_user, **form.finding_fields())
        flash("Finding saved.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id, _anchor=f"kind-{finding.kind}"))
    return render_template("programmes/finding_form.html", form=form, programme=programme, finding=finding)


@bp.route("/programmes/<int:programme_id>/findings/<int:finding_id>/move", methods=["POST"])
@managers_only
def move_finding(programme_id: int, finding_id: int):
    programme = lookups.programme_or_404(programme_id)
    finding = lookups.finding_of_or_404(programme, finding_id)
    direction = request.form.get("direction")
    if ConfirmForm().validate_on_submit() and direction in {"up", "down"}:
        services.move_finding(finding, direction)
    return redirect(url_for("programmes.show", programme_id=programme.id, _anchor=f"finding-{finding.id}"))


@bp.route("/programmes/<int:programme_id>/findings/<int:finding_id>/delete", methods=["GET", "POST"])
@managers_only
def delete_finding(programme_id: int, finding_id: int):
    programme = lookups.programme_or_404(programme_id)
    finding = lookups.finding_of_or_404(programme, finding_id)
    return confirm_then_act("programmes/delete_finding.html",
                            lambda: services.remove_finding(finding, actor=current_user), "Finding removed.",
                            url_for("programmes.show", programme_id=programme.id), programme=programme, finding=finding)
