"""The presenter view in Chromium on a projector's screen (1280x720 and 1920x1080): every
indicator readable at once and nothing past the edges, no figure before 5 responses,
slides changed with the arrow keys (and by links without JavaScript), axe-core clean."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import results_factories as f
from tests.browser.conftest import assert_accessible, new_context, sign_in
from tests.conftest import PASSWORD
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.feedback.models import QuestionKind

# The smallest text the room must read, at each screen height: about 3% of the height,
# as a slide's body text (a 720-line projector: 21 px; the footnote is smaller, on purpose).
SCREENS = {(1280, 720): 20, (1920, 1080): 30}
AGREEMENT = ("Strongly agree", "Agree", "Agree", "Neither agree nor disagree", "Disagree")  # a view each


@pytest.fixture
def app_config():
    return {"PRESENTER_REFRESH_SECONDS": 1}


@pytest.fixture
def room(app, demo, live_server):
    """The first session, a viewer, and add(n): n responses answering every indicator."""
    with app.app_context():
        session_id = f.sessions(demo)[0].id
        indicators = [q.id for q in f.programme(demo).feedback_form.questions
                      if q.kind == QuestionKind.AGREEMENT and q.finding_id]
    url = f"{live_server}/organiser/programmes/{demo}/sessions/{session_id}/presenter"

    def add(count: int) -> None:
        with app.app_context():
            session = db.session.get(f.EventSession, session_id)
            for n in range(count):
                f.respond(session, {db.session.get(f.Question, question_id): AGREEMENT[(n + i) % len(AGREEMENT)]
                                    for i, question_id in enumerate(indicators)})
            db.session.commit()

    return {"url": url, "add": add, "indicators": len(indicators), "session": session_id}


def projector(browser, width: int, height: int, **options):
    return new_context(browser, viewport={"width": width, "height": height}, **options)


MEASURE = """() => {
  const px = el => parseFloat(getComputedStyle(el).fontSize);
  const out = [];
  for (const el of document.querySelectorAll('.app-room *')) {
    const box = el.getBoundingClientRect();
    if ((!box.width && !box.height) || el.closest('.govuk-visually-hidden')) continue;  // clipped on purpose
    if (box.right > innerWidth + 0.5 || box.bottom > innerHeight + 0.5 || box.left < -0.5 || box.top < -0.5)
      out.push(`${el.tagName}.${el.className} at ${Math.round(box.left)},${Math.round(box.top)}-${Math.round(box.right)},${Math.round(box.bottom)}`);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
      out.push(`${el.tagName}.${el.className} scrolls sideways`);
  }
  const rows = [...document.querySelectorAll('.app-room__table--overview tbody tr')];
  return {
    outside: out,
    page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
    rows: rows.length,
    rowText: Math.min(...rows.flatMap(row => [...row.cells].map(px))),
    code: px(document.querySelector('.app-room__code')),
    address: px(document.querySelector('.app-room__address')),
    count: px(document.querySelector('#response-count')),
    qr: document.querySelector('.app-room__qr').getBoundingClientRect().width,
  };
}"""


@pytest.mark.parametrize("screen", list(SCREENS), ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_indicator_readable_on_the_projector(app, browser, room, make_user, screen):
    width, height = screen
    room["add"](6)
    # An address as long as a real one, and the widest code: inside the banner, not past it.
    app.config["PUBLIC_BASE_URL"] = "https://staff-briefings.glasgowcityhscp.example.org"
    with app.app_context():
        db.session.get(f.EventSession, room["session"]).feedback_code = "WWWWWWWW"
        db.session.commit()
    viewer = make_user(Role.VIEWER)
    context = projector(browser, width, height)
    page = context.new_page()
    live = room["url"].split("/organiser/")[0]
    sign_in(page, live, viewer.email, PASSWORD)
    page.goto(f"{room['url']}?updates=off")
    sizes = page.evaluate(MEASURE)
    smallest = SCREENS[screen]
    assert sizes["outside"] == [], f"past the edge of {width}x{height}"
    assert sizes["page"] == [width, height], "the page scrolls"
    assert sizes["rows"] == room["indicators"] == 9
    assert sizes["rowText"] >= smallest, sizes
    assert sizes["address"] >= smallest * 1.1 and sizes["count"] >= smallest * 1.5, sizes
    assert sizes["code"] >= smallest * 2, sizes
    assert sizes["qr"] >= height * 0.3, sizes  # at least 216 px on 720 lines: scannable from the back
    expect(page.locator(".app-room__number", has_text=re.compile(r"^\d+%$"))).to_have_count(9)

    # One finding at a time fits too.
    page.keyboard.press("ArrowRight")
    expect(page.locator(".app-room__caption")).to_contain_text("Finding 1 of 9")
    sizes = page.evaluate(MEASURE)
    assert sizes["outside"] == [] and sizes["page"] == [width, height], sizes
    context.close()


def test_five_responses_then_figures_and_arrow_keys(browser, room, make_user):
    room["add"](4)
    viewer = make_user(Role.VIEWER)
    context = projector(browser, 1280, 720)
    page = context.new_page()
    live = room["url"].split("/organiser/")[0]
    sign_in(page, live, viewer.email, PASSWORD)
    page.goto(room["url"])
    expect(page.locator("#response-count")).to_have_text("4")
    expect(page.get_by_role("heading", name="Results appear once 5 people have responded")).to_be_visible()
    assert page.locator(".app-bar__fill").count() == 0 and "%" not in page.locator("#presenter-slide").inner_text()
    assert_accessible(page, "presenter view, 4 responses")
    page.evaluate("window.stillTheSamePage = true")

    room["add"](1)  # the fifth: the figures appear by themselves, without a reload
    expect(page.locator("#response-count")).to_have_text("5", timeout=8_000)
    expect(page.get_by_role("table", name="How far staff agree with each grade")).to_be_visible()
    expect(page.locator(".app-room__number", has_text=re.compile(r"^\d+%$"))).to_have_count(9)
    assert_accessible(page, "presenter view, overview")

    page.keyboard.press("ArrowRight")
    expect(page.locator(".app-room__caption")).to_contain_text("Finding 1 of 9")
    assert page.url.endswith("show=1")
    expect(page.get_by_role("heading", level=2)).to_have_text("Improvements in the wellbeing of children and young people")
    assert_accessible(page, "presenter view, one finding")
    page.keyboard.press("PageDown")  # what a presentation clicker sends
    expect(page.locator(".app-room__caption")).to_contain_text("Finding 2 of 9")
    page.keyboard.press("Home")
    expect(page.get_by_role("table", name="How far staff agree with each grade")).to_be_visible()
    page.keyboard.press("ArrowLeft")  # round to the last slide: the room's questions
    expect(page.get_by_role("heading", level=2)).to_have_text("Questions from the room")
    page.keyboard.press("ArrowLeft")  # before them, the demo's one-word question
    expect(page.locator(".app-room__caption")).to_have_text("In one word")
    assert_accessible(page, "presenter view, word cloud slide")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".app-room__caption")).to_contain_text("Finding 9 of 9")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".app-room__caption")).to_have_text("In one word")
    # The buttons do the same, and keep the focus where it was.
    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2)).to_have_text("Questions from the room")
    assert page.evaluate("document.activeElement.textContent") == "Next"
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("table", name="How far staff agree with each grade")).to_be_visible()
    # The slide stays through the updates (they fetch the slide on the screen).
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(2_500)
    expect(page.locator(".app-room__caption")).to_contain_text("Finding 1 of 9")
    assert page.evaluate("window.stillTheSamePage"), "changed without a reload"
    context.close()


def test_without_javascript_links_change_the_slide(browser, room, make_user):
    room["add"](5)
    viewer = make_user(Role.VIEWER)
    context = projector(browser, 1280, 720, java_script_enabled=False)
    page = context.new_page()
    live = room["url"].split("/organiser/")[0]
    sign_in(page, live, viewer.email, PASSWORD)
    page.goto(f"{room['url']}?updates=off")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".app-room__caption")).to_contain_text("Finding 1 of 9")
    page.get_by_role("link", name="Previous").click()
    expect(page.get_by_role("table", name="How far staff agree with each grade")).to_be_visible()
    context.close()
