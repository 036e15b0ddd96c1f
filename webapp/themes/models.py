"""The coding frame of a programme (its themes), the tags that put comments under them,
and the suggestions a worker prepares for an organiser to decide on.

A comment is an Answer with text; it can carry several themes."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model, db

THEME_NAME_MAX = 80
THEME_DESCRIPTION_MAX = 300

# Which comments carry which themes.
theme_tag = sa.Table(
    "theme_tag",
    db.metadata,
    sa.Column("theme_id", sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("answer_id", sa.ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Theme(Model):
    __tablename__ = "theme"
    __table_args__ = (sa.UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(THEME_NAME_MAX))
    description: Mapped[str] = mapped_column(sa.String(THEME_DESCRIPTION_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Theme {self.name!r}>"


class SuggestionRunStatus(LabelledEnum):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class SuggestionStatus(LabelledEnum):
    OPEN = "open", "To decide"
    ACCEPTED = "accepted", "Accepted as a new theme"
    MERGED = "merged", "Merged into a theme"
    REJECTED = "rejected", "Rejected"


class SuggestionRun(Model):
    """One request for suggestions: recorded in the request, worked on by a worker."""

    __tablename__ = "theme_suggestion_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[SuggestionRunStatus] = mapped_column(enum_column(SuggestionRunStatus, 16),
                                                        default=SuggestionRunStatus.PENDING)
    # None: the server chooses how many themes to suggest.
    themes_wanted: Mapped[int | None]
    untagged_only: Mapped[bool] = mapped_column(default=True)
    comments: Mapped[int] = mapped_column(default=0)  # how many comments were read
    seconds: Mapped[float | None]
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    suggestions: Mapped[list[ThemeSuggestion]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ThemeSuggestion.position")


class ThemeSuggestion(Model):
    """A theme the server proposes: a name from its top terms and the comments it found."""

    __tablename__ = "theme_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("theme_suggestion_run.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(THEME_NAME_MAX))
    terms: Mapped[list] = mapped_column(sa.JSON, default=list)
    answer_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[SuggestionStatus] = mapped_column(enum_column(SuggestionStatus, 16),
                                                     default=SuggestionStatus.OPEN)
    # The theme it became or was merged into.
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("theme.id", ondelete="SET NULL"))

    run: Mapped[SuggestionRun] = relationship(back_populates="suggestions")
    theme: Mapped[Theme | None] = relationship()

    @property
    def size(self) -> int:
        return len(self.answer_ids or [])
