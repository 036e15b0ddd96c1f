"""The one-word question (issue 17, point 4) end to end: added in the form builder,
answered on the phone, counted in results, shown as a word cloud with a ranked list on
the presenter view, and in the workbook; hostile words neutralised everywhere, and
words fewer than 5 people gave kept from the room and from viewers."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import post_form
from tests.feedback_helpers import open_feedback, send_in_steps
from webapp.auth.models import Role
from webapp.exports.workbook import RARE_WORDS, build_workbook
from webapp.extensions import db
from webapp.feedback import answers, codes, phone
from webapp.feedback.models import Answer, Question, QuestionKind
from webapp.programmes.models import Programme
from webapp.results.services import comment_page, select_sessions, word_lists

FORM = "/organiser/programmes/{}/form"
SCRIPT = "<script>alert(1)</script>"
FORMULA = "=1+1"
# What the room gave: "hopeful" by 6 people (however they typed it), "proud" by 5, and
# rarer words by fewer than 5 (hostile ones among them).
WORDS = (["Hopeful", "hopeful", " HOPEFUL ", "Ｈｏｐｅｆｕｌ", "hopeful", "hopeful"] + ["proud"] * 5
         + [SCRIPT, FORMULA, "calm\ufffe", "tired"])


def add_one_word_question(app, client, programme_id) -> int:
    response = post_form(client, FORM.format(programme_id) + "/questions/new",
                         {"kind": "one_word", "text": "Your mood <b>in one word</b>?", "section": "Mood"},
                         token_url=FORM.format(programme_id))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        question = db.session.get(Programme, programme_id).feedback_form.questions[-1]
        assert question.kind == QuestionKind.ONE_WORD and question.options == []
        return question.id


def test_one_word_from_the_builder_to_the_workbook(app, client, login_as, demo):
    login_as(Role.ORGANISER)
    builder = client.get(FORM.format(demo) + "/questions/new").get_data(as_text=True)
    assert 'value="one_word"' in builder and "One word (shown as a word cloud)" in builder
    question_id = add_one_word_question(app, client, demo)
    name = f"q{question_id}"
    code = open_feedback(app, demo)

    # The phone: the question is on a step of its own section, as a short text box.
    for word in WORDS:
        phone_client = app.test_client()
        response = send_in_steps(phone_client, code, {name: word})
        assert "Your feedback has been sent" in response.get_data(as_text=True), word
    with app.app_context():
        stored = db.session.scalars(sa.select(Answer.text).where(Answer.question_id == question_id)).all()
        # Trimmed, NFKC and case-folded: one "hopeful" whatever was typed; U+FFFE gone.
        assert sorted(set(stored)) == sorted({"hopeful", "proud", SCRIPT, FORMULA, "calm", "tired"})
        words = word_lists([db.session.get(Question, question_id)], [s.id for s in select_sessions(
            db.session.get(Programme, demo))])[question_id]
        assert [(w.word, w.count) for w in words.words[:2]] == [("hopeful", 6), ("proud", 5)]
        assert words.rare_responses == 4
        # Words are counted, not listed among the comments.
        assert comment_page([s.id for s in select_sessions(db.session.get(Programme, demo))]).total == 0

    # Results: an organiser sees every word (escaped); a viewer only the words 5 or more gave.
    results = client.get(f"/organiser/programmes/{demo}/results").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in results and SCRIPT not in results
    assert ">hopeful</th>" in results and ">=1+1</th>" in results and "\ufffe" not in results
    viewer_client = app.test_client()
    viewer_login(app, viewer_client)
    viewer = viewer_client.get(f"/organiser/programmes/{demo}/results").get_data(as_text=True)
    assert ">hopeful</th>" in viewer and ">proud</th>" in viewer
    assert "alert(1)" not in viewer and ">=1+1<" not in viewer and ">tired</th>" not in viewer
    assert "4 answers were words given by fewer than 5 people: not shown" in viewer

    # The presenter: a cloud (hidden from screen readers) beside the ranked list.
    with app.app_context():
        session_id = codes.session_by_code(code).id
    presenter = viewer_client.get(f"/organiser/programmes/{demo}/sessions/{session_id}/presenter?show=11")
    html = presenter.get_data(as_text=True)
    assert "Your mood &lt;b&gt;in one word&lt;/b&gt;?" in html
    cloud = re.search(r'<p class="app-room__cloud" aria-hidden="true">(.*?)</p>', html, re.S).group(1)
    ranked = re.search(r'<ol class="app-room__ranked"[^>]*>(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r">(\w+)</span>", cloud) == ["hopeful", "proud"]  # alphabetical in the cloud
    assert 'app-room__word--6">hopeful<' in cloud and 'app-room__word--5">proud<' in cloud
    assert re.findall(r"<li>(\w+) <span", ranked) == ["hopeful", "proud"]  # most given first
    assert "alert" not in html and "tired" not in html and "=1+1" not in html
    assert "Words fewer than 5 people gave are not shown" in html

    # The responses CSV (an organiser's): the formula is text, the script only text.
    csv_text = client.get(f"/organiser/programmes/{demo}/responses.csv").data.decode("utf-8-sig")
    assert ",'=1+1" in csv_text and "\ufffe" not in csv_text and ",=1+1" not in csv_text

    # The workbook: an organiser's lists every word, as text (a formula stays text);
    # a viewer's leaves out the rare words, in Questions and in Responses.
    for include_attendance in (True, False):
        with app.app_context():
            out = io.BytesIO()
            build_workbook(db.session.get(Programme, demo), out, include_attendance=include_attendance)
        book = load_workbook(io.BytesIO(out.getvalue()))
        rows = [row for row in book["Questions"].iter_rows(min_row=2) if row[1].value.startswith("Your mood")]
        listed = {row[3].value: row[4].value for row in rows}
        if include_attendance:
            assert listed == {"hopeful": 6, "proud": 5, SCRIPT: 1, FORMULA: 1, "calm": 1, "tired": 1}
            formula = next(row[3] for row in rows if row[3].value == FORMULA)
            assert formula.data_type == "s"
        else:
            assert listed == {"hopeful": 6, "proud": 5, RARE_WORDS: 4}
        responses = book["Responses"]
        column = [cell.value for cell in next(responses.iter_rows(min_row=1, max_row=1))].index(
            "Your mood <b>in one word</b>?")
        answered = [row[column].value for row in responses.iter_rows(min_row=2) if row[column].value]
        assert len(answered) == len(WORDS)
        assert (FORMULA in answered) == include_attendance and (SCRIPT in answered) == include_attendance
        assert not any(isinstance(value, str) and "\ufffe" in value for value in answered)


def viewer_login(app, client):
    from tests.conftest import csrf_token
    from webapp.auth.models import User

    with app.app_context():
        user = User(email="word.viewer@example.org", role=Role.VIEWER)
        user.set_password("correct horse battery staple")
        db.session.add(user)
        db.session.commit()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "word.viewer@example.org",
                                           "password": "correct horse battery staple"})
    assert response.status_code == 302


def test_one_word_answers_are_checked(app, demo):
    with app.app_context():
        question = next(q for q in phone.load_phone_form(demo).visible_questions
                        if q.kind == QuestionKind.ONE_WORD)
        from werkzeug.datastructures import MultiDict

        def read(value):
            return answers.read_answers([question], MultiDict({f"q{question.id}": value}))

        assert read("  Proud\t").rows[0]["text"] == "proud"
        assert read("two words").errors[question.id] == "Enter one word, without spaces"
        assert "30 characters or fewer" in read("x" * 31).errors[question.id]
        assert read("x" * 30).rows[0]["text"] == "x" * 30
        assert read("\x00\x07").rows == []  # control characters only: nothing answered
