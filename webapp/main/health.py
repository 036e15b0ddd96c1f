"""/healthz: one small JSON body with an entry per dependency, for the load balancer and
for whoever is on call.

Each check is an entry in CHECKS: a name, whether the app can serve without it, and a
function returning (ok, detail). A new dependency (the job queue's backlog, the worker's
last heartbeat) is one more entry. The answer is 503 only when a check the app cannot
serve without fails; anything else failing makes it "degraded", still 200, so the load
balancer keeps sending people to a host that can book and take feedback."""
from __future__ import annotations

import time
from dataclasses import dataclass
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from webapp.db_types import utcnow
from webapp.extensions import db, limiter


@dataclass(frozen=True)
class Check:
    name: str
    essential: bool  # the app cannot serve without it: failing means 503
    probe: Callable[[], tuple[bool, str] | None]  # None: not configured here, not reported


def _database() -> tuple[bool, str]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("Health check: the database is unreachable")
        db.session.rollback()
        return False, "unreachable"
    return True, "ok"


def _rate_limit_store() -> tuple[bool, str] | None:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if uri.startswith("memory://"):
        return None
    if limiter.storage.check():
        return True, "ok"
    current_app.logger.warning("Health check: Redis is unreachable; rate limits are counted in each process")
    return False, "unreachable: rate limits are counted in each process until it is back"


def _at_most_every(seconds: float):
    """Probe the job queue at most this often per process: load balancers ask every
    second, and the benches measure /healthz as the cheapest request the app serves."""
    def decorate(probe):
        def cached():
            # Kept with the app (each test's app has its own): probe name -> (when, result)
            last = current_app.extensions.setdefault("health_probes", {})
            now = time.monotonic()
            if probe.__name__ not in last or now - last[probe.__name__][0] > seconds:
                last[probe.__name__] = (now, probe())
            return last[probe.__name__][1]
        return cached
    return decorate


@_at_most_every(5)
def _job_queue() -> tuple[bool, str]:
    from webapp.jobs import queue

    waiting = queue.backlog()
    if waiting is None:
        current_app.logger.warning("Health check: the job queue's storage is unreachable")
        return False, "unreachable: emails wait in the database until it is back"
    return True, f"{waiting} jobs waiting"


@_at_most_every(5)
def _job_worker() -> tuple[bool, str]:
    from webapp.jobs.schedule import last_heartbeat

    try:
        seen = last_heartbeat()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False, "unknown: the database is unreachable"
    if seen is None:
        return False, "no job worker has reported yet"
    age = (utcnow() - seen).total_seconds()
    return age < 180, f"last heartbeat {int(age)} s ago"


CHECKS: list[Check] = [
    Check("database", True, _database),
    Check("redis", False, _rate_limit_store),
    Check("job_queue", False, _job_queue),
    Check("job_worker", False, _job_worker),
]


def report() -> tuple[dict, int]:
    """The JSON body and the HTTP status."""
    checks, essential_failed, any_failed = {}, False, False
    for check in CHECKS:
        started = time.perf_counter()
        result = check.probe()
        if result is None:
            continue
        ok, detail = result
        checks[check.name] = {"ok": ok, "detail": detail,
                              "ms": round((time.perf_counter() - started) * 1000, 1)}
        any_failed |= not ok
        essential_failed |= check.essential and not ok
    status = "unavailable" if essential_failed else "degraded" if any_failed else "ok"
    return {"status": status, "checks": checks}, 503 if essential_failed else 200
