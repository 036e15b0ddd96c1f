"""Operations on one session or programme leave everyone else's rows alone.

Every test database holds the neighbouring programme (tests/neighbours.py); these tests
also put a second session beside the one they change, in the same programme, and check
that neither it nor the neighbour moved. A query that loses its "where session = ..."
fails here."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import neighbours
from tests.booking_helpers import make_session, person
from tests.conftest import post_form
from webapp.bookings import services
from webapp.bookings.models import Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession, SessionStatus

CONFIRMED, WAITING, CANCELLED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING, RegistrationStatus.CANCELLED


def _people(session_id: int) -> dict[str, tuple]:
    """Email -> (status, checked in, calendar sequence) for one session's bookings."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Registration.email, Registration.status, Registration.checked_in_at.is_not(None),
                  Registration.calendar_sequence).where(Registration.session_id == session_id))
    return {email: (status, arrived, sequence) for email, status, arrived, sequence in rows}


@pytest.fixture
def two_sessions(app):
    """Two sessions of one programme, each full (capacity 2) with one person waiting, and
    one arrival in each: returns (this, other) session ids. `other` is what must not move."""
    this = make_session(app, capacity=2)
    with app.app_context():
        programme_id = db.session.get(EventSession, this).programme_id
    other = make_session(app, capacity=2, programme_id=programme_id, days_ahead=15, title="Other session")
    with app.app_context():
        db.session.get(Programme, programme_id).allows_several_places = True
        db.session.commit()
        for session_id, prefix in ((this, "this"), (other, "other")):
            session = db.session.get(EventSession, session_id)
            booked = [services.book(session, **person(f"{prefix}{n}")).registration for n in range(1, 4)]
            assert [r.status for r in booked] == [CONFIRMED, CONFIRMED, WAITING]
            services._check_in(booked[0])
        db.session.commit()
    return this, other


@pytest.fixture
def untouched(app, two_sessions):
    """Call after the operation: asserts that the other session and the neighbour are as
    they were before it."""
    with app.app_context():
        before = neighbours.snapshot(), _people(two_sessions[1]), _other_counter(two_sessions[1])

    def check() -> None:
        with app.app_context():
            assert (neighbours.snapshot(), _people(two_sessions[1]), _other_counter(two_sessions[1])) == before

    return check


def _other_counter(session_id: int) -> tuple:
    db.session.expire_all()
    session = db.session.get(EventSession, session_id)
    return session.status, session.capacity, session.confirmed_count


# --- bookings -------------------------------------------------------------------------------


def test_cancelling_a_session_cancels_its_bookings_only(app, two_sessions, untouched, make_user):
    this, _other = two_sessions
    with app.app_context():
        from webapp.sessions.services import cancel_session

        affected = cancel_session(db.session.get(EventSession, this), make_user())
        assert sorted(r.email for r in affected) == [f"person{p}@example.org" for p in ("this1", "this2", "this3")]
        assert {status for status, _, _ in _people(this).values()} == {CANCELLED}
    untouched()


def test_cancelling_a_session_through_the_page_leaves_the_rest(app, client, login_as, two_sessions, untouched):
    this, _other = two_sessions
    with app.app_context():
        programme_id = db.session.get(EventSession, this).programme_id
    login_as("organiser")
    url = f"/organiser/programmes/{programme_id}/sessions/{this}/cancel"
    response = post_form(client, url, token_url=url)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(EventSession, this).status == SessionStatus.CANCELLED
    untouched()


def test_a_cancellation_promotes_from_its_own_waiting_list(app, two_sessions, untouched):
    this, _other = two_sessions
    with app.app_context():
        first = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis2@example.org"))
        cancelled, promoted = services.cancel(first)
        assert cancelled and [r.email for r in promoted] == ["personthis3@example.org"]
        assert _people(this)["personthis3@example.org"][0] == CONFIRMED
    untouched()


def test_promote_waiting_fills_only_its_own_session(app, two_sessions, untouched):
    """The neighbour's "later" session has someone waiting beside free places: promoting
    here must not reach them."""
    this, _other = two_sessions
    with app.app_context():
        assert services.promote_waiting(this) == []  # full: nobody moves
        promoted = services.set_capacity(this, 3)
        assert [r.email for r in promoted] == ["personthis3@example.org"]
        db.session.commit()
        assert db.session.get(EventSession, this).confirmed_count == 3
    untouched()


