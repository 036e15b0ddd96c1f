"""CPU time to render the pages built most from GOV.UK's macros, with the app's Jinja
environment (webapp/templating.py) against Flask's own (the baseline, the same pages in
the same run: tests/test_templating.py checks they are the same bytes).

    .venv/bin/python bench/page_render.py [--rounds 50]

An organiser signed in to the demo programme (an SQLite file in a temporary folder)
opens each page `--rounds` times each way; prints CPU ms per page (user + system of this
process) and wall ms, the ratio, the load average and the machine probe.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402
from tests.conftest import PASSWORD, make_config  # noqa: E402
from tests.test_templating import plain_environment  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.auth.models import Role, User  # noqa: E402
from webapp.db_types import utcnow  # noqa: E402
from webapp.demo.services import load_demo_programme  # noqa: E402
from webapp.extensions import db  # noqa: E402

PAGES = ["/organiser/programmes/{p}/sessions/new", "/organiser/programmes/{p}/form/questions/new",
         "/organiser/programmes/{p}", "/organiser/programmes/{p}/results", "/sessions/{s}/register", "/f/{code}"]


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def measure(client, url: str, rounds: int) -> tuple[float, float]:
    assert client.get(url).status_code == 200, url
    started, wall = cpu(), time.perf_counter()
    for _ in range(rounds):
        client.get(url)
    return (cpu() - started) / rounds * 1000, (time.perf_counter() - wall) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="page-render-")
    app = create_app(make_config(f"sqlite:///{folder}/bench.sqlite", MAIL_OUTBOX=folder, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False,
                                 JOBS_STORAGE_URL=f"sqlite:///{folder}/jobs.sqlite"))
    with app.app_context():
        db.create_all()
        programme, _ = load_demo_programme()
        session = sorted(programme.sessions, key=lambda s: s.starts_at)[-1]
        session.feedback_opens_at = utcnow() - timedelta(minutes=5)  # the phone form, not "not open yet"
        values = {"p": programme.id, "s": session.id, "code": session.feedback_code}
        user = User(email="bench@example.org", role=Role.ORGANISER)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": PASSWORD})
    fast, plain = app.jinja_env, plain_environment(app)
    print(describe())
    print(f"settings: {args.rounds} rounds per page and way, SQLite, demo programme, one process")
    print(f"{'page':48} {'Flask ms CPU':>12} {'ours ms CPU':>12} {'ratio':>6} {'Flask wall':>10} {'ours wall':>10}")
    totals = [0.0, 0.0]
    for page in PAGES:
        url = page.format(**values)
        app.jinja_env = plain
        base_cpu, base_wall = measure(client, url, args.rounds)
        app.jinja_env = fast
        our_cpu, our_wall = measure(client, url, args.rounds)
        totals[0] += base_cpu
        totals[1] += our_cpu
        print(f"{url:48} {base_cpu:12.2f} {our_cpu:12.2f} {base_cpu / our_cpu:6.2f} {base_wall:10.2f} {our_wall:10.2f}")
    print(f"{'all pages':48} {totals[0]:12.2f} {totals[1]:12.2f} {totals[0] / totals[1]:6.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
