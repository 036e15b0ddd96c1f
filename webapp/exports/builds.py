"""Large workbooks, built by a worker instead of inside a web request.

`request_workbook()` (the operation, in the request) fingerprints the data the workbook
would show; a finished build of the same data is reused, a build under way is joined,
and otherwise a new one is recorded and handed to the queue after commit. `run_build()`
(on the worker) writes the file under EXPORTS_DIR, reporting its progress; `clean_up()`
(periodic) deletes files that are old or superseded."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from webapp.actions.models import Action, ActionUpdate, action_finding, action_theme
from webapp.auth.models import User
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import rows_changed, utcnow
from webapp.exports.models import BuildStatus, WorkbookBuild
from webapp.exports.workbook import build_workbook
from webapp.extensions import db
from webapp.feedback.models import FeedbackForm, Response, ResponseExclusion
from webapp.jobs import queue
from webapp.programmes.models import Finding, Programme
from webapp.room.models import RoomQuestion
from webapp.results import services as results
from webapp.results.services import ResultsFilter
from webapp.sessions.models import EventSession
from webapp.themes.models import Theme, theme_tag

log = logging.getLogger(__name__)

# A build still pending or building after this long was lost (its worker was killed):
# a new request starts another instead of waiting for it for ever.
STALE_AFTER = timedelta(minutes=30)


def exports_dir() -> Path:
    folder = Path(current_app.config.get("EXPORTS_DIR") or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def filters_to_json(filters: ResultsFilter) -> dict:
    return {"session_ids": list(filters.session_ids),
            "date_from": filters.date_from.isoformat() if filters.date_from else None,
            "date_to": filters.date_to.isoformat() if filters.date_to else None}


def filters_from_json(data: dict) -> ResultsFilter:
    day = lambda value: date.fromisoformat(value) if value else None  # noqa: E731
    return ResultsFilter(session_ids=tuple(data.get("session_ids") or ()),
                         date_from=day(data.get("date_from")), date_to=day(data.get("date_to")))


def response_count(sessions: list[EventSession]) -> int:
    """The responses the workbook would hold (included ones, from the running totals)."""
    return results.response_count([session.id for session in sessions])


def data_key(programme: Programme, filters: ResultsFilter, include_attendance: bool) -> str:
    """A fingerprint of everything the workbook shows: the same key, the same file."""
    session_ids = sa.select(EventSession.id).where(EventSession.programme_id == programme.id).scalar_subquery()
    sessions = db.session.execute(
        sa.select(sa.func.count(EventSession.id), sa.func.max(EventSession.updated_at))
        .where(EventSession.programme_id == programme.id)).one()
    responses = db.session.execute(
        sa.select(sa.func.count(Response.id), sa.func.max(Response.id))
        .where(Response.session_id.in_(session_ids))).one()
    # Every exclusion and every undo changes these, so the same responses shown is the same key.
    exclusions = db.session.execute(
        sa.select(sa.func.count(ResponseExclusion.id), sa.func.count(ResponseExclusion.undone_at))
        .where(ResponseExclusion.session_id.in_(session_ids))).one()
    confirmed = sa.case((Registration.status == RegistrationStatus.CONFIRMED, 1), else_=0)
    registrations = db.session.execute(
        sa.select(sa.func.count(Registration.id), sa.func.max(Registration.id), sa.func.sum(confirmed),
                  sa.func.count(Registration.checked_in_at), sa.func.max(Registration.checked_in_at),
                  sa.func.count(Registration.cancelled_at), sa.func.count(Registration.purged_at),
                  sa.func.sum(Registration.calendar_sequence))
        .where(Registration.session_id.in_(session_ids))).one()
    revision = db.session.scalar(sa.select(FeedbackForm.revision).where(FeedbackForm.programme_id == programme.id))
    parts = [programme.id, str(programme.updated_at), filters_to_json(filters), include_attendance, revision,
             [str(value) for value in sessions], list(responses), list(exclusions),
             [str(value) for value in registrations], _other_sheets_digest(programme.id, session_ids)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _other_sheets_digest(programme_id: int, session_ids) -> str:
    """A digest of the rows the sheets beyond the responses show, as they are now: the
    findings, the action plan (actions, updates, what they answer), the themes and the
    comments tagged with them, the questions asked in the room. A few hundred rows at
    most, edited in place, so their content is read rather than counted."""
    area_ids = sa.select(Finding.id).where(Finding.programme_id == programme_id).scalar_subquery()
    action_ids = sa.select(Action.id).where(Action.area_id.in_(area_ids)).scalar_subquery()
    theme_ids = sa.select(Theme.id).where(Theme.programme_id == programme_id).scalar_subquery()
    shown = [(Finding.__table__, Finding.programme_id == programme_id),
             (Action.__table__, Action.area_id.in_(area_ids)),
             (ActionUpdate.__table__, ActionUpdate.action_id.in_(action_ids)),
             (action_finding, action_finding.c.action_id.in_(action_ids)),
             (action_theme, action_theme.c.action_id.in_(action_ids)),
             (Theme.__table__, Theme.programme_id == programme_id),
             (theme_tag, theme_tag.c.theme_id.in_(theme_ids)),
             (RoomQuestion.__table__, RoomQuestion.session_id.in_(session_ids))]
    digest = hashlib.sha256()
    for table, where in shown:
        for row in db.session.execute(sa.select(table).where(where).order_by(*table.primary_key)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _reusable(key: str, now: datetime) -> WorkbookBuild | None:
    """The newest finished build of the same data whose file is still there, else one
    under way (not lost)."""
    builds = db.session.scalars(
        sa.select(WorkbookBuild)
        .where(WorkbookBuild.data_key == key,
               WorkbookBuild.status.in_([BuildStatus.READY, BuildStatus.PENDING, BuildStatus.BUILDING]))
        .order_by(WorkbookBuild.id.desc()))
    for build in builds:
        if build.status == BuildStatus.READY:
            if build.file_name and (exports_dir() / build.file_name).is_file():
                return build
        elif build.created_at > now - STALE_AFTER:
            return build
    return None


def request_workbook(actor: User, programme: Programme, filters: ResultsFilter,
                     include_attendance: bool) -> WorkbookBuild:
    """The build that gives this user this workbook: reused when the data is unchanged,
    otherwise recorded now and handed to a worker once this transaction commits."""
    from webapp.exports.tasks import build_workbook_task

    now = utcnow()
    key = data_key(programme, filters, include_attendance)
    build = _reusable(key, now)
    if build is not None:
        return build
    build = WorkbookBuild(programme_id=programme.id, requested_by_id=actor.id, filters=filters_to_json(filters),
                          include_attendance=include_attendance, data_key=key, status=BuildStatus.PENDING,
                          created_at=now)
    db.session.add(build)
    db.session.flush()
    build_id = build.id
    queue.after_commit(lambda: build_workbook_task(build_id))
    db.session.commit()
    return build


def _set_progress(build_id: int, done: int, total: int) -> None:
    """Written on a connection of its own, so the page sees it while the build reads on."""
    with db.engine.begin() as connection:
        connection.execute(sa.update(WorkbookBuild).where(WorkbookBuild.id == build_id)
                           .values(rows_done=done, rows_total=total))


def run_build(build_id: int) -> BuildStatus | None:
    """Build the workbook (on a worker). None when another worker has it or it is done."""
    claimed = db.session.execute(
        sa.update(WorkbookBuild)
        .where(WorkbookBuild.id == build_id, WorkbookBuild.status == BuildStatus.PENDING)
        .values(status=BuildStatus.BUILDING)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if rows_changed(claimed) != 1:
        return None
    build = db.session.get_one(WorkbookBuild, build_id)
    programme = db.session.get_one(Programme, build.programme_id)
    file_name = f"workbook-{build.id}-{build.data_key[:16]}.xlsx"
    partial = exports_dir() / f"{file_name}.part"
    try:
        if programme is None:
            raise LookupError("the programme has been deleted")
        filters = filters_from_json(build.filters)
        info = build_workbook(programme, str(partial), include_attendance=build.include_attendance, filters=filters,
                       progress=lambda done, total: _set_progress(build_id, done, total))
        os.replace(partial, exports_dir() / file_name)
    except Exception as error:
        log.exception("Workbook build %s failed", build_id)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        _finish(build_id, status=BuildStatus.FAILED, error=f"{type(error).__name__}: {error}"[:500])
        return BuildStatus.FAILED
    _finish(build_id, status=BuildStatus.READY, file_name=file_name, rows_done=info.responses,
            rows_total=info.responses,
            detail=export_detail(info.responses, info.sessions, build.include_attendance, filters))
    return BuildStatus.READY


def _finish(build_id: int, **values) -> None:
    db.session.execute(sa.update(WorkbookBuild).where(WorkbookBuild.id == build_id)
                       .values(finished_at=utcnow(), **values).execution_options(synchronize_session=False))
    db.session.commit()


def clean_up(now: datetime | None = None) -> int:
    """Mark lost builds failed; delete builds (and their files) older than
    EXPORTS_KEEP_HOURS, and finished ones
    that a newer finished build of the same workbook (programme, filters, attendance)
    has replaced: their data has changed since, so nobody is given them again.
    Returns how many went."""
    now = now or utcnow()
    # Lost builds (the worker was killed, or the queue lost the job) say so on their page.
    db.session.execute(
        sa.update(WorkbookBuild)
        .where(WorkbookBuild.status.in_([BuildStatus.PENDING, BuildStatus.BUILDING]),
               WorkbookBuild.created_at < now - STALE_AFTER)
        .values(status=BuildStatus.FAILED, finished_at=now, error="Lost: the worker stopped before it finished")
        .execution_options(synchronize_session=False))
    cutoff = now - timedelta(hours=current_app.config["EXPORTS_KEEP_HOURS"])
    doomed = list(db.session.scalars(sa.select(WorkbookBuild).where(WorkbookBuild.created_at < cutoff)))
    kinds_seen: set[tuple] = set()  # newest first: a kind seen already has a newer build
    ready = db.session.scalars(sa.select(WorkbookBuild).where(WorkbookBuild.created_at >= cutoff,
                                                              WorkbookBuild.status == BuildStatus.READY)
                               .order_by(WorkbookBuild.id.desc()))
    for build in ready:
        kind = (build.programme_id, build.include_attendance, json.dumps(build.filters, sort_keys=True))
        if kind in kinds_seen:
            doomed.append(build)
        kinds_seen.add(kind)
    for build in doomed:
        if build.file_name:
            (exports_dir() / build.file_name).unlink(missing_ok=True)
        db.session.delete(build)
    db.session.commit()
    return len(doomed)


def file_path(build: WorkbookBuild) -> Path | None:
    """The finished file, if it is still there."""
    if build.status != BuildStatus.READY or not build.file_name:
        return None
    path = exports_dir() / build.file_name
    return path if path.is_file() else None


def export_detail(responses: int, sessions: int, include_attendance: bool, filters: ResultsFilter) -> str:
    """The audit entry's detail for a workbook download (streamed or built)."""
    return (f"{responses} responses, {sessions} sessions, "
            f"attendance {'included' if include_attendance else 'omitted'}; filters: {filters.describe()}")
