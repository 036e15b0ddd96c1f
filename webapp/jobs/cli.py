"""`flask --app wsgi jobs work` (a worker), `jobs run-pending`, and `serve` (the
development server with a worker beside it: what `make run` uses)."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from werkzeug.serving import run_simple

from webapp.jobs import outbox, queue


@click.group("jobs")
def jobs_cli() -> None:
    """The background job queue."""


def register_tasks() -> None:
    """Import every module that declares tasks, so this process can run them."""
    from webapp.exports import tasks as exports_tasks  # noqa: F401
    from webapp.jobs import tasks  # noqa: F401
    from webapp.themes import tasks as themes_tasks  # noqa: F401


@jobs_cli.command("work")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=None,
              help="Worker threads (default JOBS_WORKERS, 2).")
@with_appcontext
def work(workers: int | None) -> None:
    """Run a worker: sends emails, reminders and builds files until stopped (SIGINT or
    SIGTERM stop it after the jobs in hand). Run as many, on as many hosts, as you like."""
    register_tasks()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    lower_cpu_priority(current_app.config["JOBS_WORKER_NICE"])
    consumer = queue.huey.create_consumer(
        workers=workers or current_app.config["JOBS_WORKERS"], worker_type="thread", periodic=True,
        check_worker_health=True, scheduler_interval=1,
        # An idle worker polls SQLite storage at most a second apart (Huey's default grows
        # to 10 s), so the first email after a quiet spell does not wait.
        max_delay=1)
    # Work a killed worker held (claimed, or taken off the queue) is found now, not at
    # the next minute's sweep.
    swept = outbox.sweep()
    click.echo(f"Job worker started: storage {_safe_url(current_app.config['JOBS_STORAGE_URL'])}; "
               f"{swept} emails found again by the sweep")
    consumer.run()


def lower_cpu_priority(nice: int) -> None:
    """Give way to the web app on a shared host. Linux shares the CPU between sessions
    first ("autogroups") and applies nice only within one: a worker started in a session
    of its own (a service, `setsid`, a terminal of its own) lowers its session's share
    as well, or its nice would change nothing beside a web server in another session."""
    if not nice or not hasattr(os, "nice"):
        return
    os.nice(nice)
    if os.getsid(0) == os.getpid():  # the leader: the autogroup is this worker's alone
        try:
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write(str(nice))
        except OSError:  # not Linux, or a kernel without autogroups: nice alone it is
            pass


@jobs_cli.command("run-pending")
@with_appcontext
def run_pending() -> None:
    """Run every job now waiting in the queue, then stop (for cron or a quick check)."""
    register_tasks()
    swept = outbox.sweep()
    done = queue.run_pending()
    click.echo(f"Ran {done} jobs ({swept} found again by the sweep).")


def _safe_url(url: str) -> str:
    """The storage URL without a password."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}"


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=5000)
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int) -> None:
    """The development server and, beside it, a job worker: one command, no Redis."""
    info = ctx.ensure_object(ScriptInfo)
    app = info.load_app()
    command = [sys.executable, "-m", "flask"]
    if info.app_import_path:
        command += ["--app", info.app_import_path]
    worker = subprocess.Popen([*command, "jobs", "work", "--workers", "1"])
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
