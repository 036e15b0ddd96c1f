"""Booking emails through a real SMTP server on loopback, and their calendar files
read back with a real iCalendar parser."""
from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from icalendar import Calendar
from PIL import Image

from tests import neighbours
from tests.booking_helpers import book_via_http, csrf_from, free_port, make_session, person
from webapp.auth.models import AuditEntry
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.sessions.models import EventSession
from webapp.timezones import to_local


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_STARTTLS": False,
            "MAIL_SENDER": "Staff briefings <briefings@example.org>", "PUBLIC_BASE_URL": "https://briefings.example.org"}


def _calendar(message) -> Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return Calendar.from_ical(parts[0].get_payload(decode=True))


def _event(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def _registration(app, email):
    with app.app_context():
        # The address's booking in the programmes this test made (the neighbour's person1 holds one too).
        registration = db.session.scalar(neighbours.registrations_here().where(Registration.email == email))
        db.session.expunge(registration)
        return registration


def _two_sessions(app) -> tuple[int, int]:
    """Two sessions of one programme, the second at Castlemilk Hub."""
    first = make_session(app, capacity=2)
    with app.app_context():
        programme_id = db.session.get(EventSession, first).programme_id
    return first, make_session(app, capacity=2, programme_id=programme_id, days_ahead=20, venue="Castlemilk Hub")


def _manage(client, registration, action: str, **data):
    """Press a button on the booking's own page (move, cancel)."""
    page = f"/booking/{registration.booking_token}" + ("/cancel" if action == "cancel" else "")  # "Are you sure?"
    csrf = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(f"/booking/{registration.booking_token}/{action}", data={"csrf_token": csrf, **data})


def test_confirmation_email_with_calendar_manage_link_and_qr(app, client, smtp_server, run_jobs):
    session_id = make_session(app, capacity=5, notes="Tea and coffee from 9:15.")
    assert book_via_http(client, session_id, person(1)).status_code == 302
    assert smtp_server.to("person1@example.org") == []  # not sent inside the request
    assert run_jobs() == 1
    [message] = smtp_server.to("person1@example.org")
    assert message["Subject"] == "Booking confirmed: North East: morning briefing"
    assert message["From"] == "Staff briefings <briefings@example.org>"
    registration = _registration(app, "person1@example.org")
    manage = f"https://briefings.example.org/booking/{registration.booking_token}"
    text = message.get_body(("plain",)).get_content()
    assert manage in text and "Easterhouse Hub" in text and "Tea and coffee from 9:15." in text

    html = message.get_body(("html",))
    assert f'href="{manage}"' in html.get_content()
    [qr] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert f'cid:{qr["Content-ID"].strip("<>")}' in html.get_content()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.get_payload(decode=True))))
    assert [code.text for code in decoded] == [
        f"https://briefings.example.org/checkin/{registration.checkin_token}"]

    calendar = _calendar(message)
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    event = _event(calendar)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert event.decoded("DTSTART") == to_local(session.starts_at)
        assert event.decoded("DTEND") == to_local(session.ends_at)
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert str(event["LOCATION"]) == "Easterhouse Hub, 1 Main Street, Glasgow"
    assert manage in str(event["DESCRIPTION"])
    assert registration.booking_token not in str(event["UID"])
    assert str(event["UID"]).endswith("@briefings.example.org")
    # The download on the manage page is the same event.
    download = Calendar.from_ical(client.get(f"/booking/{registration.booking_token}/calendar.ics").data)
    assert str(_event(download)["UID"]) == str(event["UID"])


