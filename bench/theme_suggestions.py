"""Theme suggestions for 5,000 comments: under 30 s on a worker? (issue 16, point 2)

    .venv/bin/python bench/theme_suggestions.py                   # 5,000 comments
    .venv/bin/python bench/theme_suggestions.py --comments 20000 --themes 8

Fills a fresh SQLite file with the demo programme and N synthetic comments (not timed):
sentences from the three topics of tests/theme_comments.py and the demo's sample
comments, each with a clause or two from a list, so the vocabulary is varied. Then times,
in this process and the same run:

1. baseline: the TF-IDF vectorising alone (the same vectoriser, the same texts);
2. the job: `themes.services.run_suggestions(run_id)`, what the Huey task runs: read the
   comments from the database, TF-IDF, NMF, store the suggestions.

Prints wall and CPU time of each, the ratio of the job to the baseline, the settings
(comments, themes, vocabulary limit, NMF iterations, BLAS threads) and the load average
before and after. The target is the job's wall time under 30 s."""
from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.theme_comments import ALL_COMMENTS  # noqa: E402

TARGET_SECONDS = 30
CLAUSES = ("and it has been like this for months", "in our locality especially", "since the restructure",
           "for new and experienced staff alike", "which families notice", "as the inspectors said",
           "across health and social work", "on the duty rota", "for children in kinship care",
           "before the next inspection", "and nobody seems to know why", "at least once a quarter",
           "in the evenings and at weekends", "which would help with recruitment", "for the third sector too")


def synthetic_comments(count: int, seed: int) -> list[str]:
    from webapp.demo.services import SAMPLE_COMMENTS

    rng = random.Random(seed)
    bases = list(ALL_COMMENTS) + list(SAMPLE_COMMENTS)
    out = []
    for _ in range(count):
        text = rng.choice(bases).rstrip(".")
        for clause in rng.sample(CLAUSES, k=rng.randint(0, 2)):
            text += f", {clause}"
        out.append(text + ".")
    return out


def fill(app, count: int, seed: int) -> int:
    """The demo programme with `count` responses, each with one comment; returns its id."""
    from webapp.demo.services import load_demo_programme
    from webapp.extensions import db
    from webapp.feedback.models import Answer, QuestionKind, Response

    with app.app_context():
        db.create_all()
        programme, _ = load_demo_programme()
        question = next(q for q in programme.feedback_form.questions if q.kind == QuestionKind.LONG_TEXT)
        sessions = [session.id for session in programme.sessions]
        texts = synthetic_comments(count, seed)
        for start in range(0, count, 2000):
            batch = texts[start:start + 2000]
            ids = db.session.execute(sa.insert(Response).returning(Response.id), [
                {"session_id": sessions[n % len(sessions)], "submission_key": secrets.token_urlsafe(24)}
                for n in range(len(batch))]).scalars().all()
            db.session.execute(sa.insert(Answer), [
                {"response_id": response_id, "question_id": question.id, "option_id": None, "text": text}
                for response_id, text in zip(ids, batch)])
            db.session.commit()
        return programme.id


def timed(call):
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--themes", type=int, default=None, help="themes to ask for (default: the server chooses)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    from threadpoolctl import threadpool_info

    from config import DevelopmentConfig
    from webapp import create_app
    from webapp.extensions import db
    from webapp.programmes.models import Programme
    from webapp.themes import services, suggest
    from webapp.themes.models import SuggestionRun

    folder = tempfile.mkdtemp(prefix="theme-bench-")
    config = type("BenchConfig", (DevelopmentConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
        "JOBS_STORAGE_URL": f"sqlite:///{folder}/jobs.sqlite"})
    app = create_app(config)
    load_before = os.getloadavg()
    programme_id = fill(app, args.comments, args.seed)

    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        texts = [text for _id, text in services.comments_for_suggestions(programme, untagged_only=True)]
        _matrix, base_wall, base_cpu = timed(lambda: suggest.vectoriser().fit_transform(texts))
        run = SuggestionRun(programme_id=programme_id, themes_wanted=args.themes, untagged_only=True)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        status, job_wall, job_cpu = timed(lambda: services.run_suggestions(run_id))
        run = db.session.get(SuggestionRun, run_id)
        found = [(s.name, s.size) for s in run.suggestions]
    load_after = os.getloadavg()

    threads = sorted({f"{info['internal_api']}={info['num_threads']}" for info in threadpool_info()})
    print(f"comments: {len(texts)}; themes asked: {args.themes or 'server chooses'} "
          f"(chose {suggest.themes_for(len(texts)) if args.themes is None else args.themes}); "
          f"vocabulary limit {suggest.MAX_FEATURES}; NMF max_iter {suggest.MAX_ITER}; BLAS threads {', '.join(threads)}")
    print(f"baseline, TF-IDF vectorising alone: wall {base_wall:.2f} s, CPU {base_cpu:.2f} s")
    print(f"the job (read, TF-IDF, NMF, store):  wall {job_wall:.2f} s, CPU {job_cpu:.2f} s; status {status}")
    print(f"ratio job / baseline: wall {job_wall / base_wall:.1f}x, CPU {job_cpu / base_cpu:.1f}x")
    print(f"target: under {TARGET_SECONDS} s -> {'met' if job_wall < TARGET_SECONDS else 'NOT met'}")
    print("suggestions: " + "; ".join(f"{name} ({size})" for name, size in found))
    print(f"load average before {' '.join(f'{v:.2f}' for v in load_before)}, "
          f"after {' '.join(f'{v:.2f}' for v in load_after)} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
