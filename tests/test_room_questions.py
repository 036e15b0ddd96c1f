"""Questions from the room (issue 17, point 2): asked and upvoted anonymously from a phone
at /f/<code>/questions, one vote per device, moderated (approval first, or straight up),
counted when hidden, shown on the presenter view, marked answered, answered in writing
and published on "You said, we did", and listed in the workbook."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.feedback_helpers import first_session, open_feedback
from webapp.audit import AuditAction
from webapp.auth.models import AuditEntry, Role
from webapp.extensions import db
from webapp.room import services
from webapp.room.models import AnswerStatus, Moderation, QuestionStatus, QuestionVote, RoomQuestion

HOSTILE = "<script>alert('x')</script> =1+1 \ufffe\x00\x07\x1b[31m\x85 end"
HOSTILE_CLEANED = "<script>alert('x')</script> =1+1 [31m end"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def room(app, demo):
    """The demo's first session with its feedback (and so its questions) open."""
    code = open_feedback(app, demo)
    with app.app_context():
        session = first_session(demo)
        return {"programme": demo, "session": session.id, "code": code, "slug": session.programme.slug,
                "phone": f"/f/{code}/questions",
                "moderation": f"/organiser/programmes/{demo}/sessions/{session.id}/questions",
                "presenter": f"/organiser/programmes/{demo}/sessions/{session.id}/presenter"}


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def ask(client, room, text: str):
    token = token_of(client.get(room["phone"]).get_data(as_text=True))
    return client.post(room["phone"], data={"csrf_token": token, "text": text})


def upvote(client, room, question_id: int):
    token = token_of(client.get(room["phone"]).get_data(as_text=True))
    return client.post(f"{room['phone']}/{question_id}/vote", data={"csrf_token": token})


def only_question(app) -> RoomQuestion:
    with app.app_context():
        question = db.session.scalars(sa.select(RoomQuestion)).one()
        db.session.expunge(question)
        return question


def moderate(client, room, question_id: int, step: str):
    token = token_of(client.get(room["moderation"]).get_data(as_text=True))
    return client.post(f"{room['moderation']}/{question_id}/{step}", data={"csrf_token": token})


def set_moderation(client, room, moderation: Moderation):
    token = token_of(client.get(room["moderation"]).get_data(as_text=True))
    return client.post(f"{room['moderation']}/moderation", data={"csrf_token": token, "moderation": moderation.value})


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_feedback_page_links_to_the_questions(client, room):
    page = client.get(f"/f/{room['code']}").get_data(as_text=True)
    assert f'href="/f/{room["code"]}/questions"' in page


def test_asked_upvoted_moderated_shown_answered_and_published(app, client, room, login_as):
    """The whole life of a question, through HTTP, in the default mode (approval first)."""
    phone, other_phone = app.test_client(), app.test_client()
    response = ask(phone, room, "  When will   caseloads fall?  ")
    assert response.status_code == 302
    page = phone.get(response.headers["Location"]).get_data(as_text=True)
    assert "It appears below once the moderator approves it" in page
    # Waiting: counted, not shown, and not votable.
    assert "When will caseloads fall?" not in page and "1 question is waiting for the moderator" in page
    question = only_question(app)
    assert question.text == "When will caseloads fall?" and question.status == QuestionStatus.PENDING
    assert upvote(phone, room, question.id).status_code == 302
    assert only_question(app).votes == 0

    # The organiser approves it: the room sees it.
    login_as(Role.ORGANISER)
    assert "When will caseloads fall?" in client.get(room["moderation"]).get_data(as_text=True)
    assert moderate(client, room, question.id, "approve").status_code == 302
    assert "When will caseloads fall?" in phone.get(room["phone"]).get_data(as_text=True)

    # Upvoted twice from one device: counted once; once from another: counted twice.
    upvote(phone, room, question.id)
    second = upvote(phone, room, question.id)
    assert "You have already voted for this question" in phone.get(second.headers["Location"]).get_data(as_text=True)
    assert only_question(app).votes == 1
    upvote(other_phone, room, question.id)
    assert only_question(app).votes == 2
    page = phone.get(room["phone"]).get_data(as_text=True)
    assert "2 votes" in page and "You upvoted this question" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionVote)) == 2

    # On the presenter view's Questions slide, large, with its votes.
    slide = client.get(room["presenter"] + "?show=questions").get_data(as_text=True)
    assert re.search(r'class="app-room__question-text">When will caseloads fall\?<', slide)
    assert "2 votes" in slide

    # Marked answered in the room: marked on the slide and on the phones.
    moderate(client, room, question.id, "answered")
    assert only_question(app).answer_status == AnswerStatus.IN_ROOM
    assert "app-room__question--answered" in client.get(room["presenter"] + "?show=questions").get_data(as_text=True)
    assert "Answered in the room" in phone.get(room["phone"]).get_data(as_text=True)

    # Answered in writing afterwards: published on the public page.
    public = f"/programmes/{room['slug']}/you-said-we-did"
    assert "When will caseloads fall?" not in client.get(public).get_data(as_text=True)
    token = token_of(client.get(f"{room['moderation']}/{question.id}/answer").get_data(as_text=True))
    response = client.post(f"{room['moderation']}/{question.id}/answer",
                           data={"csrf_token": token, "answer": "A new team starts in March."})
    assert response.status_code == 302
    assert only_question(app).answer_status == AnswerStatus.IN_WRITING
    page = app.test_client().get(public).get_data(as_text=True)
    assert "Your questions, answered" in page
    assert "When will caseloads fall?" in page and "A new team starts in March." in page

    assert audit_actions(app)[-3:] == [AuditAction.ROOM_QUESTION_APPROVED, AuditAction.ROOM_QUESTION_ANSWERED,
                                       AuditAction.ROOM_QUESTION_ANSWER_WRITTEN]


