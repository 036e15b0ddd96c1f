"""Scheduling: create, edit, duplicate and cancel the sessions of a programme."""
from __future__ import annotations

from flask import abort

from webapp.bookings import services as bookings
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession

# Changes that people who booked are told about, with the words the email uses.
NOTIFIED_CHANGES = {
    "starts_at": "the time",
    "ends_at": "the time",
    "venue": "the venue",
    "address": "the venue",
}


def get_session_or_404(programme: Programme, session_id: int) -> EventSession:
    """A session of this programme; another programme's session id is a 404."""
    session = db.session.get(EventSession, session_id)
    if session is None or session.programme_id != programme.id:
        abort(404)
    return session


def create_session(programme: Programme, **fields) -> EventSession:
    session = EventSession(programme_id=programme.id, confirmed_count=0, **fields)
    db.session.add(session)
    db.session.commit()
    return session


WINDOW_FIELDS = ("booking_opens_at", "booking_closes_at", "feedback_opens_at", "feedback_closes_at")


def windows_moved_with_the_date(fields: dict, source: EventSession) -> dict:
    """A duplicate's booking and feedback windows keep their distance from its start: a
    window left as the source had it moves by as much as the date and time moved."""
    shift = fields["starts_at"] - source.starts_at
    moved = dict(fields)
    for name in WINDOW_FIELDS:
        if fields[name] is not None and fields[name] == getattr(source, name):
            moved[name] = fields[name] + shift
    return moved


def update_session(session: EventSession, **fields) -> tuple[list[str], list[Registration]]:
    """Save the changes in one transaction. Returns (what people must be told about,
    who was promoted from the waiting list by a capacity raise). A capacity below the
    places booked raises BookingError and changes nothing."""
    capacity = fields.pop("capacity")
    changes: list[str] = []
    for name, value in fields.items():
        if getattr(session, name) != value:
            if name in NOTIFIED_CHANGES and NOTIFIED_CHANGES[name] not in changes:
                changes.append(NOTIFIED_CHANGES[name])
            setattr(session, name, value)
    try:
        db.session.flush()
        promoted = bookings.set_capacity(session.id, capacity)
    except bookings.BookingError:
        db.session.rollback()
        raise
    db.session.commit()
    db.session.refresh(session)
    for person in promoted:
        db.session.refresh(person)
    return changes, promoted


def people_to_tell(session: EventSession) -> list[Registration]:
    return [r for r in session.registrations if r.is_active and r.purged_at is None]


def cancel_session(session: EventSession) -> list[Registration]:
    """Cancel the session and every booking on it; returns the people to tell."""
    affected = bookings.cancel_session_bookings(session.id)
    db.session.commit()
    db.session.refresh(session)
    for registration in affected:
        db.session.refresh(registration)
    return affected
