"""What admins see and do about emails: the ones that failed for good, and sending one again."""
from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from webapp.audit import AuditAction, record
from webapp.auth.models import User
from webapp.extensions import db
from webapp.jobs import outbox
from webapp.jobs.models import DeliveryStatus, OutboundEmail

FAILURES_PER_PAGE = 50


class EmailError(ValueError):
    """An admin's request about an email that cannot be carried out; the message says why."""


def failures_page(page: int = 1) -> Pagination:
    """Emails kept as failed, the most recent first, with their session loaded."""
    return db.paginate(
        sa.select(OutboundEmail)
        .options(selectinload(OutboundEmail.session))
        .where(OutboundEmail.status == DeliveryStatus.FAILED)
        .order_by(OutboundEmail.id.desc()),
        page=max(page, 1), per_page=FAILURES_PER_PAGE, error_out=False, count=True,
    )


def send_again(message_id: int, actor: User) -> OutboundEmail:
    """An admin's "Send again": a fresh set of attempts, recorded in the audit log."""
    message = db.session.get(OutboundEmail, message_id)
    if message is None or message.status != DeliveryStatus.FAILED:
        raise EmailError("That email is no longer failed: someone may have sent it again already.")
    outbox.retry(message)
    record(actor, AuditAction.EMAIL_RETRIED, f"email:{message.id}", message.kind.label)
    db.session.commit()
    return message
