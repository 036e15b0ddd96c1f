"""Feedback forms, their questions, and the anonymous responses to them.

A Response holds the session, the time and the answers: never an address, a user
agent, a cookie or a link to a booking.
"""
from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model

if TYPE_CHECKING:
    from webapp.auth.models import User
    from webapp.programmes.models import Finding, Programme
    from webapp.sessions.models import EventSession


class QuestionKind(LabelledEnum):
    AGREEMENT = "agreement", "Agreement scale (5 points and Don't know)"
    RATING = "rating", "Rating 1 to 5"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"
    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    ONE_WORD = "one_word", "One word (shown as a word cloud)"
CHOICE_KINDS = {
    QuestionKind.AGREEMENT,
    QuestionKind.RATING,
    QuestionKind.SINGLE_CHOICE,
    QuestionKind.MULTI_CHOICE,
}
# Written answers: the comments. One-word answers are typed too, but are counted, not listed.
TEXT_KINDS = {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT}
TYPED_KINDS = TEXT_KINDS | {QuestionKind.ONE_WORD}

# (label, score): "Don't know" has no score so it never moves a mean.
AGREEMENT_SCALE = (
    ("Strongly disagree", 1),
    ("Disagree", 2),
    ("Neither agree nor disagree", 3),
    ("Agree", 4),
    ("Strongly agree", 5),
    ("Don't know", None),
)
RATING_SCALE = (
    ("1 - Not useful", 1),
    ("2", 2),
    ("3", 3),
    ("4", 4),
    ("5 - Very useful", 5),
)


def rating_scale_meaning(labels: list[str]) -> str:
    """What a rating's numbers mean ("1 means not useful, 5 means very useful"), for the
    legend: screen readers then hear it with the question, not only beside 1 and 5."""
    if len(labels) < 2:
        return ""
    (low, _, low_meaning), (high, _, high_meaning) = labels[0].partition(" - "), labels[-1].partition(" - ")
    if not (low_meaning and high_meaning):
        return ""
    return f"{low} means {low_meaning.lower()}, {high} means {high_meaning.lower()}"


class Breakdown(enum.StrEnum):
    """The optional 'about you' questions that results can be broken down by."""

    ROLE_GROUP = "role_group"
    LOCALITY = "locality"
    ORGANISATION = "organisation"


SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000
ONE_WORD_MAX = 30
TEXT_MAX_LENGTHS = {QuestionKind.SHORT_TEXT: SHORT_TEXT_MAX, QuestionKind.LONG_TEXT: LONG_TEXT_MAX,
                    QuestionKind.ONE_WORD: ONE_WORD_MAX}


def text_max_length(kind: str) -> int:
    return TEXT_MAX_LENGTHS.get(QuestionKind(kind), LONG_TEXT_MAX)


EXCLUSION_REASON_MAX = 500


class _Labelled(Protocol):
    @property
    def label(self) -> str: ...


class _AskedQuestion(Protocol):
    @property
    def kind(self) -> QuestionKind: ...

    @property
    def visible_options(self) -> Sequence[_Labelled]: ...


class QuestionRules:
    """What a question's kind and options decide, in one place for the Question model
    and the phone form's read model (feedback/phone.py)."""

    @property
    def is_choice(self: _AskedQuestion) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def text_max_length(self: _AskedQuestion) -> int:
        return text_max_length(self.kind)

    @property
    def scale_meaning(self: _AskedQuestion) -> str:
        if self.kind != QuestionKind.RATING:
            return ""
        return rating_scale_meaning([option.label for option in self.visible_options])


def new_revision() -> str:
    return secrets.token_hex(8)


class FeedbackForm(Model):
    __tablename__ = "feedback_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A new random value whenever anything the phone form shows changes (the form, its
    # questions and options, the findings they are about: see feedback/revisions.py).
    # Workers keep the phone form they built under a revision until it moves on.
    revision: Mapped[str] = mapped_column(sa.String(32), default=lambda: new_revision(),
                                          server_default="initial")

    programme: Mapped[Programme] = relationship(back_populates="feedback_form")
    questions: Mapped[list[Question]] = relationship(
        back_populates="form",
        order_by="(Question.position, Question.id)",
        cascade="all, delete-orphan",
    )

    @property
    def visible_questions(self) -> list[Question]:
        return [question for question in self.questions if not question.hidden]


