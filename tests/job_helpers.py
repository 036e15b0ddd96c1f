"""Real processes and servers for the job-queue fault tests and benches: a `flask jobs
work` subprocess, a loopback SMTP server that notes when each message arrived, one that
never answers and one that answers a byte every few seconds."""
from __future__ import annotations

import os
import signal
import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.booking_helpers import Inbox, free_port

ROOT = Path(__file__).resolve().parent.parent


class TimedInbox(Inbox):
    """An Inbox that also notes when each message arrived (time.monotonic())."""

    def __init__(self):
        super().__init__()
        self.arrived: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrived.append(time.monotonic())
        return await super().handle_DATA(server, session, envelope)

    def per_address(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.messages:
            counts[message["To"]] = counts.get(message["To"], 0) + 1
        return counts

    def wait_for(self, addresses: int, timeout: float) -> bool:
        """Wait until `addresses` different people have their email (or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.per_address()) >= addresses:
                return True
            time.sleep(0.1)
        return False


def start_smtp(inbox: Inbox, port: int | None = None) -> Controller:
    # aiosmtpd logs every SMTP command at INFO; once the app has configured logging (a
    # bench's create_app does), 500 emails wrote 5,000 lines from this process, whose
    # CPU the bench's clients share.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    inbox.port = controller.port
    return controller


class StallingSMTP:
    """Accepts connections, then sends the greeting one byte every `interval` seconds
    (interval None: never a byte). Neither is ever a working mail server."""

    def __init__(self, interval: float | None):
        self.interval = interval
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.5)
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection: socket.socket) -> None:
        with connection:
            for byte in b"220 slow.example ESMTP\r\n":
                if self.stop.wait(self.interval if self.interval is not None else 3600):
                    return
                try:
                    connection.send(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def worker_env(database_url: str, jobs_url: str, smtp_port: int | None, **settings) -> dict:
    """The environment of a worker (or app) process against these stores and this SMTP port."""
    env = dict(os.environ, DATABASE_URL=database_url, JOBS_STORAGE_URL=jobs_url, APP_CONFIG="development",
               MAIL_USE_STARTTLS="0", MAIL_TIMEOUT="5")
    env.update({name: str(value) for name, value in settings.items()})
    if smtp_port is None:
        env.pop("MAIL_SERVER", None)
    else:
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port))
    return env


def start_worker(env: dict, workers: int = 2, log: Path | None = None) -> subprocess.Popen:
    """`flask --app wsgi jobs work` as its own process (its own process group)."""
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no chance to finish the job in hand or record anything."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill(process)
