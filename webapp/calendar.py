"""Calendar files (RFC 5545) for a booking: one event, a stable UID, times in Europe/London."""
from __future__ import annotations

import hashlib
from datetime import date
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from webapp.bookings.models import RegistrationStatus
from webapp.db_types import utcnow
from webapp.text import clean_text, one_line
from webapp.timezones import to_local


# The session's fields a calendar event shows: changing one makes a new version of it.
EVENT_FIELDS = frozenset({"title", "starts_at", "ends_at", "venue", "address", "notes"})
WAITING_PREFIX = "Waiting list: "


def booking_uid(registration) -> str:
    """Stable for the life of the booking (also across a move), and reveals no token."""
    digest = hashlib.sha256(f"booking:{registration.booking_token}".encode()).hexdigest()[:32]
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return f"{digest}@{host}"


def booking_calendar(registration, manage_url: str, cancelled: bool = False) -> bytes:
    """The booking as a calendar file; `cancelled` gives the METHOD:CANCEL version. A
    place on the waiting list is never a confirmed event: it is TENTATIVE, and its
    title starts "Waiting list:"."""
    session = registration.session
    sender = current_app.config["MAIL_SENDER"]
    sender_address = sender.rsplit("<", 1)[-1].strip(" >")

    calendar = Calendar()
    calendar.add("prodid", "-//Staff briefings//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")

    event = Event()
    event.add("uid", booking_uid(registration))
    event.add("dtstamp", utcnow())
    # Calendars keep the file with the highest SEQUENCE: every change to the event adds one.
    event.add("sequence", registration.calendar_sequence or 0)
    event.add("dtstart", to_local(session.starts_at))
    event.add("dtend", to_local(session.ends_at))
    # Text from the database is cleaned again here (webapp.text): it may predate the rule.
    waiting = registration.status == RegistrationStatus.WAITING and not cancelled
    title = one_line(session.title)
    event.add("summary", f"{WAITING_PREFIX}{title}" if waiting else title)
    location = one_line(session.place)
    event.add("location", location)
    description = [one_line(session.programme.title)]
    if session.notes:
        description.append(clean_text(session.notes))
    description.append(f"Manage your booking: {manage_url}")
    event.add("description", "\n\n".join(description))
    event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "TENTATIVE" if waiting else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{sender_address}")
    organizer.params["cn"] = vText("Staff briefings")
    event.add("organizer", organizer)
    if registration.email:
        attendee = vCalAddress(f"mailto:{registration.email}")
        if registration.name:
            attendee.params["cn"] = vText(one_line(registration.name))
        event.add("attendee", attendee)
    calendar.add_component(event)
    start_year = to_local(session.starts_at).year
    calendar.add_missing_timezones(first_date=date(start_year - 1, 1, 1), last_date=date(start_year + 2, 1, 1))
    return calendar.to_ical()
