"""One character must not break a file (issue 12, point 3): text with characters XML 1.0
forbids (U+FFFE, U+FFFF, controls) is cleaned when it is stored and again when any file
is written, so a bad answer or booking name can never make a download fail. Every
file is opened with the reader a person's software would use: openpyxl for the
workbook, icalendar's parser for calendar files, the email package for emails."""
from __future__ import annotations

import csv
import email
import email.policy
import io
import itertools

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from docx import Document
from icalendar import Calendar
from openpyxl import load_workbook

from tests import neighbours
from tests.booking_helpers import book_via_http, person
from tests.feedback_helpers import complete_answers, first_session, form_fields, open_feedback
from webapp.auth.models import Role
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.feedback.models import Answer
from webapp.text import UNSAFE_CHARACTERS, clean_text
from webapp.themes.models import Theme, theme_tag

BAD = "A\ufffeB\uffffC\x00D\x1bE\x85F\ufdd0G\U0010ffff"
PUBLIC_BOOKING_FIELDS = ("name", "job_role", "team", "locality", "organisation", "access_requirements")


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def _downloads(client, app, programme_id: int) -> dict[str, bytes]:
    """Every file the app writes for this programme and its bookings."""
    base = f"/organiser/programmes/{programme_id}"
    files = {}
    for name in ("workbook.xlsx", "responses.csv", "attendance.csv", "attendees.csv", "report.docx"):
        response = client.get(f"{base}/{name}")
        assert response.status_code == 200, (name, response.status_code)
        files[name] = response.data
    with app.app_context():
        tokens = db.session.scalars(neighbours.registrations_here().with_only_columns(Registration.booking_token)).all()
    for token in tokens:
        response = client.get(f"/booking/{token}/calendar.ics")
        assert response.status_code == 200
        files[f"{token}.ics"] = response.data
    return files


def _assert_files_open(files: dict[str, bytes], outbox) -> None:
    for name, data in files.items():
        if name.endswith(".xlsx"):
            workbook = load_workbook(io.BytesIO(data), read_only=True)
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    for value in row:
                        assert not (isinstance(value, str) and UNSAFE_CHARACTERS.search(value)), (name, value)
        elif name.endswith(".docx"):
            document = Document(io.BytesIO(data))
            texts = [p.text for p in document.paragraphs] + [
                cell.text for table in document.tables for row in table.rows for cell in row.cells]
            assert not any(UNSAFE_CHARACTERS.search(text) for text in texts), name
        elif name.endswith(".csv"):
            text = data.decode("utf-8-sig")
            assert not UNSAFE_CHARACTERS.search(text), name
            list(csv.reader(io.StringIO(text)))
        else:
            text = data.decode("utf-8")
            assert not UNSAFE_CHARACTERS.search(text), name
            assert Calendar.from_ical(data).walk("VEVENT")
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_maintype() == "text":
                content = part.get_content()
                assert not UNSAFE_CHARACTERS.search(content), path.name
                if part.get_content_type() == "text/calendar":
                    Calendar.from_ical(content)
        assert not UNSAFE_CHARACTERS.search(message["Subject"])


def _book_and_answer(app, client, programme_id: int, text: str, number: int):
    with app.app_context():
        session_id = first_session(programme_id).id
    fields = dict.fromkeys(PUBLIC_BOOKING_FIELDS, f"x{text}")
    book_via_http(client, session_id, person(number, **fields))
    code = open_feedback(app, programme_id)
    html = client.get(f"/f/{code}?another=1").get_data(as_text=True)
    # The one-word answer too: the same text without its spaces (one word), short enough.
    answers = complete_answers(app, programme_id, comment=f"y{text}", word=("w" + "".join(text.split()))[:30])
    return client.post(f"/f/{code}", data={**form_fields(html), **answers})


def test_u_fffe_in_every_public_text_field_then_every_download(app, client, demo, login_as, tmp_path, run_jobs):
    response = _book_and_answer(app, client, demo, BAD, 1)
    assert response.status_code == 200
    with app.app_context():
        registration = db.session.scalar(neighbours.registrations_here())
        for name in PUBLIC_BOOKING_FIELDS:
            assert getattr(registration, name) == "x" + clean_text(BAD) == "xABCDEFG", name
        assert "yABCDEFG" in db.session.scalars(sa.select(Answer.text)).all()
        assert "wabcdefg" in db.session.scalars(sa.select(Answer.text)).all()  # one word, case-folded
    login_as(Role.ORGANISER)
    run_jobs()
    _assert_files_open(_downloads(client, app, demo), tmp_path / "outbox")


