"""The attendance table: who booked, waited, came. Personal data: organisers and admins.

One column list and one row for the organiser's attendee CSV, the attendance CSV and the
workbook's Attendance sheet."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.sessions.models import EventSession
from webapp.tables import Column
from webapp.timezones import local_naive

ATTENDANCE_COLUMNS = (
    Column("Session", 32), Column("Session starts", 17, "datetime"), Column("Name", 26), Column("Email", 32),
    Column("Job role", 22), Column("Team or service", 22), Column("Locality", 16), Column("Organisation", 30),
    Column("Access requirements", 30), Column("Status", 13), Column("Walk-in", 8),
    Column("Booked at", 17, "datetime"), Column("Checked in at", 17, "datetime"),
)


def attendance_row(registration: Registration) -> tuple:
    session = registration.session
    return (session.title, local_naive(session.starts_at), registration.name or "",
            registration.email if registration.has_real_email else "", registration.job_role,
            registration.team, registration.locality, registration.organisation,
            registration.access_requirements, registration.status.label,
            "Yes" if registration.is_walk_in else "No",
            local_naive(registration.created_at), local_naive(registration.checked_in_at))


def attendance_rows(registrations: Iterable[Registration]) -> Iterator[tuple]:
    return (attendance_row(registration) for registration in registrations)


def registrations_of(session_ids: list[int]) -> Iterator[Registration]:
    """Every booking of these sessions not yet purged, by session then booking time,
    read in batches."""
    if not session_ids:
        return iter(())
    query = (
        sa.select(Registration).options(joinedload(Registration.session))
        .join(EventSession, EventSession.id == Registration.session_id)
        .where(Registration.session_id.in_(session_ids), Registration.purged_at.is_(None))
        .order_by(EventSession.starts_at, EventSession.id, Registration.created_at, Registration.id)
        .execution_options(yield_per=1000)
    )
    return iter(db.session.scalars(query))
