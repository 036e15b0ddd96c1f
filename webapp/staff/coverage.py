"""Coverage: of the people listed for a programme, who has booked, who came, who has not
yet been reached; by locality, team, role group and organisation. Bookings and walk-ins
are matched to the list by email (stored trimmed and lower-cased on both sides)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession
from webapp.staff.models import NotApplicable, StaffMember

# The groupings an organiser can break coverage down by, with their headings.
GROUPINGS = {
    "locality": "Locality",
    "team": "Team or service",
    "role_group": "Role group",
    "organisation": "Organisation",
}
SMALL_GROUP = 5


@dataclass
class Counts:
    listed: int = 0  # on the list, less those who said it does not apply (left)
    booked: int = 0  # a place or the waiting list, not yet attended
    attended: int = 0  # checked in at a session (or said they attended another briefing)
    absent: int = 0  # booked for a session that has ended, and did not come
    left: int = 0

    @property
    def not_reached(self) -> int:
        return max(self.listed - self.attended, 0)

    @property
    def coverage(self) -> float | None:
        return self.attended / self.listed if self.listed else None


@dataclass
class GroupRow:
    name: str
    counts: Counts
    hidden: bool = False  # a viewer sees "fewer than 5"


@dataclass
class Coverage:
    total: Counts
    groups: dict[str, list[GroupRow]] = field(default_factory=dict)
    unlisted_attended: int = 0  # came without being on the list


def _reached():
    """Per email, over the programme's sessions: booked (active), attended, absent."""
    now = utcnow()
    active = Registration.status != RegistrationStatus.CANCELLED
    return (
        sa.select(
            Registration.email.label("email"),
            sa.func.max(sa.case((active, 1), else_=0)).label("booked"),
            sa.func.max(sa.case((Registration.checked_in_at.is_not(None), 1), else_=0)).label("attended"),
            sa.func.max(sa.case((sa.and_(Registration.status == RegistrationStatus.CONFIRMED,
                                          Registration.checked_in_at.is_(None),
                                          EventSession.ends_at < now), 1), else_=0)).label("absent"),
        )
        .join(EventSession, EventSession.id == Registration.session_id)
        .where(Registration.purged_at.is_(None))
    )


def coverage(programme: Programme, grouping: str = "team", viewer: bool = False) -> Coverage:
    """The programme's figures, broken down by one grouping (GROUPINGS). Two queries:
    the groups (the total is their sum), and those who came without being listed."""
    reached = (_reached().where(EventSession.programme_id == programme.id)
               .group_by(Registration.email).subquery())
    said = sa.func.coalesce(StaffMember.not_applicable, "")
    attended = sa.or_(sa.func.coalesce(reached.c.attended, 0) == 1, said == NotApplicable.ATTENDED_ELSEWHERE.value)
    is_left = said == NotApplicable.LEFT.value
    counted = said != NotApplicable.LEFT.value
    key = getattr(StaffMember, grouping)
    rows = db.session.execute(
        sa.select(
            key,
            sa.func.count().filter(counted),
            sa.func.count().filter(counted, sa.not_(attended), reached.c.booked == 1),
            sa.func.count().filter(counted, attended),
            sa.func.count().filter(counted, sa.not_(attended), reached.c.absent == 1),
            sa.func.count().filter(is_left),
        )
        .select_from(StaffMember)
        .outerjoin(reached, reached.c.email == StaffMember.email)
        .where(StaffMember.programme_id == programme.id)
        .group_by(key).order_by(key)
    ).all()
    groups = [GroupRow(name=row[0] or "Not given", counts=Counts(*row[1:])) for row in rows]
    total = Counts(*(sum(getattr(group.counts, name) for group in groups)
                     for name in ("listed", "booked", "attended", "absent", "left")))
    if viewer:
        suppress_small_groups(groups)
    listed = sa.select(StaffMember.email).where(StaffMember.programme_id == programme.id)
    unlisted = db.session.scalar(
        sa.select(sa.func.count()).select_from(reached).where(reached.c.attended == 1,
                                                             reached.c.email.not_in(listed))) or 0
    return Coverage(total=total, groups={grouping: groups}, unlisted_attended=unlisted)


def suppress_small_groups(rows: list[GroupRow]) -> None:
    """Hide groups of fewer than 5 people listed, and when only one would be hidden,
    hide the next smallest as well, so that no hidden group can be worked out by
    subtracting the others from the total."""
    small = [row for row in rows if row.counts.listed < SMALL_GROUP]
    for row in small:
        row.hidden = True
    if len(small) == 1:
        others = sorted((row for row in rows if not row.hidden), key=lambda row: row.counts.listed)
        if others:
            others[0].hidden = True


def below_threshold(result: Coverage, grouping: str, threshold: float) -> list[GroupRow]:
    """Groups whose coverage is below the threshold (a fraction), lowest first."""
    rows = [row for row in result.groups[grouping] if row.counts.coverage is not None
            and row.counts.coverage < threshold]
    return sorted(rows, key=lambda row: (row.counts.coverage, row.name))


def not_reached_members(programme: Programme, *, without_booking: bool, session_id: int | None = None):
    """The people listed who have not attended (or, with `without_booking`, have no
    booking either), for invitations."""
    reached = (_reached().where(EventSession.programme_id == programme.id)
               .group_by(Registration.email).subquery())
    query = (
        sa.select(StaffMember)
        .outerjoin(reached, reached.c.email == StaffMember.email)
        .where(StaffMember.programme_id == programme.id, StaffMember.not_applicable.is_(None),
               sa.func.coalesce(reached.c.attended, 0) == 0)
        .order_by(StaffMember.id)
    )
    if without_booking:
        query = query.where(sa.func.coalesce(reached.c.booked, 0) == 0)
    return query
