"""Do public pages keep their speed while a large workbook is built? (issue 10, point 8)

    .venv/bin/python bench/workbook_job.py                      # 100,000 responses
    .venv/bin/python bench/workbook_job.py --responses 20000    # a quicker run
    .venv/bin/python bench/workbook_job.py --db /tmp/export-100k.sqlite  # reuse a filled database

Fills an SQLite database with the demo programme and N synthetic responses (as
export_scale.py does; not timed), starts gunicorn with the production settings file on
loopback, and measures the throughput of a public feedback page (GET /f/<code>) from
C concurrent clients for a fixed time, in three phases of the same run:

1. baseline: nothing else happening;
2. in the request: an organiser downloads the workbook and gunicorn builds it inside a
   web worker (WORKBOOK_STREAM_BELOW above N, as before this change);
3. on the worker: the same download starts a job (WORKBOOK_STREAM_BELOW=0) and a
   `flask jobs work` process builds it, the web workers only serving pages.

Prints requests/s and p95 of each phase, the ratio to the baseline, how long the build
took, CPU time of this client process beside wall time, and the load average."""
from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export_scale import fill  # noqa: E402
from feedback_burst import (SECRET_KEY, free_port, gunicorn_settings, percentile,  # noqa: E402
                            request, session_cookie, start_gunicorn)
from gunicorn_conf import describe  # noqa: E402

ORGANISER = "bench.organiser@example.org"
PASSWORD = "bench password that is long enough"


def prepare(database_url: str, responses: int | None) -> tuple[int, str]:
    """The programme id and a session's feedback code; fills the database when asked."""
    from config import TestConfig
    from webapp import create_app
    from webapp.auth.models import Role, User
    from webapp.extensions import db
    from webapp.programmes.models import Programme

    programme_id = fill(database_url, responses)["programme_id"] if responses else None
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        programme = db.session.get(Programme, programme_id) if programme_id else db.session.scalars(
            db.select(Programme).order_by(Programme.id)).first()
        if db.session.scalar(db.select(User).where(User.email == ORGANISER)) is None:
            user = User(email=ORGANISER, display_name="Bench Organiser", role=Role.ORGANISER)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
        return programme.id, programme.sessions[0].feedback_code


def sign_in(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    page = request(connection, "GET", "/login")
    cookie = session_cookie(page)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.body).group(1).decode()
    body = urlencode({"csrf_token": token, "email": ORGANISER, "password": PASSWORD}).encode()
    response = request(connection, "POST", "/login", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert response.status == 302, response.status
    connection.close()
    return session_cookie(response) or cookie


def measure_public(port: int, code: str, clients: int, seconds: float, stop: threading.Event | None = None):
    """Closed-loop GETs of /f/<code> for `seconds` (or until `stop`): (rate, p95 ms, errors)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < deadline and not (stop and stop.is_set()):
            started = time.perf_counter()
            try:
                response = request(connection, "GET", f"/f/{code}")
                ok = response.status == 200
            except Exception as error:  # noqa: BLE001 - counted and shown
                connection.close()
                ok, response = False, error
            with lock:
                (latencies.append(time.perf_counter() - started) if ok else errors.append(str(response)))
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), percentile(latencies, 0.95) * 1000, errors


def phase(args, database_url: str, programme_id: int, code: str, mode: str) -> dict:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, APP_CONFIG="production", ALLOW_SQLITE_IN_PRODUCTION="1",
               SECRET_KEY=SECRET_KEY, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", RATELIMIT_STORAGE_URI="memory://",
               EXPORTS_DIR=args.exports_dir, JOBS_STORAGE_URL=f"sqlite:///{args.exports_dir}/jobs.sqlite",
               WORKBOOK_STREAM_BELOW="0" if mode == "worker" else "1000000000")
    server = start_gunicorn(port, gunicorn_settings(args), env)
    worker = None
    try:
        measure_public(port, code, args.clients, 1.0)  # warm-up, not counted
        if mode == "baseline":
            rate, p95, errors = measure_public(port, code, args.clients, args.seconds)
            return {"rate": rate, "p95": p95, "errors": errors, "build": None}
        cookie = sign_in(port)
        if mode == "worker":
            worker = subprocess.Popen(["nice", "-n", str(args.worker_nice), sys.executable, "-m", "flask", "--app",
                                       "wsgi", "jobs", "work", "--workers", "1"], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            worker.stdout.readline()  # "Job worker started": the worker is ready before the clock starts
        done = threading.Event()
        build: dict = {}

        def download() -> None:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            response = request(connection, "GET", f"/organiser/programmes/{programme_id}/workbook.xlsx",
                               headers={"Cookie": cookie})
            if mode == "worker":  # follow the build page until it offers the file
                page = urlsplit(response.headers["Location"]).path
                while b"/download" not in response.body:
                    time.sleep(0.5)
                    response = request(connection, "GET", page, headers={"Cookie": cookie})
            build["seconds"] = time.perf_counter() - started
            build["status"] = response.status
            connection.close()
            done.set()

        downloader = threading.Thread(target=download)
        downloader.start()
        time.sleep(0.5)  # the build is under way
        rate, p95, errors = measure_public(port, code, args.clients, args.seconds, stop=done)
        downloader.join()
        return {"rate": rate, "p95": p95, "errors": errors, "build": build}
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--db", help="an SQLite file: filled if missing, reused if present")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each phase measures at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="run the job worker at this nice level (10: pages first on a small host)")
    parser.add_argument("--worker-class")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        args.exports_dir = folder
        path = Path(args.db) if args.db else Path(folder) / "bench.sqlite"
        database_url = f"sqlite:///{path}"
        programme_id, code = prepare(database_url, None if path.exists() else args.responses)
        cpu, wall = time.process_time(), time.perf_counter()
        figures = {mode: phase(args, database_url, programme_id, code, mode)
                   for mode in ("baseline", "request", "worker")}
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    base = figures["baseline"]["rate"]
    print(f"Workbook build vs public pages: {args.responses:,} responses (SQLite), {args.clients} clients on "
          f"/f/<code>, up to {args.seconds:.0f} s a phase")
    print(f"  gunicorn.conf.py: {describe(gunicorn_settings(args))}; job worker: 1 thread, nice {args.worker_nice}")
    for mode, label in (("baseline", "nothing else"), ("request", "built in a web request"),
                        ("worker", "built on the job worker")):
        row = figures[mode]
        build = f"; build took {row['build']['seconds']:.1f} s" if row["build"] else ""
        print(f"  {label:<24} {row['rate']:8.1f} req/s  p95 {row['p95']:7.1f} ms  ratio {row['rate'] / base:5.2f}"
              f"  ({len(row['errors'])} errors){build}")
    print(f"  bench client: wall {wall:.1f} s, CPU {cpu:.1f} s; load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
