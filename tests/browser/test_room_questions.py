"""Questions from the room in Chromium: asked and upvoted on a 360 px phone with
JavaScript off and on (one vote per device), moderated and marked answered by an
organiser, shown on the presenter view; axe-core clean on every new page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_accessible, new_context, sign_in
from tests.conftest import PASSWORD
from tests.feedback_helpers import first_session, open_feedback
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.room.models import QUESTION_MAX, QuestionStatus, RoomQuestion


@pytest.fixture
def app_config():
    return {"ROOM_REFRESH_SECONDS": 1, "PRESENTER_REFRESH_SECONDS": 1, "RATELIMIT_ENABLED": False}


@pytest.fixture
def room(app, demo, live_server):
    code = open_feedback(app, demo)
    with app.app_context():
        session_id = first_session(demo).id
    organiser = f"{live_server}/organiser/programmes/{demo}/sessions/{session_id}"
    return {"phone": f"{live_server}/f/{code}/questions", "feedback": f"{live_server}/f/{code}",
            "moderation": f"{organiser}/questions", "presenter": f"{organiser}/presenter",
            "hub": organiser, "session": session_id, "live": live_server}


def new_phone(browser, javascript: bool):
    return new_context(browser, **PHONE, java_script_enabled=javascript)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def votes_of(app, text: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(RoomQuestion.votes).where(RoomQuestion.text == text))


def test_without_javascript_ask_moderate_upvote_once_per_device_and_answer(app, browser, desktop, room, make_user):
    phone_context = new_phone(browser, javascript=False)
    phone = phone_context.new_page()
    phone.goto(room["feedback"])
    phone.get_by_role("link", name=re.compile("Ask the speakers a question")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Questions for the speakers")
    assert fits_the_screen(phone)

    # Asked: waits for the moderator (the default), and the asker is told so.
    phone.get_by_role("button", name="Ask").click()
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Enter your question")
    phone.get_by_label("Ask a question").fill("Who will hold the new budget?")
    phone.get_by_role("button", name="Ask").click()
    expect(phone.get_by_text("It appears below once the moderator approves it")).to_be_visible()
    expect(phone.get_by_text("1 question is waiting for the moderator.")).to_be_visible()

    # The organiser finds it from the session's page and approves it.
    organiser = make_user(Role.ORGANISER)
    sign_in(desktop, room["live"], organiser.email, PASSWORD)
    desktop.goto(room["hub"])
    desktop.get_by_role("link", name="Questions from the room").click()
    expect(desktop.get_by_text("Who will hold the new budget?")).to_be_visible()
    assert_accessible(desktop, "moderation page")
    desktop.get_by_role("button", name="Approve question 1").click()
    expect(desktop.get_by_text("Question shown to the room.")).to_be_visible()

    # Two tabs of one phone (the same device): both show Upvote; the second press is not counted.
    phone.get_by_role("link", name="Reload to see new questions").click()
    second_tab = phone_context.new_page()
    second_tab.goto(room["phone"])
    phone.get_by_role("button", name="Upvote").click()
    expect(phone.get_by_text("Your vote has been counted.")).to_be_visible()
    expect(phone.get_by_text("1 vote", exact=True)).to_be_visible()
    expect(phone.get_by_text("You upvoted this question.")).to_be_visible()
    second_tab.get_by_role("button", name="Upvote").click()
    expect(second_tab.get_by_text("You have already voted for this question.")).to_be_visible()
    assert votes_of(app, "Who will hold the new budget?") == 1
    assert fits_the_screen(phone)

    # Another phone: counted.
    other_context = new_phone(browser, javascript=False)
    other = other_context.new_page()
    other.goto(room["phone"])
    other.get_by_role("button", name="Upvote").click()
    expect(other.get_by_text("2 votes", exact=True)).to_be_visible()
    assert votes_of(app, "Who will hold the new budget?") == 2

    # Shown on the presenter view, then marked answered.
    desktop.goto(room["presenter"] + "?show=questions")
    expect(desktop.locator(".app-room__question-text")).to_have_text(["Who will hold the new budget?"])
    assert_accessible(desktop, "presenter view, questions")
    desktop.goto(room["moderation"])
    desktop.get_by_role("button", name="Mark answered question 1").click()
    phone.reload()
    expect(phone.get_by_text("Answered in the room")).to_be_visible()

    # After the session: answered in writing.
    desktop.get_by_role("link", name="Answer in writing to question 1").click()
    # The answer page has loaded (axe run while the old page unloads finds no document).
    expect(desktop.get_by_label("Answer")).to_be_visible()
    assert_accessible(desktop, "answer page")
    desktop.get_by_label("Answer").fill("The locality managers, from April.")
    desktop.get_by_role("button", name="Save answer").click()
    expect(desktop.get_by_text("The locality managers, from April.")).to_be_visible()
    phone_context.close()
    other_context.close()


def test_with_javascript_upvote_and_new_questions_without_a_reload(app, browser, room):
    with app.app_context():
        db.session.add(RoomQuestion(session_id=room["session"], text="Already on the list",
                                    status=QuestionStatus.APPROVED, votes=3))
        db.session.commit()
    context = new_phone(browser, javascript=True)
    phone = context.new_page()
    console_errors: list[str] = []
    phone.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    phone.goto(room["phone"])
    expect(phone.get_by_text("3 votes", exact=True)).to_be_visible()
    assert_accessible(phone, "phone questions page")
    phone.get_by_role("button", name="Ask").click()
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Enter your question")
    assert_accessible(phone, "phone questions page, with an error")
    phone.evaluate("window.stillTheSamePage = true")

    phone.get_by_role("button", name="Upvote").click()
    expect(phone.locator("#room-status")).to_have_text("Your vote has been counted.")
    expect(phone.get_by_text("4 votes", exact=True)).to_be_visible()
    expect(phone.get_by_text("You upvoted this question.")).to_be_visible()
    assert phone.evaluate("window.stillTheSamePage"), "the vote reloaded the page"
    assert votes_of(app, "Already on the list") == 4
    # The focus stays on the question that was upvoted.
    assert phone.evaluate("document.activeElement.id").startswith("question-")

    # A question approved elsewhere appears by itself.
    with app.app_context():
        db.session.add(RoomQuestion(session_id=room["session"], text="Arrived while reading",
                                    status=QuestionStatus.APPROVED))
        db.session.commit()
    expect(phone.get_by_text("Arrived while reading")).to_be_visible(timeout=8_000)
    assert phone.evaluate("window.stillTheSamePage")
    assert fits_the_screen(phone)
    assert_accessible(phone, "phone questions page with JavaScript")
    assert not [error for error in console_errors if "Content Security Policy" in error or "Refused" in error]
    context.close()


@pytest.mark.parametrize("screen", [(1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_five_longest_questions_fit_the_projector(app, browser, room, make_user, screen):
    width, height = screen
    with app.app_context():
        for number in range(6):
            text = (f"Question {number} " + "about the improvement plan and what it means for my team " * 6)
            db.session.add(RoomQuestion(session_id=room["session"], text=text[:QUESTION_MAX].strip(),
                                        status=QuestionStatus.APPROVED, votes=number))
        db.session.commit()
    viewer = make_user(Role.VIEWER)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, room["live"], viewer.email, PASSWORD)
    page.goto(room["presenter"] + "?show=questions&updates=off")
    expect(page.locator(".app-room__question")).to_have_count(5)
    outside = page.evaluate("""() => [...document.querySelectorAll('.app-room *')]
        .filter(el => { const b = el.getBoundingClientRect();
                        return (b.width || b.height) && (b.right > innerWidth + 0.5 || b.bottom > innerHeight + 0.5); })
        .map(el => el.className)""")
    assert outside == [], f"past the edge of {width}x{height}"
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [width, height]
    smallest = page.evaluate("Math.min(...[...document.querySelectorAll('.app-room__question-text')]"
                             ".map(el => parseFloat(getComputedStyle(el).fontSize)))")
    assert smallest >= height * 0.028, smallest  # slide body text, like the findings
    context.close()
