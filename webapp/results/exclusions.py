"""Bursts of responses (issue 12, point 2): an organiser's view of a session's responses
minute by minute, and excluding a burst from the results, or putting it back.

An excluded response is kept: it is marked (Response.excluded_at and exclusion_id) and
taken out of the running totals in the same transaction, so every figure, comment list
and export, which all read the totals or `Response.included`, leaves it out at once.
Undoing an exclusion puts the same responses back into the totals.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from typing import TYPE_CHECKING

import sqlalchemy as sa

from webapp.audit import AuditAction, record
from webapp.db_types import rows_changed, utcnow
from webapp.extensions import db
from webapp.feedback.models import Response, ResponseExclusion
from webapp.results import totals
from webapp.sessions.models import EventSession
from webapp.timezones import format_datetime, to_local

if TYPE_CHECKING:
    from webapp.auth.models import User

# A minute is flagged when it had at least this many times the median minute's responses
# (the median of the minutes that had any), and at least BURST_MINIMUM: a room answering
# together at the end of a session reaches a few dozen a minute; a script, hundreds.
BURST_TIMES_MEDIAN = 5
BURST_MINIMUM = 20
FLAG_RULE = (
    f"A minute is flagged when it had at least {BURST_TIMES_MEDIAN} times as many responses as the "
    f"median minute (of the minutes with any responses), and at least {BURST_MINIMUM}."
)


class ExclusionError(Exception):
    """An exclusion that cannot be made or undone; the message says why."""


@dataclass
class Minute:
    start: datetime  # UTC, on the minute
    included: int
    excluded: int
    flagged: bool = False
    bar: int = 0  # 0..100: its share of the busiest minute, for the bar's width class

    @property
    def total(self) -> int:
        return self.included + self.excluded

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=1)

    @property
    def window_args(self) -> dict[str, str]:
        return window_args(self.start, self.end)


@dataclass
class Timeline:
    session: EventSession
    minutes: list[Minute]
    median: float
    threshold: int
    exclusions: list[ResponseExclusion]

    @property
    def included(self) -> int:
        return sum(minute.included for minute in self.minutes)

    @property
    def excluded(self) -> int:
        return sum(minute.excluded for minute in self.minutes)

    @property
    def flagged(self) -> list[Minute]:
        return [minute for minute in self.minutes if minute.flagged]

    @property
    def bursts(self) -> list[Burst]:
        """Flagged minutes that follow one another, together: each a window to exclude."""
        runs: list[Burst] = []
        for minute in self.flagged:
            if runs and runs[-1].end == minute.start:
                runs[-1].end = minute.end
                runs[-1].included += minute.included
            else:
                runs.append(Burst(minute.start, minute.end, minute.included))
        return runs


@dataclass
class Burst:
    start: datetime
    end: datetime
    included: int  # still in the results

    @property
    def window_args(self) -> dict[str, str]:
        return window_args(self.start, self.end)


def window_args(since: datetime, until: datetime) -> dict[str, str]:
    """The exclusion form's query string for this window (London time, as typed)."""
    return {"submitted_from": f"{to_local(since):%Y-%m-%dT%H:%M}",
            "submitted_until": f"{to_local(until):%Y-%m-%dT%H:%M}"}


