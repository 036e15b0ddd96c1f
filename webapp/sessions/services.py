"""Scheduling: create, edit, duplicate and cancel the sessions of a programme."""
from __future__ import annotations

from dataclasses import dataclass


from webapp.audit import AuditAction, record
from webapp.auth.models import User
from webapp.bookings import emails
from webapp.bookings import services as bookings
from webapp.jobs import reminders
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.calendar import EVENT_FIELDS
from webapp.jobs import outbox
from webapp.jobs.models import EmailKind, OutboundEmail
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


def create_session(programme: Programme, actor: User, **fields) -> EventSession:
    session = EventSession(programme_id=programme.id, confirmed_count=0, **fields)
    db.session.add(session)
    db.session.flush()
    record(actor, AuditAction.SESSION_CREATED, f"session:{session.id}", session.title)
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
    event_changed = False
    for name, value in fields.items():
        if getattr(session, name) != value:
            event_changed = event_changed or name in EVENT_FIELDS
            if name in NOTIFIED_CHANGES and NOTIFIED_CHANGES[name] not in changes:
                changes.append(NOTIFIED_CHANGES[name])
            setattr(session, name, value)
    try:
        db.session.flush()
        promoted = bookings.set_capacity(session.id, capacity)
    except bookings.BookingError:
        db.session.rollback()
        raise
    if event_changed:
        bookings.calendar_changed(session.id)
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


def message_everyone(session: EventSession, actor: User, text: str, include_waiting: bool) -> int:
    """Queue the organiser's message to everyone booked (and, if asked, waiting) who has
    an email address. Returns how many emails were queued."""
    people = [person for person in people_to_tell(session)
              if include_waiting or person.status == RegistrationStatus.CONFIRMED]
    text = text.replace("\r\n", "\n").strip()  # browsers send CRLF; the email keeps lines its own way
    queued = sum(emails.queue(EmailKind.ORGANISER_MESSAGE, person, message=text) is not None for person in people)
    # No names, addresses or the message itself: the audit log outlives the bookings.
    record(actor, AuditAction.SESSION_MESSAGE, f"session:{session.id}",
           f"{session.title}: {queued} emails queued ({'with' if include_waiting else 'without'} the waiting list)")
    db.session.commit()
    return queued


def message_counts(session: EventSession):
    """How the organisers' messages to this session are getting on, by delivery status."""
    return outbox.counts_by_status(OutboundEmail.session_id == session.id,
                                   OutboundEmail.kind == EmailKind.ORGANISER_MESSAGE)
