"""Organisers schedule sessions: create, edit, duplicate, cancel, validation, the programme table."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.booking_helpers import csrf_from, make_session, person
from webapp.bookings import services as bookings
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession
from webapp.timezones import to_local

VALID = {
    # as the GOV.UK date input sends them: day, month and year under one name
    "title": "South: evening briefing", "day": ["1", "7", "2030"], "start_time": "18:00", "end_time": "20:00",
    "venue": "Castlemilk Hub", "address": "", "locality": "South", "capacity": "120", "facilitators": "",
    "booking_opens_at": "", "booking_closes_at": "", "feedback_opens_at": "", "feedback_closes_at": "", "notes": "",
}


@pytest.fixture
def programme_id(app):
    with app.app_context():
        programme = Programme(slug="inspection", title="Inspection briefings", is_open=True)
        db.session.add(programme)
        db.session.commit()
        return programme.id


def _post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), **data})


def test_create_session_stores_london_time_as_utc(app, client, login_as, programme_id):
    login_as("organiser")
    response = _post(client, f"/organiser/programmes/{programme_id}/sessions/new", VALID)
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(sa.select(EventSession).where(EventSession.programme_id == programme_id))
        # 1 July is British Summer Time: 18:00 in London is 17:00 UTC.
        assert session.starts_at.hour == 17 and to_local(session.starts_at).hour == 18
        assert session.capacity == 120 and session.confirmed_count == 0
        opens, closes = session.feedback_window
        assert opens == session.starts_at and (closes - session.ends_at).days == 7
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Monday 1 July 2030, 6pm to 8pm" in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": ""}, "Enter a title"),
    ({"title": "T" * 201}, "Title must be 200 characters or fewer"),
    ({"day": ""}, "Enter the date of the session"),
    ({"day": ["", "", ""]}, "Enter the date of the session"),
    ({"day": ["31", "2", "2030"]}, "Enter the date as a day, month and year, like 27 3 2026"),
    ({"day": ["1", "", "2030"]}, "Enter the date as a day, month and year, like 27 3 2026"),
    ({"day": ["07", "01", "2030", "x"]}, "Enter the date as a day, month and year, like 27 3 2026"),
    ({"start_time": ""}, "Enter the start time"),
    ({"start_time": "25:00"}, "Enter the time on the 24-hour clock, like 09:30 or 14:00"),
    ({"start_time": "6:00 PM"}, "Enter the time on the 24-hour clock, like 09:30 or 14:00"),
    ({"end_time": ""}, "Enter the end time"),
    ({"end_time": "17:00"}, "End time must be after the start time"),
    ({"end_time": "18:00"}, "End time must be after the start time"),
    ({"venue": ""}, "Enter the venue"),
    ({"venue": "V" * 201}, "Venue must be 200 characters or fewer"),
    ({"address": "A" * 401}, "Address must be 400 characters or fewer"),
    ({"locality": "L" * 101}, "Locality must be 100 characters or fewer"),
    ({"capacity": ""}, "Enter the capacity"),
    ({"capacity": "lots"}, "Enter the capacity as a whole number, like 180"),
    ({"capacity": "0"}, "Capacity must be between 1 and 5000"),
    ({"capacity": "-3"}, "Capacity must be between 1 and 5000"),
    ({"facilitators": "F" * 401}, "Facilitators must be 400 characters or fewer"),
    ({"booking_opens_at": "soon"}, "Enter the day, month, year and a 24-hour time, like 27 3 2026 and 09:30"),
    ({"booking_opens_at": ["10", "6", "2030", ""]}, "Enter the day, month, year and a 24-hour time"),
    ({"booking_opens_at": ["10", "6", "2030", "9am"]}, "Enter the day, month, year and a 24-hour time"),
    ({"booking_opens_at": ["10", "6", "2030", "09:00"], "booking_closes_at": ["1", "6", "2030", "09:00"]},
     "Booking must close after it opens"),
    ({"feedback_opens_at": ["2", "7", "2030", "09:00"], "feedback_closes_at": ["1", "7", "2030", "09:00"]},
     "Feedback must close after it opens"),
    ({"notes": "N" * 4001}, "Notes for attendees must be 4000 characters or fewer"),
])
def test_session_validation_messages(app, client, login_as, programme_id, changes, message):
    login_as("organiser")
    response = _post(client, f"/organiser/programmes/{programme_id}/sessions/new", {**VALID, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and "<title>Error: " in page
    assert 'value="Castlemilk Hub"' in page or changes.get("venue") is not None  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EventSession.id))
                                 .where(EventSession.programme_id == programme_id)) == 0


def test_dates_and_times_as_typed_into_the_boxes(app, client, login_as, programme_id):
    """Day, month and year boxes and a 24-hour time; 0930 and 09.30 are understood too."""
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/new"
    page = client.get(url).get_data(as_text=True)
    assert 'type="date"' not in page and 'type="time"' not in page and 'datetime-local' not in page
    for name in ("day-day", "day-month", "day-year", "booking_opens_at-time"):
        assert f'id="{name}"' in page
    assert page.count('name="day"') == 3 and page.count('name="booking_opens_at"') == 4
    response = _post(client, url, {**VALID, "day": ["07", "01", "2031"], "start_time": "0930", "end_time": "11.45",
                                   "booking_closes_at": ["6", "1", "2031", "17:00"]})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(sa.select(EventSession).where(EventSession.programme_id == programme_id))
        # 7 January, not 1 July: the day comes first whatever the browser's language
        assert f"{to_local(session.starts_at):%Y-%m-%d %H:%M}" == "2031-01-07 09:30"
        assert f"{to_local(session.ends_at):%H:%M}" == "11:45"
        assert f"{to_local(session.booking_closes_at):%Y-%m-%d %H:%M}" == "2031-01-06 17:00"
        session_id = session.id
    edit = client.get(f"/organiser/programmes/{programme_id}/sessions/{session_id}/edit").get_data(as_text=True)
    for box, value in (("day-day", "7"), ("day-month", "1"), ("day-year", "2031"), ("booking_closes_at-time", "17:00")):
        assert re.search(rf'id="{box}" name="[a-z_]+" type="text"[^>]* value="{value}"', edit), box
    assert 'value="09:30"' in edit and 'value="11:45"' in edit
    # what was typed comes back on an error, box by box
    again = _post(client, url, {**VALID, "day": ["31", "2", "2031"]}).get_data(as_text=True)
    assert re.search(r'id="day-day" name="day" type="text"[^>]* value="31"', again)


def test_capacity_cannot_go_below_places_booked(app, client, login_as):
    session_id = make_session(app, capacity=3)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        for n in range(2):
            bookings.book(session, **person(n))
        programme_id = session.programme_id
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/edit"
    page = client.get(url).get_data(as_text=True)
    data = dict(VALID.items())
    with app.app_context():
        local = to_local(db.session.get(EventSession, session_id).starts_at)
    data.update(day=local.date().isoformat(), start_time=local.strftime("%H:%M"),
                end_time=(local.replace(hour=(local.hour + 1) % 24)).strftime("%H:%M") if local.hour < 23 else "23:59",
                capacity="1")
    response = client.post(url, data={"csrf_token": csrf_from(page), **data})
    assert "Capacity cannot be below the 2 places already booked" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EventSession, session_id).capacity == 3


def test_set_capacity_refuses_atomically(app):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        bookings.book(session, **person(1))
        bookings.book(session, **person(2))
        with pytest.raises(bookings.BookingError):
            bookings.set_capacity(session_id, 1)
        db.session.rollback()
        assert db.session.get(EventSession, session_id).capacity == 2


def test_duplicate_prefills_the_form_and_saves_a_new_session(app, client, login_as):
    session_id = make_session(app, capacity=25)
    with app.app_context():
        programme_id = db.session.get(EventSession, session_id).programme_id
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/duplicate"
    page = client.get(url).get_data(as_text=True)
    assert 'value="North East: morning briefing"' in page and "(copy)" not in page and 'value="25"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EventSession.id))
                                 .where(EventSession.programme_id == programme_id)) == 1
    assert _post(client, url, VALID).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EventSession.id))
                                 .where(EventSession.programme_id == programme_id)) == 2


def test_duplicating_moves_the_windows_with_the_new_date(app, client, login_as):
    source_id = make_session(app, capacity=25)
    with app.app_context():
        source = db.session.get(EventSession, source_id)
        source.booking_closes_at = source.starts_at - timedelta(days=2)
        source.feedback_opens_at = source.starts_at - timedelta(hours=1)
        source.feedback_closes_at = source.ends_at + timedelta(days=3)
        db.session.commit()
        programme_id, starts = source.programme_id, to_local(source.starts_at)
        old = {name: getattr(source, name) for name in ("starts_at", "booking_closes_at", "feedback_opens_at",
                                                         "feedback_closes_at")}
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/{source_id}/duplicate"
    page = client.get(url).get_data(as_text=True)
    for name in ("booking_closes_at", "feedback_opens_at"):  # the form shows the source's windows
        day, month, year, clock = _boxes(old[name])
        assert re.search(rf'id="{name}-day" name="{name}" type="text"[^>]* value="{day}"', page)
        assert re.search(rf'id="{name}-time" name="{name}" type="text"[^>]* value="{clock}"', page)
    new_day = starts.date() + timedelta(weeks=3)
    # what the browser sends back: the new date; the windows as shown, but one changed by hand
    form = {**VALID, "title": "North East: morning briefing", "start_time": f"{starts:%H:%M}",
            "end_time": f"{starts + timedelta(hours=2):%H:%M}", "capacity": "25",
            "day": [str(new_day.day), str(new_day.month), str(new_day.year)],
            "booking_closes_at": _boxes(old["booking_closes_at"]), "feedback_opens_at": _boxes(old["feedback_opens_at"]),
            "feedback_closes_at": ["1", "1", str(new_day.year + 1), "12:00"]}
    assert _post(client, url, form).status_code == 302
    with app.app_context():
        copy = db.session.scalars(sa.select(EventSession).order_by(EventSession.id.desc())).first()
        assert copy.title == "North East: morning briefing"
        shift = copy.starts_at - old["starts_at"]
        assert timedelta(weeks=3) - timedelta(hours=1) <= shift <= timedelta(weeks=3) + timedelta(hours=1)
        assert copy.booking_closes_at == old["booking_closes_at"] + shift
        assert copy.feedback_opens_at == old["feedback_opens_at"] + shift
        assert f"{to_local(copy.feedback_closes_at):%Y-%m-%d %H:%M}" == f"{new_day.year + 1}-01-01 12:00"
        assert db.session.get(EventSession, source_id).booking_closes_at == old["booking_closes_at"]


def _boxes(moment) -> list[str]:
    """A stored time as the form's boxes show it: day, month, year, 24-hour time."""
    local = to_local(moment)
    return [str(local.day), str(local.month), str(local.year), f"{local:%H:%M}"]


