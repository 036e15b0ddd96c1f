"""Check-in by the ticket's QR link and at the door; walk-ins; sign-in sheet; attendee CSV."""
from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from tests.booking_helpers import csrf_from, make_session, person
from webapp.bookings import services
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.sessions.models import EventSession
from webapp.timezones import format_clock, to_local


def _booked(app, capacity=5, people=1):
    session_id = make_session(app, capacity=capacity)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        tokens = [services.book(session, **person(n)).registration.checkin_token for n in range(1, people + 1)]
        return session_id, session.programme_id, tokens


def door_counts(page: str) -> dict:
    """The counts at the top of the door page, by label."""
    return {label: int(value) for label, value in re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page)}


def test_checkin_link_needs_an_organiser(app, client, login_as):
    session_id, _, [token] = _booked(app)
    # someone who scans their own ticket is told to show it at the door, and nothing more
    response = client.get(f"/checkin/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "This is your check-in ticket" in page and "Show this QR code" in page
    assert "Person 1" not in page and "person1@example.org" not in page
    assert f'href="/login?next=/checkin/{token}"' in page
    assert client.get("/checkin/" + "x" * 43).status_code == 404
    response = client.post(f"/checkin/{token}", data={"csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.checked_in_at).where(Registration.session_id == session_id)) is None
    login_as("viewer")
    assert client.get(f"/checkin/{token}").status_code == 403


def test_checkin_by_qr_link_once_then_already(app, client, login_as):
    session_id, _, [token] = _booked(app)
    login_as("organiser")
    page = client.get(f"/checkin/{token}").get_data(as_text=True)
    assert "Person 1" in page and "North East: morning briefing" in page and "Confirm arrival" in page
    first = client.post(f"/checkin/{token}", data={"csrf_token": csrf_from(page)}).get_data(as_text=True)
    assert "Checked in" in first
    with app.app_context():
        arrived = db.session.scalar(sa.select(Registration.checked_in_at).where(Registration.session_id == session_id))
    second = client.post(f"/checkin/{token}", data={"csrf_token": csrf_from(page)}).get_data(as_text=True)
    assert f"Already checked in at {format_clock(arrived)}." in second
    assert "Confirm arrival" not in client.get(f"/checkin/{token}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.checked_in_at)
                                 .where(Registration.session_id == session_id)) == arrived  # the first time is kept


def test_checkin_wrong_token_is_404(app, client, login_as):
    _booked(app)
    login_as("organiser")
    assert client.get("/checkin/" + "x" * 43).status_code == 404


def test_waiting_person_is_not_checked_in(app, client, login_as):
    session_id, _, tokens = _booked(app, capacity=1, people=2)
    login_as("organiser")
    page = client.get(f"/checkin/{tokens[1]}").get_data(as_text=True)
    assert "not booked on this session (waiting list)" in page
    response = client.post(f"/checkin/{tokens[1]}", data={"csrf_token": csrf_from(page)})
    assert "Not checked in" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.checked_in_at))
                                 .where(Registration.session_id == session_id)) == 0


