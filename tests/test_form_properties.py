"""Property-based tests of the two public forms: whatever arrives, never a 5xx; a valid
submission is stored exactly once, normalised as documented (control characters
removed, surrounding spaces stripped, the email lower-cased; feedback text with CRLF
as LF); an invalid one stores nothing and comes back with what was typed.

The database lives for the whole test (examples add rows to it), so every example
uses its own email address or submission key."""
from __future__ import annotations

import itertools
import urllib.parse

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.booking_helpers import csrf_from, make_session
from tests.feedback_helpers import form_fields, open_feedback
from webapp.bookings.models import ACCESS_MAX, NAME_MAX, SHORT_TEXT_MAX, Registration
from webapp.extensions import db
from webapp.feedback.models import Answer, QuestionKind, Response
from webapp.feedback.answers import new_submission_key
from webapp.feedback.phone import load_phone_form
from webapp.forms import strip_control_characters
from webapp.text import one_line

EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any text a browser can send (lone surrogates cannot be encoded as UTF-8).
ANY_CHAR = st.characters(blacklist_categories=("Cs",))


def text_around(cap: int):
    """Mostly ordinary answers (so that valid submissions are common), and otherwise any
    text, text just under, at and over the cap, or the field not sent at all."""
    ordinary = st.tuples(st.sampled_from("AbZé名"), st.text(ANY_CHAR, max_size=30)).map("".join)
    return st.sampled_from(["ordinary"] * 9 + ["any", "cap", "missing"]).flatmap(lambda mode: {
        "ordinary": ordinary,
        "any": st.text(ANY_CHAR, max_size=30),
        "cap": st.text(ANY_CHAR, min_size=cap - 2, max_size=cap + 2),
        "missing": st.none(),
    }[mode])


def normalised(value: str | None, single_line: bool = False) -> str:
    """As the forms store it; a one-line field has its line breaks turned into spaces."""
    return (one_line(value or "") if single_line else strip_control_characters(value or "")).strip()


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


# --- booking --------------------------------------------------------------------------------

BOOKING_CAPS = {"name": NAME_MAX, "job_role": SHORT_TEXT_MAX, "team": SHORT_TEXT_MAX,
                "locality": SHORT_TEXT_MAX, "organisation": SHORT_TEXT_MAX, "access_requirements": ACCESS_MAX}
REQUIRED = {"name", "job_role", "team", "organisation"}
SINGLE_LINE = set(BOOKING_CAPS) - {"access_requirements"}
_emails = itertools.count(1)


@st.composite
def booking_submissions(draw):
    fields = {name: draw(text_around(cap)) for name, cap in BOOKING_CAPS.items()}
    if draw(st.sampled_from([True, True, True, False])):
        number = next(_emails)
        # A good address, perhaps pasted with spaces and capitals around it.
        email = draw(st.sampled_from(["", " ", "\t"])) + f"Person.{number}@Example.org" + \
            draw(st.sampled_from(["", " ", "\x00"]))
        fields["email"] = email
        good_email = True
    else:
        fields["email"] = draw(st.one_of(st.none(), st.text(ANY_CHAR, max_size=60)))
        good_email = False
    return fields, good_email


def expected_valid(fields: dict) -> bool:
    for name, cap in BOOKING_CAPS.items():
        value = normalised(fields[name], name in SINGLE_LINE)
        if len(value) > cap or (name in REQUIRED and not value):
            return False
    return True


@pytest.fixture
def session_id(app):
    return make_session(app, capacity=1000)


@EXAMPLES
@given(submission=booking_submissions())
def test_booking_form_stores_valid_bookings_once_and_refuses_the_rest(app, client, session_id, submission):
    fields, good_email = submission
    url = f"/sessions/{session_id}/register"
    data = {name: value for name, value in fields.items() if value is not None}
    data["csrf_token"] = csrf_from(client.get(url).get_data(as_text=True))
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Registration.id)).where(Registration.session_id == session_id))
    response = client.post(url, data=urllib.parse.urlencode(data),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
    event("stored" if response.status_code == 302 else "refused")
    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count(Registration.id)).where(Registration.session_id == session_id))
        if response.status_code == 302:
            assert after == before + 1
            email = normalised(fields["email"]).lower()
            stored = db.session.scalars(sa.select(Registration).where(Registration.email == email)).all()
            assert len(stored) == 1
            for name in BOOKING_CAPS:
                assert getattr(stored[0], name) == normalised(fields[name], name in SINGLE_LINE), name
        else:
            assert after == before
    if good_email:
        assert (response.status_code == 302) == expected_valid(fields)
    if response.status_code != 302:
        body = response.get_data(as_text=True)
        assert "There is a problem" in body
        name = normalised(fields["name"], True)
        if name:
            assert str(escape(name)) in body  # what was typed is kept


