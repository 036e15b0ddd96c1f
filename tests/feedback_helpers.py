"""Helpers for the feedback tests: open a session's feedback window, read the phone
form like a browser, and fill it in."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.models import FeedbackForm, QuestionKind
from webapp.sessions.models import EventSession


def first_session(programme_id: int) -> EventSession:
    return db.session.scalars(
        sa.select(EventSession).where(EventSession.programme_id == programme_id).order_by(EventSession.id)
    ).first()


def feedback_form_of(programme_id: int) -> FeedbackForm:
    return db.session.scalars(sa.select(FeedbackForm).where(FeedbackForm.programme_id == programme_id)).one()


def open_feedback(app, programme_id: int) -> str:
    """Open the first session's feedback window now; returns its code."""
    with app.app_context():
        session = first_session(programme_id)
        session.feedback_opens_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        return session.feedback_code


def hidden_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def form_fields(html: str) -> dict:
    """What a client sending the whole form in one POST needs from a page: csrf_token
    and submission_key. A step page carries the key inside its signed draft (read
    here without the secret, as anyone can: it is signed, not hidden)."""
    if 'name="submission_key"' in html:
        return {name: hidden_field(html, name) for name in ("csrf_token", "submission_key")}
    _valid, draft = URLSafeSerializer("unused").loads_unsafe(hidden_field(html, "draft"))
    return {"csrf_token": hidden_field(html, "csrf_token"), "submission_key": draft["k"]}


def step_fields(html: str) -> dict:
    """The hidden fields a step page sends back: csrf_token, step and the draft."""
    return {name: hidden_field(html, name) for name in ("csrf_token", "step", "draft")}


def step_number(html: str) -> tuple[int, int]:
    """(step, of) from the page's "Step 2 of 7"."""
    match = re.search(r"Step (\d+) of (\d+)", html)
    assert match, "no step progress on the page"
    return int(match.group(1)), int(match.group(2))


def send_in_steps(client, code: str, answers: dict, html: str | None = None):
    """Fill the form step by step as a browser would (every step posts `answers`;
    each keeps its own questions'), then press Send on the check step. Returns the
    last response (the thank-you page, or the first page that did not move on)."""
    html = html or client.get(f"/f/{code}").get_data(as_text=True)
    while True:
        step, of = step_number(html)
        action = "send" if step == of else "next"
        response = client.post(f"/f/{code}", data={**step_fields(html), **answers, "action": action})
        page = response.get_data(as_text=True)
        if action == "send" or response.status_code != 200 or "Step " not in page \
                or step_number(page)[0] != step + 1:
            return response
        html = page


def complete_answers(app, programme_id: int, comment: str = "More time with families.",
                     word: str = "Hopeful") -> dict:
    """A valid answer to every visible question: first option, `word`, or `comment`."""
    with app.app_context():
        form = feedback_form_of(programme_id)
        data = {}
        for question in form.visible_questions:
            if question.kind == QuestionKind.ONE_WORD:
                data[f"q{question.id}"] = word
            elif question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
                data[f"q{question.id}"] = comment
            else:
                data[f"q{question.id}"] = str(question.visible_options[0].id)
        return data


def question_ids(app, programme_id: int, kind: str) -> list[int]:
    with app.app_context():
        form = feedback_form_of(programme_id)
        return [question.id for question in form.visible_questions if question.kind == kind]


def step_pages(client, code: str) -> list[str]:
    """Every step's page, pressing Continue with nothing answered (steps allow that)."""
    html = client.get(f"/f/{code}").get_data(as_text=True)
    pages = [html]
    step, of = step_number(html)
    while step < of:
        html = client.post(f"/f/{code}", data={**step_fields(html), "action": "next"}).get_data(as_text=True)
        step, of = step_number(html)
        pages.append(html)
    return pages
