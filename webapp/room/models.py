"""Room questions: asked anonymously from a phone during a session, upvoted, moderated
and answered.

Nothing here points to a person: a question holds its session, its words and when it
was asked; a vote holds only a keyed hash of the voting browser and the question (see
services.vote_key), enough to refuse a second vote and nothing more."""
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

QUESTION_MAX = 280  # a tweet: short enough to read aloud and to show large on the screen
ANSWER_MAX = 2000


class Moderation(LabelledEnum):
    """Whether a session's questions are checked before the room sees them."""

    APPROVAL = "approval", "Questions wait for approval"
    STRAIGHT_UP = "straight_up", "Questions go straight up"


class QuestionStatus(LabelledEnum):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Shown"
    HIDDEN = "hidden", "Hidden by the moderator"


class AnswerStatus(LabelledEnum):
    OPEN = "open", "Not answered yet"
    IN_ROOM = "in_room", "Answered in the room"
    IN_WRITING = "in_writing", "Answered in writing"


class RoomSettings(Model):
    """A session's question settings; a session without a row waits for approval."""

    __tablename__ = "room_settings"

    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_session.id", ondelete="CASCADE"),
                                            primary_key=True)
    moderation: Mapped[Moderation] = mapped_column(enum_column(Moderation, 16), default=Moderation.APPROVAL)


class RoomQuestion(Model):
    __tablename__ = "room_question"
    __table_args__ = (sa.CheckConstraint("votes >= 0", name="votes_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_session.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(QUESTION_MAX))
    status: Mapped[QuestionStatus] = mapped_column(enum_column(QuestionStatus, 16), default=QuestionStatus.PENDING)
    answer_status: Mapped[AnswerStatus] = mapped_column(enum_column(AnswerStatus, 16), default=AnswerStatus.OPEN)
    # Written by an organiser; published on "You said, we did" when the question is shown.
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    # Kept with the question so the room's list sorts without counting; changed only by
    # an UPDATE ... SET votes = votes + 1 in the same transaction as the vote's row.
    votes: Mapped[int] = mapped_column(default=0)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[EventSession] = relationship()

    @property
    def is_answered(self) -> bool:
        return self.answer_status != AnswerStatus.OPEN


class QuestionVote(Model):
    __tablename__ = "question_vote"
    __table_args__ = (sa.UniqueConstraint("question_id", "voter"),)  # one vote per device

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("room_question.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(sa.String(64))
