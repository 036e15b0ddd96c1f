"""The phone form in short steps (issue 17, point 3): one step per section, progress,
Back that keeps answers, an expired token that keeps them too, the empty-submission rule
at Send, and one response however often Send is pressed."""
from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from tests import neighbours
from tests.feedback_helpers import (
    complete_answers,
    first_session,
    hidden_field,
    open_feedback,
    question_ids,
    send_in_steps,
    step_fields,
    step_number,
)
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.answers import NOTHING_ANSWERED_MESSAGE
from webapp.feedback.models import Answer, Question, QuestionKind, Response
from webapp.sessions.models import EventSession


def count(model) -> int:
    return neighbours.count_here(model)  # what this test stored, beside the neighbour's responses


def post_step(client, code, html, answers=None, action="next"):
    return client.post(f"/f/{code}", data={**step_fields(html), **(answers or {}), "action": action})


def page(response) -> str:
    return response.get_data(as_text=True)


def checked(html: str, name: str, value) -> bool:
    return re.search(rf'name="{name}" type="(radio|checkbox)" value="{value}" checked', html) is not None


def test_one_step_per_section_then_check_and_send(app, client, demo):
    code = open_feedback(app, demo)
    first = client.get(f"/f/{code}")
    html = page(first)
    assert first.headers["Cache-Control"] == "no-store"
    # Three headline questions, improvement areas, your views, about you, then check.
    assert step_number(html) == (1, 7) and "<title>Step 1 of 7: How well are the lives" in html
    assert "Tell the senior management team" in html  # the intro, on the first step only
    agreement = question_ids(app, demo, QuestionKind.AGREEMENT)
    # Step 1 asks only its own headline question's indicators.
    assert f'name="q{agreement[0]}"' in html and f'name="q{agreement[-1]}"' not in html
    response = send_in_steps(client, code, complete_answers(app, demo))
    assert response.status_code == 200 and "Your feedback has been sent" in page(response)
    with app.app_context():
        assert count(Response) == 1
        stored = db.session.scalars(sa.select(Answer.text).where(Answer.text.is_not(None)).join(Response)
                                    .where(Response.session_id == first_session(demo).id)).all()
        assert sorted(stored) == ["More time with families.", "More time with families.", "hopeful"]


def test_check_page_lists_every_answer_with_change_buttons(app, client, demo):
    code = open_feedback(app, demo)
    answers = complete_answers(app, demo, comment="Check <me> & see")
    html = page(client.get(f"/f/{code}"))
    for _ in range(6):
        html = page(post_step(client, code, html, answers))
    assert step_number(html) == (7, 7) and "Check your answers and send" in html
    assert "Check &lt;me&gt; &amp; see" in html and "<me>" not in html and "Hopeful" in html
    assert html.count('name="action" value="change-') == 6
    # Change goes to that step, with its answers.
    again = page(post_step(client, code, html, action="change-2"))
    assert step_number(again) == (2, 7)
    second_step = question_ids(app, demo, QuestionKind.AGREEMENT)[3]
    assert checked(again, f"q{second_step}", answers[f"q{second_step}"])


def test_back_keeps_the_answers_of_both_steps(app, client, demo):
    code = open_feedback(app, demo)
    agreement = question_ids(app, demo, QuestionKind.AGREEMENT)
    answers = complete_answers(app, demo)
    step1 = page(client.get(f"/f/{code}"))
    step2 = page(post_step(client, code, step1, {f"q{agreement[0]}": answers[f"q{agreement[0]}"]}))
    assert step_number(step2) == (2, 7)
    # Answer on step 2, then Back: step 1 shows its answer; Continue shows step 2's.
    back = page(post_step(client, code, step2, {f"q{agreement[3]}": answers[f"q{agreement[3]}"]}, action="back"))
    assert step_number(back) == (1, 7) and checked(back, f"q{agreement[0]}", answers[f"q{agreement[0]}"])
    forward = page(post_step(client, code, back))
    assert step_number(forward) == (2, 7) and checked(forward, f"q{agreement[3]}", answers[f"q{agreement[3]}"])
    # A question cleared on its step is cleared in the draft (an unticked radio sends nothing).
    cleared = page(post_step(client, code, page(post_step(client, code, forward, action="back")), {}))
    assert not checked(page(post_step(client, code, cleared, action="back")), f"q{agreement[0]}",
                       answers[f"q{agreement[0]}"])


class TestExpiredToken:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_TIME_LIMIT": 1}

    def test_a_step_sent_with_an_expired_token_comes_back_with_its_answers(self, app, client, demo):
        code = open_feedback(app, demo)
        agreement = question_ids(app, demo, QuestionKind.AGREEMENT)
        answers = complete_answers(app, demo)
        step1 = page(client.get(f"/f/{code}"))
        step2 = page(post_step(client, code, step1, answers))
        time.sleep(2.1)  # the phone sleeps in a pocket
        response = post_step(client, code, step2, answers)
        html = page(response)
        assert response.status_code == 200 and step_number(html) == (2, 7)
        assert "Your answers have not been sent yet" in html and "press Continue" in html
        assert checked(html, f"q{agreement[3]}", answers[f"q{agreement[3]}"])
        assert hidden_field(html, "csrf_token") != hidden_field(step2, "csrf_token")
        # With the fresh token it moves on, and step 1's answers are still in the draft.
        step3 = page(post_step(client, code, html, answers))
        assert step_number(step3) == (3, 7)
        assert checked(page(post_step(client, code, page(post_step(client, code, step3, action="back")),
                                      action="back")), f"q{agreement[0]}", answers[f"q{agreement[0]}"])


