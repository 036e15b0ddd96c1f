"""Public booking (/sessions/<id>/register), manage-my-booking (/booking/<token>), and
the organisers' attendee lists."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, get_template_attribute, redirect, render_template, request,
                   url_for)
from flask import session as browser_session
from flask_login import current_user

from markupsafe import Markup

from webapp import lookups
from webapp.caching import app_cache
from webapp.auth.access import managers_only
from webapp.confirm import confirm_then_act
from webapp.bookings import emails, services
from webapp.bookings.forms import BookingForm, BurstForm, FindBookingForm, MoveForm, in_allowed_domains
from webapp.bookings.models import RegistrationStatus
from webapp.errors.handlers import render_error
from webapp.extensions import (db, device_key, email_domain_key, email_key, exempt_address, limit_setting,
                                limiter, retry_after_seconds)
from webapp.jobs import outbox
from webapp.forms import ConfirmForm
from webapp.qr import qr_png, qr_svg
from webapp.sessions.models import EventSession
from webapp.timezones import format_datetime

bp = Blueprint("bookings", __name__)


def _allowed_domain() -> bool:
    return in_allowed_domains(str(request.form.get("email", "")))


def _invited_person(session: EventSession) -> dict | None:
    """A personal invitation link (?invitation=...) fills in the form for its person."""
    from webapp.staff import invitations

    if request.method != "GET" or "invitation" not in request.args:
        return None
    invitation = invitations.invitation_by_token(request.args["invitation"])
    if invitation is None or invitation.staff_member.programme_id != session.programme_id:
        return None
    return invitations.prefill(invitation)


@bp.route("/sessions/<int:session_id>/register", methods=["GET", "POST"])
# Hundreds of people book from one gateway address within a minute of the all-staff
# email: they are told apart by device and by the address booked; the gateway has only
# an organisation-sized ceiling (none for RATELIMIT_EXEMPT_NETWORKS). See README.
@limiter.limit(limit_setting("BOOKING_RATE_LIMIT"), methods=["POST"], exempt_when=exempt_address)
@limiter.limit(limit_setting("BOOKING_DEVICE_RATE_LIMIT"), key_func=device_key, methods=["POST"])
@limiter.limit(limit_setting("BOOKING_EMAIL_RATE_LIMIT"), key_func=email_key, methods=["POST"])
@limiter.limit(limit_setting("BOOKING_DOMAIN_RATE_LIMIT"), key_func=email_domain_key, methods=["POST"],
               exempt_when=_allowed_domain)
def register(session_id: int):
    session = lookups.session_or_404(session_id)
    reason = session.why_not_bookable()
    form = BookingForm(data=_invited_person(session))
    if reason is None and form.validate_on_submit():
        try:
            result = services.book(session, **form.person())
        except services.BookingError as error:
            reason = str(error)
        else:
            # The same answer whatever happened (a place, the waiting list, or a booking
            # that already existed): whoever typed an address learns nothing about its
            # owner, and the booking's link goes to that address only.
            browser_session[EMAILED] = result.registration.email
            return redirect(url_for("bookings.check_your_email", session_id=session.id))
    status = 200
    if reason and request.method == "POST":
        status = 409
    return render_template("bookings/register.html", session=session, form=form, reason=reason,
                           blank_fields_html=_blank_fields_html(form)), status


def _blank_fields_html(form: BookingForm) -> Markup | None:
    """The fields as nobody has filled them in, the same for everyone: rendered once per
    process. This is the page a rush loads hundreds of times a minute, and the GOV.UK
    field macros were over half of its time. None when anything is filled in or wrong."""
    if form.is_submitted() or form.errors or any(value for name, value in form.data.items() if name != "csrf_token"):
        return None
    return app_cache("booking_fields_html", 1).get_or_make("blank", lambda: get_template_attribute(
        "bookings/_person_fields.html", "person_fields")(form))


@bp.errorhandler(429)
def too_many(_error):
    """Over a limit: the form again, with everything typed and when to send it again."""
    if request.endpoint != "bookings.register":
        return render_error(429)
    session = lookups.session_or_404(request.view_args["session_id"])
    wait = retry_after_seconds()
    return render_template("bookings/register.html", session=session, form=BookingForm(), reason=None,
                           wait=wait), 429, {"Retry-After": str(wait)}


EMAILED = "booking_emailed"  # in the signed session cookie: where the last booking email went


@bp.route("/sessions/<int:session_id>/register/sent")
def check_your_email(session_id: int):
    session = lookups.session_or_404(session_id)
    return render_template("bookings/check_your_email.html", session=session,
                           email=browser_session.get(EMAILED)), 200, {"Cache-Control": "no-store"}


@bp.route("/booking/find", methods=["GET", "POST"])
@limiter.limit(limit_setting("BOOKING_EMAIL_RATE_LIMIT"), key_func=email_key, methods=["POST"])
@limiter.limit(limit_setting("BOOKING_DEVICE_RATE_LIMIT"), key_func=device_key, methods=["POST"])
def find():
    """"Find my booking": the links go to the address, never to the screen, and the page
    says the same whether or not the address has a booking."""
    form = FindBookingForm()
    if form.validate_on_submit():
        services.request_manage_links(form.email.data)
        return render_template("bookings/find_sent.html", email=form.email.data.strip().lower()), 200, {
            "Cache-Control": "no-store"}
    return render_template("bookings/find.html", form=form), 400 if form.errors else 200


def _manage_context(registration):
    return dict(
        registration=registration,
        session=registration.session,
        position=services.waiting_position(registration),
        targets=services.move_targets(registration) if registration.is_active else [],
        checkin_url=emails.checkin_url(registration),
        email=outbox.latest_by_registration([registration.id]).get(registration.id),
    )


@bp.route("/booking/<token>")
def manage(token: str):
    registration = lookups.booking_or_404(token)
    move_form = MoveForm()
    return _render_manage(registration, move_form, just_booked=request.args.get("new") == "1")


def _render_manage(registration, move_form, just_booked=False, status=200):
    context = _manage_context(registration)
    move_form.session_id.choices = [(s.id, s.title) for s in context["targets"]]
    response = render_template("bookings/manage.html", move_form=move_form, confirm=ConfirmForm(),
                               just_booked=just_booked, **context)
    # strict-origin-when-cross-origin (set for every page) never sends this path to another site;
    # no-referrer would break the CSRF referrer check on HTTPS.
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/booking/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    """Asks "Are you sure?" first: nothing irreversible in one tap."""
    registration = lookups.booking_or_404(token)
    form = ConfirmForm()
    if request.method == "GET" and registration.is_active:
        return render_template("bookings/cancel.html", registration=registration, session=registration.session,
                               form=form), 200, {"Cache-Control": "no-store"}
    if form.validate_on_submit():
        was_cancelled, _ = services.cancel(registration)
        if was_cancelled:
            flash("Your booking has been cancelled. We will email you to confirm.", "success")
    return redirect(url_for("bookings.manage", token=registration.booking_token))


@bp.route("/booking/<token>/move", methods=["POST"])
def move(token: str):
    registration = lookups.booking_or_404(token)
    form = MoveForm()
    targets = services.move_targets(registration) if registration.is_active else []
    form.session_id.choices = [(s.id, s.title) for s in targets]
    if form.validate_on_submit():
        target = db.session.get(EventSession, form.session_id.data)
        if target is None or target.programme_id != registration.session.programme_id:
            form.session_id.errors.append("Select one of the sessions listed")
        else:
            try:
                services.move(registration, target)
            except services.BookingError as error:
                form.session_id.errors.append(str(error))
            else:
                flash("Your booking has moved. We will email you a new calendar file.", "success")
                return redirect(url_for("bookings.manage", token=registration.booking_token))
    return _render_manage(registration, form, status=400)


@bp.route("/booking/<token>/calendar.ics")
def calendar(token: str):
    from webapp.calendar import booking_calendar

    registration = lookups.booking_or_404(token)
    data = booking_calendar(registration, emails.manage_url(registration),
                            cancelled=not registration.is_active or registration.session.is_cancelled)
    return Response(data, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="briefing.ics"', "Cache-Control": "no-store"})


@bp.route("/booking/<token>/ticket.<any(png, svg):kind>")
def ticket(token: str, kind: str):
    registration = lookups.booking_or_404(token)
    if registration.status != RegistrationStatus.CONFIRMED:
        abort(404)
    url = emails.checkin_url(registration)
    headers = {"Cache-Control": "private, no-store"}
    if kind == "png":
        return Response(qr_png(url, "M"), mimetype="image/png", headers=headers)
    return Response(qr_svg(url, "M"), mimetype="image/svg+xml", headers=headers)


# ---------------------------------------------------------------------------
# Organisers: attendee lists and CSV
# ---------------------------------------------------------------------------

def _csv_response(registrations, filename: str, target: str) -> Response:
    data = services.export_attendees_csv(current_user, registrations, target)
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _status_filter() -> services.AttendeeFilter:
    return services.AttendeeFilter.from_query(request.args.get("status"))


@bp.route("/organiser/programmes/<int:programme_id>/attendees")
@managers_only
def programme_attendees(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    session_ids = [s.id for s in programme.sessions]
    status = _status_filter()
    registrations = services.attendees(session_ids, status, request.args.get("q", ""))
    counts = services.counts_by_session(session_ids)
    return render_template("bookings/programme_attendees.html", programme=programme, registrations=registrations,
                           deliveries=outbox.latest_by_registration([r.id for r in registrations]),
                           status=status, filters=services.AttendeeFilter, counts=counts,
                           q=request.args.get("q", "")[:100])


@bp.route("/organiser/programmes/<int:programme_id>/attendees.csv")
@managers_only
def programme_attendees_csv(programme_id: int):
    programme = lookups.programme_or_404(programme_id)
    registrations = services.attendees([s.id for s in programme.sessions], _status_filter())
    return _csv_response(registrations, f"{programme.slug}-attendees.csv", target=f"programme:{programme.id}")


@bp.route("/organiser/programmes/<int:programme_id>/sessions/<int:session_id>/attendees.csv")
@managers_only
def session_attendees_csv(programme_id: int, session_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    registrations = services.attendees([session.id], _status_filter())
    return _csv_response(registrations, f"{programme.slug}-session-{session.id}-attendees.csv",
                         target=f"session:{session.id}")


@bp.route("/organiser/programmes/<int:programme_id>/sessions/<int:session_id>/registrations/<int:registration_id>/cancel",
          methods=["GET", "POST"])
@managers_only
def organiser_cancel(programme_id: int, session_id: int, registration_id: int):
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    registration = lookups.registration_of_or_404(session, registration_id)
    name = registration.name

    def cancelled(outcome) -> str | None:
        was_cancelled, promoted = outcome
        if not was_cancelled:
            return None
        return f"Booking for {name} cancelled." + (
            " Promoted from the waiting list: " + ", ".join(p.person_name for p in promoted) + "." if promoted else "")

    return confirm_then_act("bookings/organiser_cancel.html", lambda: services.cancel(registration, actor=current_user),
                            cancelled, url_for("sessions.show", programme_id=programme.id, session_id=session.id),
                            programme=programme, session=session, registration=registration)


@bp.route("/organiser/programmes/<int:programme_id>/sessions/<int:session_id>/bookings/burst",
          methods=["GET", "POST"])
@managers_only
def cancel_burst(programme_id: int, session_id: int):
    """One client filled a session with invented addresses: find its bookings by when they
    were made (and their domain), check the list, cancel them all at once."""
    programme = lookups.programme_or_404(programme_id)
    session = lookups.session_of_or_404(programme, session_id)
    search = BurstForm(formdata=request.args if request.args else None)
    confirm = ConfirmForm()
    found = None
    if request.args and search.validate():
        since, until = search.window()
        found = services.burst(session.id, since, until, search.email_ending.data or "")
        if found and confirm.validate_on_submit():
            criteria = (f"booked {format_datetime(since)} to {format_datetime(until)}"
                        + (f", addresses ending {search.email_ending.data}" if search.email_ending.data else ""))
            promoted = services.cancel_burst(session, found, current_user, criteria)
            flash(f"{len(found)} bookings cancelled. {len(promoted)} people were given a place from the waiting list "
                  "and emailed.", "success")
            return redirect(url_for("sessions.show", programme_id=programme.id, session_id=session.id))
    return render_template("bookings/cancel_burst.html", programme=programme, session=session, search=search,
                           confirm=confirm, found=found)