def test_waiting_promotion_and_cancellation_emails(app, client, smtp_server, run_jobs):
    session_id = make_session(app, capacity=1)
    book_via_http(client, session_id, person(1))
    book_via_http(client, session_id, person(2))
    run_jobs()
    [waiting] = smtp_server.to("person2@example.org")
    assert waiting["Subject"].startswith("You are on the waiting list")
    assert not [p for p in waiting.iter_attachments() if p.get_content_type() == "text/calendar"]

    first = _registration(app, "person1@example.org")
    [confirmation] = smtp_server.to("person1@example.org")
    uid = str(_event(_calendar(confirmation))["UID"])
    csrf = csrf_from(client.get(f"/booking/{first.booking_token}/cancel").get_data(as_text=True))
    client.post(f"/booking/{first.booking_token}/cancel", data={"csrf_token": csrf})
    assert run_jobs() == 2

    cancellation = smtp_server.to("person1@example.org")[-1]
    assert cancellation["Subject"].startswith("Cancelled:")
    calendar = _calendar(cancellation)
    assert str(calendar["METHOD"]) == "CANCEL"
    event = _event(calendar)
    assert str(event["UID"]) == uid and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) >= int(_event(_calendar(confirmation))["SEQUENCE"])

    promotion = smtp_server.to("person2@example.org")[-1]
    assert promotion["Subject"] == "A place is yours: North East: morning briefing"
    assert "now yours" in promotion.get_body(("plain",)).get_content()
    assert str(_calendar(promotion)["METHOD"]) == "PUBLISH"


def test_change_notice_when_organiser_changes_time_or_venue(app, client, smtp_server, login_as, run_jobs):
    session_id = make_session(app, capacity=1)
    book_via_http(client, session_id, person(1))
    book_via_http(client, session_id, person(2))
    login_as("organiser")
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        programme_id = session.programme_id
        from webapp.sessions.forms import SessionForm
        data = SessionForm.initial_data(session)
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/edit"
    form = {k: ("" if v is None else v) for k, v in data.items()}
    form.update(csrf_token=csrf_from(client.get(url).get_data(as_text=True)), day=data["day"].isoformat(),
                start_time="13:30", end_time="15:00", venue="Eastbank Academy")
    response = client.post(url, data=form)
    assert response.status_code == 302
    assert ("2 people booked or waiting will be emailed about the change of the time and the venue."
            in client.get(response.headers["Location"]).get_data(as_text=True))
    run_jobs()
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "session.changed"))
        assert entry.detail == "North East: morning briefing: the time and the venue changed"
    for address in ("person1@example.org", "person2@example.org"):
        notice = smtp_server.to(address)[-1]
        assert notice["Subject"] == "Changed: North East: morning briefing"
        text = notice.get_body(("plain",)).get_content()
        assert "changed the time and the venue" in text and "Eastbank Academy" in text and "1:30pm" in text
    event = _event(_calendar(smtp_server.to("person1@example.org")[-1]))
    assert event.decoded("DTSTART").strftime("%H:%M") == "13:30"
    assert str(event["LOCATION"]).startswith("Eastbank Academy")

    # Saving again without changes tells nobody.
    before = len(smtp_server.messages)
    form["csrf_token"] = csrf_from(client.get(url).get_data(as_text=True))
    assert client.post(url, data=form).status_code == 302
    run_jobs()
    assert len(smtp_server.messages) == before


def test_moved_booking_keeps_its_calendar_uid(app, client, smtp_server, run_jobs):
    first, second = _two_sessions(app)
    book_via_http(client, first, person(1))
    run_jobs()
    registration = _registration(app, "person1@example.org")
    uid = str(_event(_calendar(smtp_server.to("person1@example.org")[0]))["UID"])
    _manage(client, registration, "move", session_id=second)
    run_jobs()
    moved = smtp_server.to("person1@example.org")[-1]
    assert moved["Subject"].startswith("Booking moved")
    event = _event(_calendar(moved))
    assert str(event["UID"]) == uid and str(event["LOCATION"]).startswith("Castlemilk Hub")


def test_already_booked_resends_the_link_once_an_hour(app, client, smtp_server, run_jobs):
    session_id = make_session(app)
    book_via_http(client, session_id, person(1))
    for _ in range(5):  # someone else typing this address again and again
        book_via_http(client, session_id, person(1))
    assert run_jobs() == 2
    assert len(smtp_server.to("person1@example.org")) == 2
    again = smtp_server.to("person1@example.org")[-1]
    registration = _registration(app, "person1@example.org")
    assert again["Subject"].startswith("Your booking:")
    assert f"/booking/{registration.booking_token}" in again.get_body(("plain",)).get_content()


