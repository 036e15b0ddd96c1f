"""The emails a booking sends. Each is sent after the change is committed; a failure is
logged by webapp.mail and the booking stands."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from flask import render_template

from webapp import mail
from webapp.bookings.models import Registration
from webapp.bookings.services import has_real_email
from webapp.calendar import booking_calendar
from webapp.links import public_url
from webapp.qr import qr_png


def manage_url(registration: Registration) -> str:
    return public_url("bookings.manage", token=registration.booking_token)


def checkin_url(registration: Registration) -> str:
    return public_url("checkin.confirm", token=registration.checkin_token)


def _compose(registration: Registration, kind: str, subject: str, *, calendar: str | None = None,
             ticket: bool = False, **context) -> EmailMessage:
    message = mail.new_message(registration.email, subject)
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
    message.set_content(render_template(f"emails/{kind}.txt", **values))
    message.add_alternative(render_template("emails/message.html", text_template=f"emails/{kind}.txt", **values),
                            subtype="html")
    if ticket:
        html_part = message.get_payload()[1]
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


def _send(registration: Registration, *args, **kwargs) -> bool:
    if not has_real_email(registration):
        return False
    return mail.send(_compose(registration, *args, **kwargs))


def send_booking_confirmation(registration: Registration) -> bool:
    return _send(registration, "confirmation", f"Booking confirmed: {registration.session.title}",
                 calendar="publish", ticket=True)


def send_waiting_list(registration: Registration) -> bool:
    return _send(registration, "waiting", f"You are on the waiting list: {registration.session.title}")


def send_promotion(registration: Registration) -> bool:
    return _send(registration, "promoted", f"A place is yours: {registration.session.title}",
                 calendar="publish", ticket=True)


def send_moved(registration: Registration) -> bool:
    return _send(registration, "moved", f"Booking moved: {registration.session.title}",
                 calendar="publish", ticket=True)


def send_cancellation(registration: Registration, session_cancelled: bool = False) -> bool:
    return _send(registration, "cancelled", f"Cancelled: {registration.session.title}",
                 calendar="cancel", session_cancelled=session_cancelled)


def send_change_notice(registration: Registration, changes: list[str]) -> bool:
    confirmed = registration.status == "confirmed"
    return _send(registration, "changed", f"Changed: {registration.session.title}",
                 calendar="publish" if confirmed else None, ticket=confirmed, changes=changes)


def send_booking_link_again(registration: Registration) -> bool:
    confirmed = registration.status == "confirmed"
    return _send(registration, "link_again", f"Your booking: {registration.session.title}",
                 calendar="publish" if confirmed else None, ticket=confirmed)


def send_manage_links(registrations: list[Registration]) -> bool:
    """"Find my booking": one email with the link to each booking the address holds."""
    if not registrations or not has_real_email(registrations[0]):
        return False
    values = dict(bookings=[(registration, manage_url(registration)) for registration in registrations])
    message = mail.new_message(registrations[0].email, "Your bookings for staff briefings")
    message.set_content(render_template("emails/find_booking.txt", **values))
    message.add_alternative(render_template("emails/message.html", text_template="emails/find_booking.txt",
                                            title="Your bookings", **values), subtype="html")
    return mail.send(message)


def send_booked_elsewhere(registration: Registration, wanted) -> bool:
    """Someone with a place tried to book another session of the programme: the link to
    move it there goes to the address, never to the screen."""
    return _send(registration, "booked_elsewhere", f"You already have a place: {registration.session.title}",
                 wanted=wanted)


def send_for(result_outcome: str, registration: Registration) -> bool:
    if result_outcome == "confirmed":
        return send_booking_confirmation(registration)
    if result_outcome == "waiting":
        return send_waiting_list(registration)
    return send_booking_link_again(registration)
