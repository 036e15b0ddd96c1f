"""The workers' heartbeat, written every minute and read by /healthz."""
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

