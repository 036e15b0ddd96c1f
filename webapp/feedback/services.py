"""Feedback forms: the default form built from a programme's findings."""
from __future__ import annotations

from webapp.extensions import db
from webapp.feedback.models import (
    AGREEMENT_SCALE,
    RATING_SCALE,
    Breakdown,
    FeedbackForm,
    Question,
    QuestionKind,
    QuestionOption,
)
from webapp.programmes.models import FindingKind, Programme

ROLE_GROUPS = (
    "Social work",
    "Health (including health visiting and school nursing)",
    "Education",
    "Police",
    "Third sector",
    "Management",
    "Other",
)
LOCALITIES = ("North East", "North West", "South", "City-wide")
ORGANISATIONS = (
    "Glasgow City Health and Social Care Partnership",
    "Glasgow City Council Education Services",
    "NHS Greater Glasgow and Clyde",
    "Police Scotland",
    "Third sector organisation",
    "Other",
)


def scale_options(kind: str) -> list[QuestionOption]:
    """The fixed options of an agreement or rating question."""
    scale = AGREEMENT_SCALE if kind == QuestionKind.AGREEMENT else RATING_SCALE
    return [
        QuestionOption(position=position, label=label, score=score)
        for position, (label, score) in enumerate(scale, start=1)
    ]


def choice_options(labels) -> list[QuestionOption]:
    return [QuestionOption(position=position, label=label) for position, label in enumerate(labels, start=1)]


def build_default_form(programme: Programme) -> FeedbackForm:
    """The form PRODUCT.md describes, built from the programme's findings (not committed)."""
    form = FeedbackForm(
        programme=programme,
        title=f"Your feedback: {programme.title}",
        intro="Tell the senior management team what you think of the findings. "
        "It takes about two minutes and is anonymous.",
    )
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
            section="This session",
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
                options=choice_options(labels),
            )
        )
    for position, question in enumerate(questions, start=1):
        question.position = position
    form.questions = questions
    db.session.add(form)
    return form
