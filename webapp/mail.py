"""Sending one email: SMTP when MAIL_SERVER is set, otherwise an .eml file in
instance/outbox/. Only the job worker calls deliver() (webapp.jobs.outbox); a web
request never talks to the mail server."""
from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import uuid
from datetime import datetime, UTC
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from webapp.text import one_line


def new_message(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    # A line break in a title would end the header (or fail the message): one line, cleaned.
    message["Subject"] = one_line(subject).strip()
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    message["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return message


def _sender_domain() -> str:
    sender = current_app.config["MAIL_SENDER"]
    return sender.rsplit("@", 1)[-1].strip(" >") or "localhost"


def outbox_dir() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def deliver(message: EmailMessage) -> None:
    """Send it, or raise (smtplib.SMTPException or OSError) saying why not."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        (folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml").write_bytes(message.as_bytes())
        return
    smtp = smtplib.SMTP(timeout=config["MAIL_TIMEOUT"])
    # MAIL_TIMEOUT bounds each read; a server that answers one byte at a time would never
    # trip it, so the whole conversation also has a deadline, after which the socket is shut.
    deadline = threading.Timer(config["MAIL_DEADLINE"], _shut, args=(smtp,))
    deadline.daemon = True
    deadline.start()
    try:
        smtp.connect(config["MAIL_SERVER"], config["MAIL_PORT"])
        if config.get("MAIL_USE_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the message was accepted; a slow goodbye changes nothing
    finally:
        deadline.cancel()
        smtp.close()


def _shut(smtp: smtplib.SMTP) -> None:
    sock = smtp.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
