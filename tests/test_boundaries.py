"""The edges of each rule, tested exactly on them: the most choices allowed and one more,
the longest answer and one character over, a link in its last moment and at its expiry,
a window as it opens and as it closes, the response ceiling and one below it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from tests import results_factories as f
from tests.booking_helpers import make_session
from webapp.auth import services as accounts
from webapp.auth.models import Role, User
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback import answers, form_builder, phone
from webapp.feedback.models import LONG_TEXT_MAX, ONE_WORD_MAX, SHORT_TEXT_MAX, QuestionKind
from webapp.sessions.models import EventSession, SessionStatus


def _read(question, *values: str):
    return answers.read_answers([question], MultiDict([(f"q{question.id}", value) for value in values]))


@pytest.mark.parametrize("picked, error", [
    (1, None),
    (2, None),  # exactly the maximum
    (3, "Select no more than 2: you selected 3"),
])
def test_multiple_choice_takes_up_to_its_maximum(app, demo, picked, error):
    with app.app_context():
        question = f.question(demo, kind=QuestionKind.MULTI_CHOICE)
        assert question.max_choices == 2
        options = [str(option.id) for option in question.visible_options[:picked]]
        submission = _read(question, *options)
        assert submission.errors.get(question.id) == error
        assert [row["option_id"] for row in submission.rows] == ([int(o) for o in options] if not error else [])
        assert submission.chosen[question.id] == set(options)


def test_the_same_choice_twice_counts_once(app, demo):
    with app.app_context():
        question = f.question(demo, kind=QuestionKind.MULTI_CHOICE)
        first, second = (str(option.id) for option in question.visible_options[:2])
        submission = _read(question, first, first, second, "")
        assert submission.errors == {} and len(submission.rows) == 2


def test_a_single_choice_takes_one_answer(app, demo):
    with app.app_context():
        question = f.question(demo, kind=QuestionKind.RATING)
        one, two = (str(option.id) for option in question.visible_options[:2])
        assert _read(question, one).errors == {}
        assert _read(question, one, two).errors == {question.id: "Select only one answer"}
        assert _read(question, "999999").errors == {question.id: "Select one of the answers shown"}


@pytest.mark.parametrize("kind, longest", [(QuestionKind.LONG_TEXT, LONG_TEXT_MAX),
                                           (QuestionKind.SHORT_TEXT, SHORT_TEXT_MAX)])
def test_the_longest_answer_is_stored_and_one_more_character_is_refused(app, demo, kind, longest):
    with app.app_context():
        form = f.programme(demo).feedback_form
        question = form_builder.add_question(form, kind=kind, text="Anything?") if kind == QuestionKind.SHORT_TEXT \
            else f.question(demo, kind=kind)
        assert question.text_max_length == longest
        exact = _read(question, "  " + "x" * longest + " \r\n")  # spaces around are not counted
        assert exact.errors == {} and exact.rows == [{"question_id": question.id, "option_id": None,
                                                      "text": "x" * longest}]
        over = _read(question, "x" * (longest + 1))
        assert over.rows == [] and over.errors == {question.id: (
            f"Your answer must be {longest:,} characters or fewer: it has {longest + 1:,}. "
            "Shorten it and press Send again")}
        assert over.typed[question.id] == "x" * (longest + 1)  # kept for the page
        lines = _read(question, "a\r\n" * (longest // 2))  # a line break counts once, as stored
        assert lines.errors == {}


def test_one_word_at_its_longest_and_over(app, demo):
    with app.app_context():
        question = f.question(demo, kind=QuestionKind.ONE_WORD)
        assert _read(question, "Ｈ" + "x" * (ONE_WORD_MAX - 1)).rows[0]["text"] == "h" + "x" * (ONE_WORD_MAX - 1)
        assert question.id in _read(question, "x" * (ONE_WORD_MAX + 1)).errors
        assert _read(question, "two words").errors == {question.id: "Enter one word, without spaces"}


def test_a_required_question_left_empty_says_what_to_do(app, demo):
    with app.app_context():
        question = f.question(demo, kind=QuestionKind.RATING)
        question.required = True
        assert _read(question).errors == {question.id: "Select a rating from 1 to 5"}
        comment = f.question(demo, kind=QuestionKind.LONG_TEXT)
        comment.required = True
        assert _read(comment, "   ").errors == {comment.id: "Enter your answer"}
        nothing = answers.read_answers([f.question(demo, kind=QuestionKind.AGREEMENT)], MultiDict())
        assert nothing.errors == {answers.NOTHING_ANSWERED: answers.NOTHING_ANSWERED_MESSAGE}


def test_a_setup_link_works_until_its_expiry_and_not_at_it(app, make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context():
        by = db.session.get(User, admin.id)
        user = accounts.invite_user("edge@example.org", "viewer", by=by)
        before = utcnow()
        token = accounts.new_setup_link(user, by=by)
        expires = user.invite_expires_at
        assert before + timedelta(hours=72) <= expires <= utcnow() + timedelta(hours=72)
        assert accounts.user_for_setup_token(token, now=expires - timedelta(microseconds=1)).id == user.id
        assert accounts.user_for_setup_token(token, now=expires) is None
        assert accounts.user_for_setup_token(token + "x") is None
        assert accounts.user_for_setup_token("") is None
        assert accounts.user_for_setup_token("x" * 101) is None


def test_a_feedback_window_opens_and_closes_on_the_minute(app):
    session_id = make_session(app)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        opens, closes = session.feedback_window
        assert phone.window_state(session, opens - timedelta(microseconds=1)) == phone.WindowState.NOT_YET_OPEN
        assert phone.window_state(session, opens) == phone.WindowState.OPEN
        assert phone.window_state(session, closes - timedelta(microseconds=1)) == phone.WindowState.OPEN
        assert phone.window_state(session, closes) == phone.WindowState.CLOSED
        session.status = SessionStatus.CANCELLED
        assert phone.window_state(session, opens) == phone.WindowState.CANCELLED


def test_booking_opens_and_closes_on_the_minute(app):
    now = utcnow()
    session_id = make_session(app, booking_opens_at=now + timedelta(hours=1), booking_closes_at=now + timedelta(days=1))
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        opens, closes = session.booking_opens_at, session.booking_closes_at
        assert "opens on" in session.why_not_bookable(opens - timedelta(microseconds=1))
        assert session.why_not_bookable(opens) is None
        assert session.why_not_bookable(closes - timedelta(microseconds=1)) is None
        assert "closed on" in session.why_not_bookable(closes)
        assert "already taken place" in session.why_not_bookable(session.starts_at)


def test_the_response_ceiling_is_reached_exactly(app, demo):
    with app.app_context():
        session = f.sessions(demo)[0]
        session.capacity = 2
        ceiling = answers.response_ceiling(2)
        assert ceiling == int(2 * app.config["FEEDBACK_RESPONSES_PER_PLACE"]) + 10 == 13
        question = f.question(demo, kind=QuestionKind.LONG_TEXT)
        for n in range(ceiling - 1):
            f.respond(session, {question: f"answer {n}"})
        db.session.commit()
        read_model = phone.phone_session_by_code(session.feedback_code)
        assert not answers.at_response_ceiling(read_model)
        f.respond(session, {question: "the last one"})
        db.session.commit()
        assert answers.at_response_ceiling(read_model)
