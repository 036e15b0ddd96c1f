"""What people hit when they use it (issue 13), in a real browser: the invitation's copy
button, the find-my-booking page, date inputs under a US English browser, and the demo's
session answered from its poster's QR code straight after `make run`."""
from __future__ import annotations

import base64
import io
import re

import pytest
import zxingcpp
from PIL import Image
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, assert_accessible, continue_to_check, new_context, sign_in
from tests.conftest import PASSWORD
from tests.feedback_helpers import first_session
from webapp.auth.models import Role
from webapp.bookings import emails
from webapp.bookings import services as bookings
from webapp.extensions import db
from webapp.feedback.models import Response
from webapp.sessions.models import EventSession
from webapp.timezones import to_local


def test_invitation_link_has_a_copy_button(live_server, desktop, make_user, csp_violations):
    admin = make_user(Role.ADMIN)
    page = desktop
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server}/organiser/users/invite")
    page.get_by_label("Email address").fill("new.organiser@example.org")
    page.get_by_role("button", name="Create the invitation").click()
    expect(page.get_by_role("heading", name="Invitation created")).to_be_visible()  # it is emailed
    page.get_by_role("button", name="Create a link to copy").click()  # or handed over another way
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


def fill_boxes(group, **boxes) -> None:
    """Type into the boxes of a GOV.UK date input, by their labels."""
    for label, value in boxes.items():
        group.get_by_label(label).fill(value)


def test_session_dates_and_times_under_a_us_english_browser(live_server, app, demo, browser, make_user):
    """Day, month and year boxes and a 24-hour time: nothing for the browser's locale to turn
    into mm/dd/yyyy or AM/PM."""
    organiser = make_user(Role.ORGANISER)
    context = new_context(browser, locale="en-US", timezone_id="America/New_York", **DESKTOP)
    page = context.new_page()
    try:
        sign_in(page, live_server, organiser.email, PASSWORD)
        assert page.evaluate("navigator.language") == "en-US"
        page.goto(f"{live_server}/organiser/programmes/{demo}/sessions/new")
        assert page.locator("input[type=date], input[type=time], input[type=datetime-local]").count() == 0
        page.get_by_label("Title", exact=True).fill("US locale check")
        fill_boxes(page.get_by_role("group", name="Date"), Day="7", Month="1", Year="2031")
        page.get_by_label("Starts at").fill("14:30")
        page.get_by_label("Ends at").fill("16:00")
        fill_boxes(page.get_by_role("group", name="Booking closes (optional)"), Day="6", Month="1", Year="2031",
                   **{"Time (24-hour)": "17:00"})
        page.get_by_label("Venue").fill("Eastbank Academy")
        page.get_by_label("Capacity").fill("40")
        assert_accessible(page, "session form in en-US")
        page.get_by_role("button", name="Schedule session").click()
        expect(page.locator("body")).to_contain_text("Tuesday 7 January 2031")  # not 1 July
        expect(page.locator("body")).to_contain_text("2:30pm to 4pm")
        with app.app_context():
            session = db.session.scalar(sa.select(EventSession).where(EventSession.title == "US locale check"))
            assert f"{to_local(session.starts_at):%Y-%m-%d %H:%M}" == "2031-01-07 14:30"
            assert f"{to_local(session.booking_closes_at):%Y-%m-%d %H:%M}" == "2031-01-06 17:00"
        # a mistake comes back box by box, with the message
        page.goto(f"{live_server}/organiser/programmes/{demo}/sessions/{session.id}/edit")
        page.get_by_role("group", name="Date").get_by_label("Day").fill("31")
        page.get_by_role("group", name="Date").get_by_label("Month").fill("2")
        page.get_by_role("button", name="Save session").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date as a day, month and year")
        expect(page.get_by_role("group", name="Date").get_by_label("Day")).to_have_value("31")
        assert_accessible(page, "session form with a date error, en-US")
    finally:
        context.close()


