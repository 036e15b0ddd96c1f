"""The themes' task: prepare suggestions on a worker, never in a web request."""
from __future__ import annotations

from huey import crontab

from webapp.extensions import db
from webapp.jobs.queue import huey, task_app
from webapp.themes import services


@huey.task()
def suggest_themes_task(run_id: int) -> None:
    with task_app().app_context():
        try:
            services.run_suggestions(run_id)
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="23"))
def mark_lost_suggestion_runs() -> None:
    with task_app().app_context():
        try:
            services.mark_lost_runs()
        finally:
            db.session.remove()
