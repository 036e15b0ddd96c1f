"""The people a programme should reach, an uploaded list waiting to be checked, and the
invitations sent to those not yet reached."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model
from webapp.tokens import new_url_token

NAME_MAX = 120
EMAIL_MAX = 254
GROUP_MAX = 120


class NotApplicable(LabelledEnum):
    """What a person said when invited: the briefing does not apply to them."""

    LEFT = "left", "Has left or moved on"
    ATTENDED_ELSEWHERE = "attended_elsewhere", "Says they attended another briefing"


class StaffMember(Model):
    __tablename__ = "staff_member"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "email", name="uq_staff_member_programme_email"),
        sa.Index("ix_staff_member_programme_locality", "programme_id", "locality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    # Lower-cased and trimmed, as bookings are: the two are matched on it.
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX))
    team: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    locality: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    role_group: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    organisation: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    # Any other columns of the file, kept as labels: {"Grade": "Band 6", ...}.
    labels: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    not_applicable: Mapped[NotApplicable | None] = mapped_column(enum_column(NotApplicable, 24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffUpload(Model):
    """A file an organiser uploaded, kept only until it is imported or abandoned."""

    __tablename__ = "staff_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    file_type: Mapped[str] = mapped_column(sa.String(8))  # "csv" or "xlsx"
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    headers: Mapped[list] = mapped_column(sa.JSON, default=list)
    # {"name": 0, "email": 1, ...}: which column holds each field, once mapped.
    mapping: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffUploadRow(Model):
    """One row of an upload, checked: what would be imported, or why not."""

    __tablename__ = "staff_upload_row"
    __table_args__ = (sa.Index("ix_staff_upload_row_email", "upload_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_upload.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), default="")
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), default="")
    team: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    locality: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    role_group: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    organisation: Mapped[str] = mapped_column(sa.String(GROUP_MAX), default="")
    labels: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.String(200), default="")


class StaffInvitation(Model):
    """A person on the list invited to a session. The token is their personal link:
    it fills in the booking form, and lets them say the briefing does not apply."""

    __tablename__ = "staff_invitation"
    __table_args__ = (sa.UniqueConstraint("staff_member_id", "session_id", name="uq_staff_invitation_person_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_session.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_url_token)
    times_sent: Mapped[int] = mapped_column(default=1)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invited_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    staff_member: Mapped[StaffMember] = relationship()
