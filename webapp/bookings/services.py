"""Bookings: take a place, join the waiting list, cancel, move, promote, check in.

Never overbooked: a place is taken only by a conditional UPDATE
(`confirmed_count = confirmed_count + 1 WHERE confirmed_count < capacity`) checked by
its row count, in the same transaction as the write that depends on it. That holds on
SQLite (pysqlite starts no transaction before a SELECT, so read-then-insert would race;
an UPDATE takes the write lock and waits its turn thanks to the busy timeout) and on
PostgreSQL (the UPDATE locks the session's row and re-checks its condition after any
concurrent writer commits). A place freed in a transaction is given to the first person
waiting in that same transaction, so nobody can jump the queue.
"""
from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from webapp.audit import AuditAction, record
from webapp.bookings import emails
from webapp.bookings.attendance import ATTENDANCE_COLUMNS, attendance_rows
from webapp.bookings.models import WALK_IN_EMAIL_DOMAIN, Registration, RegistrationStatus
from webapp.db_types import rows_changed, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import db
from webapp.forms import strip_control_characters
from webapp.jobs.models import EmailKind
from webapp.sessions.models import EventSession, SessionStatus
from webapp.tables import csv_lines, headers
from webapp.text import like_contains, normalise_email
from webapp.tokens import is_url_token

if TYPE_CHECKING:
    from webapp.auth.models import User



class BookingError(ValueError):
    """A booking request that cannot be carried out; the message says why, plainly."""


class BookingOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    ALREADY_BOOKED = "already_booked"
    BOOKED_ELSEWHERE = "booked_elsewhere"


@dataclass
class BookingResult:
    registration: Registration
    outcome: BookingOutcome


# ---------------------------------------------------------------------------
# The counter: every change of confirmed_count goes through these.
# ---------------------------------------------------------------------------