def test_undoing_one_arrival_keeps_the_others(app, two_sessions, untouched, make_user):
    this, _other = two_sessions
    user = make_user()
    with app.app_context():
        second = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis2@example.org"))
        assert services.check_in(second, user) is True
        first = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis1@example.org"))
        assert services.undo_check_in(first, user) is True
        assert services.undo_check_in(first, user) is False  # nothing left to undo
        people = _people(this)
        assert (people["personthis1@example.org"][1], people["personthis2@example.org"][1]) == (False, True)
    untouched()


def test_checking_in_one_person_checks_in_nobody_else(app, two_sessions, untouched, make_user):
    this, _other = two_sessions
    with app.app_context():
        second = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis2@example.org"))
        assert services.check_in(second, make_user()) is True
        arrived = {email for email, (_, is_in, _) in _people(this).items() if is_in}
        assert arrived == {"personthis1@example.org", "personthis2@example.org"}
    untouched()


def test_a_new_time_changes_only_this_sessions_calendar_events(app, two_sessions, untouched):
    this, _other = two_sessions
    with app.app_context():
        services.calendar_changed(this)
        db.session.commit()
        assert {sequence for _, _, sequence in _people(this).values()} == {1}
    untouched()


def test_moving_promotes_at_the_old_session_only(app, two_sessions, untouched):
    this, _other = two_sessions
    target = make_session(app, capacity=3, days_ahead=20, title="Third session",
                          programme_id=_programme_of(app, this))
    with app.app_context():
        mover = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis1@example.org"))
        promoted = services.move(mover, db.session.get(EventSession, target))
        assert [r.email for r in promoted] == ["personthis3@example.org"]
        assert _people(target) == {"personthis1@example.org": (CONFIRMED, False, 1)}  # arrival not carried over
    untouched()


def test_a_burst_is_read_and_cancelled_in_its_own_session(app, two_sessions, untouched, make_user):
    this, _other = two_sessions
    with app.app_context():
        since, until = utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=1)
        found = services.burst(this, since, until, "@example.org")
        assert sorted(r.email for r in found) == [f"personthis{n}@example.org" for n in (1, 2, 3)]
        assert services.burst(this, since, until, "@example.net") == []
        services.cancel_burst(db.session.get(EventSession, this), found, make_user(), "test")
        assert {status for status, _, _ in _people(this).values()} == {CANCELLED}
        assert db.session.get(EventSession, this).confirmed_count == 0
    untouched()


def test_waiting_position_counts_this_sessions_queue(app, two_sessions):
    this, other = two_sessions
    with app.app_context():
        waiting = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis3@example.org"))
        assert services.waiting_position(waiting) == 1
        late = services.book(db.session.get(EventSession, other), **person("late")).registration
        assert services.waiting_position(late) == 2
        confirmed = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis1@example.org"))
        assert services.waiting_position(confirmed) is None


def test_a_place_in_another_programme_does_not_stop_a_booking(app):
    """person1@example.org holds a place in the neighbour's programme: one place per
    programme, so they can still book here."""
    session_id = make_session(app, capacity=2)
    with app.app_context():
        result = services.book(db.session.get(EventSession, session_id), **person(1))
        assert result.outcome == services.BookingOutcome.CONFIRMED
        assert services.active_booking(session_id, "person1@example.org").id == result.registration.id
        found = services.bookings_to_find("person1@example.org")
        assert len(found) == 2 and {r.session.programme_id for r in found} == {
            _programme_of(app, session_id), neighbours.neighbour_id()}


