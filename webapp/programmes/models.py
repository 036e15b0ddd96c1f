"""A programme and the findings it briefs staff on."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model

if TYPE_CHECKING:
    from webapp.feedback.models import FeedbackForm
    from webapp.sessions.models import EventSession


class FindingKind(LabelledEnum):
    INDICATOR = "indicator", "Quality indicator"
    IMPROVEMENT_AREA = "improvement_area", "Area for improvement"
    ACTION = "action", "Action-plan improvement area"

FINDING_KIND_PLURALS = {
    FindingKind.INDICATOR: "Quality indicators",
    FindingKind.IMPROVEMENT_AREA: "Areas for improvement",
    FindingKind.ACTION: "Action-plan improvement areas",
}

# The Care Inspectorate's six-point scale.
GRADES = ("Excellent", "Very Good", "Good", "Adequate", "Weak", "Unsatisfactory")


DEFAULT_REMINDER_HOURS = "168,24"


def parse_reminder_hours(text: str | None) -> list[int]:
    """"168, 24" -> [168, 24]: whole hours between 1 and 60 days, no repeats."""
    hours: list[int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit() and 1 <= int(part) <= 1440 and int(part) not in hours:
            hours.append(int(part))
    return hours


class Programme(Model):
    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # The findings in one or two sentences: shown to staff and on the workbook's Summary.
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    is_open: Mapped[bool] = mapped_column(default=False)
    # Hours before each session when people booked are reminded: 7 days and 1 day.
    reminder_hours: Mapped[str] = mapped_column(sa.String(100), default=DEFAULT_REMINDER_HOURS,
                                                server_default=DEFAULT_REMINDER_HOURS)
    # One confirmed place per person (by email) in the programme unless this is set.
    allows_several_places: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    findings: Mapped[list[Finding]] = relationship(
        back_populates="programme",
        order_by="(Finding.position, Finding.id)",
        cascade="all, delete-orphan",
    )
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="programme", order_by="EventSession.starts_at"
    )
    feedback_form: Mapped[FeedbackForm | None] = relationship(back_populates="programme")

    def __repr__(self) -> str:
        return f"<Programme {self.slug}>"

    @property
    def reminder_hours_list(self) -> list[int]:
        return parse_reminder_hours(self.reminder_hours)

    def findings_of(self, kind: FindingKind) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind == kind]


class Finding(Model):
    __tablename__ = "finding"
    __table_args__ = (
        # A quality indicator always carries its headline question and its grade.
        sa.CheckConstraint(
            "kind <> 'indicator' OR (headline_question IS NOT NULL AND grade IS NOT NULL)",
            name="indicator_graded",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FindingKind] = mapped_column(enum_column(FindingKind, 20, name="kind_known"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    headline_question: Mapped[str | None] = mapped_column(sa.String(300))
    grade: Mapped[str | None] = mapped_column(sa.String(20))
    # Action-plan items: the actions, and progress against them.
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    progress: Mapped[str] = mapped_column(sa.Text, default="")

    programme: Mapped[Programme] = relationship(back_populates="findings")

    def __repr__(self) -> str:
        return f"<Finding {self.kind} {self.title!r}>"

    @property
    def kind_label(self) -> str:
        return self.kind.label
