"""How long the test suite takes, and what the per-run database template saves.

    .venv/bin/python bench/suite_time.py [--database-url postgresql+psycopg://...]
        [--workers auto] [--setups 40] [--skip-suite] [-- extra pytest arguments]

1. Per-test setup, in this process, --setups times each way. The database:
   baseline: what every test did before (SQLite: a new file, create_all, the demo loader;
   PostgreSQL: empty the tables, the demo loader); now: the fixtures' own code (SQLite:
   copy the template file that has the demo; PostgreSQL: INSERT the demo's rows into the
   worker database, then empty its tables). The app (SQLite only): a new app per test
   (baseline) against the app handed from test to test (tests/conftest.py KeptApp), each
   with its first requests of two pages.
2. The whole suite, in the same run: `pytest -n 0` (one process: the baseline) and then
   `pytest -n WORKERS` (pytest-xdist), each as its own child process.

--database-url runs both on PostgreSQL (TEST_DATABASE_URL for the suite; the setups use
databases `<name>_bench` and `<name>_bench_old` that this script creates and drops). Prints wall and CPU time
(user + system of the children), the load average before and after, and the ratios
against the baselines. The machine may be shared: read the ratios beside the load.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def timed(work) -> tuple[float, float]:
    """Wall and CPU seconds (this process) of work()."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def setups(database_url: str | None, count: int) -> None:
    if database_url:  # read by tests/conftest.py when imported: a worker database `<name>_bench`
        os.environ["TEST_DATABASE_URL"], os.environ["PYTEST_XDIST_WORKER"] = database_url, "bench"
    import sqlalchemy as sa

    from tests.conftest import ServerTemplate, SQLiteTemplate, _build_schema, make_config
    from webapp import create_app
    from webapp.demo.services import load_demo_programme
    from webapp.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    if database_url:
        template = ServerTemplate()  # the fixtures' own code, made and dropped by it
        # What each test did before: the demo loader into TEST_DATABASE_URL-like tables
        # (a plain new database `<name>_bench_old`, committing as PostgreSQL does by default).
        base = sa.engine.make_url(database_url)
        old_url = base.set(database=f"{base.database}_bench_old").render_as_string(hide_password=False)
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{base.database}_bench_old"')
        _build_schema(old_url)
        apps = [create_app(make_config(old_url))]

        def baseline(n):
            with apps[0].app_context():
                with db.engine.begin() as connection:
                    for table in reversed(db.metadata.sorted_tables):
                        connection.execute(table.delete())
                load_demo_programme()
                db.session.remove()
    else:
        template = SQLiteTemplate(folder)
        # The app is made per test either way: only the database work is timed.
        apps = [create_app(make_config(f"sqlite:///{folder / f'old{n}.sqlite'}")) for n in range(count)]

        def baseline(n):
            with apps[n].app_context():
                db.create_all()
                load_demo_programme()
                db.session.remove()
                db.engine.dispose()

    def now(n):
        (folder / str(n)).mkdir()
        template.database(folder / str(n), with_demo=True)
        template.clean()

    try:
        old_wall, old_cpu = timed(lambda: [baseline(n) for n in range(count)])
        new_wall, new_cpu = timed(lambda: [now(n) for n in range(count)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        template.close()
        if database_url:
            with apps[0].app_context():
                db.engine.dispose()
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{base.database}_bench_old" WITH (FORCE)')
            admin.dispose()
    print(f"per-test setup with the demo, mean of {count}:")
    print(f"  baseline (schema and demo per test):   {old_wall / count * 1000:7.1f} ms wall "
          f"{old_cpu / count * 1000:7.1f} ms CPU")
    print(f"  now (the fixtures: template per run):  {new_wall / count * 1000:7.1f} ms wall "
          f"{new_cpu / count * 1000:7.1f} ms CPU")
    print(f"  ratio now / baseline: wall {new_wall / old_wall:.3f}, CPU {new_cpu / max(old_cpu, 1e-9):.3f}")


def app_setups(count: int) -> None:
    """A new app per test (what every test did before) against the app handed from test to
    test (tests/conftest.py KeptApp), each with the test's own database copy and its first
    requests of two pages (templates loaded, SQL compiled: what a new app pays again)."""
    from tests.conftest import KeptApp, SQLiteTemplate, make_config, own_files
    from webapp import create_app
    from webapp.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="suite-bench-apps-"))
    template, keeper = SQLiteTemplate(folder), KeptApp()

    def one_test(label: str, n: int, get_app) -> None:
        test_folder = folder / f"{label}{n}"
        test_folder.mkdir()
        url = template.database(test_folder, with_demo=True)
        app = get_app(url, own_files(test_folder))
        client = app.test_client()
        for page in ("/login", "/"):
            assert client.get(page).status_code == 200, page
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    def new_app(url, settings):
        return create_app(make_config(url, **settings))

    def kept_app(url, settings):
        return keeper.app_for(url, {}, settings, fresh=False)

    try:
        old_wall, old_cpu = timed(lambda: [one_test("new", n, new_app) for n in range(count)])
        new_wall, new_cpu = timed(lambda: [one_test("kept", n, kept_app) for n in range(count)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"per-test app and its first two page loads (SQLite), mean of {count}:")
    print(f"  baseline (a new app per test):          {old_wall / count * 1000:7.1f} ms wall "
          f"{old_cpu / count * 1000:7.1f} ms CPU")
    print(f"  now (the app kept from test to test):   {new_wall / count * 1000:7.1f} ms wall "
          f"{new_cpu / count * 1000:7.1f} ms CPU")
    print(f"  ratio now / baseline: wall {new_wall / old_wall:.3f}, CPU {new_cpu / max(old_cpu, 1e-9):.3f}")


def suite(workers: str, extra: list[str], database_url: str | None) -> tuple[float, float, str]:
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_XDIST_WORKER"}
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", workers, *extra]
    before_load = load()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next((line for line in reversed(result.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)),
                   result.stdout[-500:] + result.stderr[-500:])
    print(f"  -n {workers:>4}: {wall:7.1f} s wall {cpu:7.1f} s CPU  load {before_load} -> {load()}  "
          f"exit {result.returncode}  {summary.strip('= ')}")
    return wall, cpu, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL of a database you created (default: SQLite)")
    parser.add_argument("--workers", default="auto", help="pytest-xdist workers for the parallel run")
    parser.add_argument("--setups", type=int, default=40)
    parser.add_argument("--skip-suite", action="store_true", help="only the per-test setup figures")
    args, extra = parser.parse_known_args()
    extra = [arg for arg in extra if arg != "--"]
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; cores: {os.cpu_count()}; "
          f"load average (1, 5, 15 min): {load()}; python {sys.version.split()[0]}")
    setups(args.database_url, args.setups)
    if not args.database_url:
        app_setups(args.setups)
    if args.skip_suite:
        return 0
    print(f"whole suite (pytest {' '.join(extra) or '(all tests)'}):")
    serial_wall, serial_cpu, _ = suite("0", extra, args.database_url)
    wall, cpu, _ = suite(args.workers, extra, args.database_url)
    print(f"  ratio -n {args.workers} / -n 0: wall {wall / serial_wall:.3f}, CPU {cpu / serial_cpu:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