def test_send_twice_stores_one_response(app, client, demo):
    code = open_feedback(app, demo)
    answers = complete_answers(app, demo)
    html = page(client.get(f"/f/{code}"))
    for _ in range(6):
        html = page(post_step(client, code, html, answers))
    first = post_step(client, code, html, action="send")
    second = post_step(client, code, html, action="send")  # a double tap, or the browser resending
    assert "Your feedback has been sent" in page(first) and "Your feedback has been sent" in page(second)
    with app.app_context():
        assert count(Response) == 1


def test_sending_nothing_is_refused_on_the_check_step(app, client, demo):
    code = open_feedback(app, demo)
    response = send_in_steps(client, code, {})
    html = page(response)
    assert step_number(html) == (7, 7) and "<title>Error:" in html
    assert NOTHING_ANSWERED_MESSAGE in html and 'href="#step-1"' in html
    with app.app_context():
        assert count(Response) == 0


def test_a_step_with_a_mistake_stays_with_the_error(app, client, demo):
    code = open_feedback(app, demo)
    multi, = question_ids(app, demo, QuestionKind.MULTI_CHOICE)
    with app.app_context():
        options = [str(option.id) for option in db.session.get(Question, multi).visible_options]
    html = page(client.get(f"/f/{code}"))
    for _ in range(3):
        html = page(post_step(client, code, html))
    assert step_number(html) == (4, 7)
    wrong = page(post_step(client, code, html, {f"q{multi}": options[:3]}))
    assert step_number(wrong) == (4, 7) and "Select no more than 2: you selected 3" in wrong
    # The error names the question's number on the whole form.
    assert re.search(r"Question 10: Select no more than 2", wrong)
    word, = question_ids(app, demo, QuestionKind.ONE_WORD)
    views = page(post_step(client, code, wrong, {f"q{multi}": options[:1]}))
    refused = page(post_step(client, code, views, {f"q{word}": "two words"}))
    assert step_number(refused) == (5, 7) and "Enter one word, without spaces" in refused
    assert 'value="two words"' in refused


def test_an_altered_or_borrowed_draft_is_not_trusted(app, client, demo):
    code = open_feedback(app, demo)
    agreement = question_ids(app, demo, QuestionKind.AGREEMENT)
    answers = complete_answers(app, demo)
    step2 = page(post_step(client, code, page(client.get(f"/f/{code}")), answers))
    fields = step_fields(step2)
    altered = {**fields, "draft": fields["draft"][:-3] + "AAA", "action": "back"}
    back = page(client.post(f"/f/{code}", data=altered))
    assert step_number(back) == (1, 7) and not checked(back, f"q{agreement[0]}", answers[f"q{agreement[0]}"])
    # Another session's page (of this programme, with the same questions, or another's)
    # cannot hand its draft to this one.
    for programme_id, steps in ((demo, 7), (neighbours.neighbour_id_in(app), 5)):
        with app.app_context():
            other = db.session.scalars(sa.select(EventSession).where(
                EventSession.programme_id == programme_id,
                EventSession.feedback_code != code)).first()
            other.feedback_opens_at = utcnow()
            db.session.commit()
            other_code = other.feedback_code
        borrowed = page(client.post(f"/f/{other_code}", data={**fields, "action": "back"}))
        assert step_number(borrowed) == (1, steps) and not checked(borrowed, f"q{agreement[0]}",
                                                                   answers[f"q{agreement[0]}"])


class TestLimits:
    @pytest.fixture
    def app_config(self):
        return {"FEEDBACK_DEVICE_RATE_LIMIT": "3 per minute"}

    def test_moving_between_steps_meets_no_limit_but_sending_does(self, app, client, demo):
        code = open_feedback(app, demo)
        html = page(client.get(f"/f/{code}"))
        for _ in range(4):  # back and forth, more often than the limit allows sends
            html = page(post_step(client, code, html))
            html = page(post_step(client, code, html, action="back"))
        assert step_number(html) == (1, 7)
        statuses = [send_in_steps(client, code, complete_answers(app, demo),
                                  html=page(client.get(f"/f/{code}?another=1"))).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        with app.app_context():
            assert count(Response) == 3


def test_a_draft_signed_for_another_purpose_or_with_a_bad_key_is_not_trusted(app, demo):
    """A draft signed with the app's secret for something else is refused; one whose
    submission key is not a key of ours keeps its answers but gets a new key."""
    from itsdangerous import URLSafeSerializer

    from webapp.feedback import steps
    from webapp.feedback.answers import is_submission_key, new_submission_key

    code = open_feedback(app, demo)
    with app.app_context():
        for other_purpose in (URLSafeSerializer(app.config["SECRET_KEY"]),
                              URLSafeSerializer(app.config["SECRET_KEY"], salt=None)):
            assert steps.read_draft(other_purpose.dumps({"c": code, "k": new_submission_key(), "a": {}}), code) is None
        draft = steps.read_draft(steps.sign_draft(steps.Draft("not-a-key", {"q1": ["2"]}), code), code)
        assert draft.answers == {"q1": ["2"]}
        assert is_submission_key(draft.submission_key) and draft.submission_key != "not-a-key"
