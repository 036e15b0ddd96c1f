"""Emails, recorded inside the operation that causes them and sent by a worker.

`queue_email()` adds a delivery record to the current transaction and hands it to the
queue once the transaction commits. The worker's `deliver()` claims the record, composes
the email from the rows as they are then (a renderer per kind, registered by the area
that owns the email), sends it, and records the outcome: sent; or failed, tried again
later with growing delays, then kept as failed for an admin to see and retry.

Delivery is at least once: a worker killed after the mail server accepted a message but
before it recorded so sends it again when the claim lapses (at most once per kill)."""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from webapp import mail
from webapp.db_types import rows_changed, utcnow
from webapp.extensions import db
from webapp.jobs import queue
from webapp.jobs.models import DeliveryStatus, EmailKind, OutboundEmail

log = logging.getLogger(__name__)

Renderer = Callable[[OutboundEmail], EmailMessage | None]
_renderers: dict[EmailKind, Renderer] = {}


def renderer(kind: EmailKind) -> Callable[[Renderer], Renderer]:
    """Register how an email of this kind is composed. It returns None when the email
    is no longer true or needed (the booking was cancelled before it left, say)."""

    def register(function: Renderer) -> Renderer:
        _renderers[kind] = function
        return function

    return register


def queue_email(kind: EmailKind, to_address: str | None, *, registration_id: int | None = None,
                session_id: int | None = None, user_id: int | None = None, context: dict | None = None,
                dedupe_key: str | None = None) -> int | None:
    """Record an email in the current transaction; it is handed to the queue after
    commit. With a dedupe_key already used, nothing is added and None is returned."""
    values = dict(kind=kind, to_address=to_address, registration_id=registration_id, session_id=session_id,
                  user_id=user_id, context=context or {}, dedupe_key=dedupe_key,
                  status=DeliveryStatus.PENDING, attempts=0, last_error="",
                  created_at=utcnow(), next_attempt_at=utcnow())
    insert = sa.insert(OutboundEmail).values(**values) if dedupe_key is None else _insert_unless_duplicate(values)
    message_id = db.session.scalar(insert.returning(OutboundEmail.id))
    if message_id is None:  # the same email (dedupe_key) was queued before
        return None
    _send_after_commit(message_id)
    return message_id


