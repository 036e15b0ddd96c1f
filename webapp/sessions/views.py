"""Organisers schedule the sessions of a programme."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import mail
from webapp.auth.access import managers_only
from webapp.auth.services import record_done
from webapp.bookings import emails
from webapp.bookings import services as bookings
from webapp.programmes.forms import ConfirmForm
from webapp.programmes.services import get_programme_or_404
from webapp.sessions import services
from webapp.sessions.forms import SessionForm

bp = Blueprint("sessions", __name__, url_prefix="/organiser/programmes/<int:programme_id>/sessions")


@bp.app_template_global()
def session_counts(programme):
    """Booked / waiting / attended per session, for the programme page's table."""
    return bookings.counts_by_session([s.id for s in programme.sessions])


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def create(programme_id: int):
    programme = get_programme_or_404(programme_id)
    return _schedule(programme, SessionForm(), source=None)


@bp.route("/<int:session_id>/duplicate", methods=["GET", "POST"])
@managers_only
def duplicate(programme_id: int, session_id: int):
    """The new-session form, filled in from another session: nothing is saved until submitted."""
    programme = get_programme_or_404(programme_id)
    source = services.get_session_or_404(programme, session_id)
    return _schedule(programme, SessionForm(data=SessionForm.initial_data(source)), source=source)


def _schedule(programme, form: SessionForm, source):
    """The new-session form (blank, or copied from `source`) and what saving it does."""
    if form.validate_on_submit():
        fields = form.session_fields()
        if source is not None:
            fields = services.windows_moved_with_the_date(fields, source)
        session = services.create_session(programme, **fields)
        record_done(current_user, "session.created", target=f"session:{session.id}", detail=session.title)
        flash(f"Session “{session.title}” scheduled.", "success")
        return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("sessions/form.html", form=form, programme=programme, session=None, source=source)


@bp.route("/<int:session_id>")
@managers_only
def show(programme_id: int, session_id: int):
    programme = get_programme_or_404(programme_id)
    session = services.get_session_or_404(programme, session_id)
    status = request.args.get("status", "all")
    status = status if status in bookings.STATUS_FILTERS else "all"
    q = request.args.get("q", "")[:100]
    return render_template(
        "sessions/show.html", programme=programme, session=session,
        counts=bookings.counts_by_session([session.id])[session.id],
        registrations=bookings.attendees([session.id], status, q), status=status, q=q,
        filters=bookings.STATUS_FILTERS, has_real_email=bookings.has_real_email,
    )


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(programme_id: int, session_id: int):
    programme = get_programme_or_404(programme_id)
    session = services.get_session_or_404(programme, session_id)
    form = SessionForm(data=SessionForm.initial_data(session))
    form.confirmed_count = session.confirmed_count
    if form.validate_on_submit():
        try:
            changes, promoted = services.update_session(session, **form.session_fields())
        except bookings.BookingError:
            # Someone booked while the form was open: say how many places are taken now.
            form.confirmed_count = session.confirmed_count
            form.capacity.errors = [*form.capacity.errors,
                                    f"Capacity cannot be below the {session.confirmed_count} places already booked"]
        else:
            record_done(current_user, "session.changed", target=f"session:{session.id}",
                        detail=session.title + (f": {' and '.join(changes)} changed" if changes else ""))
            people = services.people_to_tell(session) if changes else []
            with mail.one_connection():
                told = sum(emails.send_change_notice(registration, changes) for registration in people)
                for person in promoted:
                    emails.send_promotion(person)
            message = "Session saved."
            if changes and people:
                message += f" About the change of {' and '.join(changes)}: {_emailed(told, len(people))}"
            if promoted:
                message += f" {len(promoted)} promoted from the waiting list."
            flash(message, "success")
            return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("sessions/form.html", form=form, programme=programme, session=session, source=None)


@bp.route("/<int:session_id>/cancel", methods=["GET", "POST"])
@managers_only
def cancel(programme_id: int, session_id: int):
    programme = get_programme_or_404(programme_id)
    session = services.get_session_or_404(programme, session_id)
    form = ConfirmForm()
    if session.is_cancelled:
        flash("This session is already cancelled.", "info")
        return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    if form.validate_on_submit():
        affected = services.cancel_session(session)
        record_done(current_user, "session.cancelled", target=f"session:{session.id}",
                    detail=f"{session.title}: {len(affected)} bookings cancelled")
        with mail.one_connection():
            told = sum(emails.send_cancellation(registration, session_cancelled=True) for registration in affected)
        flash(f"Session cancelled. {_emailed(told, len(affected))}", "success")
        return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("sessions/cancel.html", form=form, programme=programme, session=session,
                           people=len(services.people_to_tell(session)))


def _emailed(told: int, people: int) -> str:
    message = f"{told} of {people} people booked or waiting were emailed."
    if told < people:
        message += (f" {people - told} could not be: they have no email address (walk-ins) or the mail "
                    "server failed. Tell them another way; the people list has their details.")
    return message