def test_straight_up_hidden_questions_are_counted_not_shown(app, client, room, login_as):
    login_as(Role.ORGANISER)
    assert set_moderation(client, room, Moderation.STRAIGHT_UP).status_code == 302
    assert audit_actions(app)[-1] == AuditAction.ROOM_MODERATION_CHANGED
    phone = app.test_client()
    for text in ("First question", "Rude question", "Another rude one", "Third rude one"):
        assert ask(phone, room, text).status_code == 302
    page = phone.get(room["phone"]).get_data(as_text=True)
    assert all(text in page for text in ("First question", "Rude question"))
    with app.app_context():
        rude = [q.id for q in db.session.scalars(sa.select(RoomQuestion).where(RoomQuestion.text.contains("ude")))]
    for question_id in rude:
        assert moderate(client, room, question_id, "hide").status_code == 302
    page = phone.get(room["phone"]).get_data(as_text=True)
    assert "First question" in page and "rude" not in page.lower()
    assert "3 questions hidden by the moderator" in page
    slide = client.get(room["presenter"] + "?show=questions").get_data(as_text=True)
    assert "First question" in slide and "rude" not in slide.lower() and "3 questions hidden by the moderator" in slide
    # A hidden question cannot be upvoted (nor found by its number).
    upvote(phone, room, rude[0])
    with app.app_context():
        assert db.session.get(RoomQuestion, rude[0]).votes == 0
    # Shown again by the moderator.
    moderate(client, room, rude[0], "approve")
    assert "2 questions hidden by the moderator" in phone.get(room["phone"]).get_data(as_text=True)
    assert audit_actions(app).count(AuditAction.ROOM_QUESTION_HIDDEN) == 3


def test_the_presenter_shows_top_approved_questions_answered_ones_last(app, client, room, login_as):
    with app.app_context():
        services.ask(room["session"], "Waiting question")  # approval mode: pending
        texts = ["Few votes", "Many votes", "Answered one", "Middle votes"]
        for text in texts:
            question = RoomQuestion(session_id=room["session"], text=text, status=QuestionStatus.APPROVED,
                                    votes={"Few votes": 1, "Many votes": 9, "Answered one": 20}.get(text, 4))
            if text == "Answered one":
                question.answer_status = AnswerStatus.IN_ROOM
            db.session.add(question)
        hidden = RoomQuestion(session_id=room["session"], text="Hidden one", status=QuestionStatus.HIDDEN, votes=50)
        db.session.add(hidden)
        db.session.commit()
    app.config["PRESENTER_QUESTIONS"] = 4
    login_as(Role.VIEWER)
    slide = client.get(room["presenter"] + "?show=questions").get_data(as_text=True)
    shown = re.findall(r'class="app-room__question-text">([^<]+)<', slide)
    assert shown == ["Many votes", "Middle votes", "Few votes", "Answered one"]
    assert "Waiting question" not in slide and "Hidden one" not in slide
    # The arrow keys (the Previous and Next links) reach the slide: it comes after the last finding.
    overview = client.get(room["presenter"]).get_data(as_text=True)
    assert re.search(r'data-slide href="[^"]*show=questions[^"]*" rel="prev"', overview)