def test_door_page_search_and_one_tap_arrived(app, client, login_as):
    session_id, programme_id, _ = _booked(app, people=3)
    login_as("organiser")
    door = f"/organiser/programmes/{programme_id}/sessions/{session_id}/door"
    page = client.get(door, query_string={"q": "person 2"}).get_data(as_text=True)
    assert "Person 2" in page and "Person 1" not in page
    assert door_counts(page) == {"Checked in": 0, "Still to come": 3, "Booked": 3}
    action = re.search(r'action="([^"]+/arrived)"', page).group(1)
    response = client.post(action, data={"csrf_token": csrf_from(page), "q": "person 2"})
    assert response.status_code == 302 and "q=person+2" in response.headers["Location"]
    page = client.get(door).get_data(as_text=True)
    assert door_counts(page) == {"Checked in": 1, "Still to come": 2, "Booked": 3}
    assert "Person 2 checked in at" in page
    again = client.post(action, data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "Person 2 was already checked in at" in again.get_data(as_text=True)


def test_an_arrival_tapped_by_mistake_can_be_undone(app, client, login_as):
    session_id, programme_id, _ = _booked(app, people=2)
    login_as("organiser")
    door = f"/organiser/programmes/{programme_id}/sessions/{session_id}/door"
    page = client.get(door, query_string={"q": "person 1"}).get_data(as_text=True)
    client.post(re.search(r'action="([^"]+/arrived)"', page).group(1), data={"csrf_token": csrf_from(page)})
    page = client.get(door, query_string={"q": "person 1"}).get_data(as_text=True)
    assert door_counts(page)["Checked in"] == 1
    assert "Undo<span class=\"govuk-visually-hidden\"> check-in of Person 1" in page
    undo = re.search(r'action="([^"]+/not-arrived)"', page).group(1)
    assert client.post(undo, data={"q": "person 1"}).status_code == 400  # no CSRF token: refused
    response = client.post(undo, data={"csrf_token": csrf_from(page), "q": "person 1"})
    assert response.status_code == 302 and "q=person+1" in response.headers["Location"]
    page = client.get(door).get_data(as_text=True)
    assert door_counts(page)["Checked in"] == 0 and "Person 1 is no longer checked in." in page
    with app.app_context():
        assert db.session.scalars(sa.select(Registration.checked_in_at)
                                  .where(Registration.session_id == session_id)).all() == [None, None]
    again = client.post(undo, data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "Person 1 was not checked in." in again.get_data(as_text=True)


def test_door_list_reads_at_a_glance(app, client, login_as):
    """Check in is an action; checked in is a state with its time; access needs are shown;
    the first letters of a name find the person."""
    session_id = make_session(app, capacity=5)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        jo = services.book(session, **person(1, name="Jo Bloggs", email="jo@example.org",
                                             access_requirements="Step-free access, please")).registration
        services.book(session, **person(2, name="Sam Jones", email="sam@example.org"))
        services.check_in(jo, None)
        jo_id, programme_id = jo.id, session.programme_id
    login_as("organiser")
    door = f"/organiser/programmes/{programme_id}/sessions/{session_id}/door"
    page = client.get(door).get_data(as_text=True)
    jo_row = page[page.rindex("<li", 0, page.index(f'id="person-{jo_id}"')):].split("</li>")[0]
    with app.app_context():
        clock = to_local(db.session.get(Registration, jo_id).checked_in_at).strftime("%H:%M")
    assert "app-door-list__item--in" in jo_row and f"Checked in {clock}" in jo_row and "Undo" in jo_row
    assert ">Check in<" not in jo_row and "Access:</strong> Step-free access, please" in jo_row
    assert page.count(">Check in<") == 1 and "Arrived" not in page
    for typed, found, not_found in (("jo bl", "Jo Bloggs", "Sam Jones"), ("sa jo", "Sam Jones", "Jo Bloggs"),
                                    ("BLO", "Jo Bloggs", "Sam Jones")):
        page = client.get(door, query_string={"q": typed}).get_data(as_text=True)
        assert found in page and not_found not in page, typed
    page = client.get(door, query_string={"q": "jo zz"}).get_data(as_text=True)
    assert "Nobody matches" in page
    # the camera scanner is a script from this site, hidden until it finds a camera
    assert 'id="door-scan" hidden' in page and "/static/js/door-scan." in page and "<script>" not in page


def test_scanned_ticket_checks_in_and_answers_json(app, client, login_as):
    _, _, [token] = _booked(app)
    login_as("organiser")
    page = client.get(f"/checkin/{token}").get_data(as_text=True)
    scan = {"csrf_token": csrf_from(page)}
    json_headers = {"Accept": "application/json"}
    first = client.post(f"/checkin/{token}", data=scan, headers=json_headers)
    assert first.status_code == 200 and first.json["checked_in"] is True
    assert first.json["message"].startswith("Person 1 checked in at ")
    second = client.post(f"/checkin/{token}", data=scan, headers=json_headers).json
    assert second["message"].startswith("Person 1 was already checked in at ")
    refused = client.post(f"/checkin/{token}", data={}, headers=json_headers)  # no CSRF token
    assert refused.status_code == 400


def test_walk_in_is_added_and_checked_in_even_when_full(app, client, login_as):
    session_id, programme_id, _ = _booked(app, capacity=1, people=1)
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/door/walk-in"
    empty = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), "name": ""})
    assert empty.status_code == 400 and "Enter the person&#39;s full name" in empty.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True)),
                                      "name": "Walk In", "job_role": "Teacher"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Walk In added and checked in. The session was full, so its capacity is now 2." in page
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        assert (session.capacity, session.confirmed_count) == (2, 2)
        walk_in = db.session.scalar(sa.select(Registration).where(Registration.is_walk_in.is_(True)))
        assert walk_in.checked_in_at is not None and walk_in.status == "confirmed"


