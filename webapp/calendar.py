"""Calendar files (RFC 5545) for a booking: one event, a stable UID, times in Europe/London."""
from __future__ import annotations

import hashlib
from datetime import date
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from webapp.db_types import utcnow
from webapp.timezones import to_local


def booking_uid(registration) -> str:
    """Stable for the life of the booking (also across a move), and reveals no token."""
    digest = hashlib.sha256(f"booking:{registration.booking_token}".encode()).hexdigest()[:32]
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return f"{digest}@{host}"


def booking_calendar(registration, manage_url: str, cancelled: bool = False) -> bytes:
    """The booking as a calendar file; `cancelled` gives the METHOD:CANCEL version."""
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
    # Calendars keep the newest SEQUENCE: seconds since booking grow with every change.
    event.add("sequence", max(int((utcnow() - registration.created_at).total_seconds()), 0))
    event.add("dtstart", to_local(session.starts_at))
    event.add("dtend", to_local(session.ends_at))
    event.add("summary", session.title)
    location = session.place
    event.add("location", location)
    description = [session.programme.title]
    if session.notes:
        description.append(session.notes)
    description.append(f"Manage your booking: {manage_url}")
    event.add("description", "\n\n".join(description))
    event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{sender_address}")
    organizer.params["cn"] = vText("Staff briefings")
    event.add("organizer", organizer)
    if registration.email:
        attendee = vCalAddress(f"mailto:{registration.email}")
        if registration.name:
            attendee.params["cn"] = vText(registration.name)
        event.add("attendee", attendee)
    calendar.add_component(event)
    start_year = to_local(session.starts_at).year
    calendar.add_missing_timezones(first_date=date(start_year - 1, 1, 1), last_date=date(start_year + 2, 1, 1))
    return calendar.to_ical()
