"""The form builder's operations. Past answers are never destroyed or reinterpreted: a
question or an option with answers can be hidden or reworded, never deleted, and a
question's kind is fixed once it has answers."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from webapp.audit import AuditAction, record
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import (AGREEMENT_SCALE, RATING_SCALE, Answer, FeedbackForm, Question, QuestionKind,
                                    QuestionOption, QuestionWording, Response)
from webapp.ordering import move_one_place

if TYPE_CHECKING:
    from webapp.auth.models import User


def scale_options(kind: str) -> list[QuestionOption]:
    """The fixed options of an agreement or rating question."""
    scale = AGREEMENT_SCALE if kind == QuestionKind.AGREEMENT else RATING_SCALE
    return [
        QuestionOption(position=position, label=label, score=score)
        for position, (label, score) in enumerate(scale, start=1)
    ]


def choice_options(labels) -> list[QuestionOption]:
    return [QuestionOption(position=position, label=label) for position, label in enumerate(labels, start=1)]


def answer_counts(form: FeedbackForm) -> dict[int, int]:
    """Included responses that answered each question of the form (one grouped query).
    Excluded answers still count for question_has_answers: they are kept."""
    rows = db.session.execute(
        sa.select(Answer.question_id, sa.func.count(sa.distinct(Answer.response_id)))
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Question.form_id == form.id, Response.included)
        .group_by(Answer.question_id)
    ).tuples()
    return dict(rows.all())


def question_has_answers(question: Question) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(Answer.question_id == question.id))))


def answered_option_ids(question: Question) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Answer.option_id)
            .where(Answer.question_id == question.id, Answer.option_id.is_not(None))
            .distinct()
        )
    )


def parse_option_lines(text: str) -> list[str]:
    """Options typed one per line: blank lines dropped, spaces trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def add_question(form: FeedbackForm, *, kind: str, text: str, hint: str = "", section: str = "",
                 required: bool = False, max_choices: int | None = None,
                 option_labels: list[str] | None = None, finding_id: int | None = None,
                 actor: User | None = None) -> Question:
    question = Question(
        form=form,
        kind=QuestionKind(kind),
        text=text.strip(),
        hint=hint.strip(),
        section=section.strip(),
        required=required,
        max_choices=max_choices if kind == QuestionKind.MULTI_CHOICE else None,
        finding_id=finding_id,
        position=max((q.position for q in form.questions), default=0) + 1,
    )
    question.options = _fresh_options(kind, option_labels or [])
    db.session.add(question)
    db.session.flush()
    _record_question(actor, AuditAction.QUESTION_ADDED, question)
    db.session.commit()
    return question


def _record_question(actor: User | None, action: AuditAction, question: Question) -> None:
    record(actor, action, f"question:{question.id}", question.text[:200])


def _fresh_options(kind: str, labels: list[str]) -> list[QuestionOption]:
    if kind in (QuestionKind.AGREEMENT, QuestionKind.RATING):
        return scale_options(kind)
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
        return choice_options(labels)
    return []


def update_question(question: Question, *, kind: str, text: str, hint: str = "", section: str = "",
                    required: bool = False, max_choices: int | None = None,
                    option_labels: list[str] | None = None, finding_id: int | None = None,
                    actor: User | None = None) -> None:
    """Reword and reconfigure a question. Its kind changes only while it has no answers
    (callers check; this refuses too); options with answers are hidden, never deleted."""
    if kind != question.kind:
        if question_has_answers(question):
            raise ValueError("A question with answers keeps its kind")
        question.kind = QuestionKind(kind)
        question.options = _fresh_options(kind, option_labels or [])
    elif kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
        _sync_choice_options(question, option_labels or [])
    reworded = text.strip() != question.text and question_has_answers(question)
    if reworded:
        _keep_wording_answered(question)
    question.text = text.strip()
    question.hint = hint.strip()
    question.section = section.strip()
    question.required = required
    question.max_choices = max_choices if kind == QuestionKind.MULTI_CHOICE else None
    question.finding_id = finding_id
    _record_question(actor, AuditAction.QUESTION_REWORDED if reworded else AuditAction.QUESTION_CHANGED, question)
    db.session.commit()


def _keep_wording_answered(question: Question) -> None:
    """Answers so far were to the old words: each keeps them, so results can say which."""
    wording = QuestionWording(text=question.text, used_until=utcnow())
    question.earlier_wordings.append(wording)
    db.session.flush()
    db.session.execute(
        sa.update(Answer).where(Answer.question_id == question.id, Answer.wording_id.is_(None))
        .values(wording_id=wording.id).execution_options(synchronize_session=False)
    )


def _sync_choice_options(question: Question, labels: list[str]) -> None:
    """Make the visible options exactly `labels`, in that order.

    An option is matched by its label, so a line that is kept keeps its id and its
    answers. A removed option with answers is hidden (its answers still mean what they
    meant); one without answers is deleted. A hidden option typed again comes back."""
    answered = answered_option_ids(question)
    by_label = {option.label: option for option in question.options}
    kept: list[QuestionOption] = []
    for label in labels:
        option = by_label.pop(label, None) or QuestionOption(label=label)
        option.hidden = False
        kept.append(option)
    leftover = list(by_label.values())
    for option in leftover:
        option.hidden = True
    # Positions: the visible options in the order typed, then the hidden ones.
    kept_hidden = [option for option in leftover if option.id in answered]
    for position, option in enumerate(kept + kept_hidden, start=1):
        option.position = position
    question.options = kept + kept_hidden  # delete-orphan removes the unanswered leftovers


def move_question(question: Question, direction: str) -> None:
    """Swap a question with its neighbour; positions are renumbered 1..n."""
    move_one_place(list(question.form.questions), question, direction)
    db.session.commit()


def set_question_hidden(question: Question, hidden: bool, *, actor: User | None = None) -> None:
    question.hidden = hidden
    _record_question(actor, AuditAction.QUESTION_HIDDEN if hidden else AuditAction.QUESTION_SHOWN, question)
    db.session.commit()


def delete_question(question: Question, *, actor: User | None = None) -> bool:
    """Delete a question that nobody has answered. Returns False (and keeps it) otherwise."""
    if question_has_answers(question):
        return False
    _record_question(actor, AuditAction.QUESTION_DELETED, question)
    db.session.delete(question)
    db.session.commit()
    return True

