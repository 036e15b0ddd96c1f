"""Organiser accounts and the audit log."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth import passwords

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model


class Role(LabelledEnum):
    ADMIN = "admin", "Admin"
    ORGANISER = "organiser", "Organiser"
    VIEWER = "viewer", "Viewer"


MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_PASSWORD_LENGTH


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, 16, name="role_known"), default=Role.ORGANISER)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout, password change and deactivation: every cookie that carries
    # the old number stops working, on every device.
    session_version: Mapped[int] = mapped_column(default=1)
    # One-time link to set a first password (stored hashed, like a password).
    invite_token_hash: Mapped[str | None] = mapped_column(sa.String(128))
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Second factor (TOTP, RFC 6238): the shared secret once enrolled, and the last time
    # step used, so that a code seen over someone's shoulder cannot be used again.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

    # Flask-Login
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def name(self) -> str:
        return self.display_name or self.email

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password: str) -> bool:
        """Takes as long with no password set (invited, not set up) as with one."""
        return passwords.verify(self.password_hash, password)

    def end_all_sessions(self) -> None:
        self.session_version += 1

    @property
    def can_manage(self) -> bool:
        """Organisers and admins change things and see personal data; viewers do not."""
        return self.role in (Role.ADMIN, Role.ORGANISER)


class AuditEntry(Model):
    """Who changed or exported what, and when."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(255), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
