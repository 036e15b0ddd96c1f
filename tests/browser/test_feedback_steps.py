"""The phone form in short steps in Chromium on a 360 px phone (issue 17, point 3):
with JavaScript on and off, Back that keeps answers, a sleep that outlives the CSRF
token, axe-core on every step, and each indicator and its grade heard once."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_accessible, new_context, press_continue
from tests.feedback_helpers import open_feedback
from tests.neighbours import responses_here
from webapp.extensions import db
from webapp.programmes.models import Finding, FindingKind


def response_count(app) -> int:
    """This test's responses (every database also holds a neighbouring programme's)."""
    with app.app_context():
        return responses_here()


def indicator_titles(app, programme_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Finding.title).where(
            Finding.programme_id == programme_id, Finding.kind == FindingKind.INDICATOR)))


def phone_page(browser, javascript: bool):
    context = new_context(browser, **PHONE, java_script_enabled=javascript)
    return context, context.new_page()


def check_step(page, javascript: bool, label: str) -> None:
    """Fits a 360 px screen; axe-core finds nothing (with JavaScript: axe runs in the page)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{label}: wider than the phone"
    if javascript:
        assert_accessible(page, label)


def progress(page) -> str:
    return page.locator(".app-feedback__progress").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_stepped_form_on_a_phone(live_server, app, demo, browser, javascript):
    code = open_feedback(app, demo)
    context, page = phone_page(browser, javascript)
    page.goto(f"{live_server}/f/{code}")
    expect(page.locator(".app-feedback__progress")).to_have_text(re.compile(r"^Step 1 of 7"))
    check_step(page, javascript, "step 1")
    first = page.get_by_role("group").nth(0)
    first.get_by_text("Strongly agree").click()
    press_continue(page)
    assert progress(page).startswith("Step 2 of 7")
    check_step(page, javascript, "step 2")
    page.get_by_role("group").nth(0).get_by_text("Disagree", exact=True).click()

    # Back keeps both steps' answers.
    page.get_by_role("button", name="Back").click()
    expect(page.locator(".app-feedback__progress")).to_have_text(re.compile(r"^Step 1 of 7"))
    expect(page.get_by_role("group").nth(0).get_by_role("radio", name="Strongly agree")).to_be_checked()
    press_continue(page)
    expect(page.get_by_role("group").nth(0).get_by_role("radio", name="Disagree", exact=True)).to_be_checked()

    for number in range(3, 7):
        press_continue(page)
        assert progress(page).startswith(f"Step {number} of 7")
        check_step(page, javascript, f"step {number}")
        if page.get_by_label(re.compile("In one word")).count():
            page.get_by_label(re.compile("In one word")).fill("Hopeful")
            page.get_by_label(re.compile("biggest difference")).fill("More time <b>with</b> families.")
    press_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers and send")
    check_step(page, javascript, "check your answers")
    expect(page.locator(".govuk-summary-list__value", has_text="More time <b>with</b> families.")).to_have_count(1)
    expect(page.locator(".govuk-summary-list__value", has_text="Hopeful")).to_have_count(1)
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Thank you")
    check_step(page, javascript, "thank you")
    assert response_count(app) == 1
    context.close()


class TestSleep:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_TIME_LIMIT": 2}

    def test_a_phone_that_sleeps_between_steps_keeps_its_answers(self, live_server, app, demo, browser):
        code = open_feedback(app, demo)
        context, page = phone_page(browser, javascript=False)
        page.goto(f"{live_server}/f/{code}")
        page.get_by_role("group").nth(0).get_by_text("Agree", exact=True).click()
        press_continue(page)
        page.get_by_role("group").nth(1).get_by_text("Strongly disagree").click()
        page.wait_for_timeout(3_000)  # the token expires while the phone sleeps
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Your answers have not been sent yet")
        expect(page.locator(".app-feedback__progress")).to_have_text(re.compile(r"^Step 2 of 7"))
        expect(page.get_by_role("group").nth(1).get_by_role("radio", name="Strongly disagree")).to_be_checked()
        press_continue(page)  # with the fresh token
        expect(page.locator(".app-feedback__progress")).to_have_text(re.compile(r"^Step 3 of 7"))
        page.get_by_role("button", name="Back").click()
        page.get_by_role("button", name="Back").click()
        expect(page.get_by_role("group").nth(0).get_by_role("radio", name="Agree", exact=True)).to_be_checked()
        context.close()


def announcements(snapshot: str) -> list[str]:
    """What a screen reader says, from an ARIA snapshot: each node's name, and each text
    node, except text that is only the source of its parent's or its neighbour's name
    (a legend naming its group, a label naming its radio: said once, as the name)."""
    said: list[str] = []
    parents: list[tuple[int, str | None]] = []
    previous = None
    for line in snapshot.splitlines():
        indent = len(line) - len(line.lstrip())
        body = line.strip()[2:]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        text = re.match(r'^text: "?(.*?)"?$', body)
        if text:
            if text.group(1) not in (previous, parents[-1][1] if parents else None):
                said.append(text.group(1))
            continue
        named = re.match(r'^[\w-]+ "(.*)"', body)
        inline = re.match(r'^[\w-]+: "?(.*?)"?$', body)
        name = named.group(1) if named else None
        said.append(name if named else inline.group(1) if inline else "")
        parents.append((indent, name))
        previous = name
    return said


def test_each_indicator_and_its_grade_is_heard_once(live_server, app, demo, browser):
    """What a screen reader announces: Chromium's accessibility tree (Playwright's ARIA
    snapshot: names and text) plus the descriptions (aria-describedby) it reads on focus."""
    code = open_feedback(app, demo)
    context, page = phone_page(browser, javascript=True)
    page.goto(f"{live_server}/f/{code}")
    titles = indicator_titles(app, demo)
    heard = dict.fromkeys(titles, 0)
    for _ in range(3):  # the three headline questions' steps
        tree = page.locator("main").aria_snapshot()
        descriptions = page.evaluate(
            "() => [...document.querySelectorAll('[aria-describedby]')].flatMap(element =>"
            " element.getAttribute('aria-describedby').split(/\\s+/)).map(id =>"
            " (document.getElementById(id) || {}).textContent || '').join('\\n')")
        said = "\n".join(announcements(tree)) + "\n" + descriptions
        for title in titles:
            heard[title] += said.count(title)
        # The grade is in the group's name with the indicator.
        assert re.search(r'group "\d+\. Inspectors rated “[^”]+” as (Very Good|Good|Adequate)\. How far do you agree\?"',
                         tree), tree
        press_continue(page)
    assert heard == dict.fromkeys(titles, 1), heard
    context.close()
