"""500 people trying to book 180 places in the same minute, against gunicorn, with a real
job worker sending every confirmation to a loopback SMTP server.

    .venv/bin/python bench/booking_rush.py                  # SQLite (a fresh file)
    .venv/bin/python bench/booking_rush.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_rush [--redis]

Production settings, as bench/feedback_burst.py: APP_CONFIG=production (SQLite allowed
with ALLOW_SQLITE_IN_PRODUCTION=1), gunicorn -c gunicorn.conf.py, access log off. The
session cookie is Secure (`__Host-session`), which a cookie jar would only send over
HTTPS: each person's client reads the Set-Cookie header and sends the cookie back itself,
as feedback_burst.py does, so the production cookie settings stay as they are.

Beside gunicorn: an aiosmtpd server on loopback and one `flask --app wsgi jobs work`
process, its Huey storage the bench's own SQLite file (or, with --redis,
redis://127.0.0.1:6379/7). A PostgreSQL database named in --database-url is created for
the run and dropped after it; it must not exist beforehand.

Each person opens a connection, GETs the booking form and POSTs it with the page's CSRF
token and cookie (through --clients concurrent clients). Prints confirmed (must be
exactly --places), waiting, errors, POST p50/p95/p99, the seconds from the end of the
rush until every person's email reached the SMTP server (target 60 s), the /healthz
rate of the same server and the ratio, CPU time of the app and worker beside wall time,
and the load average. --kill-worker-after N SIGKILLs the worker once N emails have
arrived and starts a new one (duplicates are counted).
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback_burst import (  # noqa: E402  (bench/ is on the path when run)
    SECRET_KEY, PostgresDatabase, free_port, gunicorn_settings, percentile, request, run_clients, session_cookie,
    start_gunicorn)
from gunicorn_conf import describe  # noqa: E402
from machine import describe as describe_machine  # noqa: E402

from tests.job_helpers import TimedInbox, kill, start_smtp, start_worker, stop, worker_env  # noqa: E402

TARGET_P99_MS = 150
TARGET_EMAIL_SECONDS = 60
REDIS_URL = "redis://127.0.0.1:6379/7"
TOKEN = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def prepare_database(database_url: str, places: int) -> int:
    """Schema, demo programme, its first session emptied and given `places` places."""
    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.bookings.models import Registration
    from webapp.demo.services import load_demo_programme
    from webapp.extensions import db
    from webapp.jobs.models import OutboundEmail

    app = create_app(type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        db.create_all()
        programme, _ = load_demo_programme()
        session = sorted(programme.sessions, key=lambda s: s.starts_at)[0]
        db.session.execute(sa.delete(OutboundEmail))
        db.session.execute(sa.delete(Registration).where(Registration.session_id == session.id))
        session.capacity, session.confirmed_count = places, 0
        db.session.commit()
        session_id = session.id
        db.engine.dispose()
    return session_id


def outcomes(database_url: str, session_id: int) -> dict:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        counts = dict(connection.execute(sa.text(
            "SELECT status, count(*) FROM registration WHERE session_id = :id GROUP BY status"), {"id": session_id}).all())
        counts["confirmed_count"] = connection.scalar(
            sa.text("SELECT confirmed_count FROM event_session WHERE id = :id"), {"id": session_id})
        counts["emails"] = dict(connection.execute(sa.text(
            "SELECT status, count(*) FROM outbound_email GROUP BY status")).all())
    engine.dispose()
    return counts


def clear_queue_keys() -> None:
    """Empty the Huey queue in Redis db 7: only the queue's own keys, never FLUSHALL."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter("huey.*.briefings"):
        connection.delete(key)
    connection.close()


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU of these processes and their children, so far."""
    total = 0.0
    for process in processes:
        for each in [process, *process.children(recursive=True)]:
            try:
                times = each.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    return total


def booker(form_path: str, numbers):
    """One person: a fresh connection, GET the form, POST it back with its cookie."""
    def book(connection: http.client.HTTPConnection) -> tuple[float, float]:
        number = next(numbers)
        connection.close()
        started = time.perf_counter()
        response = request(connection, "GET", form_path)
        page_latency = time.perf_counter() - started
        match = TOKEN.search(response.body)
        if response.status != 200 or not match:
            raise RuntimeError(f"GET answered {response.status} without a CSRF token")
        body = urllib.parse.urlencode({
            "csrf_token": match.group(1).decode(), "name": f"Rush Person {number}",
            "email": f"rush.{number}@example.org", "job_role": "Social worker", "team": "Children and families",
            "locality": "North East", "organisation": "Glasgow City Council", "access_requirements": "",
        }).encode()
        headers = {"Cookie": session_cookie(response), "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        response = request(connection, "POST", form_path, body, headers)
        latency = time.perf_counter() - started
        if response.status != 302:
            raise RuntimeError(f"POST answered {response.status}: {response.body[:200]!r}")
        return latency, page_latency
    return book


def run_bench(args: argparse.Namespace, database_url: str, workdir: Path) -> dict:
    session_id = prepare_database(database_url, args.places)
    jobs_url = REDIS_URL if args.redis else f"sqlite:///{workdir / 'jobs.sqlite'}"
    if args.redis:
        clear_queue_keys()
    inbox = TimedInbox()
    smtp = start_smtp(inbox)
    port = free_port()
    env = worker_env(database_url, jobs_url, inbox.port, APP_CONFIG="production", ALLOW_SQLITE_IN_PRODUCTION="1",
                     SECRET_KEY=SECRET_KEY, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                     BOOKING_RATE_LIMIT="1000000 per minute", RATELIMIT_STORAGE_URI="memory://")
    server = start_gunicorn(port, gunicorn_settings(args), env)
    worker = start_worker(env, workers=args.job_workers, log=workdir / "worker.log")
    processes = [psutil.Process(server.pid), psutil.Process(worker.pid)]
    kills = 0

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def trivial(connection: http.client.HTTPConnection) -> None:
        if request(connection, "GET", "/healthz").status != 200:
            raise RuntimeError("healthz did not answer ok")

    form_path = f"/sessions/{session_id}/register"
    try:
        run_clients(8, 80, trivial, connect)  # warm up
        run_clients(8, 40, lambda connection: request(connection, "GET", form_path), connect)
        trivial_seconds, _, trivial_errors = run_clients(args.clients, args.trivial_requests, trivial, connect)
        cpu_before, wall_before = cpu_seconds(processes) + time.process_time(), time.perf_counter()
        rush_seconds, both_latencies, errors = run_clients(args.clients, args.people,
                                                           booker(form_path, iter(range(args.people))), connect)
        rush_end = time.monotonic()
        if args.kill_worker_after:
            inbox.wait_for(args.kill_worker_after, timeout=120)
            processes.pop()
            kill(worker)
            kills += 1
            worker = start_worker(env, workers=args.job_workers, log=workdir / "worker.log")
            processes.append(psutil.Process(worker.pid))
        everyone = inbox.wait_for(args.people, timeout=max(120, TARGET_EMAIL_SECONDS * 2))
        email_seconds = (max(inbox.arrived) - rush_end) if everyone else float("nan")
        cpu = cpu_seconds(processes) + time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
    finally:
        server.terminate()
        server.wait(timeout=30)
        stop(worker)
        smtp.stop()
    return {"session_id": session_id, "trivial_rate": (args.trivial_requests - len(trivial_errors)) / trivial_seconds,
            "trivial_errors": trivial_errors, "rush_seconds": rush_seconds,
            "latencies": [post for post, _ in both_latencies], "page_latencies": [page for _, page in both_latencies],
            "errors": errors, "email_seconds": email_seconds, "per_address": inbox.per_address(),
            "cpu": cpu, "wall": wall, "kills": kills, "jobs_url": jobs_url}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="postgresql+psycopg://... (created and dropped); "
                                               "default: a fresh SQLite file")
    parser.add_argument("--redis", action="store_true", help=f"Huey storage in {REDIS_URL} (default: SQLite file)")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--places", type=int, default=180)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", help="gthread or sync; default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="threads per worker; default: gunicorn.conf.py's")
    parser.add_argument("--job-workers", type=int, default=2, help="threads of the `flask jobs work` process")
    parser.add_argument("--trivial-requests", type=int, default=3000)
    parser.add_argument("--kill-worker-after", type=int, default=0, metavar="N",
                        help="SIGKILL the job worker once N emails have arrived, then start another")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="booking-rush-"))
    if args.database_url:
        if not args.database_url.startswith("postgresql"):
            raise SystemExit("--database-url: a PostgreSQL URL (SQLite is the default)")
        database_url, label, database = args.database_url, "PostgreSQL", PostgresDatabase(args.database_url)
        database.__enter__()
    else:
        database_url, label, database = f"sqlite:///{workdir / 'bench.sqlite'}", "SQLite", None
    try:
        figures = run_bench(args, database_url, workdir)
        counts = outcomes(database_url, figures["session_id"])
    finally:
        if database:
            database.__exit__(None, None, None)
    return report(args, label, figures, counts, workdir)


def report(args: argparse.Namespace, label: str, figures: dict, counts: dict, workdir: Path) -> int:
    confirmed, waiting = counts.get("confirmed", 0), counts.get("waiting", 0)
    latencies, errors, received = figures["latencies"], figures["errors"], figures["per_address"]
    p50, p95, p99 = (percentile(latencies, share) * 1000 for share in (0.50, 0.95, 0.99))
    booking_rate = len(latencies) / figures["rush_seconds"]
    ratio = booking_rate / figures["trivial_rate"]
    duplicates = sum(received.values()) - len(received)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"booking rush: {args.people} people, {args.places} places, {args.clients} clients, {label}, "
          f"jobs in {figures['jobs_url'].split(':')[0]}, {os.cpu_count()} CPUs")
    print(f"  {describe_machine()}")
    print(f"  gunicorn.conf.py: {describe(gunicorn_settings(args))}, no access log; "
          f"1 job worker x {args.job_workers} threads")
    print(f"  confirmed            {confirmed:8d}   (session's confirmed_count {counts['confirmed_count']})")
    print(f"  waiting              {waiting:8d}")
    print(f"  errors               {len(errors):8d}" + (f"   first: {errors[0]}" if errors else ""))
    print(f"  bookings/s           {booking_rate:8.1f}   ({len(latencies)} in {figures['rush_seconds']:.2f} s)")
    print(f"  POST latency ms      p50 {p50:.1f}   p95 {p95:.1f}   p99 {p99:.1f}   max {max(latencies) * 1000:.1f}")
    pages = figures["page_latencies"]
    print("  GET latency ms       " + "   ".join(f"p{round(share * 100)} {percentile(pages, share) * 1000:.1f}"
                                              for share in (0.50, 0.95, 0.99))
          + "   (the form; page loads give way to bookings sent: webapp/admission.py)")
    print(f"  emails at SMTP       {len(received):8d}   people ({duplicates} twice; worker killed {figures['kills']}x); "
          f"all in {figures['email_seconds']:.1f} s after the rush")
    print(f"  delivery records     {counts['emails']}")
    print(f"  /healthz requests/s  {figures['trivial_rate']:8.1f}   ({len(figures['trivial_errors'])} errors)")
    print(f"  ratio                {ratio:8.3f}   (bookings/s over /healthz requests/s)")
    print(f"  CPU                  {figures['cpu']:8.1f}   s (app, worker and bench) in {figures['wall']:.1f} s wall, "
          f"rush to last email")
    print(f"  load average         {load}")
    missed = []
    if confirmed != args.places or counts["confirmed_count"] != args.places:
        missed.append(f"confirmed {confirmed} (counter {counts['confirmed_count']}), not {args.places}")
    if waiting != args.people - args.places:
        missed.append(f"waiting {waiting}, not {args.people - args.places}")
    if errors or figures["trivial_errors"]:
        missed.append(f"{len(errors) + len(figures['trivial_errors'])} errors")
    if not p99 < TARGET_P99_MS:
        missed.append(f"p99 {p99:.0f} ms >= {TARGET_P99_MS} ms")
    if len(received) != args.people:
        missed.append(f"{args.people - len(received)} people without an email (log: {workdir / 'worker.log'})")
    elif not figures["email_seconds"] <= TARGET_EMAIL_SECONDS:
        missed.append(f"last email {figures['email_seconds']:.0f} s after the rush, not within {TARGET_EMAIL_SECONDS} s")
    if duplicates > figures["kills"] * args.job_workers:
        missed.append(f"{duplicates} duplicates for {figures['kills']} kills")
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
