"""Sending email: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.

A failure is logged and reported as False; it never raises, so that nothing a person
did (a booking, a cancellation) is lost because the mail server is down."""
from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, g

from webapp.text import clean_text, one_line

log = logging.getLogger(__name__)


def new_message(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    # A line break in a title would end the header (or fail the message): one line, cleaned.
    message["Subject"] = one_line(subject).strip()
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
        shared = g.get("smtp_connection")
        if shared is not None:
            shared.send(message)
        else:
            with _connect() as smtp:
                smtp.send_message(message)
        return True
    except (smtplib.SMTPException, OSError, ValueError):
        # The recipient is personal data: log the subject only.
        log.exception("Could not send email %r", message["Subject"])
        return False


@contextmanager
def one_connection():
    """Every message sent in the block goes over one SMTP connection. Telling everyone
    booked on a cancelled session took one connection (and TLS handshake and login)
    each: long enough, for a full room, for gunicorn to kill the request half-way down
    the list."""
    shared = g.smtp_connection = _SharedConnection()
    try:
        yield
    finally:
        g.pop("smtp_connection", None)
        shared.close()


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config.get("MAIL_USE_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


class _SharedConnection:
    """Opened on the first message, and again once if the server hung up (servers cap
    the messages per connection). A server that cannot be reached or stops answering
    fails the rest of the batch at once, rather than each message waiting MAIL_TIMEOUT."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None
        self.broken = False

    def send(self, message: EmailMessage) -> None:
        if self.broken:
            raise smtplib.SMTPServerDisconnected("the mail server failed earlier in this batch")
        for attempt in (1, 2):
            try:
                if self.smtp is None:
                    self.smtp = _connect()
                self.smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self.smtp = None
                if attempt == 2:
                    self.broken = True
                    raise
            except OSError:
                self.broken = True
                raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