def test_questions_need_no_five_responses_on_the_presenter_view(app, client, room, login_as):
    """The 5-response rule is for figures; the room's own moderated words show at once."""
    with app.app_context():
        db.session.add(RoomQuestion(session_id=room["session"], text="Early question", status=QuestionStatus.APPROVED))
        db.session.commit()
    login_as(Role.VIEWER)
    slide = client.get(room["presenter"] + "?show=questions").get_data(as_text=True)
    assert "Early question" in slide and "Results appear once" not in slide


def test_only_shown_questions_with_written_answers_are_published(app, client, room, make_user):
    user = make_user(Role.ORGANISER)
    with app.app_context():
        from webapp.auth.models import User

        actor = db.session.get(User, user.id)
        made = {}
        for text, status in (("Shown answered", QuestionStatus.APPROVED), ("Hidden answered", QuestionStatus.HIDDEN),
                             ("Waiting answered", QuestionStatus.PENDING), ("Shown unanswered", QuestionStatus.APPROVED)):
            made[text] = RoomQuestion(session_id=room["session"], text=text, status=status)
            db.session.add(made[text])
        db.session.commit()
        for text in ("Shown answered", "Hidden answered", "Waiting answered"):
            services.write_answer(made[text], f"Answer to {text}", actor)
    page = client.get(f"/programmes/{room['slug']}/you-said-we-did").get_data(as_text=True)
    assert "Shown answered" in page and "Answer to Shown answered" in page
    for text in ("Hidden answered", "Waiting answered", "Shown unanswered"):
        assert text not in page


def test_a_written_answer_cannot_be_unmarked_and_a_blank_answer_is_refused(app, client, room, login_as):
    with app.app_context():
        question = RoomQuestion(session_id=room["session"], text="Q", status=QuestionStatus.APPROVED)
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    login_as(Role.ORGANISER)
    token = token_of(client.get(f"{room['moderation']}/{question_id}/answer").get_data(as_text=True))
    response = client.post(f"{room['moderation']}/{question_id}/answer", data={"csrf_token": token, "answer": "  "})
    assert response.status_code == 400 and "There is a problem" in response.get_data(as_text=True)
    client.post(f"{room['moderation']}/{question_id}/answer", data={"csrf_token": token, "answer": "Done."})
    response = moderate(client, room, question_id, "not-answered")
    assert "has a written answer" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert only_question(app).answer_status == AnswerStatus.IN_WRITING


def test_a_question_too_long_or_empty_comes_back_with_a_clear_error(app, client, room):
    long_text = "Why " * 80
    response = ask(client, room, long_text)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in body
    assert "Your question must be 280 characters or fewer" in body and long_text.strip() in body
    response = ask(client, room, " \t\x00 ")
    assert response.status_code == 400 and "Enter your question" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomQuestion)) == 0


@pytest.mark.parametrize("token", [None, "", "forged", "A" * 43])
def test_without_a_valid_csrf_token_nothing_is_stored_and_the_question_is_kept(app, client, room, token):
    client.get(room["phone"])
    data = {"text": "My kept question"} | ({} if token is None else {"csrf_token": token})
    response = client.post(room["phone"], data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "My kept question" in body and "needed refreshing" in body
    with app.app_context():
        question = RoomQuestion(session_id=room["session"], text="Votable", status=QuestionStatus.APPROVED)
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    response = client.post(f"{room['phone']}/{question_id}/vote", data={} if token is None else {"csrf_token": token})
    assert response.status_code == 302
    assert "needed refreshing" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionVote)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomQuestion)) == 1


def test_moderation_without_a_csrf_token_changes_nothing(app, client, room, login_as):
    with app.app_context():
        question = services.ask(room["session"], "Pending")
        question_id = question.id
    login_as(Role.ORGANISER)
    for step in ("approve", "hide", "answered"):
        response = client.post(f"{room['moderation']}/{question_id}/{step}", data={"csrf_token": "forged"})
        assert response.status_code == 400
    assert client.post(f"{room['moderation']}/moderation", data={"moderation": "straight_up"}).status_code == 400
    question = only_question(app)
    assert question.status == QuestionStatus.PENDING and question.answer_status == AnswerStatus.OPEN
    with app.app_context():
        assert services.moderation_of(room["session"]) == Moderation.APPROVAL