class Question(QuestionRules, Model):
    __tablename__ = "question"
    __table_args__ = (
        sa.CheckConstraint("max_choices IS NULL OR max_choices >= 1", name="max_choices_positive"),
        sa.CheckConstraint(
            "breakdown IS NULL OR breakdown IN ('role_group', 'locality', 'organisation')",
            name="breakdown_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_form.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, 20, name="kind_known"))
    text: Mapped[str] = mapped_column(sa.String(500))
    hint: Mapped[str] = mapped_column(sa.String(500), default="")
    required: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    max_choices: Mapped[int | None]
    # The finding an agreement question asks about (shown beside it on the form).
    finding_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("finding.id", ondelete="SET NULL"), index=True
    )
    # Set on the optional "about you" questions that results are broken down by.
    breakdown: Mapped[str | None] = mapped_column(sa.String(20))
    # A short heading that groups questions on the form ("About you").
    section: Mapped[str] = mapped_column(sa.String(120), default="")

    form: Mapped[FeedbackForm] = relationship(back_populates="questions")
    finding: Mapped[Finding | None] = relationship()
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question",
        order_by="(QuestionOption.position, QuestionOption.id)",
        cascade="all, delete-orphan",
    )
    # Wordings people answered before the question was reworded, oldest first.
    earlier_wordings: Mapped[list[QuestionWording]] = relationship(
        order_by="QuestionWording.used_until", cascade="all, delete-orphan", passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.kind}>"

    @property
    def kind_label(self) -> str:
        return self.kind.label

    @property
    def visible_options(self) -> list[QuestionOption]:
        return [option for option in self.options if not option.hidden]


class QuestionWording(Model):
    """How a question read before it was reworded after people had answered it: the
    responses sent before `used_until` answered this text, not the question's current one."""

    __tablename__ = "question_wording"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    used_until: Mapped[datetime] = mapped_column(UTCDateTime())


class QuestionOption(Model):
    """One answer that can be chosen. Answers point at the option, so rewording a
    label never reinterprets past answers, and an option with answers is hidden,
    not deleted."""

    __tablename__ = "question_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    # Numeric value for means (agreement 1-5, rating 1-5); None for "Don't know" and choices.
    score: Mapped[int | None]
    hidden: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="options")


class ResponseExclusion(Model):
    """An organiser took a burst of a session's responses out of the results: which
    window, why, by whom, how many, and whether it was undone. The responses are kept
    (Response.exclusion_id points here) and can be put back."""

    __tablename__ = "response_exclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_session.id", ondelete="CASCADE"), index=True)
    # The responses submitted from `window_from` (included) until `window_until` (not).
    window_from: Mapped[datetime] = mapped_column(UTCDateTime())
    window_until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(EXCLUSION_REASON_MAX))
    count: Mapped[int] = mapped_column(default=0)  # responses it took out
    excluded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    excluded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    excluded_by: Mapped[User | None] = relationship(foreign_keys=[excluded_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])

    @property
    def in_force(self) -> bool:
        return self.undone_at is None


class Response(Model):
    __tablename__ = "response"
    __table_args__ = (
        sa.Index("ix_response_session_submitted", "session_id", "submitted_at"),
        # Excluded means both set: when, and by which exclusion (so it can be undone).
        sa.CheckConstraint("(excluded_at IS NULL) = (exclusion_id IS NULL)", name="excluded_with_exclusion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_session.id", ondelete="CASCADE"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The form's one-time key: a double tap or a resent POST finds it taken and
    # stores nothing more. Random, and never linked to a person.
    submission_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Set while an organiser's exclusion (a scripted burst) keeps it out of the results.
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exclusion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("response_exclusion.id"), index=True)

    session: Mapped[EventSession] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    @hybrid_property
    def included(self) -> bool:
        """THE rule of which responses count in results, totals, comments and exports:
        those not excluded as a burst. In a query: `.where(Response.included)`."""
        return self.excluded_at is None

    @included.inplace.expression
    @classmethod
    def _included_expression(cls) -> sa.ColumnElement[bool]:
        return cls.excluded_at.is_(None)


def included_response_ids(session_ids) -> sa.Select:
    """The ids of these sessions' responses that count (a select, for IN (...))."""
    return sa.select(Response.id).where(Response.session_id.in_(session_ids), Response.included)


class Answer(Model):
    __tablename__ = "answer"
    __table_args__ = (
        sa.CheckConstraint(
            "(option_id IS NOT NULL AND text IS NULL) OR (option_id IS NULL AND text IS NOT NULL)",
            name="option_or_text",
        ),
        sa.Index("ix_answer_question_option", "question_id", "option_id"),
        # The written answers alone, in the order they were stored: the comments list
        # pages backwards along it instead of sorting every comment.
        sa.Index("ix_answer_written", "id", sqlite_where=sa.text("text IS NOT NULL"),
                 postgresql_where=sa.text("text IS NOT NULL")),
        sa.UniqueConstraint("response_id", "question_id", "option_id", name="uq_answer_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="RESTRICT"))
    option_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_option.id", ondelete="RESTRICT")
    )
    text: Mapped[str | None] = mapped_column(sa.Text)
    # The earlier words this answer was to, once its question has been reworded; empty
    # while the question still reads as it did when the answer was given.
    wording_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_wording.id", ondelete="SET NULL"), index=True
    )

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    option: Mapped[QuestionOption | None] = relationship()
