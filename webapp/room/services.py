"""Room questions: asking and upvoting from a phone (anonymous), moderating and answering
(organisers, each change audited and committed once), and what the room, the presenter
view, the public page and the workbook show of them."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from webapp.audit import AuditAction, record
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.room.models import (
    ANSWER_MAX,
    QUESTION_MAX,
    AnswerStatus,
    Moderation,
    QuestionStatus,
    QuestionVote,
    RoomQuestion,
    RoomSettings,
)
from webapp.sessions.models import EventSession
from webapp.text import clean_text, one_line

if TYPE_CHECKING:
    from webapp.auth.models import User
    from webapp.programmes.models import Programme


class RoomError(Exception):
    """A question or an answer that cannot be taken (the message says why)."""


# The one order of questions everywhere: not yet answered first (answered ones drop
# down), then the most upvoted, then the newest.
ROOM_ORDER = (
    sa.case((RoomQuestion.answer_status == AnswerStatus.OPEN, 0), else_=1),
    RoomQuestion.votes.desc(),
    RoomQuestion.asked_at.desc(),
    RoomQuestion.id.desc(),
)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


def moderation_of(session_id: int) -> Moderation:
    settings = db.session.get(RoomSettings, session_id)
    return settings.moderation if settings else Moderation.APPROVAL


def set_moderation(session: EventSession, moderation: Moderation, actor: User) -> None:
    """Questions asked from now on wait for approval, or go straight up. Questions already
    waiting keep waiting: going straight up does not publish what nobody has read."""
    moderation = Moderation(moderation)
    settings = db.session.get(RoomSettings, session.id)
    if settings is None:
        settings = RoomSettings(session_id=session.id)
        db.session.add(settings)
    settings.moderation = moderation
    record(actor, AuditAction.ROOM_MODERATION_CHANGED, f"session:{session.id}", moderation.value)
    db.session.commit()


# ---------------------------------------------------------------------------
# The phone: asking and upvoting (anonymous: no actor, no audit entry)
# ---------------------------------------------------------------------------


def clean_question(text: str) -> str:
    """One line, without the characters no file or screen should hold (webapp.text)."""
    return " ".join(one_line(text).split())


def ask(session_id: int, text: str) -> RoomQuestion:
    """Store a question from the room; it waits for approval unless the session's
    questions go straight up."""
    text = clean_question(text)
    if not text:
        raise RoomError("Enter your question")
    if len(text) > QUESTION_MAX:
        raise RoomError(f"Your question must be {QUESTION_MAX} characters or fewer")
    straight_up = moderation_of(session_id) == Moderation.STRAIGHT_UP
    question = RoomQuestion(session_id=session_id, text=text,
                            status=QuestionStatus.APPROVED if straight_up else QuestionStatus.PENDING)
    db.session.add(question)
    db.session.commit()
    return question


def vote_key(question_id: int, device_secret: str) -> str:
    """What a vote stores: a keyed hash of the browser's random secret (the CSRF secret in
    its session cookie, the same one that tells devices apart for rate limits) and the
    question. With the question in it, one device's votes on different questions cannot
    be linked to each other; without SECRET_KEY, not to the device either."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"room-vote:{question_id}:{device_secret}".encode(), hashlib.sha256).hexdigest()


def vote(question: RoomQuestion, device_secret: str) -> bool:
    """One upvote per device: True when counted, False when this device had voted already
    (the unique (question, voter) row decides, even for two presses at the same moment)."""
    if question.status != QuestionStatus.APPROVED:
        raise RoomError("That question is not shown")
    if not device_secret:
        raise RoomError("Your browser did not keep its cookie: open the page again and vote")
    db.session.add(QuestionVote(question_id=question.id, voter=vote_key(question.id, device_secret)))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    db.session.execute(sa.update(RoomQuestion).where(RoomQuestion.id == question.id)
                       .values(votes=RoomQuestion.votes + 1))
    db.session.commit()
    return True


def voted_by(questions: list[RoomQuestion], device_secret: str | None) -> set[int]:
    """The ids of these questions this device has upvoted."""
    if not questions or not device_secret:
        return set()
    keys = {vote_key(question.id, device_secret): question.id for question in questions}
    found = db.session.scalars(sa.select(QuestionVote.voter).where(
        QuestionVote.question_id.in_([question.id for question in questions]),
        QuestionVote.voter.in_(list(keys))))
    return {keys[key] for key in found}


# ---------------------------------------------------------------------------
# What the room, the presenter view and the moderator see
# ---------------------------------------------------------------------------


@dataclass
class RoomList:
    questions: list[RoomQuestion]  # shown to the room, in ROOM_ORDER
    pending: int
    hidden: int