def test_demo_session_today_answered_from_its_poster_right_after_make_run(
        live_server, app, runner, phone, desktop, make_user, csp_violations):
    """What a newcomer does after `make run` (migrations, then the demo): open today's
    session, scan its poster's QR code with a phone and answer at once. (`make run` says
    `demo --if-empty`; this database holds a neighbouring programme, so the test loads the
    demo itself: test_demo covers --if-empty.)"""
    result = runner.invoke(args=["demo"])
    assert "Loaded the demo programme" in result.output, result.output
    printed = re.search(r"Feedback is open now for “(.+)”: (\S+)", result.output)
    title, printed_url = printed.group(1), printed.group(2)
    with app.app_context():
        today = db.session.scalar(sa.select(EventSession).where(EventSession.title == title))
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                   .where(Response.session_id == today.id))

    organiser = make_user(Role.ORGANISER)
    sign_in(desktop, live_server, organiser.email, PASSWORD)
    desktop.get_by_role("link", name=re.compile("Joint inspection")).first.click()
    desktop.get_by_role("link", name=title).click()
    desktop.get_by_role("link", name="Feedback poster").click()
    poster_png = desktop.locator(".app-poster__qr").screenshot()
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(poster_png)))
    assert barcode.text == printed_url and barcode.text.startswith(live_server + "/f/")
    assert_accessible(desktop, "demo poster")

    phone.goto(barcode.text)
    expect(phone.get_by_role("button", name="Continue")).to_be_visible()
    assert_accessible(phone, "demo feedback form")
    phone.get_by_role("group").nth(0).get_by_text("Agree", exact=True).tap()
    continue_to_check(phone)
    phone.get_by_role("button", name="Send feedback").tap()
    expect(phone.locator(".govuk-panel")).to_contain_text("sent")
    with app.app_context():
        # Loaded after 15:30, today's session was held and has answers already (test_demo).
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                 .where(Response.session_id == today.id)) == before + 1
    assert not csp_violations


def test_an_empty_feedback_form_is_refused_on_the_phone(live_server, app, runner, phone):
    runner.invoke(args=["demo"])
    with app.app_context():
        today = db.session.scalar(sa.select(EventSession).where(EventSession.feedback_opens_at.is_not(None)))
        code = today.feedback_code
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                   .where(Response.session_id == today.id))
    phone.goto(f"{live_server}/f/{code}")
    continue_to_check(phone)
    phone.get_by_role("button", name="Send feedback").tap()
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Answer at least one question")
    assert_accessible(phone, "empty feedback refused")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                 .where(Response.session_id == today.id)) == before


def test_html_email_puts_the_ticket_and_key_facts_first(live_server, app, demo, phone, smtp_server):  # noqa: F811
    """The confirmation's HTML part, opened in Chromium the way a mail client shows it (the
    ticket image from the message itself): title, when and where, then the ticket, before
    any paragraph; inline styles only; the QR code on screen scans."""
    with app.app_context():
        registration = bookings.book(first_session(demo), name="Mo Mail", email="mo@example.org",
                                     job_role="Teacher", team="St Mungo's", organisation="Glasgow City Council"
                                     ).registration
        checkin = emails.checkin_url(registration)
    [message] = smtp_server.wait_for("mo@example.org", 1)  # the worker beside the live server sends it
    html = message.get_body(("html",)).get_content()
    assert "<style" not in html and "class=" not in html and "<script" not in html.lower()
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    data_uri = "data:image/png;base64," + base64.b64encode(image.get_payload(decode=True)).decode()
    phone.set_content(html.replace(f'cid:{image["Content-ID"].strip("<>")}', data_uri))
    heading, when, ticket = (phone.get_by_role("heading", level=1), phone.get_by_text("When", exact=True),
                             phone.get_by_role("img", name=re.compile("Check-in ticket QR code for Mo Mail")))
    first_paragraph = phone.locator("p").filter(has_text="Your place is booked.")
    tops = [locator.bounding_box()["y"] for locator in (heading, when, ticket, first_paragraph)]
    assert tops == sorted(tops), tops  # the facts and the ticket come first
    assert ticket.bounding_box()["y"] + ticket.bounding_box()["height"] < 740  # on the first screen of a phone
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(ticket.screenshot())))
    assert barcode.text == checkin
    expect(phone.get_by_role("link", name="See, cancel or move your booking")).to_have_attribute(
        "href", re.compile(r"/booking/"))
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone, "the confirmation email's HTML")
