"""How fast and how lean is the workbook export? (issue 5)

    .venv/bin/python bench/export_scale.py                  # 100,000 responses
    .venv/bin/python bench/export_scale.py --responses 5000 # a quick run
    .venv/bin/python bench/export_scale.py --db /tmp/export-100k.sqlite  # fill once, reuse after

Fills a fresh SQLite database (a file in a temporary folder) with the demo programme
and N synthetic responses to its default form, then, each in a SEPARATE process so
that peak memory is that job's alone:

1. export: builds the whole workbook (every sheet, Attendance included) with
   webapp.exports.workbook.build_workbook, streaming from the database;
2. baseline: loads the same Responses rows into a pandas DataFrame (not timed), then
   times DataFrame.to_excel(engine="openpyxl") writing that one sheet.

The fill is never timed. Prints both times (wall clock, and CPU time of the process for
a shared machine), their ratio and both peak RSS figures. Targets: export time under
0.6 x the baseline's, and the export process's peak memory under 150 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_RATIO_TARGET = 0.6
PEAK_MB_TARGET = 150


def _app(database_url: str):
    from config import TestConfig
    from webapp import create_app

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})
    return create_app(config)


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own memory
    map; ru_maxrss would also count the parent's peak before exec (it survives execve),
    so a worker started after a big fill would be charged for the fill."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(database_url: str, responses: int) -> dict:
    from webapp.demo.services import add_synthetic_responses, load_demo_programme
    from webapp.extensions import db

    app = _app(database_url)
    with app.app_context():
        db.create_all()
        programme, _ = load_demo_programme()
        started = time.perf_counter()
        add_synthetic_responses(programme, responses, seed=20170601, batch_size=5000)
        answers = db.session.execute(db.text("SELECT count(*) FROM answer")).scalar()
        return {"programme_id": programme.id, "seconds": time.perf_counter() - started, "answers": answers}


def reuse(database_url: str) -> dict:
    from webapp.extensions import db

    app = _app(database_url)
    with app.app_context():
        count = db.session.execute(db.text("SELECT (SELECT min(id) FROM programme), (SELECT count(*) FROM "
                                           "response), (SELECT count(*) FROM answer)")).one()
        return {"programme_id": count[0], "responses": count[1], "answers": count[2]}


def worker_export(database_url: str, programme_id: int, out: str) -> dict:
    from webapp.exports.workbook import build_workbook
    from webapp.extensions import db
    from webapp.programmes.models import Programme

    app = _app(database_url)
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        info = build_workbook(programme, out, include_attendance=True)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), "responses": info.responses,
            "bytes": os.path.getsize(out)}


def worker_baseline(database_url: str, programme_id: int, out: str) -> dict:
    import pandas as pd

    from webapp.exports import rows as table_rows
    from webapp.tables import headers
    from webapp.extensions import db
    from webapp.programmes.models import Programme
    from webapp.results import services as results

    app = _app(database_url)
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        sessions = results.select_sessions(programme)
        questions = [r.question for r in results.question_results(programme.feedback_form,
                                                                   [s.id for s in sessions])]
        frame = pd.DataFrame(list(table_rows.response_rows(sessions, questions)),
                             columns=headers(table_rows.response_columns(questions)))
    loaded_mb = _peak_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    frame.to_excel(out, sheet_name="Responses", index=False, engine="openpyxl")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), "loaded_mb": loaded_mb, "rows": len(frame),
            "bytes": os.path.getsize(out)}


def worker_openpyxl(database_url: str, programme_id: int, out: str) -> dict:
    """Plain streaming openpyxl (write-only, cell by cell) writing the same Responses rows."""
    from openpyxl import Workbook

    from webapp.exports import rows as table_rows
    from webapp.tables import headers
    from webapp.extensions import db
    from webapp.programmes.models import Programme
    from webapp.results import services as results

    app = _app(database_url)
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        sessions = results.select_sessions(programme)
        questions = [r.question for r in results.question_results(programme.feedback_form,
                                                                   [s.id for s in sessions])]
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Responses")
        sheet.append(headers(table_rows.response_columns(questions)))
        for row in table_rows.response_rows(sessions, questions, full_detail=True):
            sheet.append(row)
        workbook.save(out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), "bytes": os.path.getsize(out)}


def worker_responses(database_url: str, programme_id: int, out: str) -> dict:
    """Our Responses sheet alone (webapp.exports.workbook._responses), for a like-for-like figure."""
    from openpyxl import Workbook

    from webapp.exports import workbook as sheets
    from webapp.extensions import db
    from webapp.programmes.models import Programme
    from webapp.results import services as results

    app = _app(database_url)
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        figures = results.results_for(programme, results.select_sessions(programme))
        workbook = Workbook(write_only=True)
        sheets._responses(workbook, figures, full_detail=True)
        workbook.save(out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), "bytes": os.path.getsize(out)}


WORKERS = {"export": worker_export, "baseline": worker_baseline, "openpyxl": worker_openpyxl,
           "responses": worker_responses}


def _run_worker(kind: str, database_url: str, programme_id: int, out: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--database-url", database_url,
         "--programme-id", str(programme_id), "--out", out],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database and files)")
    parser.add_argument("--db", help="a SQLite file to fill once and reuse on later runs (saves the fill)")
    parser.add_argument("--worker", choices=tuple(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--programme-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.database_url, args.programme_id, args.out)))
        return 0

    folder = tempfile.mkdtemp(prefix="export-scale-")
    database_url = f"sqlite:///{os.path.abspath(args.db)}" if args.db else f"sqlite:///{folder}/bench.sqlite"
    if args.db and os.path.exists(args.db):
        filled = reuse(database_url)
        print(f"Reusing {database_url}: {filled['responses']:,} responses, {filled['answers']:,} answers", flush=True)
    else:
        print(f"Filling {database_url} with {args.responses:,} responses...", flush=True)
        filled = fill(database_url, args.responses)
        print(f"  {args.responses:,} responses, {filled['answers']:,} answers in {filled['seconds']:.1f} s",
              flush=True)

    export = _run_worker("export", database_url, filled["programme_id"], f"{folder}/workbook.xlsx")
    print(f"Workbook (all 7 sheets, streamed):   {export['seconds']:7.2f} s (CPU {export['cpu']:.2f} s)"
          f"   peak RSS {export['peak_mb']:6.1f} MB"
          f"   {export['bytes'] / 1e6:.1f} MB file", flush=True)
    baseline = _run_worker("baseline", database_url, filled["programme_id"], f"{folder}/baseline.xlsx")
    print(f"Baseline DataFrame.to_excel (1 sheet): {baseline['seconds']:5.2f} s (CPU {baseline['cpu']:.2f} s)   peak RSS "
          f"{baseline['peak_mb']:6.1f} MB (DataFrame loaded: {baseline['loaded_mb']:.1f} MB)"
          f"   {baseline['bytes'] / 1e6:.1f} MB file", flush=True)
    ratio = export["seconds"] / baseline["seconds"]
    print(f"Ratio workbook / baseline: {ratio:.2f} (target < {TIME_RATIO_TARGET}); in CPU time: "
          f"{export['cpu'] / baseline['cpu']:.2f}")
    print(f"Machine load (1 min) at the end: {os.getloadavg()[0]:.2f} (measure when it is under 1)")
    print(f"Export peak memory: {export['peak_mb']:.1f} MB (target < {PEAK_MB_TARGET} MB)")
    ok = ratio < TIME_RATIO_TARGET and export["peak_mb"] < PEAK_MB_TARGET
    print("Targets met." if ok else "Targets NOT met.")
    if args.keep:
        print(f"Kept {folder}")
    else:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