def test_organiser_cancelling_a_session_tells_everyone(app, client, smtp_server, login_as, run_jobs):
    session_id = make_session(app, capacity=1)
    book_via_http(client, session_id, person(1))
    book_via_http(client, session_id, person(2))
    login_as("organiser")
    with app.app_context():
        programme_id = db.session.get(EventSession, session_id).programme_id
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/cancel"
    assert "This cancels 2 bookings" in client.get(url).get_data(as_text=True)
    sent_before = len(smtp_server.messages)
    response = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True))})
    assert response.status_code == 302
    assert "2 of 2 people booked or waiting will be emailed" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert len(smtp_server.messages) == sent_before  # the request only queued them
    run_jobs()
    for address in ("person1@example.org", "person2@example.org"):
        message = smtp_server.to(address)[-1]
        assert "cancelled by the organisers" in message.get_body(("plain",)).get_content()
        assert str(_calendar(message)["METHOD"]) == "CANCEL"
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert session.is_cancelled and session.confirmed_count == 0
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "session.cancelled"))
        assert entry.target == f"session:{session_id}" and entry.user.role == "organiser"
        assert entry.detail == "North East: morning briefing: 2 bookings cancelled"
        assert {r.status for r in session.registrations} == {"cancelled"}
    assert "This session has been cancelled" in client.get(f"/sessions/{session_id}/register").get_data(as_text=True)


def test_mail_failure_never_loses_the_booking(app, client, caplog, run_jobs):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    session_id = make_session(app)
    response = book_via_http(client, session_id, person(1))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page and "We will email" in page
    with caplog.at_level(logging.WARNING, logger="webapp.jobs"):
        run_jobs()
    assert "failed, attempt 1" in caplog.text and "person1@example.org" not in caplog.text
    assert _registration(app, "person1@example.org").status == "confirmed"
    with app.app_context():
        from webapp.jobs.models import DeliveryStatus, OutboundEmail
        message = db.session.scalar(sa.select(OutboundEmail))
        assert message.status == DeliveryStatus.PENDING and message.attempts == 1
        assert "Connection refused" in message.last_error or "Errno" in message.last_error


def test_without_mail_server_messages_go_to_the_outbox(app, client, tmp_path, run_jobs):
    app.config["MAIL_SERVER"] = None
    session_id = make_session(app)
    book_via_http(client, session_id, person(1))
    run_jobs()
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    import email
    import email.policy
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "person1@example.org"
    assert str(_calendar(message)["METHOD"]) == "PUBLISH"


PHISHING_NAME = '<a href="https://evil.example">Confirm here</a>'


def test_typed_text_is_never_markup_or_a_link_in_the_html_email(app, client, smtp_server, run_jobs):
    session_id = make_session(app, capacity=1)
    book_via_http(client, session_id, person(2))  # takes the only place: the next one waits
    for n, _kind in ((1, "waiting"), (1, "link again")):
        book_via_http(client, session_id, person(n, name=PHISHING_NAME, team="https://evil.example/team",
                                                  access_requirements="line one\nhttps://evil.example/x"))
    run_jobs()
    messages = smtp_server.to("person1@example.org")
    assert len(messages) == 2
    registration = _registration(app, "person1@example.org")
    for message in messages:
        html = message.get_body(("html",)).get_content()
        assert "evil.example" not in html.replace("&lt;a href=&#34;https://evil.example&#34;&gt;", "")
        assert "&lt;a href=" in html and "<a href=\"https://evil" not in html
        links = re.findall(r'<a href="([^"]*)"', html)
        assert set(links) == {f"https://briefings.example.org/booking/{registration.booking_token}"}
        assert PHISHING_NAME in message.get_body(("plain",)).get_content()  # plain text shows it as typed