def test_hostile_text_is_cleaned_stored_once_and_escaped_everywhere(app, client, room, login_as):
    with app.app_context():
        services.set_moderation(first_session(room["programme"]), Moderation.STRAIGHT_UP, actor=None)
    assert ask(app.test_client(), room, HOSTILE).status_code == 302
    question = only_question(app)
    assert question.text == HOSTILE_CLEANED
    login_as(Role.ORGANISER)
    for url in (room["phone"], room["moderation"], room["presenter"] + "?show=questions"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; =1+1" in body, url
    with app.app_context():
        from webapp.auth.models import User

        actor = db.session.scalars(sa.select(User)).first()
        services.write_answer(db.session.get(RoomQuestion, question.id), "=SUM(A1)\ufffe <b>bold</b>", actor)
    body = client.get(f"/programmes/{room['slug']}/you-said-we-did").get_data(as_text=True)
    assert "<b>bold" not in body and "=SUM(A1) &lt;b&gt;bold&lt;/b&gt;" in body and "\ufffe" not in body

    # In the workbook (a viewer's too: the questions are anonymous), as text, never a formula.
    login_as(Role.VIEWER)
    response = client.get(f"/organiser/programmes/{room['programme']}/workbook.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Room questions"]
    rows = list(sheet.iter_rows(min_row=1))
    assert [cell.value for cell in rows[0]] == ["Session", "Date", "Question", "Votes", "Status", "Answered",
                                               "Written answer"]
    assert len(rows) == 2
    cells = rows[1]
    assert cells[2].value == HOSTILE_CLEANED and cells[3].value == 0
    assert cells[4].value == QuestionStatus.APPROVED.label and cells[5].value == AnswerStatus.IN_WRITING.label
    assert cells[6].value == "=SUM(A1) <b>bold</b>" and cells[6].data_type == "s" and cells[6].quotePrefix


def test_a_vote_stores_a_keyed_hash_and_nothing_about_the_person(app, client, room):
    """Only (question, keyed hash): no address, no user agent, no time, no cookie value."""
    with app.app_context():
        question = RoomQuestion(session_id=room["session"], text="Q", status=QuestionStatus.APPROVED)
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    upvote(client, room, question_id)
    assert set(QuestionVote.__table__.columns.keys()) == {"id", "question_id", "voter"}
    assert set(RoomQuestion.__table__.columns.keys()) == {
        "id", "session_id", "text", "status", "answer_status", "answer", "votes", "asked_at", "answered_at"}
    with client.session_transaction() as browser:
        secret = browser["csrf_token"]
    with app.app_context():
        voter = db.session.scalars(sa.select(QuestionVote.voter)).one()
        assert re.fullmatch(r"[0-9a-f]{64}", voter) and secret not in voter
        assert voter == services.vote_key(question_id, secret)
        # The same device's vote on another question is a different hash: votes cannot be linked.
        assert services.vote_key(question_id + 1, secret) != voter


def test_questions_follow_the_feedback_window_and_unknown_codes_are_404(app, client, room):
    # A code typed in lower case is the same session.
    assert client.get(f"/f/{room['code'].lower()}/questions").headers["Location"] == room["phone"]
    with app.app_context():
        from datetime import timedelta

        from webapp.db_types import utcnow

        session = first_session(room["programme"])
        session.feedback_closes_at = utcnow() - timedelta(minutes=1)
        session.feedback_opens_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    response = client.get(room["phone"])
    assert response.status_code == 200 and "Questions have closed" in response.get_data(as_text=True)
    assert client.post(room["phone"], data={"text": "Late"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomQuestion)) == 0
    assert client.get("/f/ZZZZZZZZ/questions").status_code == 404


def test_a_question_of_another_session_is_not_found(app, client, room):
    with app.app_context():
        from webapp.sessions.models import EventSession

        other = db.session.scalars(sa.select(EventSession).where(EventSession.id != room["session"])).first()
        question = RoomQuestion(session_id=other.id, text="Elsewhere", status=QuestionStatus.APPROVED)
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    assert upvote(client, room, question_id).status_code == 404


class TestRateLimits:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "ROOM_QUESTION_DEVICE_RATE_LIMIT": "2 per minute"}

    def test_a_device_over_its_limit_keeps_its_question_and_is_told_when(self, app, client, room):
        assert ask(client, room, "One").status_code == 302
        assert ask(client, room, "Two").status_code == 302
        response = ask(client, room, "Three kept")
        body = response.get_data(as_text=True)
        assert response.status_code == 429 and "Three kept" in body and "Press Ask in" in body
        assert int(response.headers["Retry-After"]) > 0
        # Another phone in the same room (same address) is not held up.
        assert ask(app.test_client(), room, "Four").status_code == 302
