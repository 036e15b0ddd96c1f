"""Organisers schedule the sessions of a programme."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import lookups
from webapp.auth.access import managers_only
from webapp.confirm import confirm_then_act
from webapp.bookings import services as bookings
from webapp.jobs import outbox
from webapp.sessions import services
from webapp.sessions.forms import SessionForm, SessionMessageForm

bp = Blueprint("sessions", __name__, url_prefix="/organiser/programmes/<int:programme_id>/sessions")


@bp.route("/new", methods=["GET", "POST"])
@managers_only
def create(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    return _schedule(programme, SessionForm(), source=None)


@bp.route("/<int:session_id>/duplicate", methods=["GET", "POST"])
@managers_only
def duplicate(programme_id: int, session_id: int):
    """The new-session form, filled in from another session: nothing is saved until submitted."""
    programme = lookups.programme_or_404(programme_id)
    source = lookups.session_of_or_404(programme, session_id)
    return _schedule(programme, SessionForm(data=SessionForm.initial_data(source)), source=source)


def _schedule(programme, form: SessionForm, source):
    """The new-session form (blank, or copied from `source`) and what saving it does."""
    if form.validate_on_submit():
        fields = form.session_fields()
        if source is not None:
            fields = services.windows_moved_with_the_date(fields, source)
        session = services.create_session(programme, current_user, **fields)
        flash(f"Session “{session.title}” scheduled.", "success")
        return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("sessions/form.html", form=form, programme=programme, session=None, source=source)


@bp.route("/<int:session_id>")
@managers_only
def show(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    status = bookings.AttendeeFilter.from_query(request.args.get("status"))
    q = request.args.get("q", "")[:100]
    registrations = bookings.attendees([session.id], status, q)
    return render_template(
        "sessions/show.html", programme=programme, session=session,
        counts=bookings.counts_by_session([session.id])[session.id],
        registrations=registrations, status=status, q=q, filters=bookings.AttendeeFilter,
        deliveries=outbox.latest_by_registration([r.id for r in registrations]),
        message_counts=services.message_counts(session),
    )


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@managers_only
def edit(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    form = SessionForm(data=SessionForm.initial_data(session))
    form.confirmed_count = session.confirmed_count
    if form.validate_on_submit():
        try:
            update = services.update_session(session, current_user, **form.session_fields())
        except bookings.BookingError:
            # Someone booked while the form was open: say how many places are taken now.
            form.confirmed_count = session.confirmed_count
            form.capacity.errors = [*form.capacity.errors,
                                    f"Capacity cannot be below the {session.confirmed_count} places already booked"]
        else:
            message = "Session saved."
            if update.told:
                message += (f" {update.told} people booked or waiting will be emailed about the change of "
                            f"{' and '.join(update.changes)}.")
            if update.promoted:
                message += f" {len(update.promoted)} promoted from the waiting list (they will be emailed)."
            flash(message, "success")
            return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("sessions/form.html", form=form, programme=programme, session=session, source=None)


@bp.route("/<int:session_id>/message", methods=["GET", "POST"])
@managers_only
def message(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    form = SessionMessageForm()
    if form.validate_on_submit():
        queued = services.message_everyone(session, current_user, form.message.data,
                                           include_waiting=form.audience.data == "everyone")
        flash(f"Your message will be emailed to {queued} {'person' if queued == 1 else 'people'}. "
              "The session page shows how many have been sent." if queued else
              "Nobody was emailed: no one booked has an email address.", "success" if queued else "info")
        return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("sessions/message.html", form=form, programme=programme, session=session)


@bp.route("/<int:session_id>/cancel", methods=["GET", "POST"])
@managers_only
def cancel(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    session_page = url_for("sessions.show", programme_id=programme.id, session_id=session.id)
    if session.is_cancelled:
        flash("This session is already cancelled.", "info")
        return redirect(session_page)
    return confirm_then_act("sessions/cancel.html", lambda: services.cancel_session(session, current_user),
                            lambda affected: f"Session cancelled. {_will_be_emailed(affected)}", session_page,
                            programme=programme, session=session, people=len(services.people_to_tell(session)))


def _will_be_emailed(people) -> str:
    emailed = sum(person.has_real_email for person in people)
    message = (f"{emailed} of {len(people)} people booked or waiting will be emailed; "
               "the session page shows when each email is sent.")
    if emailed < len(people):
        message += f" {len(people) - emailed} have no email address (walk-ins): tell them another way."
    return message