def _download(client, registration):
    response = client.get(f"/booking/{registration.booking_token}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return _event(Calendar.from_ical(response.data))


def test_every_change_carries_a_strictly_higher_sequence_even_within_a_second(app, client, smtp_server, run_jobs,
                                                                              make_user):
    first, second = _two_sessions(app)
    book_via_http(client, first, person(1))
    run_jobs()
    registration = _registration(app, "person1@example.org")
    sequences = [int(_event(_calendar(smtp_server.to("person1@example.org")[-1]))["SEQUENCE"])]
    sequences.append(int(_download(client, registration)["SEQUENCE"]))
    assert sequences[1] == sequences[0]  # the same event, the same version

    _manage(client, registration, "move", session_id=second)
    run_jobs()
    sequences.append(int(_event(_calendar(smtp_server.to("person1@example.org")[-1]))["SEQUENCE"]))

    with app.app_context():  # the organiser moves the session an hour later
        from webapp.sessions import services as sessions

        session = db.session.get(EventSession, second)
        fields = {name: getattr(session, name) for name in
                  ("title", "starts_at", "ends_at", "venue", "address", "locality", "notes")}
        fields.update(starts_at=session.starts_at + timedelta(hours=1), ends_at=session.ends_at + timedelta(hours=1),
                      capacity=session.capacity)
        sessions.update_session(session, make_user("organiser"), **fields)
    run_jobs()
    changed = smtp_server.to("person1@example.org")[-1]
    assert changed["Subject"].startswith("Changed")
    sequences.append(int(_event(_calendar(changed))["SEQUENCE"]))

    _manage(client, registration, "cancel")
    run_jobs()
    cancelled = _event(_calendar(smtp_server.to("person1@example.org")[-1]))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    sequences.append(int(cancelled["SEQUENCE"]))
    # All within a second or two: each newer file still outranks the one before.
    assert sequences[1:] == sorted(set(sequences[1:])) and len(set(sequences)) == 4, sequences


def test_a_waiting_place_is_never_a_confirmed_event(app, client, smtp_server, run_jobs):
    session_id = make_session(app, capacity=1)
    book_via_http(client, session_id, person(1))
    book_via_http(client, session_id, person(2))
    run_jobs()
    waiting = _registration(app, "person2@example.org")
    page = client.get(f"/booking/{waiting.booking_token}").get_data(as_text=True)
    assert "Add to your calendar as tentative" in page
    event = _download(client, waiting)
    assert str(event["STATUS"]) == "TENTATIVE" and str(event["SUMMARY"]).startswith("Waiting list: ")
    for message in smtp_server.to("person2@example.org"):  # no email offers them a confirmed event
        assert not [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]

    booked = _registration(app, "person1@example.org")
    _manage(client, booked, "cancel")
    run_jobs()
    promoted = _event(_calendar(smtp_server.to("person2@example.org")[-1]))
    assert str(promoted["STATUS"]) == "CONFIRMED" and not str(promoted["SUMMARY"]).startswith("Waiting list")
    assert int(promoted["SEQUENCE"]) > int(event["SEQUENCE"])  # replaces the tentative one


# --- find my booking, and what the emails say (issue 13) ----------------------------------------


def _find(client, email):
    page = client.get("/booking/find").get_data(as_text=True)
    return client.post("/booking/find", data={"csrf_token": csrf_from(page), "email": email})


def test_find_my_booking_emails_the_links_and_says_the_same_either_way(app, client, smtp_server, run_jobs):
    first = make_session(app, capacity=1)
    with app.app_context():
        programme = db.session.get(EventSession, first).programme
        programme.allows_several_places = True
        db.session.commit()
        programme_id = programme.id
    second = make_session(app, capacity=5, programme_id=programme_id, days_ahead=20, title="South: afternoon")
    past = make_session(app, capacity=5, programme_id=programme_id, days_ahead=10, title="Held already")
    book_via_http(client, first, person(1))
    book_via_http(client, second, person(1))
    book_via_http(client, past, person(1))
    with app.app_context():
        held = db.session.get(EventSession, past)
        held.starts_at, held.ends_at = held.starts_at - timedelta(days=13), held.ends_at - timedelta(days=13)
        db.session.commit()
    book_via_http(client, first, person(2))  # waiting list
    run_jobs()
    before = len(smtp_server.messages)

    found = _find(client, "  Person1@Example.org ")
    nobody = _find(client, "nobody@example.org")
    assert found.status_code == nobody.status_code == 200
    assert found.headers["Cache-Control"] == "no-store"
    page = found.get_data(as_text=True)
    assert "Check your email" in page
    assert page.replace("person1@example.org", "X") == nobody.get_data(as_text=True).replace("nobody@example.org", "X")
    assert "/booking/" not in page.replace('href="/booking/find"', "")  # the links go to the address, never to the screen

    run_jobs()
    new = smtp_server.messages[before:]
    assert [m["To"] for m in new] == ["person1@example.org"]  # nothing to an address with no booking
    text = new[0].get_body(("plain",)).get_content()
    with app.app_context():
        tokens = dict(db.session.execute(sa.select(Registration.session_id, Registration.booking_token)
                                         .where(Registration.email == "person1@example.org")).all())
    assert f"https://briefings.example.org/booking/{tokens[first]}" in text
    assert f"https://briefings.example.org/booking/{tokens[second]}" in text
    assert tokens[past] not in text and "Held already" not in text  # over: nothing to manage
    assert text.index("North East: morning briefing") < text.index("South: afternoon")
    assert f'href="https://briefings.example.org/booking/{tokens[second]}"' in new[0].get_body(("html",)).get_content()

    _find(client, "person2@example.org")
    run_jobs()
    assert "(waiting list)" in smtp_server.to("person2@example.org")[-1].get_body(("plain",)).get_content()


def test_find_my_booking_refuses_a_malformed_address(client):
    response = _find(client, "not an address")
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.get_data(as_text=True)
    assert _find(client, "").status_code == 400
    assert 'href="/booking/find"' in client.get("/").get_data(as_text=True)


def test_email_wording(app, client, smtp_server, run_jobs):
    """No "page above"; a cancellation does not say to arrive early; the venue is named once."""
    session_id = make_session(app, capacity=5, venue="North East locality hub",
                              address="Main hall, North East locality hub, Glasgow",
                              notes="Please arrive ten minutes early.")
    book_via_http(client, session_id, person(1))
    run_jobs()
    token = _registration(app, "person1@example.org").booking_token
    client.post(f"/booking/{token}/cancel",
                data={"csrf_token": csrf_from(client.get(f"/booking/{token}/cancel").get_data(as_text=True))})
    run_jobs()
    confirmation, cancellation = smtp_server.to("person1@example.org")
    for message in (confirmation, cancellation):
        text = message.get_body(("plain",)).get_content()
        assert "above" not in text
        assert "Where: Main hall, North East locality hub, Glasgow\r\n" in text
        assert text.count("North East locality hub") == 1
    assert "arrive ten minutes early" in confirmation.get_body(("plain",)).get_content()
    assert "arrive ten minutes early" not in cancellation.get_body(("plain",)).get_content()
    assert "arrive ten minutes early" not in cancellation.get_body(("html",)).get_content()


def test_one_place_per_person_per_programme_offers_to_move(app, client, smtp_server, run_jobs):
    first = make_session(app, capacity=3)
    with app.app_context():
        programme_id = db.session.get(EventSession, first).programme_id
    second = make_session(app, capacity=3, programme_id=programme_id, days_ahead=20, title="South: afternoon")
    assert book_via_http(client, first, person(1)).status_code == 302
    response = book_via_http(client, second, person(1, email="PERSON1@example.org"))
    # The same answer as any booking (whoever typed the address learns nothing); the email says the rest.
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/sessions/{second}/register/sent")
    assert _confirmed(app, second) == 0 and _confirmed(app, first) == 1
    run_jobs()
    offer = smtp_server.to("person1@example.org")[-1]
    assert offer["Subject"] == "You already have a place: North East: morning briefing"
    text = offer.get_body(("plain",)).get_content()
    with app.app_context():
        token = db.session.scalar(sa.select(Registration.booking_token).where(Registration.session_id == first))
    assert f"/booking/{token}" in text and '"South: afternoon"' in text
    # the link's page offers the session they wanted; moving there keeps one place
    manage = client.get(f"/booking/{token}").get_data(as_text=True)
    assert "South: afternoon" in manage
    client.post(f"/booking/{token}/move", data={"csrf_token": csrf_from(manage), "session_id": second})
    assert _confirmed(app, first) == 0 and _confirmed(app, second) == 1
    # someone else, and a waiting list elsewhere, are not affected
    assert book_via_http(client, second, person(2)).status_code == 302
    # a programme that allows it takes a second place
    with app.app_context():
        db.session.get(EventSession, first).programme.allows_several_places = True
        db.session.commit()
    assert book_via_http(client, first, person(1)).status_code == 302
    assert _confirmed(app, first) == 1



def _confirmed(app, session_id) -> int:
    with app.app_context():
        return db.session.get(EventSession, session_id).confirmed_count
