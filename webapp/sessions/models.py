"""One briefing at a time and place."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model
from webapp.timezones import format_datetime
from webapp.tokens import new_feedback_code

if TYPE_CHECKING:
    from webapp.bookings.models import Registration
    from webapp.programmes.models import Programme

FEEDBACK_WINDOW_AFTER_SESSION = timedelta(days=7)


class SessionStatus(LabelledEnum):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


def feedback_window(starts_at: datetime, ends_at: datetime, opens_at: datetime | None,
                    closes_at: datetime | None) -> tuple[datetime, datetime]:
    """When a session's feedback form is open: as set, or from its start until
    FEEDBACK_WINDOW_AFTER_SESSION after its end (the session and the phone's read model
    both ask this)."""
    return opens_at or starts_at, closes_at or ends_at + FEEDBACK_WINDOW_AFTER_SESSION


class EventSession(Model):
    # Not "Session": that name belongs to SQLAlchemy.
    __tablename__ = "event_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        # The booking counter can never pass the capacity, whatever the application does.
        sa.CheckConstraint(
            "confirmed_count >= 0 AND confirmed_count <= capacity", name="not_overbooked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(400), default="")
    locality: Mapped[str] = mapped_column(sa.String(100), default="")
    capacity: Mapped[int]
    # Confirmed places taken; changed only by a conditional UPDATE (see bookings.services).
    confirmed_count: Mapped[int] = mapped_column(default=0)
    facilitators: Mapped[str] = mapped_column(sa.String(400), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    booking_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Empty means the default: from the start to seven days after the end.
    feedback_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback_code: Mapped[str] = mapped_column(
        sa.String(8), unique=True, default=new_feedback_code
    )
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus, 16, name="status_known"),
                                                  default=SessionStatus.SCHEDULED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="sessions")
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="session", order_by="Registration.created_at"
    )

    def __repr__(self) -> str:
        return f"<EventSession {self.id} {self.title!r}>"

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def place(self) -> str:
        """Venue and address on one line, without naming the venue twice (an address
        like "Main hall, North East locality hub, Glasgow" already has it)."""
        if not self.address:
            return self.venue
        if self.venue.lower() in self.address.lower():
            return self.address
        return f"{self.venue}, {self.address}"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)

    @property
    def feedback_window(self) -> tuple[datetime, datetime]:
        return feedback_window(self.starts_at, self.ends_at, self.feedback_opens_at, self.feedback_closes_at)

    def is_bookable(self, now: datetime | None = None) -> bool:
        return self.why_not_bookable(now) is None

    def why_not_bookable(self, now: datetime | None = None) -> str | None:
        """The one rule for booking: why this session cannot be booked now, in plain
        words; None if it can."""
        now = now or utcnow()
        if self.is_cancelled:
            return "This session has been cancelled. Choose another session."
        if not self.programme.is_open:
            return "Booking is closed: this programme is not taking bookings."
        if self.starts_at <= now:
            return "This session has already taken place. Choose another session."
        if self.booking_opens_at and now < self.booking_opens_at:
            return f"Booking for this session opens on {format_datetime(self.booking_opens_at)}."
        if self.booking_closes_at and now >= self.booking_closes_at:
            return f"Booking for this session closed on {format_datetime(self.booking_closes_at)}."
        return None
