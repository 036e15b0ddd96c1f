"""The phone form in short steps (GOV.UK's "one thing per page", sensibly): one step per
section of the form (a headline question with its indicators, the improvement areas,
your views, about you), then "Check your answers and send".

What was answered so far travels with the page as a signed draft (a hidden field), not
in a cookie or a table: a long comment would not fit in a cookie, and the room's
phones cost the server nothing between steps. The draft carries the form's one-time
submission key, so the response is still stored once however often Send is pressed.
A phone that sleeps keeps its page and so its draft; an expired CSRF token shows the
step again with everything kept (views.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from webapp.feedback.answers import (
    NOTHING_ANSWERED,
    Submission,
    is_submission_key,
    new_submission_key,
    read_answers,
)
from webapp.feedback.phone import PhoneForm, PhoneQuestion

CHECK_HEADING = "Check your answers and send"


@dataclass(frozen=True)
class Step:
    number: int  # 1-based; the check step is the last
    heading: str
    questions: tuple[PhoneQuestion, ...]  # empty on the check step

    @property
    def is_check(self) -> bool:
        return not self.questions


@dataclass(frozen=True)
class Steps:
    steps: tuple[Step, ...]
    numbers: dict  # question id -> its number on the whole form ("Question 5")

    @property
    def count(self) -> int:
        return len(self.steps)

    def get(self, number: int) -> Step:
        """Step `number`, kept within 1..count (a crafted number is the nearest step)."""
        return self.steps[min(max(number, 1), self.count) - 1]

    def step_of(self, question_id: int) -> Step:
        return next(step for step in self.steps if any(q.id == question_id for q in step.questions))


@lru_cache(maxsize=64)
def form_steps(form: PhoneForm) -> Steps:
    """One step per run of questions under the same section heading, then the check
    step. A question without a section is a step of its own, under its own words."""
    groups: list[tuple[str, list[PhoneQuestion]]] = []
    for question in form.visible_questions:
        if question.section and groups and groups[-1][0] == question.section:
            groups[-1][1].append(question)
        else:
            groups.append((question.section or question.text, [question]))
    steps = [Step(number, heading, tuple(questions)) for number, (heading, questions) in enumerate(groups, start=1)]
    steps.append(Step(len(steps) + 1, CHECK_HEADING, ()))
    numbers = {question.id: number for number, question in enumerate(form.visible_questions, start=1)}
    return Steps(tuple(steps), numbers)


# ---------------------------------------------------------------------------
# The draft: {question id: [values as sent]}, signed, bound to one session's code
# ---------------------------------------------------------------------------


@dataclass
class Draft:
    submission_key: str
    answers: dict[str, list[str]]  # "q<id>" -> values (option ids, or the text typed)

    def formdata(self) -> MultiDict:
        return MultiDict([(name, value) for name, values in self.answers.items() for value in values])

    def take(self, questions, formdata) -> None:
        """Replace this step's answers with what the page sent (an unticked box sends
        nothing, so a question left blank now clears its earlier answer)."""
        for question in questions:
            name = f"q{question.id}"
            values = [value for value in formdata.getlist(name) if value.strip()]
            if values:
                self.answers[name] = values
            else:
                self.answers.pop(name, None)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="feedback-draft")


def new_draft() -> Draft:
    return Draft(new_submission_key(), {})


def sign_draft(draft: Draft, code: str) -> str:
    return _serializer().dumps({"c": code, "k": draft.submission_key, "a": draft.answers})


def read_draft(token: str | None, code: str) -> Draft | None:
    """The draft a step page sent back; None when it is missing, altered or another
    session's (then the person starts a fresh draft: nothing of theirs is trusted)."""
    if not token:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != code or not isinstance(data.get("a"), dict):
        return None
    answers = {str(name): [str(value) for value in values] for name, values in data["a"].items()
               if isinstance(values, list)}
    key = str(data.get("k", ""))
    return Draft(key if is_submission_key(key) else new_submission_key(), answers)


def check_step(step: Step, draft: Draft) -> Submission:
    """This step's answers checked (required, limits, options). An unanswered step is
    fine: "answer at least one question" is the whole form's rule, checked at Send."""
    submission = read_answers(step.questions, draft.formdata())
    submission.errors.pop(NOTHING_ANSWERED, None)
    return submission


def check_all(form: PhoneForm, draft: Draft) -> Submission:
    """Every answer in the draft, checked as the one-page form checks them."""
    return read_answers(form.visible_questions, draft.formdata())
