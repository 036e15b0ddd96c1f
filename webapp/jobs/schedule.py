"""Time-driven work, checked every minute by a worker: the heartbeat, reminders before
a session, and the emails after it."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs.models import WorkerHeartbeat


def beat(name: str) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    db.session.execute(insert(WorkerHeartbeat).values(name=name, seen_at=now)
                       .on_conflict_do_update(index_elements=["name"], set_={"seen_at": now}))
    db.session.commit()


def last_heartbeat():
    return db.session.scalar(sa.select(sa.func.max(WorkerHeartbeat.seen_at)))


def queue_due_emails() -> int:
    """Reminders and after-session emails now due; returns how many were queued."""
    from webapp.jobs import reminders

    return reminders.queue_due()