def test_move_targets_are_this_programmes_sessions(app, two_sessions):
    this, other = two_sessions
    third = make_session(app, capacity=3, days_ahead=20, programme_id=_programme_of(app, this))
    with app.app_context():
        mover = db.session.scalar(sa.select(Registration).where(Registration.email == "personthis1@example.org"))
        # `other` is full; the neighbour's sessions are another programme's.
        assert [s.id for s in services.move_targets(mover)] == [third]
        neighbour_session = db.session.scalar(
            sa.select(EventSession).where(EventSession.programme_id == neighbours.neighbour_id()).order_by(
                EventSession.starts_at.desc()))
        with pytest.raises(services.BookingError, match="same programme"):
            services.move(mover, neighbour_session)
        with pytest.raises(services.BookingError, match="same programme"):
            services.move(mover, db.session.get(EventSession, this))
        assert other not in [s.id for s in services.move_targets(mover)]


def _programme_of(app, session_id: int) -> int:
    with app.app_context():
        return db.session.get(EventSession, session_id).programme_id


# --- lists, counts and CSV files ---------------------------------------------------------------


def test_attendee_lists_and_counts_keep_to_their_sessions(app, two_sessions):
    this, other = two_sessions
    with app.app_context():
        assert sorted(r.email for r in services.attendees([this])) == [
            f"personthis{n}@example.org" for n in (1, 2, 3)]
        both = services.attendees([this, other])
        assert len(both) == 6 and [r.session_id for r in both] == sorted(r.session_id for r in both)
        assert [r.email for r in services.attendees([this], services.AttendeeFilter.ATTENDED)] == [
            "personthis1@example.org"]
        assert [r.email for r in services.attendees([this], services.AttendeeFilter.NOT_ARRIVED)] == [
            "personthis2@example.org"]
        assert [r.email for r in services.attendees([this], services.AttendeeFilter.WAITING)] == [
            "personthis3@example.org"]
        assert services.attendees([this], search="NEIGHBOUR") == []
        counts = services.counts_by_session([this])
        assert list(counts) == [this]
        assert counts[this] == services.SessionCounts(booked=2, waiting=1, cancelled=0, attended=1)


def test_attendee_pages_and_csv_files_show_this_programmes_people(app, client, login_as, two_sessions):
    this, _other = two_sessions
    programme_id = _programme_of(app, this)
    login_as("organiser")
    base = f"/organiser/programmes/{programme_id}"
    for url in (f"{base}/attendees", f"{base}/attendees.csv", f"{base}/sessions/{this}",
                f"{base}/sessions/{this}/attendees.csv", f"{base}/sessions/{this}/sign-in-sheet",
                f"{base}/attendance.csv"):
        text = client.get(url).get_data(as_text=True)
        assert "personthis1@example.org" in text or "Person this1" in text, url
        assert neighbours.MARK not in text, url
    session_csv = client.get(f"{base}/sessions/{this}/attendees.csv").get_data(as_text=True)
    assert "personother1" not in session_csv
    rows = list(csv.reader(io.StringIO(client.get(f"{base}/attendees.csv").get_data(as_text=True), newline="")))
    assert len(rows) == 1 + 6


def test_a_neighbours_session_is_not_reachable_through_this_programme(app, client, login_as, two_sessions):
    this, _other = two_sessions
    programme_id = _programme_of(app, this)
    with app.app_context():
        neighbour_session = db.session.scalar(
            sa.select(EventSession.id).where(EventSession.programme_id == neighbours.neighbour_id()))
        registration = db.session.scalar(sa.select(Registration.id).where(Registration.session_id == neighbour_session))
    login_as("organiser")
    base = f"/organiser/programmes/{programme_id}/sessions/{neighbour_session}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/attendees.csv").status_code == 404
    cancel_url = f"/organiser/programmes/{programme_id}/sessions/{this}/registrations/{registration}/cancel"
    assert client.get(cancel_url).status_code == 404


# --- results and exports ---------------------------------------------------------------------


@pytest.fixture
def answered(app, demo):
    """The demo's first two sessions with bookings and responses: 6 in the first (5 from
    North East, 1 from South), 4 in the second (2 from South, 2 not saying); each comment
    names its session."""
    from tests import results_factories as f
    from webapp.feedback.models import QuestionKind

    with app.app_context():
        first, second = f.sessions(demo)[:2]
        indicator = f.question(demo, kind=QuestionKind.AGREEMENT)
        comment = f.question(demo, kind=QuestionKind.LONG_TEXT)
        locality = f.question(demo, breakdown="locality")
        f.register(first, checked_in=True)
        f.register(second, name="Second Person", email="second@example.org", checked_in=True)
        for n in range(6):
            f.respond(first, {indicator: "Agree", comment: f"first comment {n}",
                              locality: "North East" if n < 5 else "South"})
        for n in range(4):
            f.respond(second, {indicator: "Disagree", comment: f"second comment {n}",
                               **({locality: "South"} if n < 2 else {})})
        db.session.commit()
        return {"programme": demo, "first": first.id, "second": second.id, "indicator": indicator.id}