def test_sign_in_sheet_lists_confirmed_people_with_print_styles(app, client, login_as):
    session_id, programme_id, _ = _booked(app, capacity=2, people=3)
    login_as("organiser")
    page = client.get(f"/organiser/programmes/{programme_id}/sessions/{session_id}/sign-in-sheet").get_data(as_text=True)
    assert "Person 1" in page and "Person 2" in page and "Person 3" not in page  # 3 is waiting
    assert "app-sign-in-sheet" in page and "Signature" in page
    css = open(app.static_folder + "/css/app.css").read()
    assert ".app-sign-in-sheet" in css and "@media print" in css


def test_attendee_csv_is_safe_and_rfc4180(app, client, login_as):
    session_id = make_session(app, capacity=5)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        services.book(session, **person(1, name="=HYPERLINK(\"http://evil\")", team="+44 team",
                                         organisation="-1, \"quoted\"", access_requirements="line one\r\nline two"))
        services.book(session, **person(2, name="@SUM(A1)", job_role="-team lead"))
        programme_id = session.programme_id
    login_as("organiser")
    for url in (f"/organiser/programmes/{programme_id}/sessions/{session_id}/attendees.csv",
                f"/organiser/programmes/{programme_id}/attendees.csv"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.get_data(as_text=True)
        assert text.endswith("\r\n") and text.split("\r\n", 1)[0].startswith("Session,Session starts,Name")
        assert '"\'-1, ""quoted"""' in text  # quoted, quotes doubled, formula trigger neutralised
        rows = list(csv.reader(io.StringIO(text, newline="")))
        by_email = {row[3]: row for row in rows[1:]}
        assert by_email["person1@example.org"][2] == "'=HYPERLINK(\"http://evil\")"
        assert by_email["person1@example.org"][5] == "'+44 team"
        assert by_email["person1@example.org"][8] == "line one\r\nline two"
        assert by_email["person2@example.org"][2] == "'@SUM(A1)"
        assert by_email["person2@example.org"][4] == "'-team lead"
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_attendee_list_filters_by_status(app, client, login_as):
    session_id, programme_id, _ = _booked(app, capacity=1, people=2)
    login_as("organiser")
    base = f"/organiser/programmes/{programme_id}"
    waiting = client.get(f"{base}/sessions/{session_id}", query_string={"status": "waiting"}).get_data(as_text=True)
    assert "Person 2" in waiting and "Person 1" not in waiting
    everyone = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "1 booked, 1 waiting, 0 attended, 0 cancelled" in everyone
    csv_text = client.get(f"{base}/attendees.csv", query_string={"status": "confirmed"}).get_data(as_text=True)
    assert "person1@example.org" in csv_text and "person2@example.org" not in csv_text


def test_organiser_cancels_a_booking_and_the_next_is_promoted(app, client, login_as):
    session_id, programme_id, _ = _booked(app, capacity=1, people=2)
    with app.app_context():
        first = db.session.scalar(sa.select(Registration.id).where(Registration.session_id == session_id,
                                                                   Registration.status == "confirmed"))
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/registrations/{first}/cancel"
    response = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True))},
                           follow_redirects=True)
    assert "Promoted from the waiting list: Person 2." in response.get_data(as_text=True)


def test_safe_cell_neutralises_every_formula_trigger():
    from webapp.text import csv_cell

    for trigger in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(f"{trigger}1+1") == f"'{trigger}1+1"
    assert csv_cell("Plain text, with = inside") == "Plain text, with = inside"
    assert csv_cell(None) == ""


def test_attendee_lists_downloaded_and_bookings_cancelled_are_audited(app, client, login_as):
    from webapp.auth.models import AuditEntry

    session_id, programme_id, _ = _booked(app, people=2)
    login_as("organiser")
    assert client.get(f"/organiser/programmes/{programme_id}/attendees.csv").status_code == 200
    assert client.get(f"/organiser/programmes/{programme_id}/sessions/{session_id}/attendees.csv").status_code == 200
    with app.app_context():
        registration_id = db.session.scalars(sa.select(Registration.id).where(Registration.session_id == session_id)).first()
    url = (f"/organiser/programmes/{programme_id}/sessions/{session_id}/registrations/{registration_id}/cancel")
    client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True))})
    with app.app_context():
        entries = db.session.execute(
            sa.select(AuditEntry.action, AuditEntry.target, AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert [tuple(e) for e in entries if e.action != "sign_in"] == [
        ("export.attendees_csv", f"programme:{programme_id}", "2 people"),
        ("export.attendees_csv", f"session:{session_id}", "2 people"),
        ("booking.cancelled", f"registration:{registration_id}", "North East: morning briefing"),
    ]
    # Nobody's name or address in the log: the retention purge does not reach it.
    assert not any("Person" in (e.detail or "") or "@" in (e.detail or "") for e in entries)
