"""The default feedback form PRODUCT.md describes, built from a programme's findings."""
from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.audit import AuditAction, record
from webapp.demo.seed_data import LOCALITIES, ORGANISATIONS, ROLE_GROUPS
from webapp.extensions import db
from webapp.feedback.form_builder import choice_options, scale_options
from webapp.feedback.models import Breakdown, FeedbackForm, Question, QuestionKind
from webapp.programmes.models import FindingKind, Programme

if TYPE_CHECKING:
    from webapp.auth.models import User

PREFER_NOT_TO_SAY = "Prefer not to say"


def build_default_form(programme: Programme) -> FeedbackForm:
    """The form PRODUCT.md describes, built from the programme's findings (not committed)."""
    form = FeedbackForm(
        programme=programme,
        title=f"Your feedback: {programme.title}",
        intro="Tell the senior management team what you think of the findings. "
        "It takes about two minutes and is anonymous.",
    )
    # In the session before the findings are loaded, so that their autoflush includes it.
    db.session.add(form)
    questions: list[Question] = []

    for indicator in programme.findings_of(FindingKind.INDICATOR):
        questions.append(
            Question(
                kind=QuestionKind.AGREEMENT,
                text=f"Inspectors rated “{indicator.title}” as {indicator.grade}. How far do you agree?",
                finding=indicator,
                section=indicator.headline_question or "",
                required=False,
                options=scale_options(QuestionKind.AGREEMENT),
            )
        )
    improvement_areas = programme.findings_of(FindingKind.ACTION) or programme.findings_of(
        FindingKind.IMPROVEMENT_AREA
    )
    if improvement_areas:
        questions.append(
            Question(
                kind=QuestionKind.MULTI_CHOICE,
                text="Which improvement areas matter most for your work?",
                hint="Choose up to two.",
                max_choices=2,
                section="Improvement areas",
                options=choice_options(area.title for area in improvement_areas),
            )
        )
    questions += [
        Question(
            kind=QuestionKind.RATING,
            text="How useful was this session?",
            # With the written answers: one short step on the phone, not two.
            section="Your views",
            options=scale_options(QuestionKind.RATING),
        ),
        Question(
            kind=QuestionKind.LONG_TEXT,
            text="What would make the biggest difference for children and families in your area?",
            section="Your views",
        ),
        Question(
            kind=QuestionKind.LONG_TEXT,
            text="Anything else the senior management team should hear?",
            section="Your views",
        ),
    ]
    about_you = "About you (optional)"
    about_hint = "Only shown in results for groups of 5 or more people."
    for breakdown, text, labels in (
        (Breakdown.ROLE_GROUP, "Which group best describes your role?", ROLE_GROUPS),
        (Breakdown.LOCALITY, "Which locality do you mainly work in?", LOCALITIES),
        (Breakdown.ORGANISATION, "Which organisation do you work for?", ORGANISATIONS),
    ):
        questions.append(
            Question(
                kind=QuestionKind.SINGLE_CHOICE,
                text=text,
                hint=about_hint,
                breakdown=breakdown,
                section=about_you,
                # A way to decline, and to take back an answer a radio button cannot undo.
                options=choice_options((*labels, PREFER_NOT_TO_SAY)),
            )
        )
    for position, question in enumerate(questions, start=1):
        question.position = position
    form.questions = questions
    db.session.add(form)
    return form


def create_default_form(programme: Programme, *, actor: User | None = None) -> FeedbackForm:
    """The default form, if the programme has none yet."""
    if programme.feedback_form is not None:
        return programme.feedback_form
    form = build_default_form(programme)
    record(actor, AuditAction.FORM_CREATED, f"programme:{programme.id}", programme.title)
    db.session.commit()
    return form
