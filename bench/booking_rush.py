"""500 people trying to book 180 places in the same minute, against gunicorn.

    .venv/bin/python bench/booking_rush.py [--database sqlite|postgresql|both]
        [--people 500] [--places 180] [--clients 50] [--spread 0] [--workers 2]

For each database: a fresh one loaded with the demo (SQLite: a new file; PostgreSQL: a
database `bench_rush` created for the run and dropped after it), one session with
--places places, and `gunicorn -c gunicorn.conf.py wsgi:app` (--workers workers,
access log off) on loopback. Each person GETs the booking form with their own cookie
jar, then POSTs it with the page's CSRF token and their own email address.

--spread 0 (the default) fires everyone in a burst through --clients concurrent
clients; --spread 60 starts the people evenly over 60 seconds instead (still at most
--clients at once). The booking rate limit is raised for the run (on loopback everyone
shares one address); emails are written as .eml files to a temporary outbox (no
MAIL_SERVER), as a real run would send them: confirmations carry a QR code.

Prints confirmed, waiting, errors and POST latency p50/p95/p99; exits 1 unless exactly
--places are confirmed, everyone else is waiting, and there are no errors.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gunicorn_conf import describe, read_gunicorn_conf  # noqa: E402  (bench/ is on the path when run)

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
POSTGRES_DATABASE = "bench_rush"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def prepare_database(database_url: str, places: int) -> int:
    """Schema, demo programme, the first session with `places` places; returns its id."""
    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.demo.services import load_demo_programme
    from webapp.extensions import db

    app = create_app(type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        db.create_all()
        programme, _ = load_demo_programme()
        session = sorted(programme.sessions, key=lambda s: s.starts_at)[0]
        session.capacity = places
        db.session.commit()
        session_id = session.id
        db.engine.dispose()
    return session_id


def count_outcomes(database_url: str, session_id: int) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT status, count(*) FROM registration WHERE session_id = :id GROUP BY status"), {"id": session_id})
        counts = dict(rows.all())
        counts["confirmed_count"] = connection.execute(
            sa.text("SELECT confirmed_count FROM event_session WHERE id = :id"), {"id": session_id}).scalar_one()
    engine.dispose()
    return counts


def postgres_admin(statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def rush(base: str, session_id: int, people: int, clients: int, spread: float) -> tuple[float, list[float], list[str]]:
    url = f"{base}/sessions/{session_id}/register"
    lock = threading.Lock()
    queue = list(range(people))
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()

    def book(number: int) -> float:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                             NoRedirect())
        with opener.open(url, timeout=60) as response:
            match = TOKEN.search(response.read().decode())
        if not match:
            raise RuntimeError("booking form without a CSRF token")
        data = urllib.parse.urlencode({
            "csrf_token": match.group(1), "name": f"Rush Person {number}", "email": f"rush.{number}@example.org",
            "job_role": "Social worker", "team": "Children and families", "locality": "North East",
            "organisation": "Glasgow City Council", "access_requirements": "",
        }).encode()
        begun = time.perf_counter()
        try:
            with opener.open(url, data=data, timeout=60) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        latency = time.perf_counter() - begun
        if status != 302:
            raise RuntimeError(f"POST answered {status}: {body[:200]!r}")
        return latency

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                number = queue.pop(0)
            if spread:
                delay = started + number * spread / people - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            try:
                latency = book(number)
                with lock:
                    latencies.append(latency)
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


def run(kind: str, args) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="booking-rush-"))
    if kind == "sqlite":
        database_url = f"sqlite:///{workdir / 'bench.sqlite'}"
    else:
        postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {POSTGRES_DATABASE}")
        database_url = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    try:
        session_id = prepare_database(database_url, args.places)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # Development config: production's cookies are Secure, and a cookie jar sends
        # those over HTTPS only; the bench talks plain HTTP to loopback.
        env = dict(os.environ, DATABASE_URL=database_url, APP_CONFIG="development",
                   SECRET_KEY="bench-secret-key-0123456789-abcdefghijklmnop", PUBLIC_BASE_URL=base,
                   PORT=str(port), WEB_CONCURRENCY=str(args.workers), GUNICORN_ACCESS_LOG="/dev/null",
                   GUNICORN_LOG_LEVEL="warning", BOOKING_RATE_LIMIT="1000000 per minute",
                   MAIL_OUTBOX=str(workdir / "outbox"))
        env.pop("MAIL_SERVER", None)
        settings = read_gunicorn_conf({"WEB_CONCURRENCY": str(args.workers)})
        server = start_gunicorn(port, env)
        try:
            for _ in range(4):  # warm the workers up (imports, templates); GET only, nothing stored
                urllib.request.urlopen(f"{base}/sessions/{session_id}/register", timeout=30).read()
            seconds, latencies, errors = rush(base, session_id, args.people, args.clients, args.spread)
        finally:
            server.terminate()
            server.wait(timeout=30)
        counts = count_outcomes(database_url, session_id)
        emails = len(list((workdir / "outbox").glob("*.eml")))
    finally:
        if kind == "postgresql":
            postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)

    confirmed, waiting = counts.get("confirmed", 0), counts.get("waiting", 0)
    p50, p95, p99 = (percentile(latencies, share) * 1000 for share in (0.50, 0.95, 0.99))
    mode = (f"spread evenly over {args.spread:g} s" if args.spread
            else f"burst through {args.clients} concurrent clients")
    print(f"booking rush on {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}: {args.people} people, "
          f"{args.places} places, {mode}; gunicorn -c gunicorn.conf.py: {describe(settings)} "
          f"({os.cpu_count()} CPUs)")
    print(f"  confirmed            {confirmed:8d}   (session's confirmed_count {counts['confirmed_count']})")
    print(f"  waiting              {waiting:8d}")
    print(f"  errors               {len(errors):8d}" + (f"   first: {errors[0]}" if errors else ""))
    print(f"  POST latency ms      p50 {p50:.1f}   p95 {p95:.1f}   p99 {p99:.1f}")
    print(f"  all done in          {seconds:8.2f} s   ({emails} emails written)")
    missed = []
    if confirmed != args.places or counts["confirmed_count"] != args.places:
        missed.append(f"confirmed {confirmed} (counter {counts['confirmed_count']}), not {args.places}")
    if waiting != args.people - args.places:
        missed.append(f"waiting {waiting}, not {args.people - args.places}")
    if errors:
        missed.append(f"{len(errors)} errors")
    print("  targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return not missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--places", type=int, default=180)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds to spread the people over (0: burst)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = [run(kind, args) for kind in kinds]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
