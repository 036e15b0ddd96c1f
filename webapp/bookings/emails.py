"""The emails about a booking: queued by the booking operations (inside their
transaction) and composed by the worker when it sends them, from the booking as it is
then. A renderer returns None when its email is no longer true (a confirmation for a
booking cancelled before the email left): nothing is sent."""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import cast
from email.utils import make_msgid

from flask import current_app, render_template

from webapp import mail
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.calendar import booking_calendar
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.jobs.outbox import queue_email, renderer
from webapp.links import public_url
from webapp.qr import qr_png
from webapp.text import clean_text

def manage_url(registration: Registration) -> str:
    return public_url("bookings.manage", token=registration.booking_token)


def checkin_url(registration: Registration) -> str:
    return public_url("checkin.confirm", token=registration.checkin_token)


def queue(kind: EmailKind, registration: Registration, *, dedupe_key: str | None = None, **context) -> int | None:
    """Record this email to this person in the current transaction (it is sent after
    commit). Walk-ins without an address get none."""
    if not registration.has_real_email:
        return None
    db.session.flush()  # the registration needs its id
    return queue_email(kind, registration.email, registration_id=registration.id,
                       session_id=registration.session_id, context=context, dedupe_key=dedupe_key)


def queue_link_again(registration: Registration, now: datetime) -> int | None:
    """"You are already booked": at most one an hour per booking, so that nobody can use
    the booking form to send someone else a stream of emails."""
    return queue(EmailKind.LINK_AGAIN, registration,
                 dedupe_key=f"link-again:{registration.id}:{now:%Y%m%d%H}")


# ---------------------------------------------------------------------------
# Composing, in the worker
# ---------------------------------------------------------------------------

def _compose(registration: Registration, kind: str, subject: str, *, calendar: str | None = None,
             ticket: bool = False, **context) -> EmailMessage:
    message = mail.new_message(registration.address, subject)
    qr_cid = make_msgid(domain="ticket.invalid") if ticket else None
    values = dict(
        registration=registration,
        session=registration.session,
        manage_url=manage_url(registration),
        checkin_url=checkin_url(registration),
        ticket=ticket,
        qr_cid=qr_cid[1:-1] if qr_cid else None,
        **context,
    )
    # The text is rendered once, as plain text, and cleaned (webapp.text); the HTML part
    # escapes all of it and links only our own addresses, never anything a person typed.
    text = clean_text(render_template(f"emails/{kind}.txt", **values))
    message.set_content(text)
    links = {values["manage_url"], values["checkin_url"], current_app.config["PUBLIC_BASE_URL"] + "/",
             *(value for name, value in context.items() if name.endswith("_url") and value)}
    message.add_alternative(clean_text(render_template("emails/message.html", text=text, links=links, **values)),
                            subtype="html")
    if ticket:
        html_part = cast(EmailMessage, message.get_body(preferencelist=("html",)))  # added just above
        html_part.add_related(qr_png(values["checkin_url"], "M", box_size=6), "image", "png",
                              cid=qr_cid, filename="check-in-ticket.png")
    if calendar:
        data = booking_calendar(registration, values["manage_url"], cancelled=calendar == "cancel")
        message.add_attachment(
            data, maintype="text", subtype="calendar",
            params={"method": "CANCEL" if calendar == "cancel" else "PUBLISH", "charset": "utf-8"},
            filename="cancelled.ics" if calendar == "cancel" else "briefing.ics",
        )
    return message


def _registration_of(message: OutboundEmail, *statuses: RegistrationStatus) -> Registration | None:
    """The booking the email is about, if it still exists, is not purged, and (when
    statuses are given) is still in one of them."""
    if message.registration_id is None:
        return None
    registration = db.session.get(Registration, message.registration_id)
    if registration is None or registration.purged_at is not None or not registration.has_real_email:
        return None
    if statuses and registration.status not in statuses:
        return None
    return registration




def _about_the_booking(kind: EmailKind, template: str, subject: str, statuses: tuple[RegistrationStatus, ...],
                       **compose) -> None:
    """Register the renderer of an email that needs only the booking, still in one of
    these statuses (any status when none is given)."""
    @renderer(kind)
    def render(message: OutboundEmail) -> EmailMessage | None:
        registration = _registration_of(message, *statuses)
        if registration is None:
            return None
        return _compose(registration, template, f"{subject}: {registration.session.title}", **compose)


_about_the_booking(EmailKind.BOOKING_CONFIRMED, "confirmation", "Booking confirmed", (RegistrationStatus.CONFIRMED,),
                   calendar="publish", ticket=True)
_about_the_booking(EmailKind.WAITING_LIST, "waiting", "You are on the waiting list", (RegistrationStatus.WAITING,))
_about_the_booking(EmailKind.PROMOTED, "promoted", "A place is yours", (RegistrationStatus.CONFIRMED,),
                   calendar="publish", ticket=True)
_about_the_booking(EmailKind.CANCELLED, "cancelled", "Cancelled", (RegistrationStatus.CANCELLED,),
                   calendar="cancel", session_cancelled=False)
