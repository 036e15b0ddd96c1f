"""Scheduling: create, edit, duplicate and cancel the sessions of a programme."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort

from webapp.audit import AuditAction, record
from webapp.auth.models import User
from webapp.bookings import emails
from webapp.bookings import services as bookings
from webapp.jobs import reminders
from webapp.jobs.models import EmailKind
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


def create_session(programme: Programme, actor: User, **fields) -> EventSession:
    session = EventSession(programme_id=programme.id, confirmed_count=0, **fields)
    db.session.add(session)
    db.session.flush()
    record(actor, AuditAction.SESSION_CREATED, f"session:{session.id}", session.title)
    db.session.commit()
    return session


@dataclass
class SessionUpdate:
    changes: list[str]  # what people booked are told about, in the email's words
    told: int  # people emailed about those changes
    promoted: list[Registration]  # given a place by a capacity raise


def update_session(session: EventSession, actor: User, **fields) -> SessionUpdate:
    """Save the changes in one transaction, with the emails to the people booked and to
    anyone promoted by a capacity raise. A capacity below the places booked raises
    BookingError and changes nothing."""
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
    people = people_to_tell(session) if changes else []
    told = sum(emails.queue(EmailKind.SESSION_CHANGED, person, changes=changes) is not None for person in people)
    if changes:
        reminders.reschedule(session)
    record(actor, AuditAction.SESSION_CHANGED, f"session:{session.id}",
           session.title + (f": {' and '.join(changes)} changed" if changes else ""))
    db.session.commit()
    db.session.refresh(session)
    for person in promoted:
        db.session.refresh(person)
    return SessionUpdate(changes=changes, told=told, promoted=promoted)


def people_to_tell(session: EventSession) -> list[Registration]:
    db.session.refresh(session, ["registrations"])
    return [r for r in session.registrations if r.is_active and r.purged_at is None]


def cancel_session(session: EventSession, actor: User) -> list[Registration]:
    """Cancel the session and every booking on it, and queue the emails telling each
    person (and no reminder goes out). Returns the people told."""
    affected = bookings.cancel_session_bookings(session.id)
    reminders.reschedule(session)
    record(actor, AuditAction.SESSION_CANCELLED, f"session:{session.id}",
           f"{session.title}: {len(affected)} bookings cancelled")
    db.session.commit()
    db.session.refresh(session)
    for registration in affected:
        db.session.refresh(registration)
    return affected