def test_text_stored_before_the_rule_cannot_break_a_download(app, client, demo, login_as, tmp_path, run_jobs):
    """Cleaning again when a file is written: rows written straight to the database
    (an old row, an import, another path) still give files that open."""
    _book_and_answer(app, client, demo, "ok", 1)
    with app.app_context():
        # PostgreSQL refuses NUL itself: everything else goes in as it is.
        bad = BAD.replace("\x00", "") if db.engine.dialect.name == "postgresql" else BAD
        registration = db.session.scalar(neighbours.registrations_here())
        registration.name = registration.team = bad
        registration.session.title = f"Title {bad}"
        registration.session.notes = f"Notes {bad}"
        answer = db.session.scalars(sa.select(Answer).where(Answer.text.is_not(None))
                                    .where(Answer.response_id.in_(neighbours.responses_here_query()))).first()
        answer.text = bad
        theme = Theme(programme_id=demo, name=f"Theme {bad}", description=f"About {bad}")
        db.session.add(theme)
        db.session.flush()
        db.session.execute(sa.insert(theme_tag).values(theme_id=theme.id, answer_id=answer.id))
        db.session.commit()
    login_as(Role.ORGANISER)
    files = _downloads(client, app, demo)
    run_jobs()
    _assert_files_open(files, tmp_path / "outbox")
    with app.app_context():
        token = db.session.scalar(neighbours.registrations_here().with_only_columns(Registration.booking_token))
    assert "ABCDEFG" in Calendar.from_ical(files[f"{token}.ics"]).walk("VEVENT")[0]["ATTENDEE"].params["CN"]


# Any text a browser can send: every code point but lone surrogates, with the ones
# XML forbids made common.
ANY_TEXT = st.text(
    st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from("\ufffe\uffff\x00\x0b\x1f\x7f\x9f")),
    min_size=1, max_size=40,
)
_numbers = itertools.count(100)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT)
def test_any_unicode_through_every_public_field_into_every_export(app, client, demo, login_as, tmp_path, text, run_jobs):
    """Arbitrary unicode in every public text field (the booking form, the feedback
    form's written answers), then every export opened with a real reader."""
    _book_and_answer(app, client, demo, text, next(_numbers))
    if not hasattr(client, "_signed_in"):
        login_as(Role.ORGANISER)
        client._signed_in = True
    run_jobs()
    _assert_files_open(_downloads(client, app, demo), tmp_path / "outbox")
    with app.app_context():
        assert neighbours.responses_here() >= 1


def test_line_breaks_and_controls_in_organiser_text_are_neutralised_everywhere(app, client, login_as, tmp_path, run_jobs):
    """A title or venue with a line break (a crafted POST: the browser's box has none)
    would end an email header or a calendar line; controls would break the workbook."""
    from tests.booking_helpers import make_session
    from webapp.programmes.models import Programme
    from webapp.sessions.models import EventSession

    programme_session = make_session(app)  # a programme to add the session to
    with app.app_context():
        programme_id = db.session.get(EventSession, programme_session).programme_id
    login_as(Role.ORGANISER)
    url = f"/organiser/programmes/{programme_id}/sessions/new"
    from tests.booking_helpers import csrf_from

    data = {"title": "Evening\r\nBcc: victim@example.org\x1b[31m", "day": "2030-07-01", "start_time": "18:00",
            "end_time": "20:00", "venue": "Castlemilk\nHub\ufffe", "address": "1 Main Street\r\nGlasgow",
            "locality": "South\x07", "capacity": "120", "facilitators": "", "booking_opens_at": "",
            "booking_closes_at": "", "feedback_opens_at": "", "feedback_closes_at": "", "notes": ""}
    response = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), **data})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(sa.select(EventSession).where(EventSession.title.like("Evening%")))
        assert (session.title, session.venue, session.locality) == (
            "Evening Bcc: victim@example.org[31m", "Castlemilk Hub", "South")
        session_id = session.id
        assert db.session.get(Programme, programme_id)
    booker = app.test_client()
    assert book_via_http(booker, session_id, person(7)).status_code == 302
    run_jobs()
    [message_file] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(message_file.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Booking confirmed: Evening Bcc: victim@example.org[31m"
    assert message["Bcc"] is None
    run_jobs()
    _assert_files_open(_downloads(client, app, programme_id), tmp_path / "outbox")
