"""Excluding a burst of responses in a real browser, without JavaScript doing any of it:
the view over time, the confirm step (with its errors), the exclusion, putting it back.
axe-core on every state, no CSP violation, nothing wider than a phone's screen."""
from __future__ import annotations

from tests.browser.conftest import audit, check, sign_in
from tests.conftest import PASSWORD
from tests.test_response_exclusions import BURST_SIZE, add_burst, add_normal_responses
from tests import results_factories as f
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.feedback.models import Response


def _excluded(app) -> int:
    with app.app_context():
        return db.session.query(Response).filter(~Response.included).count()


def test_an_organiser_finds_excludes_and_puts_back_a_burst(live_server, app, demo, desktop, phone, make_user,
                                                           csp_violations):
    add_normal_responses(app, demo)
    add_burst(app, demo)
    with app.app_context():
        session_id = f.sessions(demo)[0].id
    organiser = make_user(Role.ORGANISER)
    sign_in(desktop, live_server, organiser.email, PASSWORD)
    session = f"{live_server}/organiser/programmes/{demo}/sessions/{session_id}"
    problems: list[str] = []

    desktop.goto(session)
    desktop.get_by_role("link", name="Responses over time").click()
    desktop.wait_for_selector("text=had far more responses than usual")
    audit(desktop, None, "responses over time, with a burst", problems)
    desktop.get_by_role("link", name="Check and exclude these responses").click()
    desktop.wait_for_selector(f"text={BURST_SIZE} responses found")
    audit(desktop, None, "exclude a burst: confirm", problems)
    desktop.get_by_role("button", name=f"Exclude these {BURST_SIZE} responses").click()
    desktop.wait_for_selector(".govuk-error-summary")
    audit(desktop, None, "exclude a burst: no reason given", problems)
    assert _excluded(app) == 0
    desktop.get_by_label("Why are you excluding these responses?").fill("<b>One script</b>, 200 in two minutes")
    desktop.get_by_role("button", name=f"Exclude these {BURST_SIZE} responses").click()
    desktop.wait_for_selector(".govuk-notification-banner--success")
    audit(desktop, None, "responses over time, burst excluded", problems)
    assert _excluded(app) == BURST_SIZE
    assert "<b>One script</b>, 200 in two minutes" in desktop.inner_text("#exclusions")  # shown as typed

    desktop.goto(f"{session}/responses/exclude")
    desktop.get_by_role("button", name="Find responses").click()
    desktop.wait_for_selector(".govuk-error-summary")
    audit(desktop, None, "exclude a burst: window missing", problems)

    desktop.goto(f"{session}/responses")
    desktop.get_by_role("button", name="Put back").click()
    desktop.wait_for_selector(".govuk-notification-banner--success")
    assert _excluded(app) == 0

    sign_in(phone, live_server, organiser.email, PASSWORD)
    audit(phone, f"{session}/responses", "responses over time on a phone", problems)
    check(problems, csp_violations)
