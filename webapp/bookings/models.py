"""One person's place at a session."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model
from webapp.tokens import new_url_token

if TYPE_CHECKING:
    from webapp.sessions.models import EventSession


class PurgedRegistration(LookupError):
    """Personal data was asked of a booking the retention purge has emptied."""


class RegistrationStatus(LabelledEnum):
    CONFIRMED = "confirmed", "Confirmed"
    WAITING = "waiting", "Waiting list"
    CANCELLED = "cancelled", "Cancelled"

# Walk-ins may come without an email; the column is required and unique per session.
WALK_IN_EMAIL_DOMAIN = "walk-in.invalid"

# Field caps, shared by the model, the forms and the retention purge.
NAME_MAX = 120
EMAIL_MAX = 254
SHORT_TEXT_MAX = 120
ACCESS_MAX = 1000


class Registration(Model):
    __tablename__ = "registration"
    __table_args__ = (
        # Personal fields may only be empty once the retention purge has removed them.
        sa.CheckConstraint(
            "purged_at IS NOT NULL OR (name IS NOT NULL AND email IS NOT NULL)",
            name="personal_data_present",
        ),
        # One active booking per email per session; a cancelled one may be booked again.
        sa.Index(
            "uq_registration_active_email",
            "session_id",
            "email",
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        ),
        sa.Index("ix_registration_session_status", "session_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_session.id", ondelete="CASCADE")
    )
    name: Mapped[str | None] = mapped_column(sa.String(NAME_MAX))
    # Stored lower-cased so that the unique index compares like with like.
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX))
    job_role: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_MAX), default="")
    team: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_MAX), default="")
    locality: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_MAX), default="")
    organisation: Mapped[str] = mapped_column(sa.String(SHORT_TEXT_MAX), default="")
    access_requirements: Mapped[str] = mapped_column(sa.String(ACCESS_MAX), default="")
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, 16, name="status_known"))
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    # Secrets in URLs: the manage-my-booking link and the QR ticket.
    booking_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_url_token)
    checkin_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_url_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The calendar file's SEQUENCE: one more with every change to the event (move,
    # promotion, cancellation, session changed), so calendars take the newer file.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    session: Mapped[EventSession] = relationship(back_populates="registrations")

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def has_real_email(self) -> bool:
        """False for a walk-in who gave no address (and once purged)."""
        return self.email is not None and not self.email.endswith("@" + WALK_IN_EMAIL_DOMAIN)

    @property
    def address(self) -> str:
        """The email of a booking that still has one: name and email are empty only once
        the retention purge has run, and purged bookings are never emailed or listed."""
        if self.email is None:
            raise PurgedRegistration(self.id)
        return self.email

    @property
    def person_name(self) -> str:
        if self.name is None:
            raise PurgedRegistration(self.id)
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED
