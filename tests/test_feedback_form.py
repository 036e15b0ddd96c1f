"""The phone form at /f/<code>: windows, answers kept on errors, one response per
form, nothing identifying stored, escaping, an expired CSRF token, rate limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import neighbours
from tests.feedback_helpers import complete_answers, feedback_form_of, first_session, form_fields, open_feedback, question_ids, step_pages
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.feedback.answers import NOTHING_ANSWERED, NOTHING_ANSWERED_MESSAGE, read_answers, store_response
from webapp.feedback import phone
from webapp.feedback.models import Answer, Question, QuestionKind, Response
from webapp.sessions.models import EventSession


def count(model) -> int:
    return neighbours.count_here(model)  # what this test stored, beside the neighbour's responses


def get_form(client, code):
    response = client.get(f"/f/{code}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def send(client, code, answers, html=None):
    fields = form_fields(html or get_form(client, code))
    return client.post(f"/f/{code}", data={**fields, **answers})


# --- finding the form --------------------------------------------------------------


def test_form_shows_findings_beside_agreement_questions(app, client, demo):
    code = open_feedback(app, demo)
    html = "".join(step_pages(client, code))
    assert "Quality indicator:" in html
    assert "Very Good</strong>" in html and "Adequate</strong>" in html
    assert "How well are the lives of children and young people improving?" in html  # a section
    # The rating's meaning is in its legend, not only beside 1 and 5.
    assert "1 means not useful, 5 means very useful" in html
    assert html.count("<fieldset") >= 9 and html.count("<legend") == html.count("<fieldset")


def test_lower_case_and_typed_codes_find_the_session(app, client, demo):
    code = open_feedback(app, demo)
    response = client.get(f"/f/{code.lower()}")
    assert response.status_code == 302 and response.headers["Location"] == f"/f/{code}"
    response = client.get("/f", query_string={"code": f" {code[:3].lower()} {code[3:]} "})
    assert response.status_code == 302 and response.headers["Location"] == f"/f/{code}"
    assert client.get("/f").status_code == 200


def test_unknown_code_is_a_friendly_404(client, demo):
    response = client.get("/f/ZZZZZZ")
    assert response.status_code == 404
    assert "No session has that code" in response.get_data(as_text=True)
    assert client.get("/f", query_string={"code": "nope"}).status_code == 404


# --- the feedback window ------------------------------------------------------------


def test_not_yet_open_says_when_it_opens(app, client, demo):
    with app.app_context():
        session = first_session(demo)  # the demo's sessions start in two weeks
        code, opens = session.feedback_code, session.feedback_window[0]
    html = client.get(f"/f/{code}").get_data(as_text=True)
    assert "Feedback is not open yet" in html
    from webapp.timezones import format_datetime

    assert format_datetime(opens) in html
    assert 'name="draft"' not in html


def test_closed_window_says_so_and_stores_nothing(app, client, demo):
    code = open_feedback(app, demo)
    html = get_form(client, code)
    with app.app_context():
        session = first_session(demo)
        session.feedback_closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = send(client, code, complete_answers(app, demo), html=html)
    assert "Feedback has closed" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Response) == 0


def test_window_state_rules(app, demo):
    with app.app_context():
        session = first_session(demo)
        opens, closes = session.feedback_window
        assert phone.window_state(session, opens - timedelta(seconds=1)) == "not_yet_open"
        assert phone.window_state(session, opens) == "open"
        assert phone.window_state(session, closes) == "closed"
        session.status = "cancelled"
        assert phone.window_state(session, opens) == "cancelled"


# --- answers ------------------------------------------------------------------------


def test_complete_response_is_stored_with_its_answers(app, client, demo):
    code = open_feedback(app, demo)
    answers = complete_answers(app, demo)
    response = send(client, code, answers)
    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalars(sa.select(Response).where(Response.session_id == first_session(demo).id)).one()
        assert stored.session.feedback_code == code
        assert len(stored.answers) == len(answers)


def test_required_question_missing_keeps_every_answer(app, client, demo):
    code = open_feedback(app, demo)
    rating, = question_ids(app, demo, QuestionKind.RATING)
    with app.app_context():
        question = db.session.get(Question, rating)
        question.required = True
        db.session.commit()
    answers = complete_answers(app, demo, comment="Keep <this> & that")
    del answers[f"q{rating}"]
    multi, = question_ids(app, demo, QuestionKind.MULTI_CHOICE)
    with app.app_context():
        two = [str(option.id) for option in db.session.get(Question, multi).visible_options[:2]]
    answers[f"q{multi}"] = two
    response = send(client, code, answers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("There is a problem") == 1 and "<title>Error:" in html
    assert f'href="#q{rating}"' in html and "Select a rating from 1 to 5" in html
    # Every other answer is still there: radios, both checkboxes, and the text (escaped).
    for name, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            if one.startswith("Keep"):
                assert "Keep &lt;this&gt; &amp; that</textarea>" in html
            elif one == "Hopeful":  # the one-word question: a text box
                assert f'name="{name}" type="text" value="Hopeful"' in html
            else:
                assert f'name="{name}" type="{"checkbox" if name == f"q{multi}" else "radio"}" value="{one}" checked' in html
    with app.app_context():
        assert count(Response) == 0


def test_multi_choice_over_its_maximum_is_refused(app, client, demo):
    code = open_feedback(app, demo)
    multi, = question_ids(app, demo, QuestionKind.MULTI_CHOICE)
    with app.app_context():
        options = [str(option.id) for option in db.session.get(Question, multi).visible_options[:3]]
    response = send(client, code, {f"q{multi}": options})
    assert "Select no more than 2: you selected 3" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Response) == 0


def test_text_over_its_cap_is_refused_with_a_clear_message(app, client, demo):
    code = open_feedback(app, demo)
    comment = question_ids(app, demo, QuestionKind.LONG_TEXT)[0]
    response = send(client, code, {f"q{comment}": "x" * 2001})
    assert "Your answer must be 2,000 characters or fewer: it has 2,001" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Response) == 0


def test_an_option_of_another_question_is_refused(app, client, demo):
    code = open_feedback(app, demo)
    rating, = question_ids(app, demo, QuestionKind.RATING)
    multi, = question_ids(app, demo, QuestionKind.MULTI_CHOICE)
    with app.app_context():
        foreign = db.session.get(Question, multi).visible_options[0].id
    response = send(client, code, {f"q{rating}": str(foreign)})
    assert "Select one of the answers shown" in response.get_data(as_text=True)


def test_an_empty_form_is_refused_and_not_counted(app, client, demo):
    """Every default question is optional, but "Send feedback" with nothing answered (or
    only spaces typed) is not a response: it comes back with a message and stores nothing."""
    code = open_feedback(app, demo)
    [comment] = question_ids(app, demo, QuestionKind.LONG_TEXT)[:1]
    for answers in ({}, {f"q{comment}": "   \r\n  "}):
        page = send(client, code, answers).get_data(as_text=True)
        assert "Thank you" not in page and "There is a problem" in page
        assert NOTHING_ANSWERED_MESSAGE in page and page.startswith("<!DOCTYPE html>")
        assert "<title>Error: " in page
    with app.app_context():
        assert count(Response) == 0 and count(Answer) == 0
    # one answer is enough
    assert "Thank you" in send(client, code, {f"q{comment}": "More time."}).get_data(as_text=True)
    with app.app_context():
        assert count(Response) == 1 and count(Answer) == 1


def test_read_answers_refuses_nothing_answered(app, demo):
    from werkzeug.datastructures import MultiDict

    with app.app_context():
        questions = feedback_form_of(demo).visible_questions
        assert read_answers(questions, MultiDict()).errors == {
            NOTHING_ANSWERED: NOTHING_ANSWERED_MESSAGE}
        assert read_answers([], MultiDict()).errors == {}


def test_about_you_questions_offer_prefer_not_to_say(app, client, demo):
    code = open_feedback(app, demo)
    html = "".join(step_pages(client, code))
    with app.app_context():
        about_you = [q for q in feedback_form_of(demo).visible_questions if q.breakdown]
        assert len(about_you) == 3
        for question in about_you:
            assert question.visible_options[-1].label == "Prefer not to say"
            assert f'value="{question.visible_options[-1].id}"' in html


# --- one response per form ----------------------------------------------------------


def test_double_submit_stores_one_response_and_thanks_twice(app, client, demo):
    code = open_feedback(app, demo)
    html = get_form(client, code)
    data = {**form_fields(html), **complete_answers(app, demo)}
    first = client.post(f"/f/{code}", data=data)
    second = client.post(f"/f/{code}", data=data)  # a double tap, or the browser resending
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    with app.app_context():
        assert count(Response) == 1
        assert count(Answer) == len(complete_answers(app, demo))


def test_back_after_sending_says_it_was_sent_and_offers_a_blank_form(app, client, app_ctx, demo):
    """Back after Send fetches the form again with a new key, and the browser puts the
    answers back: instead of a second Send storing them twice, the page says they were sent."""
    code = open_feedback(app, demo)
    send(client, code, complete_answers(app, demo))
    again = client.get(f"/f/{code}")
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and again.headers["Cache-Control"] == "no-store"
    assert "Your feedback has been sent" in html and 'name="draft"' not in html
    # Someone else on the same device asks for a blank form, and is counted.
    another = get_form(client, f"{code}?another=1")
    assert 'name="draft"' in another and "More time with families." not in another
    send(client, code, complete_answers(app, demo), html=another)
    assert count(Response) == 2
    # Another phone is not affected.
    assert 'name="draft"' in get_form(app.test_client(), code)


def test_sent_from_here_is_per_session(app, client, app_ctx, demo):
    code = open_feedback(app, demo)
    send(client, code, complete_answers(app, demo))
    other = db.session.scalars(sa.select(EventSession).where(EventSession.programme_id == demo)
                               .order_by(EventSession.id.desc())).first()
    other.feedback_opens_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert 'name="draft"' in get_form(client, other.feedback_code)


def test_store_response_refuses_a_used_key(app, demo):
    with app.app_context():
        session_id = first_session(demo).id
        assert store_response(session_id, "k" * 43, []) is True
        assert store_response(session_id, "k" * 43, []) is False
        assert count(Response) == 1
        # The database session is usable afterwards.
        assert store_response(session_id, "j" * 43, []) is True


def test_each_rendering_has_a_new_key(app, client, demo):
    code = open_feedback(app, demo)
    assert form_fields(get_form(client, code))["submission_key"] != form_fields(get_form(client, code))["submission_key"]


# --- anonymity ----------------------------------------------------------------------


def test_nothing_identifying_is_stored(app, client, demo):
    code = open_feedback(app, demo)
    html = get_form(client, code)
    client.post(
        f"/f/{code}",
        data={**form_fields(html), **complete_answers(app, demo)},
        headers={"User-Agent": "Phone-UA-123", "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    with app.app_context():
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("response")}
        # Set only when an organiser excludes a burst: when, and which exclusion; nothing about the sender.
        assert columns == {"id", "session_id", "submitted_at", "submission_key", "excluded_at", "exclusion_id"}
        answer_columns = {column["name"] for column in sa.inspect(db.engine).get_columns("answer")}
        assert answer_columns == {"id", "response_id", "question_id", "option_id", "text", "wording_id"}
        row = db.session.execute(sa.text("SELECT * FROM response WHERE session_id = :session"),
                                 {"session": first_session(demo).id}).mappings().one()
        values = " ".join(str(value) for value in row.values())
        for secret in ("198.51.100.7", "203.0.113.9", "Phone-UA-123"):
            assert secret not in values
        texts = " ".join(db.session.scalars(sa.select(Answer.text).where(Answer.text.is_not(None))
                                            .join(Response).where(Response.session_id == first_session(demo).id)))
        assert "198.51.100.7" not in texts and "Phone-UA" not in texts


def test_feedback_pages_set_nothing_that_links_to_a_booking(app, client, demo):
    """The only cookie is the session cookie, and it holds only the CSRF secret (and
    Flask-Login's "_fresh": False for an anonymous visitor, and the code of the session
    this browser sent feedback on, never what it sent): no user id, no session
    identifier (Flask-Login's "_id" is a hash of address and user agent), no booking."""
    allowed = {"csrf_token", "_fresh", "feedback_sent"}
    code = open_feedback(app, demo)
    serializer = app.session_interface.get_signing_serializer(app)
    get = client.get(f"/f/{code}")
    post = client.post(f"/f/{code}", data={**form_fields(get.get_data(as_text=True)), **complete_answers(app, demo)})
    for response in (get, post):
        html = response.get_data(as_text=True)
        assert "/booking/" not in html
        for header in response.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            assert name == app.config["SESSION_COOKIE_NAME"]
            assert set(serializer.loads(rest.split(";")[0])) <= allowed
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert "csrf_token" in serializer.loads(cookie.value) and set(serializer.loads(cookie.value)) <= allowed
    assert serializer.loads(cookie.value)["feedback_sent"] == code
    with app.app_context():
        # excluded_at and exclusion_id record an organiser's exclusion of a burst, nothing about who sent it.
        assert set(Response.__table__.columns.keys()) == {"id", "session_id", "submitted_at", "submission_key",
                                                          "excluded_at", "exclusion_id"}
        assert not any(fk.column.table.name == "registration" for fk in Response.__table__.foreign_keys)


# --- escaping -----------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"


def test_a_script_in_a_comment_is_escaped_on_the_thank_you_page(app, client, demo):
    code = open_feedback(app, demo)
    html = send(client, code, complete_answers(app, demo, comment=SCRIPT)).get_data(as_text=True)
    assert "Thank you" in html
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_a_script_in_a_comment_is_escaped_when_the_form_comes_back(app, client, demo):
    code = open_feedback(app, demo)
    answers = complete_answers(app, demo, comment=SCRIPT)
    multi, = question_ids(app, demo, QuestionKind.MULTI_CHOICE)
    answers[f"q{multi}"] = "not-an-option"
    html = send(client, code, answers).get_data(as_text=True)
    assert "There is a problem" in html
    assert SCRIPT not in html and "&lt;script&gt;" in html


# --- CSRF: an expired token keeps the answers ----------------------------------------


def test_expired_csrf_token_keeps_answers_and_asks_to_send_again(app, client, demo):
    code = open_feedback(app, demo)
    html = get_form(client, code)
    answers = complete_answers(app, demo, comment="Typed before lunch")
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is now too old
    response = client.post(f"/f/{code}", data={**form_fields(html), **answers})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Press Send again" in page or "press Send again" in page
    assert "Typed before lunch</textarea>" in page
    with app.app_context():
        assert count(Response) == 0
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    # Pressing Send again (with the page's fresh token and the same key) stores it once.
    again = client.post(f"/f/{code}", data={**form_fields(page), **answers})
    assert "Thank you" in again.get_data(as_text=True)
    assert form_fields(page)["submission_key"] == form_fields(html)["submission_key"]
    with app.app_context():
        assert count(Response) == 1


def test_lost_session_cookie_keeps_answers(app, client, demo):
    code = open_feedback(app, demo)
    html = get_form(client, code)
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    answers = complete_answers(app, demo, comment="Still here")
    response = client.post(f"/f/{code}", data={**form_fields(html), **answers})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Still here</textarea>" in page and "Send again" in page
    with app.app_context():
        assert count(Response) == 0


def test_missing_csrf_token_is_not_a_bare_400(app, client, demo):
    code = open_feedback(app, demo)
    response = client.post(f"/f/{code}", data=complete_answers(app, demo, comment="No token"))
    assert response.status_code == 200 and "No token</textarea>" in response.get_data(as_text=True)


# --- rate limit ---------------------------------------------------------------------


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"FEEDBACK_RATE_LIMIT": "3 per minute"}

    def test_over_the_limit_keeps_every_answer_and_says_when_to_send_again(self, app, client, demo):
        code = open_feedback(app, demo)
        html = get_form(client, code)
        statuses = [client.post(f"/f/{code}", data=form_fields(html)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        answers = complete_answers(app, demo, comment="Kept when refused")
        response = client.post(f"/f/{code}", data={**form_fields(html), **answers})
        page = response.get_data(as_text=True)
        assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60
        assert "Press Send again in " in page and "Everything you typed is still here" in page
        assert "Kept when refused</textarea>" in page
        for value in answers.values():
            assert f'value="{value}" checked' in page or value in ("Kept when refused", "Hopeful")
        # Reading the form is not limited: only sending is.
        assert client.get(f"/f/{code}").status_code == 200

    def test_each_address_has_its_own_count(self, app, client, demo):
        code = open_feedback(app, demo)
        html = get_form(client, code)
        first, second = {"REMOTE_ADDR": "203.0.113.9"}, {"REMOTE_ADDR": "198.51.100.7"}
        for _ in range(3):
            client.post(f"/f/{code}", data=form_fields(html), environ_base=first)
        assert client.post(f"/f/{code}", data=form_fields(html), environ_base=first).status_code == 429
        assert client.post(f"/f/{code}", data=form_fields(html), environ_base=second).status_code == 200
