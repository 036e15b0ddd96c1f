"""Delivery records: one row per email the app has decided to send."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model

if TYPE_CHECKING:
    from webapp.sessions.models import EventSession


class DeliveryStatus(LabelledEnum):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent (no longer needed)"



class EmailKind(LabelledEnum):
    """Every email the app sends, with how organisers see it named."""

    BOOKING_CONFIRMED = "booking.confirmed", "Booking confirmation"
    WAITING_LIST = "booking.waiting", "Waiting list confirmation"
    PROMOTED = "booking.promoted", "Place offered from the waiting list"
    MOVED = "booking.moved", "Booking moved"
    CANCELLED = "booking.cancelled", "Booking cancelled"
    SESSION_CANCELLED = "session.cancelled", "Session cancelled"
    SESSION_CHANGED = "session.changed", "Session changed"
    LINK_AGAIN = "booking.link_again", "Booking link sent again"
    REMINDER = "booking.reminder", "Reminder"
    STILL_WAITING = "booking.still_waiting", "Waiting list update"
    FEEDBACK_INVITATION = "after.attended", "Feedback link after the session"
    MISSED_SESSION = "after.missed", "Sorry we missed you"
    ORGANISER_MESSAGE = "session.message", "Message from the organisers"
    ACCOUNT_INVITATION = "account.invitation", "Account invitation"
    PASSWORD_RESET = "account.password_reset", "Password reset"
    STAFF_INVITATION = "staff.invitation", "Invitation to a briefing"
    BOOKED_ELSEWHERE = "booking.elsewhere", "Already has a place at another session"
    FIND_BOOKING = "booking.find", "Booking links sent on request"
    ACTION_UPDATE = "actions.update", "You said, we did: an update"


class OutboundEmail(Model):
    """An email the app will send, is sending, sent or gave up on. `kind` says which
    renderer composes it at send time from the rows it points at (registration,
    session, user), so the email says what is true when it leaves."""

    __tablename__ = "outbound_email"
    __table_args__ = (
        sa.Index("ix_outbound_email_due", "status", "next_attempt_at"),
        sa.Index("ix_outbound_email_registration", "registration_id", "id"),
        sa.Index("ix_outbound_email_session", "session_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No CHECK on the kind: new kinds of email need no migration.
    kind: Mapped[EmailKind] = mapped_column(
        sa.Enum(EmailKind, native_enum=False, create_constraint=False, length=40,
                values_callable=lambda members: [member.value for member in members]))
    # The address is copied here so a failure list can say who; purged with the booking.
    to_address: Mapped[str | None] = mapped_column(sa.String(254))
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("event_session.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    # Small JSON context for the renderer (e.g. what changed, the organiser's message).
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The same key is never inserted twice: a reminder per person per slot, one
    # "already booked" email per address per hour.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus, 16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[EventSession | None] = relationship("EventSession", viewonly=True)

    def __repr__(self) -> str:
        return f"<OutboundEmail {self.id} {self.kind} {self.status}>"


class WorkerHeartbeat(Model):
    """Each worker writes the time here every minute; /healthz reports the newest."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