# --- feedback -------------------------------------------------------------------------------

TEXT_CAPS = {QuestionKind.SHORT_TEXT: 200, QuestionKind.LONG_TEXT: 2000}


def feedback_text(value: str | None) -> str:
    return strip_control_characters((value or "").replace("\r\n", "\n")).strip()


@st.composite
def feedback_submissions(draw, questions):
    answers = {}
    for question in questions:
        if question.kind == QuestionKind.ONE_WORD:
            answers[question.id] = draw(st.sampled_from([None, "Hopeful", "two words", "x" * 31]))
        elif question.kind in TEXT_CAPS:
            answers[question.id] = draw(text_around(TEXT_CAPS[question.kind]))
        else:
            ids = [str(option.id) for option in question.visible_options]
            mode = draw(st.sampled_from(["one"] * 6 + ["none", "several", "foreign"]))
            answers[question.id] = draw({
                "one": st.sampled_from(ids).map(lambda value: [value]),
                "none": st.none(),
                "several": st.lists(st.sampled_from(ids), min_size=1, max_size=4),
                "foreign": st.lists(st.one_of(st.text(ANY_CHAR, max_size=8), st.integers().map(str)),
                                    min_size=1, max_size=2),
            }[mode])
    return answers


def feedback_valid(questions, answers) -> bool:
    for question in questions:
        value = answers[question.id]
        if question.kind == QuestionKind.ONE_WORD:
            if value is not None and (" " in value or len(value) > 30):
                return False
            continue
        if question.kind in TEXT_CAPS:
            text = feedback_text(value)
            if len(text) > TEXT_CAPS[question.kind] or (question.required and not text):
                return False
            continue
        ids = {str(option.id) for option in question.visible_options}
        picked = list(dict.fromkeys(v for v in (value or []) if v))
        if any(v not in ids for v in picked):
            return False
        if not picked:
            if question.required:
                return False
            continue
        if question.kind != QuestionKind.MULTI_CHOICE and len(picked) > 1:
            return False
        if question.kind == QuestionKind.MULTI_CHOICE and question.max_choices and len(picked) > question.max_choices:
            return False
    return True


@pytest.fixture
def phone(app, demo):
    code = open_feedback(app, demo)
    with app.app_context():
        return code, load_phone_form(demo).visible_questions


@EXAMPLES
@given(data=st.data())
def test_feedback_form_stores_valid_responses_once_and_refuses_the_rest(app, client, phone, data):
    code, questions = phone
    answers = data.draw(feedback_submissions(questions))
    # Each example is another person on this phone: past the "already sent" page.
    hidden = form_fields(client.get(f"/f/{code}?another=1").get_data(as_text=True))
    key = new_submission_key()
    body = {"csrf_token": hidden["csrf_token"], "submission_key": key}
    for question in questions:
        if answers[question.id] is not None:
            body[f"q{question.id}"] = answers[question.id]
    response = client.post(f"/f/{code}", data=urllib.parse.urlencode(body, doseq=True),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    valid = feedback_valid(questions, answers)
    event("stored" if valid else "refused")
    with app.app_context():
        stored = db.session.scalars(sa.select(Response).where(Response.submission_key == key)).all()
        assert len(stored) == (1 if valid else 0)
        if valid:
            assert "Your feedback has been sent" in page
            texts = dict(db.session.execute(
                sa.select(Answer.question_id, Answer.text).where(Answer.response_id == stored[0].id,
                                                                 Answer.text.is_not(None))).all())
            for question in questions:
                if question.kind in TEXT_CAPS:
                    assert texts.get(question.id, "") == feedback_text(answers[question.id])
    if not valid:
        assert "There is a problem" in page
        for question in questions:
            if question.kind in TEXT_CAPS and feedback_text(answers[question.id]):
                assert str(escape(feedback_text(answers[question.id]))) in page
    # The same key again (a double tap) never stores a second response.
    if valid:
        again = client.post(f"/f/{code}", data=urllib.parse.urlencode(body, doseq=True),
                            content_type="application/x-www-form-urlencoded")
        assert again.status_code == 200
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Response.id)).where(Response.submission_key == key)) == 1
