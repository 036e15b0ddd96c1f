"""Emails driven by the clock: reminders before a session (the programme says when,
7 days and 1 day before by default), a word to those still on the waiting list, and
after the session the feedback link to those who came and a note to those who did not.

Each is found by a query a worker runs every minute and recorded with a dedupe key
(person, slot, session start): two workers running the same minute, or a worker that
restarts, never send the same reminder twice. Moving a session changes the start in
the key, so its people are reminded of the new time; cancelling it stops them."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs import outbox
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession, SessionStatus

# After-session emails go out only for sessions that ended this recently: a worker
# started after a long stop does not email about last month's briefing.
AFTER_SESSION_WITHIN = timedelta(days=2)


def reminder_slots(programme: Programme) -> list[timedelta]:
    """The programme's reminder times before a session, largest first."""
    return sorted((timedelta(hours=hours) for hours in programme.reminder_hours_list), reverse=True)


def due_slot(session: EventSession, now: datetime) -> timedelta | None:
    """The most recent reminder time of this session that has passed (so a worker that
    was stopped for a week sends one reminder, not two)."""
    if session.starts_at <= now:
        return None
    passed = [slot for slot in reminder_slots(session.programme) if session.starts_at - slot <= now]
    return min(passed) if passed else None


def upcoming_reminders(session: EventSession) -> list[datetime]:
    """When this session's reminders go out (for the organiser's session page)."""
    if session.is_cancelled:
        return []
    return [session.starts_at - slot for slot in reminder_slots(session.programme)]


def queue_due(now: datetime | None = None) -> int:
    """Queue every reminder and after-session email now due; returns how many."""
    now = now or utcnow()
    horizon = max((max(reminder_slots(p), default=timedelta(0)) for p in _programmes()), default=timedelta(0))
    sessions = db.session.scalars(
        sa.select(EventSession).options(joinedload(EventSession.programme))
        .where(EventSession.status == SessionStatus.SCHEDULED,
               EventSession.starts_at > now - AFTER_SESSION_WITHIN,
               EventSession.starts_at <= now + horizon)
    ).all()
    queued = 0
    for session in sessions:
        if session.starts_at > now:
            queued += _queue_reminders(session, now)
        elif session.ends_at <= now:
            queued += _queue_after_session(session, now)
    db.session.commit()
    return queued


def _programmes() -> list[Programme]:
    return list(db.session.scalars(sa.select(Programme)))


def _queue_reminders(session: EventSession, now: datetime) -> int:
    slot = due_slot(session, now)
    if slot is None:
        return 0
    slot_time = session.starts_at - slot
    last_slot = slot == min(reminder_slots(session.programme))
    people = _people(session, RegistrationStatus.CONFIRMED, created_before=slot_time)
    slot_key = f"reminder:{int(slot.total_seconds())}:{session.starts_at:%Y%m%d%H%M}"
    queued = _queue_each(people, EmailKind.REMINDER, slot_key,
                         slot_hours=int(slot.total_seconds() // 3600))
    if last_slot:  # the day before: those still waiting learn they are still waiting
        waiting = _people(session, RegistrationStatus.WAITING, created_before=slot_time)
        queued += _queue_each(waiting, EmailKind.STILL_WAITING, f"still-waiting:{session.starts_at:%Y%m%d%H%M}")
    return queued


def _queue_after_session(session: EventSession, now: datetime) -> int:
    confirmed = _people(session, RegistrationStatus.CONFIRMED, created_before=session.ends_at)
    if not any(person.checked_in_at for person in confirmed):
        return 0  # attendance was not taken: we cannot tell who came
    came = [person for person in confirmed if person.checked_in_at]
    missed = [person for person in confirmed if not person.checked_in_at]
    opens, closes = session.feedback_window
    queued = 0
    if opens <= now < closes:
        queued += _queue_each(came, EmailKind.FEEDBACK_INVITATION, "after")
    queued += _queue_each(missed, EmailKind.MISSED_SESSION, "after")
    return queued


def _people(session: EventSession, status: RegistrationStatus, created_before: datetime) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration).where(
            Registration.session_id == session.id,
            Registration.status == status.value,
            Registration.purged_at.is_(None),
            Registration.created_at < created_before,
        )
    ))


def _queue_each(people: list[Registration], kind: EmailKind, slot_key: str, **context) -> int:
    """Queue `kind` to each person not yet sent it for this slot."""
    if not people:
        return 0
    keys = {person.id: f"{slot_key}:{kind.value}:{person.id}" for person in people}
    already = set(db.session.scalars(
        sa.select(OutboundEmail.dedupe_key).where(OutboundEmail.dedupe_key.in_(list(keys.values())))))
    queued = 0
    for person in people:
        if keys[person.id] in already or not person.has_real_email:
            continue
        if outbox.queue_email(kind, person.email, registration_id=person.id, session_id=person.session_id,
                              context=context, dedupe_key=keys[person.id]) is not None:
            queued += 1
    return queued


def reschedule(session: EventSession) -> int:
    """The session moved or was cancelled: reminders queued for its old time and not
    yet sent are dropped (the new time's are queued when due). In the caller's
    transaction."""
    return outbox.cancel_pending(
        OutboundEmail.session_id == session.id,
        OutboundEmail.kind.in_([EmailKind.REMINDER, EmailKind.STILL_WAITING]),
    )