def _take_place(session_id: int) -> bool:
    result = db.session.execute(
        sa.update(EventSession)
        .where(
            EventSession.id == session_id,
            EventSession.confirmed_count < EventSession.capacity,
            EventSession.status == SessionStatus.SCHEDULED,
        )
        .values(confirmed_count=EventSession.confirmed_count + 1)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def _release_place(session_id: int) -> None:
    db.session.execute(
        sa.update(EventSession)
        .where(EventSession.id == session_id, EventSession.confirmed_count > 0)
        .values(confirmed_count=EventSession.confirmed_count - 1)
        .execution_options(synchronize_session=False)
    )


def _set_status(registration_id: int, from_status: str, **values) -> bool:
    """Change a registration only if it is still in `from_status`; True if it was.
    Its calendar event changes too, so the next calendar file outranks the last."""
    result = db.session.execute(
        sa.update(Registration)
        .where(Registration.id == registration_id, Registration.status == from_status)
        .values(**values, calendar_sequence=NEXT_SEQUENCE)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


NEXT_SEQUENCE = Registration.calendar_sequence + 1


def calendar_changed(session_id: int) -> None:
    """The session's time or place changed: every booking's calendar event did too."""
    db.session.execute(
        sa.update(Registration)
        .where(Registration.session_id == session_id, Registration.status != RegistrationStatus.CANCELLED)
        .values(calendar_sequence=NEXT_SEQUENCE)
        .execution_options(synchronize_session=False)
    )


def promote_waiting(session_id: int) -> list[Registration]:
    """Give free places to the people waiting longest, and queue their emails. Call
    inside the transaction that freed the places; the caller commits."""
    promoted: list[Registration] = []
    skipped: set[int] = set()
    while True:
        candidate = db.session.scalar(
            sa.select(Registration)
            .where(
                Registration.session_id == session_id,
                Registration.status == RegistrationStatus.WAITING,
                Registration.id.not_in(skipped) if skipped else sa.true(),
            )
            .order_by(Registration.created_at, Registration.id)
            .limit(1)
        )
        if candidate is None or not _take_place(session_id):
            break
        if _set_status(candidate.id, RegistrationStatus.WAITING,
                       status=RegistrationStatus.CONFIRMED, promoted_at=utcnow()):
            promoted.append(candidate)
            emails.queue(EmailKind.PROMOTED, candidate)
        else:  # they cancelled meanwhile: hand the place back and try the next person
            _release_place(session_id)
            skipped.add(candidate.id)
    return promoted


def _refresh(registrations: list[Registration]) -> None:
    for registration in registrations:
        db.session.refresh(registration)


# ---------------------------------------------------------------------------
# Looking things up
# ---------------------------------------------------------------------------



def find_by_booking_token(token: str) -> Registration | None:
    """The booking a manage link is for; None for an unknown, malformed or purged token."""
    if not is_url_token(token):
        return None
    return db.session.scalar(
        sa.select(Registration)
        .options(joinedload(Registration.session).joinedload(EventSession.programme))
        .where(Registration.booking_token == token, Registration.purged_at.is_(None))
    )


def find_by_checkin_token(token: str) -> Registration | None:
    if not is_url_token(token):
        return None
    return db.session.scalar(
        sa.select(Registration).where(Registration.checkin_token == token, Registration.purged_at.is_(None))
    )


def active_booking(session_id: int, email: str) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.session_id == session_id,
            Registration.email == normalise_email(email),
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )


def request_manage_links(email: str) -> None:
    """"Find my booking": queue the email with the links, if the address holds any (the
    page says the same either way)."""
    email = normalise_email(email)
    if bookings_to_find(email):
        emails.queue_manage_links(email, utcnow())
        db.session.commit()


def bookings_to_find(email: str, now: datetime | None = None) -> list[Registration]:
    """"Find my booking": the active bookings an address holds for sessions not yet over."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(Registration).join(EventSession, EventSession.id == Registration.session_id)
        .options(joinedload(Registration.session))
        .where(Registration.email == normalise_email(email), Registration.status != RegistrationStatus.CANCELLED,
               Registration.purged_at.is_(None), EventSession.ends_at > now)
        .order_by(EventSession.starts_at)))


def place_elsewhere(session: EventSession, email: str) -> Registration | None:
    """A confirmed place the address holds on another session of the same programme that
    is still to come: a person holds one place per programme unless it allows more."""
    return db.session.scalar(
        sa.select(Registration).join(EventSession, EventSession.id == Registration.session_id)
        .where(Registration.email == normalise_email(email), Registration.status == RegistrationStatus.CONFIRMED,
               EventSession.programme_id == session.programme_id, EventSession.id != session.id,
               EventSession.status == SessionStatus.SCHEDULED, EventSession.ends_at > utcnow())
        .order_by(EventSession.starts_at).limit(1))


def waiting_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.session_id == registration.session_id,
            Registration.status == RegistrationStatus.WAITING,
            sa.or_(
                Registration.created_at < registration.created_at,
                sa.and_(Registration.created_at == registration.created_at, Registration.id < registration.id),
            ),
        )
    )
    return (ahead or 0) + 1



# ---------------------------------------------------------------------------
# Booking, cancelling, moving
# ---------------------------------------------------------------------------

PERSON_FIELDS = ("name", "email", "job_role", "team", "locality", "organisation", "access_requirements")


def _clean_person(fields: dict) -> dict:
    cleaned = {name: (fields.get(name) or "").strip() for name in PERSON_FIELDS}
    cleaned["email"] = normalise_email(cleaned["email"])
    return cleaned


def book(session: EventSession, **fields) -> BookingResult:
    """A place if there is one, otherwise the waiting list; the email saying so is sent
    after commit. Raises BookingError when the session cannot be booked. An existing
    active booking is returned, not duplicated (and its holder is emailed, at most
    once an hour, rather than told here: the page says the same whoever typed the
    address)."""
    person = _clean_person(fields)
    existing = active_booking(session.id, person["email"])
    if existing is not None:
        return _already_booked(existing)
    reason = session.why_not_bookable()
    if reason:
        raise BookingError(reason)
    if not session.programme.allows_several_places:
        elsewhere = place_elsewhere(session, person["email"])
        if elsewhere is not None:  # one place each: the email offers to move it instead
            emails.queue_booked_elsewhere(elsewhere, session, utcnow())
            db.session.commit()
            return BookingResult(elsewhere, BookingOutcome.BOOKED_ELSEWHERE)

    took_place = _take_place(session.id)
    if not took_place:
        # Full, or cancelled a moment ago: ask again now that we hold the write lock.
        session_status = db.session.scalar(sa.select(EventSession.status).where(EventSession.id == session.id))
        if session_status != SessionStatus.SCHEDULED:
            db.session.rollback()
            raise BookingError("This session has been cancelled. Choose another session.")
    status = RegistrationStatus.CONFIRMED if took_place else RegistrationStatus.WAITING
    registration = Registration(session_id=session.id, status=status, **person)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        # The same person pressed twice at once: the unique index kept one booking.
        db.session.rollback()
        existing = active_booking(session.id, person["email"])
        if existing is None:
            raise
        return _already_booked(existing)
    emails.queue(EmailKind.BOOKING_CONFIRMED if took_place else EmailKind.WAITING_LIST, registration)
    db.session.commit()
    return BookingResult(registration, BookingOutcome(registration.status))


def _already_booked(existing: Registration) -> BookingResult:
    emails.queue_link_again(existing, utcnow())
    db.session.commit()
    return BookingResult(existing, BookingOutcome.ALREADY_BOOKED)


def _cancel(registration: Registration) -> tuple[bool, list[Registration]]:
    """Inside the caller's transaction: (cancelled now, promoted in its place)."""
    values = {"status": RegistrationStatus.CANCELLED, "cancelled_at": utcnow()}
    promoted: list[Registration] = []
    if _set_status(registration.id, RegistrationStatus.CONFIRMED, **values):
        _release_place(registration.session_id)
        promoted = promote_waiting(registration.session_id)
    elif not _set_status(registration.id, RegistrationStatus.WAITING, **values):
        return False, []
    emails.queue(EmailKind.CANCELLED, registration)
    return True, promoted


def cancel(registration: Registration, actor: User | None = None) -> tuple[bool, list[Registration]]:
    """Cancel a booking or a place on the waiting list, by its holder or (with `actor`)
    an organiser. Returns (cancelled now, promoted)."""
    was_cancelled, promoted = _cancel(registration)
    if not was_cancelled:
        db.session.rollback()
        return False, []
    if actor is not None:
        record(actor, AuditAction.BOOKING_CANCELLED, f"registration:{registration.id}",
               registration.session.title)
    db.session.commit()
    db.session.refresh(registration)
    _refresh(promoted)
    return True, promoted


def move_targets(registration: Registration) -> list[EventSession]:
    """Other sessions of the same programme that can be booked and have room."""
    sessions = db.session.scalars(
        sa.select(EventSession)
        .where(
            EventSession.programme_id == registration.session.programme_id,
            EventSession.id != registration.session_id,
            # Only to read fewer rows: why_not_bookable below is the rule, and says the same.
            EventSession.status == SessionStatus.SCHEDULED,  # pragma: no mutate
            EventSession.starts_at > utcnow(),  # pragma: no mutate
        )
        .order_by(EventSession.starts_at)
    ).all()
    return [s for s in sessions if s.places_left > 0 and s.why_not_bookable() is None]


def move(registration: Registration, target: EventSession) -> list[Registration]:
    """Move a booking (or a place on the waiting list) to a confirmed place at another
    session of the same programme. Same row, same links, same calendar UID.
    Returns the people promoted at the old session."""
    old_session_id = registration.session_id
    if target.programme_id != registration.session.programme_id or target.id == old_session_id:
        raise BookingError("Choose another session of the same programme.")
    if registration.status == RegistrationStatus.CANCELLED:
        raise BookingError("This booking has been cancelled. Book a new place instead.")
    reason = target.why_not_bookable()
    if reason:
        raise BookingError(reason)
    if active_booking(target.id, registration.address) is not None:
        raise BookingError("You already have a booking for that session.")

    # Lock both sessions in id order (PostgreSQL) so two moves in opposite directions
    # cannot deadlock; on SQLite the first UPDATE below takes the database's write lock.
    db.session.execute(
        sa.select(EventSession.id)
        .where(EventSession.id.in_([old_session_id, target.id]))
        .order_by(EventSession.id)
        .with_for_update()
    )
    if not _take_place(target.id):
        db.session.rollback()
        raise BookingError("That session has just filled up. Choose another session.")
    promoted: list[Registration] = []
    moved = {"session_id": target.id, "checked_in_at": None}
    if _set_status(registration.id, RegistrationStatus.CONFIRMED, **moved):
        _release_place(old_session_id)
        promoted = promote_waiting(old_session_id)
    elif not _set_status(registration.id, RegistrationStatus.WAITING, status=RegistrationStatus.CONFIRMED, **moved):
        db.session.rollback()
        raise BookingError("This booking has been cancelled. Book a new place instead.")
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise BookingError("You already have a booking for that session.") from None
    db.session.refresh(registration)
    emails.queue(EmailKind.MOVED, registration)
    db.session.commit()
    _refresh(promoted)
    return promoted


def burst(session_id: int, since: datetime, until: datetime, email_ending: str = "") -> list[Registration]:
    """Active bookings of a session made between `since` and `until` (UTC), perhaps only
    those whose address ends with `email_ending`: what one scripted client made."""
    query = sa.select(Registration).where(
        Registration.session_id == session_id, Registration.status != RegistrationStatus.CANCELLED,
        Registration.is_walk_in.is_(False),
        Registration.created_at >= since, Registration.created_at < until,
    )
    ending = normalise_email(email_ending)
    if ending:
        query = query.where(Registration.email.endswith(ending, autoescape=True))
    return list(db.session.scalars(query.order_by(Registration.created_at, Registration.id)))


def cancel_burst(session: EventSession, registrations: list[Registration], by, criteria: str) -> list[Registration]:
    """Cancel a burst of invented bookings in one go, without emailing them (the addresses
    are made up), then give the freed places to the people waiting. Returns who was
    promoted (their emails are queued with the change). Audited as one entry: no names or
    addresses."""
    values = {"status": RegistrationStatus.CANCELLED, "cancelled_at": utcnow()}
    cancelled = 0
    for registration in registrations:
        if _set_status(registration.id, RegistrationStatus.CONFIRMED, **values):
            _release_place(session.id)
            cancelled += 1
        elif _set_status(registration.id, RegistrationStatus.WAITING, **values):
            cancelled += 1
    promoted = promote_waiting(session.id)
    record(by, AuditAction.BOOKING_BURST_CANCELLED, target=f"session:{session.id}",
           detail=f"{cancelled} bookings cancelled ({criteria}); {len(promoted)} promoted from the waiting list")
    db.session.commit()
    _refresh(promoted)
    return promoted


# ---------------------------------------------------------------------------
# Organisers: capacity, session cancellation, check-in, walk-ins
# ---------------------------------------------------------------------------

def set_capacity(session_id: int, capacity: int) -> list[Registration]:
    """Inside the caller's transaction: refuses (BookingError) to go below the places
    already confirmed; a raise fills the new places from the waiting list."""
    result = db.session.execute(
        sa.update(EventSession)
        .where(EventSession.id == session_id, EventSession.confirmed_count <= capacity)
        .values(capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise BookingError("Capacity cannot be below the places already booked")
    return promote_waiting(session_id)


def cancel_session_bookings(session_id: int) -> list[Registration]:
    """Inside the caller's transaction: mark the session cancelled, cancel every active
    booking and queue the email telling each person. Returns those people."""
    db.session.execute(
        sa.update(EventSession)
        .where(EventSession.id == session_id)
        .values(status=SessionStatus.CANCELLED, confirmed_count=0)
        .execution_options(synchronize_session=False)
    )
    affected = db.session.scalars(
        sa.select(Registration).where(Registration.session_id == session_id,
                                      Registration.status != RegistrationStatus.CANCELLED)
    ).all()
    db.session.execute(
        sa.update(Registration)
        .where(Registration.session_id == session_id, Registration.status != RegistrationStatus.CANCELLED)
        .values(status=RegistrationStatus.CANCELLED, cancelled_at=utcnow(), calendar_sequence=NEXT_SEQUENCE)
        .execution_options(synchronize_session=False)
    )
    for registration in affected:
        emails.queue(EmailKind.SESSION_CANCELLED, registration)
    return list(affected)


def _check_in(registration: Registration) -> bool:
    result = db.session.execute(
        sa.update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_(None),
        )
        .values(checked_in_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def check_in(registration: Registration, actor: User) -> bool:
    """Record arrival once. True if it was recorded now, False if it already was.
    Raises BookingError for a booking that is not confirmed."""
    arrived_now = _check_in(registration)
    if arrived_now:
        record(actor, AuditAction.CHECKED_IN, f"registration:{registration.id}")
    db.session.commit()
    db.session.refresh(registration)
    if arrived_now:
        return True
    if registration.status != RegistrationStatus.CONFIRMED:
        raise BookingError(
            f"{registration.name} is not booked on this session ({registration.status_label.lower()})."
            " Add them as a walk-in if they are here."
        )
    return False


def undo_check_in(registration: Registration, actor: User) -> bool:
    """Take back an arrival recorded by mistake (the wrong name tapped at the door).
    True if there was one to take back."""
    result = db.session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.checked_in_at.is_not(None))
        .values(checked_in_at=None)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) == 1:
        record(actor, AuditAction.CHECK_IN_UNDONE, f"registration:{registration.id}")
    db.session.commit()
    db.session.refresh(registration)
    return rows_changed(result) == 1


def add_walk_in(session: EventSession, actor: User, name: str, email: str = "", job_role: str = "",
                team: str = "", organisation: str = "") -> tuple[Registration, bool]:
    """Someone who turned up without a booking, checked in at once. When the session is
    full the capacity grows by one: they are in the room. Returns (registration, grew)."""
    email = normalise_email(email)
    if email:
        existing = active_booking(session.id, email)
        if existing is not None and existing.status == RegistrationStatus.CONFIRMED:
            check_in(existing, actor)
            return existing, False
        if existing is not None:
            _cancel(existing)  # they are here: replace the waiting-list entry
    grew = False
    if not _take_place(session.id):
        db.session.execute(
            sa.update(EventSession)
            .where(EventSession.id == session.id)
            .values(capacity=EventSession.capacity + 1, confirmed_count=EventSession.confirmed_count + 1)
            .execution_options(synchronize_session=False)
        )
        grew = True
    registration = Registration(
        session_id=session.id,
        name=name.strip(),
        email=email or f"walk-in-{secrets.token_hex(8)}@{WALK_IN_EMAIL_DOMAIN}",
        job_role=job_role.strip(),
        team=team.strip(),
        organisation=organisation.strip(),
        status=RegistrationStatus.CONFIRMED,
        is_walk_in=True,
        checked_in_at=utcnow(),
    )
    db.session.add(registration)
    db.session.flush()
    record(actor, AuditAction.WALK_IN_ADDED, f"registration:{registration.id}", session.title)
    db.session.commit()
    db.session.refresh(session)
    return registration, grew


# ---------------------------------------------------------------------------
# Lists, counts and CSV for organisers
# ---------------------------------------------------------------------------

class AttendeeFilter(LabelledEnum):
    """Which people an attendee list shows."""

    ALL = "all", "All"
    CONFIRMED = "confirmed", "Confirmed"
    WAITING = "waiting", "Waiting list"
    CANCELLED = "cancelled", "Cancelled"
    ATTENDED = "attended", "Attended"
    NOT_ARRIVED = "not_arrived", "Confirmed, not arrived"

    @classmethod
    def from_query(cls, value: str | None) -> AttendeeFilter:
        """The filter a URL asks for; anything unknown shows everyone."""
        try:
            return cls(value or cls.ALL)
        except ValueError:
            return cls.ALL


def attendees(session_ids: list[int], status: AttendeeFilter = AttendeeFilter.ALL,
              search: str = "") -> list[Registration]:
    query = (
        sa.select(Registration)
        .options(joinedload(Registration.session))
        .where(Registration.session_id.in_(session_ids), Registration.purged_at.is_(None))
    )
    if status in (AttendeeFilter.CONFIRMED, AttendeeFilter.WAITING, AttendeeFilter.CANCELLED):
        query = query.where(Registration.status == RegistrationStatus(status.value))
    elif status == AttendeeFilter.ATTENDED:
        query = query.where(Registration.checked_in_at.is_not(None))
    elif status == AttendeeFilter.NOT_ARRIVED:
        query = query.where(Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_(None))
    search = strip_control_characters(search or "").strip()[:100]
    # Each word typed must be found: "jo bl" finds Jo Bloggs from the first letters.
    for word in search.lower().split():
        pattern = like_contains(word)  # % and _ typed are searched for, not wildcards
        query = query.where(
            sa.or_(
                sa.func.lower(Registration.name).like(pattern, escape="\\"),
                Registration.email.like(pattern, escape="\\"),
                sa.func.lower(Registration.team).like(pattern, escape="\\"),
                sa.func.lower(Registration.organisation).like(pattern, escape="\\"),
            )
        )
    order = [Registration.session_id] if len(session_ids) > 1 else []
    return list(db.session.scalars(query.order_by(*order, sa.func.lower(Registration.name), Registration.id)).unique())


@dataclass
class SessionCounts:
    booked: int = 0
    waiting: int = 0
    cancelled: int = 0
    attended: int = 0


def counts_by_session(session_ids: list[int]) -> dict[int, SessionCounts]:
    counts = {session_id: SessionCounts() for session_id in session_ids}
    if not session_ids:
        return counts
    rows = db.session.execute(
        sa.select(
            Registration.session_id,
            Registration.status,
            sa.func.count(Registration.id),
            sa.func.count(Registration.checked_in_at),
        )
        .where(Registration.session_id.in_(session_ids))
        .group_by(Registration.session_id, Registration.status)
    )
    for session_id, status, number, arrived in rows:
        entry = counts[session_id]
        if status == RegistrationStatus.CONFIRMED:
            entry.booked = number
        elif status == RegistrationStatus.WAITING:
            entry.waiting = number
        else:
            entry.cancelled = number
        entry.attended += arrived
    return counts



def export_attendees_csv(actor: User, registrations: list[Registration], target: str) -> str:
    """An attendee list as CSV, its download recorded in the audit log."""
    record(actor, AuditAction.EXPORT_ATTENDEES_CSV, target, f"{len(registrations)} people")
    db.session.commit()
    return attendees_csv(registrations)


def attendees_csv(registrations: list[Registration]) -> str:
    """The attendee list as it is on screen (status filter and search applied), with the
    same columns as the workbook's Attendance sheet."""
    return "".join(csv_lines(headers(ATTENDANCE_COLUMNS), attendance_rows(registrations)))