def room_list(session_id: int, limit: int | None = None) -> RoomList:
    shown = db.session.scalars(
        sa.select(RoomQuestion).where(RoomQuestion.session_id == session_id,
                                      RoomQuestion.status == QuestionStatus.APPROVED)
        .order_by(*ROOM_ORDER).limit(limit)).all()
    counts = dict(db.session.execute(
        sa.select(RoomQuestion.status, sa.func.count()).where(RoomQuestion.session_id == session_id)
        .group_by(RoomQuestion.status)).tuples().all())
    return RoomList(list(shown), counts.get(QuestionStatus.PENDING, 0), counts.get(QuestionStatus.HIDDEN, 0))


def all_questions(session_id: int) -> list[RoomQuestion]:
    """Every question of a session, for the moderator: waiting ones first."""
    waiting_first = sa.case((RoomQuestion.status == QuestionStatus.PENDING, 0),
                            (RoomQuestion.status == QuestionStatus.APPROVED, 1), else_=2)
    return list(db.session.scalars(sa.select(RoomQuestion).where(RoomQuestion.session_id == session_id)
                                   .order_by(waiting_first, *ROOM_ORDER)))



# ---------------------------------------------------------------------------
# Moderating and answering (organisers): one audited commit each
# ---------------------------------------------------------------------------


def _moderate(question: RoomQuestion, actor: User, action: AuditAction, **changes) -> None:
    for name, value in changes.items():
        setattr(question, name, value)
    # No question text in the log: staff typed it, and the log outlives retention.
    record(actor, action, f"room_question:{question.id}", f"session:{question.session_id}")
    db.session.commit()


def approve(question: RoomQuestion, actor: User) -> None:
    """Show the question to the room (also undoes a hide)."""
    _moderate(question, actor, AuditAction.ROOM_QUESTION_APPROVED, status=QuestionStatus.APPROVED)


def hide(question: RoomQuestion, actor: User) -> None:
    _moderate(question, actor, AuditAction.ROOM_QUESTION_HIDDEN, status=QuestionStatus.HIDDEN)


def mark_answered(question: RoomQuestion, actor: User, answered: bool = True) -> None:
    """Answered in the room, or (answered=False) not answered after all. A question with
    a written answer stays answered: its answer is changed instead."""
    if answered:
        _moderate(question, actor, AuditAction.ROOM_QUESTION_ANSWERED,
                  answer_status=AnswerStatus.IN_WRITING if question.answer else AnswerStatus.IN_ROOM,
                  answered_at=question.answered_at or utcnow())
    else:
        if question.answer:
            raise RoomError("This question has a written answer: change the answer instead")
        _moderate(question, actor, AuditAction.ROOM_QUESTION_REOPENED, answer_status=AnswerStatus.OPEN,
                  answered_at=None)


def write_answer(question: RoomQuestion, answer: str, actor: User) -> None:
    """An answer in writing, published on "You said, we did" once the question is shown."""
    answer = clean_text(answer or "").strip()
    if not answer:
        raise RoomError("Enter the answer")
    if len(answer) > ANSWER_MAX:
        raise RoomError(f"The answer must be {ANSWER_MAX} characters or fewer")
    _moderate(question, actor, AuditAction.ROOM_QUESTION_ANSWER_WRITTEN, answer=answer,
              answer_status=AnswerStatus.IN_WRITING, answered_at=utcnow())


# ---------------------------------------------------------------------------
# Read by the public page and the workbook
# ---------------------------------------------------------------------------


def published_answers(programme: Programme) -> list[RoomQuestion]:
    """Shown questions with a written answer, for "You said, we did": never one that is
    waiting or hidden."""
    return list(db.session.scalars(
        sa.select(RoomQuestion).join(EventSession, EventSession.id == RoomQuestion.session_id)
        .where(EventSession.programme_id == programme.id, RoomQuestion.status == QuestionStatus.APPROVED,
               RoomQuestion.answer != "")
        .order_by(EventSession.starts_at, RoomQuestion.votes.desc(), RoomQuestion.id)))


def questions_of_sessions(session_ids: list[int]) -> list[tuple[EventSession, RoomQuestion]]:
    """Every question of these sessions with its session, by session then ROOM_ORDER."""
    if not session_ids:
        return []
    return list(db.session.execute(
        sa.select(EventSession, RoomQuestion).join(EventSession, EventSession.id == RoomQuestion.session_id)
        .where(RoomQuestion.session_id.in_(session_ids))
        .order_by(EventSession.starts_at, EventSession.id, *ROOM_ORDER)).tuples())
