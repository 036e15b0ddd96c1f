"""The staff list at the size of a large health board (issue 15).

    .venv/bin/python bench/coverage_scale.py                 # SQLite, 40,000 listed, 20,000 booked
    .venv/bin/python bench/coverage_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_coverage

1. Import: a 40,000-row CSV (written by this script) through the three steps an organiser
   takes (read, check every row into the staging table, import), timed in this process
   (wall and CPU) with its peak memory (tracemalloc) beside the file's size, and again
   for a file of a quarter the size: memory should not grow with the file.
2. The coverage page: 20,000 registrations across the programme's sessions (half of them
   checked in), then the organiser's coverage page through the Flask test client, the
   median of --repeat requests, beside the same app's /healthz. Target: under 300 ms.

PostgreSQL: the database given must exist and be empty of this app's tables (createdb it;
the script creates the tables and drops them at the end; it never drops a database).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORT_TARGET_S = 10
PAGE_TARGET_MS = 300
PASSWORD = "bench-organiser-password-123"


def _app(database_url: str):
    from config import TestConfig
    from webapp import create_app

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url,
                                                 "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    return create_app(config)


def staff_csv(rows: int) -> bytes:
    lines = ["Name,Email,Team,Locality,Role group,Organisation,Grade"]
    localities = ["North East", "North West", "South"]
    roles = ["Social worker", "Health visitor", "Teacher", "Police officer", "Third sector"]
    for n in range(rows):
        lines.append(f"Person {n},person{n}@example.org,Team {n % 400},{localities[n % 3]},"
                     f"{roles[n % 5]},Organisation {n % 7},Band {n % 9}")
    return ("\r\n".join(lines) + "\r\n").encode()


def time_import(app, programme_id: int, actor_id: int, rows: int) -> dict:
    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.programmes.models import Programme
    from webapp.staff import importing

    content = staff_csv(rows)
    with app.app_context():
        programme, actor = db.session.get(Programme, programme_id), db.session.get(User, actor_id)
        tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        upload = importing.read_upload(programme, actor, "staff.csv", content)
        importing.check_rows(upload, upload.mapping)
        done = importing.apply_upload(upload, actor)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"rows": rows, "file_mb": len(content) / 1e6, "wall": wall, "cpu": cpu, "peak_mb": peak / 1e6,
            "added": done.added, "updated": done.updated, "removed": done.removed}


def add_registrations(app, programme_id: int, count: int) -> None:
    import sqlalchemy as sa

    from webapp.bookings.models import Registration
    from webapp.db_types import utcnow
    from webapp.extensions import db
    from webapp.sessions.models import EventSession

    with app.app_context():
        sessions = db.session.scalars(sa.select(EventSession.id).where(EventSession.programme_id == programme_id)).all()
        now = utcnow()
        rows = [dict(session_id=sessions[n % len(sessions)], name=f"Person {n}", email=f"person{n * 2}@example.org",
                     status="confirmed", booking_token=f"b{n:030d}", checkin_token=f"c{n:030d}",
                     created_at=now, checked_in_at=now if n % 2 else None, team="", job_role="", locality="",
                     organisation="", access_requirements="", is_walk_in=False)
                for n in range(count)]
        for start in range(0, count, 5000):
            db.session.execute(sa.insert(Registration), rows[start:start + 5000])
        db.session.commit()


def page_times(client, url: str, repeat: int) -> tuple[float, float]:
    assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--listed", type=int, default=40_000)
    parser.add_argument("--registrations", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="coverage-bench-")
    database_url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    app = _app(database_url)
    from webapp.auth.models import Role, User
    from webapp.demo.services import load_demo_programme
    from webapp.extensions import db

    with app.app_context():
        db.drop_all() if args.database_url else None
        db.create_all()
        programme, _ = load_demo_programme()
        organiser = User(email="bench-organiser@example.org", role=Role.ORGANISER)
        organiser.set_password(PASSWORD)
        db.session.add(organiser)
        db.session.commit()
        programme_id, organiser_id = programme.id, organiser.id

    print(f"Settings: {database_url.split('@')[-1]}, {args.listed} listed, {args.registrations} registrations, "
          f"median of {args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    small = time_import(app, programme_id, organiser_id, args.listed // 4)
    large = time_import(app, programme_id, organiser_id, args.listed)
    for result in (small, large):
        print(f"  import {result['rows']:>6} rows ({result['file_mb']:.1f} MB): wall {result['wall']:.2f} s, "
              f"CPU {result['cpu']:.2f} s, peak Python memory {result['peak_mb']:.1f} MB "
              f"({result['added']} added, {result['updated']} updated, {result['removed']} removed)")
    growth = large["peak_mb"] / small["peak_mb"] if small["peak_mb"] else float("nan")
    print(f"  memory: {growth:.2f}x for a file {args.listed / (args.listed // 4):.0f}x larger "
          f"(the file itself is held: {large['file_mb']:.1f} MB)")

    add_registrations(app, programme_id, args.registrations)
    client = app.test_client()
    response = client.post("/login", data={"email": "bench-organiser@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    coverage_wall, coverage_cpu = page_times(client, f"/organiser/programmes/{programme_id}/staff", args.repeat)
    healthz_wall, healthz_cpu = page_times(client, "/healthz", args.repeat)
    print(f"  coverage page: {coverage_wall:.1f} ms wall, {coverage_cpu:.1f} ms CPU; "
          f"/healthz {healthz_wall:.1f} ms wall, {healthz_cpu:.1f} ms CPU; ratio {coverage_wall / healthz_wall:.0f}x")
    ok_import = large["wall"] < IMPORT_TARGET_S
    ok_page = coverage_wall < PAGE_TARGET_MS
    print(f"Targets: import under {IMPORT_TARGET_S} s: {'met' if ok_import else 'MISSED'}; "
          f"coverage page under {PAGE_TARGET_MS} ms: {'met' if ok_page else 'MISSED'}")
    if args.database_url:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    return 0 if ok_import and ok_page else 1


if __name__ == "__main__":
    raise SystemExit(main())