def _insert_unless_duplicate(values: dict):
    """INSERT ... ON CONFLICT DO NOTHING: two workers scheduling the same reminder at
    once both try, and the database keeps one."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(OutboundEmail).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])


def _send_after_commit(message_id: int, eta: datetime | None = None) -> None:
    from webapp.jobs.tasks import deliver_email

    if eta is None:
        queue.after_commit(lambda: deliver_email(message_id))
    else:
        queue.after_commit(lambda: deliver_email.schedule(args=(message_id,), eta=eta))


# ---------------------------------------------------------------------------
# The worker's side
# ---------------------------------------------------------------------------

def _claim(message_id: int, now: datetime) -> bool:
    """Take the message for this worker, unless another has it or it is not due."""
    claim_for = timedelta(seconds=current_app.config["JOBS_CLAIM_SECONDS"])
    result = db.session.execute(
        sa.update(OutboundEmail)
        .where(
            OutboundEmail.id == message_id,
            sa.or_(
                sa.and_(OutboundEmail.status == DeliveryStatus.PENDING,
                        OutboundEmail.next_attempt_at <= now + timedelta(seconds=1)),
                sa.and_(OutboundEmail.status == DeliveryStatus.SENDING, OutboundEmail.claimed_until < now),
            ),
        )
        .values(status=DeliveryStatus.SENDING, claimed_until=now + claim_for,
                attempts=OutboundEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result) == 1


def deliver(message_id: int) -> DeliveryStatus | None:
    """Send one recorded email. Returns its status afterwards, or None if this worker
    did not get it (already sent, taken by another worker, or not due yet)."""
    if not _claim(message_id, utcnow()):
        return None
    message = db.session.get(OutboundEmail, message_id)
    assert message is not None
    try:
        email = _renderers[message.kind](message)
    except Exception as error:  # a bug in composing: keep it for an admin, never lose it silently
        log.exception("Could not compose email %s (%s)", message.id, message.kind)
        db.session.rollback()
        return _failed(message_id, f"Could not compose the email: {type(error).__name__}", retry=False)
    if email is None:
        message.status = DeliveryStatus.CANCELLED
        message.claimed_until = None
        db.session.commit()
        return message.status
    try:
        mail.deliver(email)
    except (smtplib.SMTPException, OSError, ValueError) as error:
        db.session.rollback()
        return _failed(message_id, _describe(error), retry=True)
    message.status = DeliveryStatus.SENT
    message.sent_at = utcnow()
    message.claimed_until = None
    message.last_error = ""
    db.session.commit()
    return message.status


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"The mail server refused it ({error.smtp_code}): {text}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


def _failed(message_id: int, reason: str, *, retry: bool) -> DeliveryStatus:
    config = current_app.config
    message = db.session.get(OutboundEmail, message_id)
    assert message is not None
    message.last_error = reason
    message.claimed_until = None
    if retry and message.attempts < config["JOBS_MAX_ATTEMPTS"]:
        delay = min(config["JOBS_RETRY_BASE_SECONDS"] * 2 ** (message.attempts - 1), config["JOBS_RETRY_MAX_SECONDS"])
        message.status = DeliveryStatus.PENDING
        message.next_attempt_at = utcnow() + timedelta(seconds=delay)
        _send_after_commit(message.id, eta=message.next_attempt_at)
        log.warning("Email %s (%s) failed, attempt %s; trying again in %ss: %s",
                    message.id, message.kind, message.attempts, delay, reason)
    else:
        message.status = DeliveryStatus.FAILED
        log.error("Email %s (%s) failed for good after %s attempts: %s",
                  message.id, message.kind, message.attempts, reason)
    db.session.commit()
    return message.status


def sweep(now: datetime | None = None) -> int:
    """Hand to the queue again every email it should have sent by now and has not: a
    crash between commit and enqueue, a queue that lost its data, a worker killed while
    sending. Returns how many."""
    now = now or utcnow()
    grace = timedelta(seconds=current_app.config["JOBS_SWEEP_AFTER_SECONDS"])
    lost = db.session.scalars(
        sa.select(OutboundEmail.id).where(
            sa.or_(
                sa.and_(OutboundEmail.status == DeliveryStatus.PENDING, OutboundEmail.next_attempt_at < now - grace),
                sa.and_(OutboundEmail.status == DeliveryStatus.SENDING, OutboundEmail.claimed_until < now),
            )
        ).limit(5000)
    ).all()
    if lost:
        db.session.execute(
            sa.update(OutboundEmail).where(OutboundEmail.id.in_(lost))
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        for message_id in lost:
            _send_after_commit(message_id)
    db.session.commit()
    return len(lost)


# ---------------------------------------------------------------------------
# What organisers and admins see and do
# ---------------------------------------------------------------------------

def retry(message: OutboundEmail) -> None:
    """An admin's "try again" on a failed email: a fresh set of attempts, starting now."""
    message.status = DeliveryStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    _send_after_commit(message.id)


def cancel_pending(*conditions) -> int:
    """Mark pending emails matching `conditions` as no longer needed (in the caller's
    transaction); a worker that picks one up later finds nothing to send."""
    result = db.session.execute(
        sa.update(OutboundEmail)
        .where(OutboundEmail.status == DeliveryStatus.PENDING, *conditions)
        .values(status=DeliveryStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result)


def latest_by_registration(registration_ids: list[int]) -> dict[int, OutboundEmail]:
    """The newest email to each of these bookings, for the organiser's lists."""
    if not registration_ids:
        return {}
    newest = (
        sa.select(sa.func.max(OutboundEmail.id))
        .where(OutboundEmail.registration_id.in_(registration_ids))
        .group_by(OutboundEmail.registration_id)
    )
    rows = db.session.scalars(sa.select(OutboundEmail).where(OutboundEmail.id.in_(newest))).all()
    return {row.registration_id: row for row in rows if row.registration_id is not None}


def counts_by_status(*conditions) -> dict[DeliveryStatus, int]:
    rows = db.session.execute(
        sa.select(OutboundEmail.status, sa.func.count(OutboundEmail.id)).where(*conditions)
        .group_by(OutboundEmail.status)
    )
    counts = dict.fromkeys(DeliveryStatus, 0)
    for status, number in rows:
        counts[DeliveryStatus(status)] = number
    return counts