def _minute_of(column) -> sa.ColumnElement:
    """The minute a moment falls in, in SQL (each database spells it its own way)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date_trunc("minute", column)
    return sa.func.strftime("%Y-%m-%d %H:%M", column)


def _as_utc(value) -> datetime:
    if isinstance(value, str):  # SQLite
        value = datetime.strptime(value, "%Y-%m-%d %H:%M")
    return value.replace(tzinfo=UTC)


def timeline(session: EventSession) -> Timeline:
    """The session's responses per minute (minutes with none are left out), in and out
    of the results, with the minutes far above the median flagged. One grouped query."""
    minute = _minute_of(Response.submitted_at)
    rows = db.session.execute(
        sa.select(minute, Response.included, sa.func.count())
        .where(Response.session_id == session.id)
        .group_by(minute, Response.included)
        .order_by(minute))
    minutes: dict[datetime, Minute] = {}
    for start, included, count in rows:
        row = minutes.setdefault(_as_utc(start), Minute(_as_utc(start), 0, 0))
        if included:
            row.included += count
        else:
            row.excluded += count
    listed = sorted(minutes.values(), key=lambda row: row.start)
    median = statistics.median(row.total for row in listed) if listed else 0
    threshold = max(BURST_MINIMUM, math.ceil(BURST_TIMES_MEDIAN * median))
    busiest = max((row.total for row in listed), default=0)
    for row in listed:
        row.flagged = row.total >= threshold
        row.bar = round(100 * row.total / busiest) if busiest else 0
    exclusions = list(db.session.scalars(
        sa.select(ResponseExclusion).where(ResponseExclusion.session_id == session.id)
        .order_by(ResponseExclusion.excluded_at.desc(), ResponseExclusion.id.desc())))
    return Timeline(session, listed, median, threshold, exclusions)


def _in_window(session_id: int, since: datetime, until: datetime):
    return sa.and_(Response.session_id == session_id, Response.included,
                   Response.submitted_at >= since, Response.submitted_at < until)


def count_in_window(session: EventSession, since: datetime, until: datetime) -> int:
    """How many included responses an exclusion of this window would take out (the confirm step)."""
    return db.session.scalar(sa.select(sa.func.count(Response.id)).where(_in_window(session.id, since, until))) or 0


def excluded_count(session_ids: list[int]) -> int:
    """Responses of these sessions kept out of the results by exclusions in force."""
    if not session_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ResponseExclusion.count), 0))
        .where(ResponseExclusion.session_id.in_(session_ids), ResponseExclusion.undone_at.is_(None))) or 0


def describe_window(since: datetime, until: datetime) -> str:
    return f"submitted from {format_datetime(since)} until {format_datetime(until)}"


def exclude(session: EventSession, since: datetime, until: datetime, reason: str,
            actor: User | None) -> ResponseExclusion:
    """Exclude the session's included responses submitted in [since, until) from the
    results: mark them, take them out of the running totals, record the exclusion and
    the audit entry, and commit once. Responses that arrive later are not affected.

    The UPDATE marks only rows not yet excluded and returns exactly those, so two
    organisers excluding overlapping windows at once never take a response out twice."""
    if until <= since:
        raise ExclusionError("The end of the window must be after its start")
    exclusion = ResponseExclusion(session_id=session.id, window_from=since, window_until=until, reason=reason,
                                  excluded_by_id=actor.id if actor else None)
    db.session.add(exclusion)
    db.session.flush()
    marked = list(db.session.scalars(
        sa.update(Response).where(_in_window(session.id, since, until))
        .values(excluded_at=exclusion.excluded_at, exclusion_id=exclusion.id)
        .returning(Response.id).execution_options(synchronize_session=False)))
    if not marked:
        db.session.rollback()
        raise ExclusionError(f"No responses in the results were {describe_window(since, until)}")
    totals.add_responses(marked, sign=-1)
    exclusion.count = len(marked)
    record(actor, AuditAction.RESPONSES_EXCLUDED, f"session:{session.id}",
           f"{len(marked)} responses {describe_window(since, until)} excluded from results (exclusion {exclusion.id})")
    db.session.commit()
    return exclusion


def undo(exclusion: ResponseExclusion, actor: User | None) -> int:
    """Put an exclusion's responses back into the results (and the running totals);
    the exclusion is kept, marked as undone, and audited. Returns how many came back."""
    claimed = rows_changed(db.session.execute(
        sa.update(ResponseExclusion)
        .where(ResponseExclusion.id == exclusion.id, ResponseExclusion.undone_at.is_(None))
        .values(undone_at=utcnow(), undone_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)))
    if not claimed:
        db.session.rollback()
        raise ExclusionError("These responses have already been put back")
    restored = list(db.session.scalars(
        sa.update(Response).where(Response.exclusion_id == exclusion.id)
        .values(excluded_at=None, exclusion_id=None)
        .returning(Response.id).execution_options(synchronize_session=False)))
    totals.add_responses(restored)
    record(actor, AuditAction.RESPONSES_RESTORED, f"session:{exclusion.session_id}",
           f"{len(restored)} responses put back into results (exclusion {exclusion.id})")
    db.session.commit()
    db.session.refresh(exclusion)
    return len(restored)

