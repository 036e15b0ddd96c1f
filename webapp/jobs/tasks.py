"""The tasks a worker runs. Each opens the app's context and does one thing; the work
itself lives in plain functions that tests call directly."""
from __future__ import annotations

import os
import socket

from huey import crontab

from webapp.extensions import db
from webapp.jobs import outbox
from webapp.jobs.queue import huey, task_app


@huey.task()
def deliver_email(message_id: int) -> None:
    with task_app().app_context():
        try:
            outbox.deliver(message_id)
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="*"))
def every_minute() -> None:
    """The sweep for lost jobs, time-driven emails, and the worker's heartbeat."""
    from webapp.jobs import reminders, schedule

    with task_app().app_context():
        try:
            schedule.beat(worker_name())
            outbox.sweep()
            reminders.queue_due()
        finally:
            db.session.remove()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
