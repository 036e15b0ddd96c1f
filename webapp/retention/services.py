"""Delete the personal details of bookings whose session ended long enough ago.

What is kept: the registration row itself with its status, check-in time and creation time,
so that booked / attended / waiting counts in results and workbooks stay right. What goes:
name and email (set to NULL) and the other details people typed (set to ""). Feedback is
anonymous and is not touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.audit import AuditAction, record
from webapp.jobs.models import OutboundEmail
from webapp.bookings.models import Registration
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.sessions.models import EventSession

PERSONAL_FIELDS_CLEARED = {
    "name": None,
    "email": None,
    "job_role": "",
    "team": "",
    "locality": "",
    "organisation": "",
    "access_requirements": "",
}


@dataclass
class SessionCount:
    session_id: int
    title: str
    ends_at: datetime
    registrations: int


@dataclass
class PurgeReport:
    cutoff: datetime
    sessions: list[SessionCount] = field(default_factory=list)
    dry_run: bool = False

    @property
    def registrations(self) -> int:
        return sum(item.registrations for item in self.sessions)


def _due(cutoff: datetime):
    """Registrations not yet purged whose session ended before the cutoff."""
    ended = sa.select(EventSession.id).where(EventSession.ends_at < cutoff)
    return sa.and_(Registration.purged_at.is_(None), Registration.session_id.in_(ended))


def purge(after_days: int, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Remove personal details from registrations of sessions that ended more than
    `after_days` days ago. With dry_run, only count them."""
    if after_days < 0:
        raise ValueError("after_days must be 0 or more")
    now = now or utcnow()
    report = PurgeReport(cutoff=now - timedelta(days=after_days), dry_run=dry_run)
    rows = db.session.execute(
        sa.select(EventSession.id, EventSession.title, EventSession.ends_at,
                  sa.func.count(Registration.id))
        .join(Registration, Registration.session_id == EventSession.id)
        .where(_due(report.cutoff))
        .group_by(EventSession.id, EventSession.title, EventSession.ends_at)
        .order_by(EventSession.ends_at, EventSession.id)
    ).all()
    report.sessions = [SessionCount(*row) for row in rows]
    if dry_run or not report.sessions:
        db.session.rollback()
        return report
    db.session.execute(
        sa.update(Registration)
        .where(_due(report.cutoff))
        .values(**PERSONAL_FIELDS_CLEARED, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    # The delivery records hold the same addresses.
    db.session.execute(sa.delete(OutboundEmail).where(
        OutboundEmail.session_id.in_([session.session_id for session in report.sessions])))
    record(None, AuditAction.RETENTION_PURGED, "",
           f"{report.registrations} bookings from {len(report.sessions)} sessions "
           f"that ended more than {after_days} days ago")
    db.session.commit()
    return report
