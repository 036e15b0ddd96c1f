"""The action plan: what is being done about the findings, and the quotes published with it.

An improvement area is a Finding of kind ACTION (the seed's draft plan already lists the four
as findings, and the feedback form asks about them); its actions hang off it here."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model, db
from webapp.programmes.models import Finding
from webapp.themes.models import Theme


class ActionStatus(LabelledEnum):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    DONE = "done", "Done"

    @property
    def tag_class(self) -> str:
        """The GOV.UK tag colour a person reads the status by (the words say it too)."""
        return _STATUS_TAGS[self]


_STATUS_TAGS = {
    ActionStatus.NOT_STARTED: "govuk-tag--grey",
    ActionStatus.ON_TRACK: "govuk-tag--blue",
    ActionStatus.AT_RISK: "govuk-tag--orange",
    ActionStatus.DONE: "govuk-tag--green",
}

# The findings an action answers (indicators, areas for improvement).
action_finding = sa.Table(
    "action_finding",
    db.metadata,
    sa.Column("action_id", sa.ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("finding_id", sa.ForeignKey("finding.id", ondelete="CASCADE"), primary_key=True),
)

# The themes in what staff wrote that inform an action.
action_theme = sa.Table(
    "action_theme",
    db.metadata,
    sa.Column("action_id", sa.ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)


class Action(Model):
    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The improvement area (a Finding of kind ACTION) this action belongs to.
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    # A name or a team: not necessarily an account.
    owner: Mapped[str] = mapped_column(sa.String(200), default="")
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, 20), default=ActionStatus.NOT_STARTED)
    progress: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    area: Mapped[Finding] = relationship()
    findings: Mapped[list[Finding]] = relationship(secondary=action_finding,
                                                   order_by="(Finding.kind, Finding.position)")
    themes: Mapped[list[Theme]] = relationship(secondary=action_theme, order_by="Theme.name")
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", cascade="all, delete-orphan",
        order_by="(ActionUpdate.written_on.desc(), ActionUpdate.id.desc())")

    def __repr__(self) -> str:
        return f"<Action {self.title!r} {self.status}>"


class ActionUpdate(Model):
    """A dated note of progress, published on the "You said, we did" page."""

    __tablename__ = "action_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action.id", ondelete="CASCADE"), index=True)
    written_on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")


class Quote(Model):
    """A comment an organiser chose to publish, word for word as approved.

    The text is copied at approval: what the public page shows is exactly what was approved,
    whatever happens to the answer later."""

    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("answer.id", ondelete="SET NULL"), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    published: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
