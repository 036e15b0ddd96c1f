"""What the public front page shows."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession, SessionStatus


@dataclass
class ProgrammeListing:
    programme: Programme
    sessions: list[EventSession]


def upcoming_sessions_by_programme() -> list[ProgrammeListing]:
    """Sessions still to come, of open programmes, grouped by programme in date order."""
    sessions = db.session.scalars(
        sa.select(EventSession)
        .join(EventSession.programme)
        .options(contains_eager(EventSession.programme))
        .where(
            Programme.is_open.is_(True),
            EventSession.status == SessionStatus.SCHEDULED,
            EventSession.starts_at > utcnow(),
        )
        .order_by(Programme.title, EventSession.starts_at)
    ).all()
    listings: dict[int, ProgrammeListing] = {}
    for session in sessions:
        listing = listings.setdefault(
            session.programme_id, ProgrammeListing(session.programme, [])
        )
        listing.sessions.append(session)
    return list(listings.values())
