"""Two app hosts and two job workers sharing PostgreSQL and Redis; one of each killed
with SIGKILL in the middle of a booking rush.

    .venv/bin/python bench/two_hosts.py \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_two_hosts]

Two `gunicorn -c gunicorn.conf.py` processes on two ports (production settings, as
booking_rush.py), two `flask --app wsgi jobs work` processes, Huey storage and rate
limits in redis://127.0.0.1:6379/7, one PostgreSQL database the bench creates (and drops
after; it must not exist beforehand), and a loopback SMTP server. --people people book
--places places, each person alternating between the two ports. Once half have had an
answer, the first gunicorn (master and workers) and the first worker are SIGKILLed;
the worker is started again a few seconds later (as systemd would), so its sweep finds
what it held.

Prints bookings acknowledged (302) and stored (every acknowledged one must be), emails
per person (everyone stored gets one; duplicates counted), then the reminders: the
session is moved to start in 12 hours (so its 1-day reminder is due) with every booking
made two days ago, and both workers' every-minute task queues the reminders at the same
minute: nobody may get the reminder (or the "still waiting" note) twice.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from booking_rush import REDIS_URL, booker, clear_queue_keys, prepare_database  # noqa: E402
from feedback_burst import (  # noqa: E402
    SECRET_KEY, PostgresDatabase, free_port, gunicorn_settings, run_clients, start_gunicorn)

from tests.job_helpers import TimedInbox, kill, start_smtp, start_worker, stop, worker_env  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_two_hosts"


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a gunicorn master and its workers at once."""
    parent = psutil.Process(process.pid)
    for each in [*parent.children(recursive=True), parent]:
        each.kill()
    process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--places", type=int, default=180)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="two-hosts-"))
    database = PostgresDatabase(args.database_url)
    database.__enter__()
    try:
        return run(args, args.database_url, workdir)
    finally:
        database.__exit__(None, None, None)


def run(args: argparse.Namespace, database_url: str, workdir: Path) -> int:
    session_id = prepare_database(database_url, args.places)
    clear_queue_keys()
    inbox = TimedInbox()
    smtp = start_smtp(inbox)
    ports = [free_port(), free_port()]
    env = worker_env(database_url, REDIS_URL, inbox.port, APP_CONFIG="production", SECRET_KEY=SECRET_KEY,
                     BOOKING_RATE_LIMIT="1000000 per minute", RATELIMIT_STORAGE_URI=REDIS_URL,
                     JOBS_CLAIM_SECONDS=5, JOBS_SWEEP_AFTER_SECONDS=5)
    hosts = [start_gunicorn(port, gunicorn_settings(args), dict(env, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"))
             for port in ports]
    workers = [start_worker(env, log=workdir / f"worker{number}.log") for number in (1, 2)]
    numbers = itertools.count()
    lock = threading.Lock()
    acknowledged: list[str] = []
    killed = threading.Event()
    form_path = f"/sessions/{session_id}/register"

    def one_person(_connection) -> None:
        with lock:
            number = next(numbers)
        port = ports[number % 2]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            booker(form_path, iter([number]))(connection)
        finally:
            connection.close()
        with lock:
            acknowledged.append(f"rush.{number}@example.org")
            if len(acknowledged) == args.people // 2 and not killed.is_set():
                killed.set()
                kill_tree(hosts[0])
                kill(workers[0])

    try:
        seconds, _, errors = run_clients(args.clients, args.people, one_person,
                                      lambda: http.client.HTTPConnection("127.0.0.1", ports[1]))
        time.sleep(6)  # the killed worker's claims lapse; then it is started again
        workers[0] = start_worker(env, log=workdir / "worker1.log")
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            stored = set(connection.scalars(sa.text(
                "SELECT email FROM registration WHERE session_id = :id"), {"id": session_id}))
        lost = set(acknowledged) - stored
        everyone = inbox.wait_for(len(stored), timeout=120)
        received = inbox.per_address()
        booking_emails = sum(received.values())

        # Reminders: due now for everyone, queued by both workers' every-minute task.
        with engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE event_session SET starts_at = now() + interval '12 hours', "
                "ends_at = now() + interval '14 hours' WHERE id = :id"), {"id": session_id})
            connection.execute(sa.text(
                "UPDATE registration SET created_at = created_at - interval '2 days' WHERE session_id = :id"),
                {"id": session_id})
            confirmed = connection.scalar(sa.text(
                "SELECT count(*) FROM registration WHERE session_id = :id AND status = 'confirmed'"),
                {"id": session_id})
            waiting = connection.scalar(sa.text(
                "SELECT count(*) FROM registration WHERE session_id = :id AND status = 'waiting'"),
                {"id": session_id})
        expected = booking_emails + confirmed + waiting
        deadline = time.monotonic() + 150  # the next minute, and the time to send them
        while len(inbox.messages) < expected and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # anything sent twice would arrive now
        reminders: dict[str, int] = {}
        for message in inbox.messages[booking_emails:]:
            reminders[message["To"]] = reminders.get(message["To"], 0) + 1
        with engine.connect() as connection:
            records = dict(connection.execute(sa.text(
                "SELECT kind, count(*) FROM outbound_email GROUP BY kind")).all())
        engine.dispose()
    finally:
        for host in hosts:
            if host.poll() is None:
                host.terminate()
                host.wait(timeout=30)
        for worker in workers:
            stop(worker)
        smtp.stop()

    twice = sum(1 for count in reminders.values() if count > 1)
    print(f"two hosts: {args.people} people, {args.places} places, {args.clients} clients over 2 gunicorn "
          f"(ports {ports[0]}, {ports[1]}), 2 job workers, PostgreSQL + Redis db 7; host 1 and worker 1 SIGKILLed "
          f"after {args.people // 2} answers; load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"  acknowledged (302)   {len(acknowledged):8d}   in {seconds:.1f} s; {len(errors)} failed "
          f"(refused by the killed host){': ' + errors[0] if errors else ''}")
    print(f"  stored               {len(stored):8d}   acknowledged but not stored: {len(lost)}")
    print(f"  booking emails       {len(received):8d}   people of {len(stored)} stored "
          f"({booking_emails - len(received)} sent twice)" + ("" if everyone else "  NOT ALL DELIVERED"))
    print(f"  reminders            {len(reminders):8d}   people of {confirmed + waiting} due "
          f"({confirmed} reminders, {waiting} still-waiting notes); sent twice: {twice}")
    print(f"  delivery records     {records}")
    missed = []
    if lost:
        missed.append(f"{len(lost)} acknowledged bookings lost")
    if not everyone:
        missed.append(f"{len(stored) - len(received)} stored bookings without an email")
    if len(reminders) != confirmed + waiting:
        missed.append(f"{confirmed + waiting - len(reminders)} reminders missing")
    if twice:
        missed.append(f"{twice} reminders sent twice")
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