def test_per_session_results_count_that_session_only(app, answered):
    from tests import results_factories as f
    from webapp.results import services as results

    with app.app_context():
        programme = f.programme(answered["programme"])
        first = db.session.get(EventSession, answered["first"])
        figures = results.results_for(programme, [first])
        assert (figures.totals.responses, figures.totals.booked, figures.totals.attended) == (6, 1, 1)
        indicator = next(r for r in figures.questions if r.question.id == answered["indicator"])
        assert (indicator.respondents, indicator.percent_agree) == (6, 1.0)
        assert results.response_count([answered["first"]]) == 6
        assert results.comment_count([answered["first"]]) == 6
        texts = [c.text for c in results.comment_page([answered["first"]]).items]
        assert sorted(texts) == [f"first comment {n}" for n in range(6)]
        whole = results.results_for(programme, results.select_sessions(programme))
        assert whole.totals.responses == 10 and whole.totals.booked == 2
        assert next(r for r in whole.questions if r.question.id == answered["indicator"]).percent_agree == 0.6


def test_programme_pages_and_files_leave_the_neighbour_out(app, client, login_as, answered):
    from tests.test_exports import _build, _load, _rows

    programme_id = answered["programme"]
    login_as("organiser")
    base = f"/organiser/programmes/{programme_id}"
    for url in (f"{base}/results", f"{base}/sessions/{answered['first']}/results", f"{base}/results/compare",
                f"{base}/responses.csv", f"{base}/attendance.csv"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and neighbours.MARK not in text, url
    responses = list(csv.reader(io.StringIO(client.get(f"{base}/responses.csv").data.decode("utf-8-sig"),
                                            newline="")))
    assert len(responses) == 1 + 10
    workbook = _load(_build(app, programme_id))
    for sheet in workbook.worksheets:
        for row in _rows(sheet):
            assert not any(neighbours.MARK in str(cell) for cell in row if cell is not None), sheet.title
    assert len(_rows(workbook["Responses"])) == 1 + 10
    assert len(_rows(workbook["Comments"])) == 1 + 10
    assert len(_rows(workbook["Attendance"])) == 1 + 2


def test_workbook_summary_hides_small_groups_and_keeps_formulas_as_text(app, answered):
    from tests.test_exports import _build, _load
    from webapp.results import services as results

    with app.app_context():
        programme = db.session.get(Programme, answered["programme"])
        programme.title = "=HYPERLINK(\"http://evil.example\",\"x\")"
        programme.summary = "+1+1"
        db.session.commit()
    sheet = _load(_build(app, answered["programme"]))["Summary"]
    cells = {(cell.row, cell.column): cell for row in sheet.iter_rows() for cell in row}
    title = cells[(1, 1)]
    assert title.value == "=HYPERLINK(\"http://evil.example\",\"x\")" and title.data_type == "s"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:2] == ["Programme", "=HYPERLINK(\"http://evil.example\",\"x\")"]
    assert cells[(2, 2)].data_type == "s" and cells[(3, 2)].data_type == "s" and cells[(3, 2)].value == "+1+1"
    start = next(index for index, row in enumerate(values) if row[0] == "By locality")
    end = next(index for index in range(start + 1, len(values)) if not any(values[index]))
    by_label = {row[1]: row[2:4] for row in values[start + 1:end]}
    assert by_label["North East"] == [5, 1.0]
    # South (3) and Not answered (2) are small: both hidden, together 5, so neither can be worked out.
    assert by_label["South"][0] == results.SUPPRESSED_LABEL
    assert by_label[results.NOT_ANSWERED][0] == results.SUPPRESSED_LABEL
    assert not any(isinstance(cell.value, str) and cell.data_type == "f" for cell in cells.values())