def test_programme_page_lists_sessions_with_counts(app, client, login_as):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        for n in range(3):
            bookings.book(session, **person(n))
        bookings.check_in(db.session.scalar(sa.select(bookings.Registration).where(
            bookings.Registration.session_id == session_id, bookings.Registration.status == "confirmed").limit(1)), None)
        programme_id = session.programme_id
    login_as("organiser")
    page = client.get(f"/organiser/programmes/{programme_id}").get_data(as_text=True)
    assert "North East: morning briefing" in page and "Full" in page
    row = page.split("North East: morning briefing", 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0].strip() for c in row.split('govuk-table__cell--numeric')[1:]]
    assert cells == ["2 / 2", "1", "1"]


def test_another_programmes_session_is_404(app, client, login_as):
    session_id = make_session(app)
    other = make_session(app)
    with app.app_context():
        other_programme = db.session.get(EventSession, other).programme_id
    login_as("organiser")
    for suffix in ("", "/edit", "/duplicate", "/cancel", "/door", "/sign-in-sheet", "/attendees.csv"):
        assert client.get(f"/organiser/programmes/{other_programme}/sessions/{session_id}{suffix}").status_code == 404


def test_session_page_is_the_hub_for_the_day(app, client, login_as):
    session_id = make_session(app, capacity=25)
    with app.app_context():
        programme_id = db.session.get(EventSession, session_id).programme_id
    login_as("organiser")
    base = f"/organiser/programmes/{programme_id}/sessions/{session_id}"
    page = client.get(base).get_data(as_text=True)
    for link in ("/door", "/feedback/poster", "/feedback/slide", "/presenter", "/results", "/sign-in-sheet"):
        assert f'href="{base}{link}"' in page, link
        assert client.get(base + link).status_code == 200, link
    assert 'href="#attendees"' in page and 'id="attendees"' in page
