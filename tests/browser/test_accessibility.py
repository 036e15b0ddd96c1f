"""axe-core at the WCAG 2.2 A and AA tags on every public page and the main organiser
pages, in the states people meet them in (with errors, with results, with bookings), and
no Content-Security-Policy violation on any of them (issue 6, item 6).

Each test walks many pages in one browser and one live server (quicker than a server per
page) and reports every page's problems together."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.browser.conftest import audit, check, continue_to_check, continue_until, sign_in
from tests.conftest import PASSWORD
from tests.feedback_helpers import first_session, open_feedback
from webapp.auth.models import Role
from webapp.bookings import services as bookings
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession


def booked(app, programme_id: int, name: str = "Morgan Example", email: str = "morgan@example.org"):
    with app.app_context():
        session = first_session(programme_id)
        registration = bookings.book(session, name=name, email=email, job_role="Teacher",
                                     team="St Mungo's Primary", organisation="Glasgow City Council",
                                     access_requirements="Step-free access").registration
        return registration.session_id, registration.booking_token, registration.checkin_token


def closed_feedback_code(app, programme_id: int) -> str:
    with app.app_context():
        session = db.session.scalars(sa.select(EventSession).where(EventSession.programme_id == programme_id)
                                     .order_by(EventSession.id.desc())).first()
        session.feedback_opens_at = utcnow() - timedelta(days=3)
        session.feedback_closes_at = utcnow() - timedelta(days=1)
        db.session.commit()
        return session.feedback_code


def test_public_pages(live_server, app, demo, phone, csp_violations):
    session_id, booking_token, _ = booked(app, demo)
    code = open_feedback(app, demo)
    closed_code = closed_feedback_code(app, demo)
    problems: list[str] = []

    audit(phone, f"{live_server}/", "front page", problems)
    audit(phone, f"{live_server}/sessions/{session_id}/register", "booking form", problems)
    phone.get_by_role("button", name="Book my place").click()
    phone.wait_for_selector(".govuk-error-summary")
    audit(phone, None, "booking form with errors", problems)
    audit(phone, f"{live_server}/sessions/{session_id}/register/sent", "check your email (just booked)", problems)
    audit(phone, f"{live_server}/booking/{booking_token}?new=1", "manage booking page (just booked)", problems)
    audit(phone, f"{live_server}/privacy", "privacy notice", problems)
    audit(phone, f"{live_server}/login", "sign-in page", problems)
    audit(phone, f"{live_server}/no-such-page", "404 page", problems)
    audit(phone, f"{live_server}/f", "feedback code entry", problems)
    audit(phone, f"{live_server}/f?code=ZZZZZZ", "feedback code entry with an error", problems)
    audit(phone, f"{live_server}/f/{closed_code}", "feedback closed", problems)

    audit(phone, f"{live_server}/f/{code}", "feedback form", problems)
    continue_until(phone, phone.get_by_role("checkbox"))
    improvement_areas = phone.get_by_role("group", name="Which improvement areas matter most")
    for box in improvement_areas.get_by_role("checkbox").all()[:3]:
        box.check()  # one more than the question allows
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_selector(".govuk-error-summary")
    audit(phone, None, "feedback form with errors", problems)
    improvement_areas.get_by_role("checkbox").nth(2).uncheck()
    continue_to_check(phone)
    phone.get_by_role("button", name="Send feedback").click()
    phone.wait_for_selector(".govuk-panel")
    phone.get_by_text("See what you sent").click()  # the answers, opened
    audit(phone, None, "thank-you page", problems)
    audit(phone, f"{live_server}/f/{code}", "feedback already sent from this phone", problems)
    assert "Your feedback has been sent" in phone.inner_text("h1")

    audit(phone, f"{live_server}/booking/{booking_token}", "manage booking page", problems)
    phone.get_by_role("link", name="Cancel my booking").click()
    phone.wait_for_selector("text=Are you sure you want to cancel your booking?")
    audit(phone, None, "cancel booking: are you sure?", problems)
    phone.get_by_role("button", name="Yes, cancel my booking").click()
    phone.wait_for_selector(".govuk-notification-banner")
    audit(phone, None, "manage booking page (cancelled)", problems)
    check(problems, csp_violations)


def test_organiser_pages(live_server, app, with_results, desktop, make_user, csp_violations):
    demo = with_results
    session_id, _, checkin_token = booked(app, demo)
    admin = make_user(Role.ADMIN)
    viewer = make_user(Role.VIEWER)
    sign_in(desktop, live_server, admin.email, PASSWORD)
    with app.app_context():
        question_id = db.session.get(Programme, demo).feedback_form.questions[0].id
    programme = f"{live_server}/organiser/programmes/{demo}"
    session = f"{programme}/sessions/{session_id}"
    problems: list[str] = []

    for path, label in [
        (f"{live_server}/organiser/programmes", "programme list"),
        (programme, "programme page"),
        (f"{programme}/edit", "programme form"),
        (f"{programme}/findings/new", "new finding form"),
        (f"{programme}/sessions/new", "new session form"),
        (f"{session}/edit", "session form"),
        (session, "session page with its attendees"),
        (f"{programme}/attendees", "programme attendees"),
        (f"{session}/door", "door page"),
        (f"{session}/door/walk-in", "walk-in form"),
        (f"{live_server}/checkin/{checkin_token}", "check-in page"),
        (f"{programme}/form", "form builder"),
        (f"{programme}/form/preview", "form preview"),
        (f"{programme}/form/questions/new", "new question form"),
        (f"{programme}/form/questions/{question_id}/edit", "question form"),
        (f"{programme}/results", "results"),
        (f"{programme}/results/compare", "per-finding comparisons"),
        (f"{session}/results", "session results"),
        (f"{session}/presenter", "presenter view"),
        (f"{session}/feedback/poster", "QR poster"),
        (f"{live_server}/organiser/users", "users"),
        (f"{live_server}/organiser/users/invite", "invite a user"),
        (f"{live_server}/organiser/users/{viewer.id}/deactivate", "deactivate an account: are you sure?"),
        (f"{live_server}/organiser/account/password", "change password"),
        (f"{live_server}/organiser/audit", "audit log"),
    ]:
        audit(desktop, path, label, problems)

    # Forms with errors, as an organiser meets them.
    desktop.goto(f"{session}/edit")
    desktop.get_by_label("Title", exact=True).fill("")
    desktop.get_by_role("button", name="Save session").click()
    desktop.wait_for_selector(".govuk-error-summary")
    audit(desktop, None, "session form with errors", problems)
    desktop.goto(f"{programme}/form/questions/new")
    desktop.get_by_role("button", name="Add question").click()
    desktop.wait_for_selector(".govuk-error-summary")
    audit(desktop, None, "question form with errors", problems)
    check(problems, csp_violations)


def test_organiser_pages_on_a_phone(live_server, app, with_results, phone, make_user, csp_violations):
    """What an organiser opens on a phone at the door and in the room."""
    demo = with_results
    session_id, _, checkin_token = booked(app, demo)
    organiser = make_user(Role.ORGANISER)
    sign_in(phone, live_server, organiser.email, PASSWORD)
    session = f"{live_server}/organiser/programmes/{demo}/sessions/{session_id}"
    problems: list[str] = []
    audit(phone, f"{live_server}/checkin/{checkin_token}", "check-in page", problems)
    phone.get_by_role("button", name="Confirm arrival").click()
    phone.wait_for_selector(".govuk-panel")
    audit(phone, None, "check-in page, checked in", problems)
    audit(phone, f"{session}/door", "door page", problems)
    audit(phone, f"{session}/results", "session results", problems)
    audit(phone, f"{live_server}/organiser/programmes/{demo}/results/compare", "per-finding comparisons", problems)
    check(problems, csp_violations)
