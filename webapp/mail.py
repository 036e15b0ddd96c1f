"""Sending email: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.

A failure is logged and reported as False; it never raises, so that nothing a person
did (a booking, a cancellation) is lost because the mail server is down."""
from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def new_message(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=_sender_domain())
    message["Date"] = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return message


def _sender_domain() -> str:
    sender = current_app.config["MAIL_SENDER"]
    return sender.rsplit("@", 1)[-1].strip(" >") or "localhost"


def outbox_dir() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(current_app.instance_path) / "outbox"


def send(message: EmailMessage) -> bool:
    config = current_app.config
    try:
        if not config.get("MAIL_SERVER"):
            folder = outbox_dir()
            folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            (folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml").write_bytes(message.as_bytes())
            return True
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config.get("MAIL_USE_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
        return True
    except (smtplib.SMTPException, OSError, ValueError):
        # The recipient is personal data: log the subject only.
        log.exception("Could not send email %r", message["Subject"])
        return False