_about_the_booking(EmailKind.SESSION_CANCELLED, "cancelled", "Cancelled", (), calendar="cancel", session_cancelled=True)


@renderer(EmailKind.MOVED)
def _moved(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED)
    if registration is None or registration.session_id != message.session_id:
        return None  # moved again since: the newer email says where
    return _compose(registration, "moved", f"Booking moved: {registration.session.title}",
                    calendar="publish", ticket=True)


@renderer(EmailKind.SESSION_CHANGED)
def _changed(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)
    if registration is None:
        return None
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    return _compose(registration, "changed", f"Changed: {registration.session.title}",
                    calendar="publish" if confirmed else None, ticket=confirmed,
                    changes=message.context.get("changes", []))


@renderer(EmailKind.LINK_AGAIN)
def _link_again(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)
    if registration is None:
        return None
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    return _compose(registration, "link_again", f"Your booking: {registration.session.title}",
                    calendar="publish" if confirmed else None, ticket=confirmed)


@renderer(EmailKind.REMINDER)
def _reminder(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED)
    if registration is None or registration.session.is_cancelled or registration.session_id != message.session_id:
        return None
    return _compose(registration, "reminder", f"Reminder: {registration.session.title}",
                    calendar="publish", ticket=True, slot_hours=message.context.get("slot_hours", 24))


@renderer(EmailKind.STILL_WAITING)
def _still_waiting(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.WAITING)
    if registration is None or registration.session.is_cancelled:
        return None
    return _compose(registration, "still_waiting", f"Still on the waiting list: {registration.session.title}")


@renderer(EmailKind.FEEDBACK_INVITATION)
def _after_attended(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED)
    if registration is None or registration.checked_in_at is None:
        return None
    session = registration.session
    opens, closes = session.feedback_window
    if not opens <= utcnow() < closes:
        return None  # the form has closed since: the link would lead nowhere
    return _compose(registration, "after_attended", f"Thank you for coming: {session.title}",
                    feedback_url=public_url("feedback.respond", code=session.feedback_code),
                    closes_at=closes,
                    follow_up_url=public_url("actions.you_said_we_did", slug=session.programme.slug))


@renderer(EmailKind.MISSED_SESSION)
def _after_missed(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED)
    if registration is None or registration.checked_in_at is not None:
        return None
    session = registration.session
    ahead = [s for s in session.programme.sessions if s.is_bookable() and s.id != session.id]
    return _compose(registration, "after_missed", f"We missed you: {session.title}", sessions_ahead=ahead)


@renderer(EmailKind.ORGANISER_MESSAGE)
def _organiser_message(message: OutboundEmail) -> EmailMessage | None:
    registration = _registration_of(message, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)
    if registration is None or registration.session_id != message.session_id:
        return None  # cancelled or moved since: the message was about a session they are no longer on
    return _compose(registration, "organiser_message", f"Message from the organisers: {registration.session.title}",
                    message_text=message.context.get("message", ""))


def queue_booked_elsewhere(place: Registration, wanted, now: datetime) -> int | None:
    """Someone with a place tried to book another session of the programme: the link to
    move it there goes to the address (at most once an hour), never to the screen."""
    return queue(EmailKind.BOOKED_ELSEWHERE, place, dedupe_key=f"booked-elsewhere:{place.id}:{now:%Y%m%d%H}",
                 wanted_session_id=wanted.id)


@renderer(EmailKind.BOOKED_ELSEWHERE)
def _booked_elsewhere(message: OutboundEmail) -> EmailMessage | None:
    from webapp.sessions.models import EventSession

    registration = _registration_of(message, RegistrationStatus.CONFIRMED)
    wanted = db.session.get(EventSession, message.context.get("wanted_session_id"))
    if registration is None or wanted is None:
        return None
    return _compose(registration, "booked_elsewhere", f"You already have a place: {registration.session.title}",
                    wanted=wanted)


def queue_manage_links(email: str, now: datetime) -> int | None:
    """"Find my booking": one email (at most one an hour per address) with the link to
    each booking the address holds, composed when it is sent."""
    return queue_email(EmailKind.FIND_BOOKING, email, dedupe_key=f"find:{email}:{now:%Y%m%d%H}")


@renderer(EmailKind.FIND_BOOKING)
def _manage_links(message: OutboundEmail) -> EmailMessage | None:
    from webapp.bookings.services import bookings_to_find

    registrations = [r for r in bookings_to_find(message.to_address or "") if r.has_real_email]
    if not registrations:
        return None
    values = dict(bookings=[(registration, manage_url(registration)) for registration in registrations])
    email = mail.new_message(registrations[0].address, "Your bookings for staff briefings")
    text = clean_text(render_template("emails/find_booking.txt", **values))
    email.set_content(text)
    email.add_alternative(clean_text(render_template(
        "emails/message.html", text=text, links={url for _, url in values["bookings"]}, session=None,
        title="Your bookings")), subtype="html")
    return email
