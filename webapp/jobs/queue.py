"""The Huey queue: which storage it uses, and handing jobs to it after commit.

Storage, from JOBS_STORAGE_URL: an SQLite file (the default, `instance/jobs.sqlite`,
for one laptop) or Redis (`redis://host:6379/1`, for several app hosts and workers)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, UTC
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from huey import Huey
from huey.storage import BlackHoleStorage, RedisStorage, SqliteStorage
from sqlalchemy.orm import Session

from webapp.extensions import db

log = logging.getLogger(__name__)

# Tasks are declared against this one object; init_app() points it at the real storage.
huey = Huey("briefings", results=False, storage_class=BlackHoleStorage)
_AFTER_COMMIT = "jobs_after_commit"
_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _app
    url = app.config.get("JOBS_STORAGE_URL") or f"sqlite:///{Path(app.instance_path) / 'jobs.sqlite'}"
    app.config["JOBS_STORAGE_URL"] = url
    huey.storage.close()
    huey.storage = _storage_for(url, app.config["JOBS_QUEUE_NAME"])
    _app = app


class QueueFileStorage(SqliteStorage):
    """Huey's SQLite storage without an fsync per job. Huey offers FULL (an fsync on every
    enqueue: 4-8 ms of a booking) or OFF (a power cut can corrupt the file); WAL with
    NORMAL cannot corrupt it and loses at most the last jobs on a power cut, which the
    sweep hands to the queue again from their delivery records."""

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


def _storage_for(url: str, name: str):
    if url.startswith(("redis://", "rediss://", "unix://")):
        # A blocking read wakes a worker the moment a job arrives.
        return RedisStorage(name, url=url, blocking=True, read_timeout=1)
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return QueueFileStorage(name, filename=filename, timeout=15)
    raise ValueError(f"JOBS_STORAGE_URL must be sqlite:///FILE or redis://HOST:PORT/DB, not {url!r}")


def task_app() -> Flask:
    """The app a task runs in: the worker's (or, in tests, the current test's)."""
    if _app is None:
        raise RuntimeError("webapp.jobs.queue.init_app() has not been called")
    return _app


def after_commit(call: Callable[[], object]) -> None:
    """Run `call` (which hands a job to the queue) once the current transaction has
    committed; forget it if the transaction rolls back. A call that fails is logged: the
    job's row is still pending, and the periodic sweep hands it to the queue again."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(call)


@sa.event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    for call in session.info.pop(_AFTER_COMMIT, []):
        try:
            call()
        except Exception:  # the queue's storage is unreachable: the sweep catches up later
            log.warning("Could not hand a job to the queue; the sweep will retry it", exc_info=True)


@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def backlog() -> int | None:
    """Jobs waiting in the queue (None when its storage cannot be reached)."""
    try:
        return huey.pending_count()
    except Exception:
        return None


def run_pending(limit: int = 10_000) -> int:
    """Run the jobs waiting in the queue, here and now, until there are none (what a
    worker does, without its threads). For tests and `flask jobs run-once`."""
    done = 0
    for _ in range(limit):
        if not huey.pending_count():  # (Redis' dequeue would block a second on an empty queue)
            break
        task = huey.dequeue()
        if task is None:
            break
        # A retry due later goes back on Huey's schedule (as a worker does): not run now.
        due_later = task.eta is not None and task.eta > datetime.now(UTC).replace(tzinfo=None)
        huey.execute(task)
        done += not due_later
    return done
