"""A room giving feedback at once: 50 phones, 1,000 submissions, against gunicorn.

    .venv/bin/python bench/feedback_burst.py [--clients 50] [--submissions 1000] [--workers 2]

Starts gunicorn (2 sync workers) on loopback on a fresh SQLite database loaded with
the demo (one session's feedback window opened), then:
  1. measures a trivial endpoint (/healthz: "ok" after SELECT 1) with the same number
     of concurrent clients, as the ceiling of this server on this machine;
  2. plays the room: each client GETs /f/<code> with its own cookie jar (a new phone),
     then POSTs a complete valid response with the page's CSRF token and key.
Prints submissions/s, POST latency p50/p95/p99, errors, stored rows, the trivial
rate and the ratio; exits 1 if a target is missed. The rate limit is raised through
FEEDBACK_RATE_LIMIT: the limiter still runs on every POST, it just never says no.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 300
TARGET_RATIO = 0.10


def prepare_database(database_url: str) -> tuple[str, dict]:
    """Schema, demo programme, one session open for feedback; returns (code, answers)."""
    os.environ["DATABASE_URL"] = database_url
    from webapp import create_app
    from webapp.db_types import utcnow
    from webapp.demo.services import load_demo_programme
    from webapp.extensions import db
    from webapp.feedback.models import QuestionKind
    from webapp.feedback.services import load_form_for

    app = create_app("development")
    with app.app_context():
        db.create_all()
        programme, _ = load_demo_programme()
        session = programme.sessions[0]
        session.feedback_opens_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        answers: dict[str, str | list[str]] = {}
        for question in load_form_for(programme.id).visible_questions:
            name = f"q{question.id}"
            if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
                answers[name] = "More time for direct work with families, less paperwork."
            elif question.kind == QuestionKind.MULTI_CHOICE:
                answers[name] = [str(option.id) for option in question.visible_options[: question.max_choices or 1]]
            else:
                answers[name] = str(question.visible_options[len(question.visible_options) // 2].id)
        code = session.feedback_code
        db.engine.dispose()
    return code, answers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--backlog", "2048", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.read() == b"ok":
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def run_clients(clients: int, total: int, work) -> tuple[float, list[float], list[str]]:
    """Run `work()` `total` times over `clients` threads; returns (seconds, latencies, errors)."""
    lock = threading.Lock()
    remaining = [total]
    latencies: list[float] = []
    errors: list[str] = []

    def client() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            try:
                latency = work()
                with lock:
                    latencies.append(latency)
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trivial-requests", type=int, default=3000)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="feedback-burst-"))
    database = workdir / "bench.sqlite"
    database_url = f"sqlite:///{database}"
    code, answers = prepare_database(database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=database_url, APP_CONFIG="development",
               SECRET_KEY="bench-secret-key-0123456789-abcdefghijklmnop",
               PUBLIC_BASE_URL=base, FEEDBACK_RATE_LIMIT="1000000 per minute")
    server = start_gunicorn(port, args.workers, env)
    try:
        def trivial() -> float:
            started = time.perf_counter()
            with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
                if response.status != 200 or response.read() != b"ok":
                    raise RuntimeError(f"healthz answered {response.status}")
            return time.perf_counter() - started

        # Warm both workers up (imports, template compilation) before timing anything.
        run_clients(4, 40, trivial)
        trivial_seconds, _, trivial_errors = run_clients(args.clients, args.trivial_requests, trivial)
        trivial_rate = (args.trivial_requests - len(trivial_errors)) / trivial_seconds

        body_fields = urllib.parse.urlencode(answers, doseq=True)
        token_pattern = re.compile(r'name="(csrf_token|submission_key)" value="([^"]+)"')

        def submit() -> float:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            with opener.open(f"{base}/f/{code}", timeout=30) as response:
                page = response.read().decode()
            hidden = dict(token_pattern.findall(page))
            if set(hidden) != {"csrf_token", "submission_key"}:
                raise RuntimeError("form without its hidden fields")
            data = (urllib.parse.urlencode(hidden) + "&" + body_fields).encode()
            started = time.perf_counter()
            with opener.open(f"{base}/f/{code}", data=data, timeout=30) as response:
                page = response.read().decode()
            latency = time.perf_counter() - started
            if response.status != 200 or "Your feedback has been sent" not in page:
                raise RuntimeError(f"POST answered {response.status} without the thank-you page")
            return latency

        for _ in range(3):  # warm the form page up too (not stored: GET only)
            urllib.request.urlopen(f"{base}/f/{code}", timeout=30).read()
        burst_seconds, latencies, errors = run_clients(args.clients, args.submissions, submit)
    finally:
        server.terminate()
        server.wait(timeout=30)

    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT count(*) FROM response").fetchone()[0]
        answer_rows = connection.execute("SELECT count(*) FROM answer").fetchone()[0]

    submission_rate = len(latencies) / burst_seconds
    p50, p95, p99 = (percentile(latencies, share) * 1000 for share in (0.50, 0.95, 0.99))
    ratio = submission_rate / trivial_rate
    print(f"feedback burst: {args.clients} clients, {args.submissions} submissions, "
          f"gunicorn {args.workers} sync workers, SQLite ({os.cpu_count()} CPUs)")
    print(f"  submissions/s        {submission_rate:8.1f}   ({len(latencies)} in {burst_seconds:.2f} s)")
    print(f"  POST latency ms      p50 {p50:.1f}   p95 {p95:.1f}   p99 {p99:.1f}")
    print(f"  errors               {len(errors):8d}" + (f"   first: {errors[0]}" if errors else ""))
    print(f"  stored responses     {stored:8d}   ({answer_rows} answers, {len(answers)} fields each)")
    print(f"  /healthz requests/s  {trivial_rate:8.1f}   ({len(trivial_errors)} errors)")
    print(f"  ratio                {ratio:8.3f}   (submissions/s over trivial requests/s)")

    missed = []
    if stored != args.submissions:
        missed.append(f"stored {stored} of {args.submissions}")
    if errors or trivial_errors:
        missed.append(f"{len(errors) + len(trivial_errors)} errors")
    if not p99 < TARGET_P99_MS:
        missed.append(f"p99 {p99:.0f} ms >= {TARGET_P99_MS} ms")
    if ratio < TARGET_RATIO:
        missed.append(f"ratio {ratio:.3f} < {TARGET_RATIO}")
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
