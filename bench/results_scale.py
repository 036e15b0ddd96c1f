"""Do the results pages stay flat as responses grow? (issue 14)

    .venv/bin/python bench/results_scale.py                      # SQLite, 1k / 10k / 100k
    .venv/bin/python bench/results_scale.py --sizes 1000 10000   # quicker
    .venv/bin/python bench/results_scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_results

One database is filled step by step (the demo programme, then synthetic responses up
to each size; `add_synthetic_responses` keeps the running totals as it goes, and the
fill is never timed). At each size, in this process through the Flask test client as
a signed-in viewer: the programme results page, one session's results page and the
presenter view, each the median of --repeat requests after one warm-up, wall time
and this process's CPU time, beside the same app's /healthz (one SELECT 1). The
largest size is compared with the smallest (flat: within 2x) and each page with 50 ms.

With --workbook (at the largest size), the export bench's workers run in separate
processes on the same database: the whole workbook, our Responses sheet alone, pandas
DataFrame.to_excel writing the Responses sheet, and plain streaming openpyxl writing
it cell by cell; CPU seconds beside wall time (wall time flips with machine load) and
peak memory.

PostgreSQL: the tables in the database given are dropped and created again; create the
database yourself (createdb) and drop it yourself when done. The server's CPU is not in
this process's CPU time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import export_scale  # noqa: E402
from bench.machine import describe as describe_machine  # noqa: E402

PAGE_TARGET_MS = 50
FLAT_RATIO = 2.0
CPU_VS_PANDAS = 0.5
CPU_VS_OPENPYXL = 0.9
PEAK_MB_TARGET = 150
VIEWER = "bench-viewer@example.org"
PASSWORD = "bench-viewer-password-123"


def _app(database_url: str):
    from config import TestConfig
    from webapp import create_app

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url,
                                                 "WTF_CSRF_ENABLED": False})
    return create_app(config)


def _time(client, url: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `repeat` GETs (after one warm-up)."""
    assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, url
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--database-url", help="PostgreSQL database to use (its tables are recreated)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workbook", action="store_true", help="also time the workbook at the largest size")
    args = parser.parse_args()

    from webapp.auth.models import Role, User
    from webapp.demo.services import add_synthetic_responses, load_demo_programme
    from webapp.extensions import db

    folder = tempfile.mkdtemp(prefix="results-scale-")
    database_url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    app = _app(database_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        programme, _ = load_demo_programme()
        programme_id, session_id = programme.id, programme.sessions[0].id
        user = User(email=VIEWER, role=Role.VIEWER)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": VIEWER, "password": PASSWORD}).status_code == 302

    pages = {
        "programme results": f"/organiser/programmes/{programme_id}/results",
        "session results": f"/organiser/programmes/{programme_id}/sessions/{session_id}/results",
        "presenter view": f"/organiser/programmes/{programme_id}/sessions/{session_id}/presenter",
        "/healthz": "/healthz",
    }
    print(f"results scale: {database_url.split('@')[-1]}, median of {args.repeat} requests after a warm-up, "
          f"Flask test client in this process, {os.cpu_count()} cores")
    print(describe_machine())
    figures: dict[int, dict[str, tuple[float, float]]] = {}
    filled = 0
    for size in sorted(args.sizes):
        with app.app_context():
            started = time.perf_counter()
            programme = db.session.get(type(programme), programme_id)
            add_synthetic_responses(programme, size - filled, seed=size, batch_size=5000)
            fill_seconds = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                # A real database has statistics (autovacuum analyzes a table within a minute
                # of a bulk change); straight after filling, the planner would still think the
                # tables nearly empty and pick plans no live server runs.
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            db.session.remove()
        filled = size
        figures[size] = {name: _time(client, url, args.repeat) for name, url in pages.items()}
        print(f"\n{size:>7,} responses (filled in {fill_seconds:.1f} s, load average {os.getloadavg()[0]:.2f})")
        for name, (wall, cpu) in figures[size].items():
            print(f"  {name:18} {wall:8.1f} ms wall  {cpu:8.1f} ms CPU")
        healthz = figures[size]["/healthz"][0]
        print("  against /healthz   " + ", ".join(
            f"{name} {wall / healthz:.0f}x" for name, (wall, _) in figures[size].items() if name != "/healthz"))

    smallest, largest = min(figures), max(figures)
    missed = []
    print(f"\n{largest:,} against {smallest:,} responses (target: within {FLAT_RATIO}x and under "
          f"{PAGE_TARGET_MS} ms; wall time flips with machine load, CPU time much less)")
    for name in pages:
        if name == "/healthz":
            continue
        (wall, cpu), (small_wall, small_cpu) = figures[largest][name], figures[smallest][name]
        print(f"  {name:18} wall {wall / small_wall:5.2f}x {wall:6.1f} ms   CPU {cpu / small_cpu:5.2f}x {cpu:6.1f} ms")
        if wall >= PAGE_TARGET_MS or wall / small_wall > FLAT_RATIO:
            missed.append(f"{name} (wall)")
        if cpu >= PAGE_TARGET_MS or cpu / small_cpu > FLAT_RATIO:
            missed.append(f"{name} (CPU)")

    if args.workbook:
        print(f"\nworkbook at {largest:,} responses (separate processes, same database)")
        results = {}
        for kind, label in (("export", "whole workbook (7 sheets)"), ("responses", "our Responses sheet alone"),
                            ("baseline", "pandas to_excel, Responses"), ("openpyxl", "plain openpyxl, Responses")):
            results[kind] = export_scale._run_worker(kind, database_url, programme_id, f"{folder}/{kind}.xlsx")
            result = results[kind]
            print(f"  {label:28} {result['seconds']:7.2f} s wall  {result['cpu']:7.2f} s CPU  "
                  f"peak {result['peak_mb']:6.1f} MB  load {os.getloadavg()[0]:.2f}", flush=True)
        for ours in ("export", "responses"):
            cpu = results[ours]["cpu"]
            vs_pandas, vs_openpyxl = cpu / results["baseline"]["cpu"], cpu / results["openpyxl"]["cpu"]
            print(f"  {ours:9} CPU / pandas {vs_pandas:.2f} (target <= {CPU_VS_PANDAS})   "
                  f"CPU / openpyxl {vs_openpyxl:.2f} (target <= {CPU_VS_OPENPYXL})   wall / pandas "
                  f"{results[ours]['seconds'] / results['baseline']['seconds']:.2f}")
        whole = results["export"]
        if (whole["cpu"] > CPU_VS_PANDAS * results["baseline"]["cpu"]
                or whole["cpu"] > CPU_VS_OPENPYXL * results["openpyxl"]["cpu"] or whole["peak_mb"] >= PEAK_MB_TARGET):
            missed.append("workbook")

    if not args.database_url:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
    print("\ntargets: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
