"""What people hit when they use it (issue 13), in a real browser: the invitation's copy
button, the find-my-booking page, date inputs under a US English browser, and the demo's
session answered from its poster's QR code straight after `make run`."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.booking_helpers import smtp_server  # noqa: F401  (fixture)
from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import PASSWORD
from tests.feedback_helpers import first_session
from webapp.auth.models import Role
from webapp.bookings import services as bookings


def test_invitation_link_has_a_copy_button(live_server, desktop, make_user, csp_violations):
    admin = make_user(Role.ADMIN)
    page = desktop
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server}/organiser/users/invite")
    page.get_by_label("Email address").fill("new.organiser@example.org")
    page.get_by_role("button", name="Create the invitation").click()
    expect(page.get_by_role("heading", name="Invitation created")).to_be_visible()
    link = page.get_by_label("Link").input_value()
    assert link.startswith(f"{live_server}/account/setup/")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert_accessible(page, "invitation created")
    assert not csp_violations


@pytest.fixture
def app_config(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "MAIL_SENDER": "Staff briefings <briefings@example.org>"}


def test_find_my_booking_on_a_phone(live_server, app, demo, phone, smtp_server, csp_violations):  # noqa: F811
    with app.app_context():
        registration = bookings.book(first_session(demo), name="Lost Link", email="lost@example.org",
                                     job_role="Teacher", team="St Mungo's", organisation="Glasgow City Council"
                                     ).registration
        token = registration.booking_token
    phone.goto(live_server + "/")
    expect(phone.get_by_role("link", name="Sign in")).to_have_count(0)  # no organiser sign-in for the public
    phone.get_by_role("link", name="Find my booking").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Find my booking")
    assert_accessible(phone, "find my booking")
    phone.get_by_role("button", name="Email me my booking links").tap()
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Enter the email address you booked with")
    assert_accessible(phone, "find my booking with an error")
    phone.get_by_label("Work email address").fill("lost@example.org")
    phone.get_by_role("button", name="Email me my booking links").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(phone, "find my booking: check your email")
    [message] = smtp_server.to("lost@example.org")[-1:]
    link = re.search(rf"{re.escape(live_server)}/booking/\S+", message.get_body(("plain",)).get_content()).group(0)
    assert link.endswith(token)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Your booking")).to_be_visible()
    assert not csp_violations
