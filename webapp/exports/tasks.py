"""The exports' tasks: build a workbook, and clean up old ones every hour."""
from __future__ import annotations

from huey import crontab

from webapp.exports import builds
from webapp.extensions import db
from webapp.jobs.queue import huey, task_app


@huey.task()
def build_workbook_task(build_id: int) -> None:
    with task_app().app_context():
        try:
            builds.run_build(build_id)
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="17"))
def clean_up_workbooks() -> None:
    with task_app().app_context():
        try:
            builds.clean_up()
        finally:
            db.session.remove()
