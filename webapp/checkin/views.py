"""Check-in: the ticket's QR link, the door page and the printable sign-in sheet."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import lookups
from webapp.auth.access import managers_only
from webapp.bookings import services as bookings
from webapp.bookings.forms import WalkInForm
from webapp.bookings.models import RegistrationStatus
from webapp.forms import ConfirmForm
from webapp.timezones import format_time

bp = Blueprint("checkin", __name__)

DOOR = "/organiser/programmes/<int:programme_id>/sessions/<int:session_id>"


@bp.route("/checkin/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """What a ticket's QR code opens on an organiser's phone: confirm arrival in one tap.
    A member of staff who scans their own ticket is told to show it at the door, rather
    than sent to the organisers' sign-in."""
    if request.method == "GET" and not current_user.is_authenticated:
        registration = lookups.ticket_or_404(token)
        return render_template("checkin/show_at_the_door.html", session=registration.session,
                               sign_in_url=url_for("auth.login", next=request.path))
    return _confirm_arrival(token)


@managers_only
def _confirm_arrival(token: str):
    registration = lookups.ticket_or_404(token)
    session = registration.session
    error = None
    just_checked_in = False
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        try:
            just_checked_in = bookings.check_in(registration, current_user)
        except bookings.BookingError as problem:
            error = str(problem)
    if request.method == "POST" and request.accept_mimetypes.best == "application/json":
        # The door page's camera scanner: one line to show, and whether they are in now.
        return jsonify(checked_in=bool(registration.checked_in_at), message=error or _arrival_message(
            registration, just_checked_in) + (f" Access: {registration.access_requirements}"
                                              if registration.access_requirements else ""))
    return render_template("checkin/confirm.html", registration=registration, session=session, error=error,
                           just_checked_in=just_checked_in, door_url=url_for(
                               "checkin.door", programme_id=session.programme_id, session_id=session.id))


@bp.route(DOOR + "/door")
@managers_only
def door(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    q = request.args.get("q", "")[:100]
    people = [r for r in bookings.attendees([session.id], bookings.AttendeeFilter.ALL, q)
              if r.status != RegistrationStatus.CANCELLED]
    people.sort(key=lambda r: (r.status != RegistrationStatus.CONFIRMED, (r.name or "").lower()))
    return render_template("checkin/door.html", programme=programme, session=session, people=people, q=q,
                           counts=bookings.counts_by_session([session.id])[session.id], walk_in=WalkInForm())


@bp.route(DOOR + "/door/<int:registration_id>/arrived", methods=["POST"])
@managers_only
def arrived(programme_id: int, session_id: int, registration_id: int):
    def record_arrival(registration):
        checked_in_now = bookings.check_in(registration, current_user)
        return _arrival_message(registration, checked_in_now), "success" if checked_in_now else "info"

    return _at_the_door(programme_id, session_id, registration_id, record_arrival)


@bp.route(DOOR + "/door/<int:registration_id>/not-arrived", methods=["POST"])
@managers_only
def not_arrived(programme_id: int, session_id: int, registration_id: int):
    def take_back_arrival(registration):
        if bookings.undo_check_in(registration, current_user):
            return f"{registration.name} is no longer checked in.", "success"
        return f"{registration.name} was not checked in.", "info"

    return _at_the_door(programme_id, session_id, registration_id, take_back_arrival)


def _arrival_message(registration, checked_in_now: bool) -> str:
    if checked_in_now:
        return f"{registration.name} checked in at {format_time(registration.checked_in_at)}."
    return f"{registration.name} was already checked in at {format_time(registration.checked_in_at)}."


def _at_the_door(programme_id: int, session_id: int, registration_id: int, action):
    """One tap on the door list: `action(registration)` says what happened; back to the
    list where the person was, with the search kept."""
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    registration = lookups.registration_of_or_404(session, registration_id)
    if ConfirmForm().validate_on_submit():
        try:
            flash(*action(registration))
        except bookings.BookingError as problem:
            flash(str(problem), "info")
    return redirect(url_for("checkin.door", programme_id=programme.id, session_id=session.id,
                            q=request.form.get("q", "")[:100] or None, _anchor=f"person-{registration.id}"))


@bp.route(DOOR + "/door/walk-in", methods=["GET", "POST"])
@managers_only
def walk_in(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    form = WalkInForm()
    if form.validate_on_submit():
        registration, grew = bookings.add_walk_in(
            session, current_user, name=form.name.data, email=form.email.data or "", job_role=form.job_role.data or "",
            team=form.team.data or "", organisation=form.organisation.data or "")
        message = f"{registration.name} added and checked in."
        if grew:
            message += f" The session was full, so its capacity is now {session.capacity}."
        flash(message, "success")
        return redirect(url_for("checkin.door", programme_id=programme.id, session_id=session.id))
    return render_template("checkin/walk_in.html", programme=programme, session=session, form=form), (
        400 if request.method == "POST" else 200)


@bp.route(DOOR + "/sign-in-sheet")
@managers_only
def sign_in_sheet(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    people = bookings.attendees([session.id], bookings.AttendeeFilter.CONFIRMED)
    return render_template("checkin/sign_in_sheet.html", programme=programme, session=session, people=people,
                           blank_rows=max(10, min(40, session.capacity - len(people))))
