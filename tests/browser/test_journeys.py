"""Whole journeys in a real browser against the live server (issue 6, item 6): booking on a
phone with the email it sends, check-in from the ticket's QR code, feedback from the
session's QR code, the presenter view updating, and the workbook download."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, continue_to_check, continue_until, press_continue, sign_in
from tests.conftest import PASSWORD
from tests.feedback_helpers import first_session, open_feedback
from tests.neighbours import responses_here
from webapp.auth.models import Role
from webapp.bookings import services as bookings
from webapp.bookings.models import Registration
from webapp.exports.workbook import SHEETS
from webapp.extensions import db


@pytest.fixture
def app_config(smtp_server):
    """Mail goes to the loopback SMTP server; the presenter view reloads every second."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "MAIL_SENDER": "Staff briefings <briefings@example.org>", "PRESENTER_REFRESH_SECONDS": 1}


def decode_qr(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


def response_count(app) -> int:
    """This test's responses (every database also holds a neighbouring programme's)."""
    with app.app_context():
        return responses_here()


def registration_of(app, email: str, status: str | None = None) -> Registration:
    with app.app_context():
        query = sa.select(Registration).where(Registration.email == email).order_by(Registration.id.desc())
        if status:
            query = query.where(Registration.status == status)
        registration = db.session.scalars(query).first()
        db.session.expunge(registration)
        return registration


def book(app, programme_id: int, name: str, email: str, **details) -> Registration:
    with app.app_context():
        session = first_session(programme_id)
        result = bookings.book(session, name=name, email=email, job_role="Health visitor",
                               team="North East health visiting", organisation="NHS Greater Glasgow and Clyde",
                               **details)
        db.session.expunge(result.registration)
        return result.registration


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def fill_booking_form(page, name: str, email: str) -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Job role").fill("Social worker")
    page.get_by_label("Team or service").fill("Children and families")
    page.get_by_label("Organisation").fill("Glasgow City Council")
    page.get_by_role("button", name="Book my place").tap()


def test_book_on_a_phone_get_the_email_cancel_and_rebook(live_server, app, demo, phone, smtp_server):
    email = "jo.bloggs@example.org"
    phone.goto(live_server + "/")
    assert fits_the_screen(phone)
    phone.get_by_role("link", name=re.compile(r"^Book a place")).first.tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("North East: morning briefing")
    assert fits_the_screen(phone)
    fill_booking_form(phone, "Jo Bloggs", email)

    # The same answer whether or not the address had booked before: see the email.
    expect(phone.locator(".govuk-panel__title")).to_have_text("Check your email")
    assert fits_the_screen(phone)

    [confirmation] = smtp_server.wait_for(email, 1)
    assert confirmation["Subject"] == "Booking confirmed: North East: morning briefing"
    text = confirmation.get_body(("plain",)).get_content()
    manage_link = re.search(rf"{re.escape(live_server)}/booking/\S+", text).group(0)
    ticket = next(part for part in confirmation.walk() if part.get_content_type() == "image/png")
    token = registration_of(app, email).checkin_token
    assert decode_qr(ticket.get_content()) == f"{live_server}/checkin/{token}"

    # A new visit from the email's link: the manage page, then cancel.
    phone.goto(manage_link)
    expect(phone.get_by_role("heading", name="Your booking")).to_be_visible()
    phone.get_by_role("link", name="Cancel my booking").tap()
    # Nothing irreversible in one tap: "No" keeps the booking, "Yes" cancels it.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Are you sure you want to cancel your booking?")
    assert registration_of(app, email).status == "confirmed"
    phone.get_by_role("link", name="No, keep my booking").tap()
    expect(phone.get_by_role("heading", name="Your booking")).to_be_visible()
    assert registration_of(app, email).status == "confirmed"
    phone.get_by_role("link", name="Cancel my booking").tap()
    expect(phone.get_by_role("button", name="Yes, cancel my booking")).to_be_visible()
    assert fits_the_screen(phone)
    phone.get_by_role("button", name="Yes, cancel my booking").tap()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("Your booking has been cancelled")
    expect(phone.get_by_text("Cancelled", exact=True)).to_be_visible()
    assert smtp_server.wait_for(email, 2)[-1]["Subject"] == "Cancelled: North East: morning briefing"
    assert registration_of(app, email).status == "cancelled"

    # Changed their mind: book the same session again from the link on the page.
    phone.get_by_role("link", name="Book another session").tap()
    phone.get_by_role("link", name=re.compile(r"^Book a place")).first.tap()
    fill_booking_form(phone, "Jo Bloggs", email)
    expect(phone.locator(".govuk-panel__title")).to_have_text("Check your email")
    subjects = [message["Subject"] for message in smtp_server.wait_for(email, 3)]
    assert subjects.count("Booking confirmed: North East: morning briefing") == 2
    assert registration_of(app, email, "confirmed").booking_token in smtp_server.to(email)[-1].get_body(
        ("plain",)).get_content()


def test_organiser_checks_people_in_from_the_ticket_and_the_door_page(live_server, app, demo, phone, make_user):
    alex = book(app, demo, "Alex Arrives", "alex@example.org")
    bea = book(app, demo, "Bea Door", "bea@example.org", access_requirements="A hearing loop, please")
    organiser = make_user(Role.ORGANISER)

    ticket = phone.request.get(f"{live_server}/booking/{alex.booking_token}/ticket.png")
    assert ticket.ok
    checkin_url = decode_qr(ticket.body())
    assert checkin_url == f"{live_server}/checkin/{alex.checkin_token}"

    # The organiser's phone camera opens the link; they sign in and land back on it.
    phone.goto(checkin_url)
    # Not signed in, the link reads as the holder's ticket; the organiser signs in from it.
    expect(phone.get_by_role("heading", level=1)).to_have_text("This is your check-in ticket")
    assert_accessible(phone, "a ticket scanned by its holder")
    phone.get_by_role("link", name="Sign in as an organiser").tap()
    phone.get_by_label("Email address").fill(organiser.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").tap()
    phone.wait_for_url(f"**/checkin/{alex.checkin_token}")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Alex Arrives")
    phone.get_by_role("button", name="Confirm arrival").tap()  # one tap
    expect(phone.locator(".govuk-panel__title")).to_have_text("Checked in")
    assert fits_the_screen(phone)

    phone.get_by_role("link", name="Door page for this session").tap()
    door_list_on_a_phone(phone, alex, bea)
    assert registration_of(app, "bea@example.org").checked_in_at is None


CHECKED_IN_AT = re.compile(r"Checked in [0-2]\d:[0-5]\d\b")  # a 24-hour clock, like 09:32


def door_count(page, label: str):
    return page.locator(".app-door-counts__item", has_text=label).locator("dd")


def door_list_on_a_phone(phone, alex, bea) -> None:
    """What a volunteer at the door sees and taps: counts, a clear Check in action, an
    unmistakable Checked in state with its time, undo, access needs, a search by first letters."""
    expect(phone.locator(f"#person-{alex.id}")).to_contain_text(CHECKED_IN_AT)
    expect(phone.locator(f"#person-{alex.id}").get_by_role("button", name=re.compile("^Check in"))).to_have_count(0)
    expect(door_count(phone, "Checked in")).to_have_text("1")
    expect(door_count(phone, "Still to come")).to_have_text("1")
    expect(phone.locator(f"#person-{bea.id}")).to_contain_text("Access: A hearing loop, please")
    assert_accessible(phone, "door list")
    # BarcodeDetector is not in Chromium on Linux: the camera panel stays hidden, the list works
    expect(phone.locator("#door-scan")).to_be_hidden()
    phone.get_by_label("Find a person").fill("be do")
    phone.get_by_role("button", name="Search").tap()
    expect(phone.locator(".app-door-list__item")).to_have_count(1)
    phone.get_by_role("button", name=re.compile(r"^Check in\W+Bea Door$")).tap()  # one tap, no phone needed
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("Bea Door checked in at")
    expect(phone.locator(f"#person-{bea.id} .app-door-list__state")).to_contain_text(CHECKED_IN_AT)
    expect(phone.get_by_label("Find a person")).to_have_value("be do")  # the search is kept
    phone.get_by_role("link", name="Show everyone").tap()
    expect(door_count(phone, "Checked in")).to_have_text("2")
    expect(door_count(phone, "Still to come")).to_have_text("0")
    assert fits_the_screen(phone)
    assert_accessible(phone, "door list, everyone in")

    # The wrong name was tapped: undo it.
    phone.get_by_role("button", name=re.compile(r"^Undo\W+check-in of Bea Door$")).tap()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("Bea Door is no longer checked in.")
    expect(door_count(phone, "Checked in")).to_have_text("1")
    expect(phone.get_by_role("button", name=re.compile(r"^Check in\W+Bea Door$"))).to_be_visible()
    assert fits_the_screen(phone)


def answer_feedback_form(page) -> None:
    """Taps and the keyboard, the way a person on a phone answers, step by step, up to
    the check step (where the caller presses Send feedback)."""
    first_group = page.get_by_role("group").nth(0)
    first_group.get_by_text("Strongly agree").tap()
    second_group = page.get_by_role("group").nth(1)
    second_group.get_by_role("radio", name="Strongly disagree").focus()
    page.keyboard.press("ArrowDown")  # arrow keys move the choice within a radio group
    expect(second_group.get_by_role("radio", name="Disagree", exact=True)).to_be_checked()
    continue_until(page, page.get_by_role("checkbox"))  # the other headline questions: skipped
    page.get_by_role("checkbox").first.tap()
    press_continue(page)
    page.get_by_label(re.compile("biggest difference")).tap()
    page.keyboard.type("More time with families, fewer forms.")
    continue_to_check(page)


def test_feedback_from_the_session_qr_code(live_server, app, demo, phone, desktop, make_user):
    code = open_feedback(app, demo)
    organiser = make_user(Role.ORGANISER)
    sign_in(desktop, live_server, organiser.email, PASSWORD)
    with app.app_context():
        session_id = first_session(demo).id
    poster_qr = desktop.request.get(
        f"{live_server}/organiser/programmes/{demo}/sessions/{session_id}/feedback/qr.png")
    assert poster_qr.ok and poster_qr.headers["content-type"] == "image/png"
    feedback_url = decode_qr(poster_qr.body())
    assert feedback_url == f"{live_server}/f/{code}"

    phone.goto(feedback_url)
    assert fits_the_screen(phone)
    answer_feedback_form(phone)
    phone.get_by_role("button", name="Send feedback").tap()
    expect(phone.locator(".govuk-panel__title")).to_have_text("Thank you")
    assert response_count(app) == 1

    # The form again (the QR code scanned once more): it says the feedback was sent, and
    # stores nothing. (Back from the thank-you page is the check step's POST: Chromium asks
    # to send it again, with the same key, which stores nothing: tests/test_feedback_steps.py.)
    phone.goto(feedback_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your feedback has been sent")
    assert phone.get_by_role("button", name=re.compile("Send")).count() == 0
    # (A resent POST carries the same submission key: tests/test_feedback_form.py checks it
    # stores nothing more; Chromium's resubmission prompt cannot be driven from Playwright.)
    assert response_count(app) == 1

    # Someone else on the same phone.
    phone.get_by_role("link", name="Give another response").tap()
    answer_feedback_form(phone)
    phone.get_by_role("button", name="Send feedback").tap()
    expect(phone.locator(".govuk-panel__title")).to_have_text("Thank you")
    assert response_count(app) == 2


def test_the_presenter_view_updates_by_itself(live_server, app, demo, browser, phone, desktop, make_user):
    code = open_feedback(app, demo)
    viewer = make_user(Role.VIEWER)
    with app.app_context():
        presenter = f"{live_server}/organiser/programmes/{demo}/sessions/{first_session(demo).id}/presenter"
    sign_in(desktop, live_server, viewer.email, PASSWORD)
    desktop.goto(presenter)
    expect(desktop.locator("#response-count")).to_have_text("0")
    desktop.evaluate("window.stillTheSamePage = true")
    # A second screen with JavaScript off: the <noscript> meta refresh reloads it instead.
    no_script = browser.new_context(java_script_enabled=False)
    plain = no_script.new_page()
    sign_in(plain, live_server, viewer.email, PASSWORD)
    plain.goto(presenter)
    expect(plain.locator("#response-count")).to_have_text("0")

    phone.goto(f"{live_server}/f/{code}")
    answer_feedback_form(phone)
    phone.get_by_role("button", name="Send feedback").tap()
    expect(phone.locator(".govuk-panel__title")).to_have_text("Thank you")

    # Every second in this test (PRESENTER_REFRESH_SECONDS).
    expect(desktop.locator("#response-count")).to_have_text("1", timeout=8_000)
    expect(desktop.locator("#presenter-count")).to_contain_text("1 response so far")
    assert desktop.evaluate("window.stillTheSamePage"), "the figures changed without a reload"
    expect(plain.locator("#response-count")).to_have_text("1", timeout=8_000)
    no_script.close()

    # Someone who needs the screen to stay still can stop the updates.
    desktop.get_by_role("link", name="Stop updating").click()
    expect(desktop.get_by_text("Not updating.")).to_be_visible()
    assert desktop.locator("[data-refresh-seconds='0']").count() == 1


def test_organiser_downloads_the_workbook(live_server, app, demo, desktop, make_user, tmp_path):
    organiser = make_user(Role.ORGANISER)
    sign_in(desktop, live_server, organiser.email, PASSWORD)
    desktop.goto(f"{live_server}/organiser/programmes/{demo}/results")
    with desktop.expect_download() as download_info:
        desktop.get_by_role("button", name="Download the workbook (.xlsx)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == list(SHEETS)  # Attendance included: an organiser may see it
    with app.app_context():
        title = first_session(demo).programme.title
    assert workbook["Summary"]["A1"].value == title


# A stand-in for the phone's camera and its BarcodeDetector (not in Chromium on Linux):
# the camera is a blank canvas stream, and the detector "sees" the ticket the test sets.
FAKE_SCANNER = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return window.__ticket ? [{ rawValue: window.__ticket }] : []; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.getContext("2d").fillRect(0, 0, 10, 10);
  return canvas.captureStream(5);
};
"""


def test_door_page_scans_tickets_one_after_another(live_server, app, demo, phone, make_user, csp_violations):
    alex = book(app, demo, "Alex Scanned", "alex@example.org")
    bea = book(app, demo, "Bea Scanned", "bea@example.org", access_requirements="A seat near the front")
    organiser = make_user(Role.ORGANISER)
    phone.context.add_init_script(script=FAKE_SCANNER)
    sign_in(phone, live_server, organiser.email, PASSWORD)
    with app.app_context():
        session = first_session(demo)
        door = f"{live_server}/organiser/programmes/{demo}/sessions/{session.id}/door"
    phone.goto(door)
    phone.get_by_role("button", name="Scan tickets with the camera").tap()
    expect(phone.get_by_role("button", name="Stop scanning")).to_be_visible()
    result = phone.locator("#door-scan-result")
    phone.evaluate("url => { window.__ticket = url; }", f"{live_server}/checkin/{alex.checkin_token}")
    expect(result).to_contain_text("Alex Scanned checked in at")
    phone.evaluate("url => { window.__ticket = url; }", f"{live_server}/checkin/{bea.checkin_token}")
    expect(result).to_contain_text("Bea Scanned checked in at")
    expect(result).to_contain_text("Access: A seat near the front")
    phone.evaluate("() => { window.__ticket = 'https://elsewhere.example/checkin/abc'; }")
    expect(result).to_have_text("That QR code is not a ticket for this session.")
    assert_accessible(phone, "door page while scanning")
    phone.get_by_role("button", name="Stop scanning").tap()
    assert registration_of(app, "alex@example.org").checked_in_at is not None
    assert registration_of(app, "bea@example.org").checked_in_at is not None
    phone.reload()
    expect(door_count(phone, "Checked in")).to_have_text("2")
    assert not csp_violations
