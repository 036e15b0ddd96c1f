"""The booking services' rules, called directly: each condition of each query has a case
on either side of it (written after mutation testing showed which could be changed
unnoticed: tools/mutation.py --module bookings)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.booking_helpers import make_session, person
from webapp.auth.models import AuditEntry
from webapp.bookings import services
from webapp.bookings.models import WALK_IN_EMAIL_DOMAIN, Registration, RegistrationStatus
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.jobs.models import EmailKind, OutboundEmail
from webapp.sessions.models import EventSession, SessionStatus

CONFIRMED, WAITING, CANCELLED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING, RegistrationStatus.CANCELLED


def _session(session_id: int) -> EventSession:
    db.session.expire_all()
    return db.session.get(EventSession, session_id)


def _book(session_id: int, n, **overrides) -> services.BookingResult:
    return services.book(_session(session_id), **person(n, **overrides))


def _emails(kind: EmailKind, registration_id: int | None = None) -> int:
    query = sa.select(sa.func.count(OutboundEmail.id)).where(OutboundEmail.kind == kind)
    if registration_id is not None:
        query = query.where(OutboundEmail.registration_id == registration_id)
    return db.session.scalar(query)


def _audit(action: str) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        sa.select(AuditEntry.target, AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id))]


@pytest.fixture
def one_programme(app):
    """Three sessions of one programme (one place each): (first, second, third)."""
    first = make_session(app, capacity=1)
    with app.app_context():
        programme_id = _session(first).programme_id
    second = make_session(app, capacity=1, programme_id=programme_id, days_ahead=15)
    third = make_session(app, capacity=1, programme_id=programme_id, days_ahead=16)
    return first, second, third


# --- booking -----------------------------------------------------------------------------------


def test_a_booking_takes_the_place_then_the_waiting_list(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        first = _book(session_id, 1, email="  First@Example.ORG ", name="  Ada  ")
        assert (first.outcome, first.registration.status) == (services.BookingOutcome.CONFIRMED, CONFIRMED)
        assert (first.registration.email, first.registration.name) == ("first@example.org", "Ada")
        assert _emails(EmailKind.BOOKING_CONFIRMED, first.registration.id) == 1
        second = _book(session_id, 2)
        assert (second.outcome, second.registration.status) == (services.BookingOutcome.WAITING, WAITING)
        assert _emails(EmailKind.WAITING_LIST, second.registration.id) == 1
        assert _session(session_id).confirmed_count == 1
        again = _book(session_id, 2, email="PERSON2@example.org")
        assert again.outcome == services.BookingOutcome.ALREADY_BOOKED and again.registration.id == second.registration.id


def test_a_cancelled_session_cannot_be_booked(app):
    session_id = make_session(app, capacity=3)
    with app.app_context():
        _session(session_id).status = SessionStatus.CANCELLED
        db.session.commit()
        with pytest.raises(services.BookingError, match="cancelled"):
            _book(session_id, 1)
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))
                                 .where(Registration.session_id == session_id)) == 0


def test_one_place_per_programme_unless_it_allows_more(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        held = _book(first, 1).registration
        elsewhere = _book(second, 1)
        assert elsewhere.outcome == services.BookingOutcome.BOOKED_ELSEWHERE and elsewhere.registration.id == held.id
        assert _session(second).confirmed_count == 0
        _session(first).programme.allows_several_places = True
        db.session.commit()
        assert _book(second, 1).outcome == services.BookingOutcome.CONFIRMED


def test_what_counts_as_a_place_elsewhere(app, one_programme):
    """Only a confirmed place, at another scheduled session of the programme, not yet over."""
    first, second, third = one_programme
    with app.app_context():
        session = _session(third)
        assert services.place_elsewhere(session, "person1@example.org") is None
        _book(first, 2)  # takes the place
        waiting = _book(first, 1).registration
        assert waiting.status == WAITING and services.place_elsewhere(session, "person1@example.org") is None
        held = _book(second, 1).registration
        assert services.place_elsewhere(session, "PERSON1@example.org").id == held.id
        assert services.place_elsewhere(_session(second), "person1@example.org") is None  # that is this session
        _session(second).status = SessionStatus.CANCELLED
        db.session.commit()
        assert services.place_elsewhere(_session(third), "person1@example.org") is None
        _session(second).status = SessionStatus.SCHEDULED
        over = _session(second)
        over.starts_at, over.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert services.place_elsewhere(_session(third), "person1@example.org") is None


def test_the_soonest_place_elsewhere_is_offered(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        _session(first).programme.allows_several_places = True
        db.session.commit()
        later = _book(third, 1).registration
        sooner = _book(second, 1).registration
        assert services.place_elsewhere(_session(first), "person1@example.org").id == sooner.id != later.id


# --- finding a booking -------------------------------------------------------------------------


def test_links_find_live_bookings_only(app):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        registration = _book(session_id, 1).registration
        booking, checkin = registration.booking_token, registration.checkin_token
        assert services.find_by_booking_token(booking).id == registration.id
        assert services.find_by_checkin_token(checkin).id == registration.id
        assert services.find_by_booking_token(checkin) is None and services.find_by_checkin_token(booking) is None
        assert services.find_by_booking_token("not a token!") is None
        assert services.find_by_checkin_token("not a token!") is None
        registration.purged_at = utcnow()
        db.session.commit()
        assert services.find_by_booking_token(booking) is None and services.find_by_checkin_token(checkin) is None


def test_find_my_booking_lists_active_bookings_for_sessions_not_over(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        _session(first).programme.allows_several_places = True
        db.session.commit()
        at_third = _book(third, 5).registration
        at_first = _book(first, 5).registration
        cancelled = _book(second, 5).registration
        services.cancel(cancelled)
        assert [r.id for r in services.bookings_to_find(" Person5@Example.org ")] == [at_first.id, at_third.id]
        ends = _session(first).ends_at
        assert [r.id for r in services.bookings_to_find("person5@example.org", now=ends)] == [at_third.id]
        assert [r.id for r in services.bookings_to_find("person5@example.org", now=ends - timedelta(seconds=1))] \
            == [at_first.id, at_third.id]
        at_third.purged_at = utcnow()
        db.session.commit()
        assert [r.id for r in services.bookings_to_find("person5@example.org")] == [at_first.id]
        assert services.bookings_to_find("nobody@example.org") == []


def test_manage_links_are_emailed_only_to_an_address_with_bookings(app):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        _book(session_id, 1)
        services.request_manage_links("nobody@example.org")
        assert _emails(EmailKind.FIND_BOOKING) == 0
        services.request_manage_links(" PERSON1@example.org")
        assert _emails(EmailKind.FIND_BOOKING) == 1


# --- cancelling, moving, promoting ----------------------------------------------------------------


def test_cancelling_frees_the_place_for_the_longest_waiting(app, make_user):
    session_id = make_session(app, capacity=1)
    organiser = make_user()
    with app.app_context():
        held = _book(session_id, 1).registration
        first_waiting = _book(session_id, 2).registration
        second_waiting = _book(session_id, 3).registration
        assert services.waiting_position(second_waiting) == 2
        cancelled, promoted = services.cancel(db.session.get(Registration, held.id), actor=organiser)
        assert cancelled and [r.id for r in promoted] == [first_waiting.id]
        assert promoted[0].status == CONFIRMED and promoted[0].promoted_at is not None
        assert _emails(EmailKind.PROMOTED, first_waiting.id) == 1 and _emails(EmailKind.CANCELLED, held.id) == 1
        assert services.waiting_position(db.session.get(Registration, second_waiting.id)) == 1
        assert _audit("booking.cancelled") == [(f"registration:{held.id}", "North East: morning briefing")]
        assert services.cancel(db.session.get(Registration, held.id)) == (False, [])
        assert _session(session_id).confirmed_count == 1


def test_a_holder_cancelling_is_not_audited_and_a_waiting_place_frees_nothing(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        _book(session_id, 1)
        waiting = _book(session_id, 2).registration
        assert services.cancel(waiting) == (True, [])
        assert _audit("booking.cancelled") == [] and _session(session_id).confirmed_count == 1
        assert db.session.get(Registration, waiting.id).cancelled_at is not None


def test_promotion_fills_every_free_place_in_order(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        _book(session_id, 1)
        waiting = [_book(session_id, n).registration.id for n in (2, 3, 4)]
        promoted = services.set_capacity(session_id, 3)
        db.session.commit()
        assert [r.id for r in promoted] == waiting[:2]
        assert _session(session_id).confirmed_count == 3
        assert services.set_capacity(session_id, 3) == []  # exactly the places booked: allowed
        with pytest.raises(services.BookingError, match="below the places already booked"):
            services.set_capacity(session_id, 2)


def test_a_move_takes_a_place_there_and_frees_one_here(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        mover = _book(first, 1).registration
        waiting = _book(first, 2).registration
        services.check_in(mover, None)
        promoted = services.move(db.session.get(Registration, mover.id), _session(second))
        assert [r.id for r in promoted] == [waiting.id]
        moved = db.session.get(Registration, mover.id)
        assert (moved.session_id, moved.status, moved.checked_in_at) == (second, CONFIRMED, None)
        assert (_session(first).confirmed_count, _session(second).confirmed_count) == (1, 1)
        assert _emails(EmailKind.MOVED, mover.id) == 1
        with pytest.raises(services.BookingError, match="just filled up"):
            services.move(db.session.get(Registration, waiting.id), _session(second))
        assert _session(second).confirmed_count == 1


def test_a_place_on_the_waiting_list_moves_to_a_confirmed_place(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        _book(first, 1)
        waiting = _book(first, 2).registration
        assert services.move(waiting, _session(third)) == []
        moved = db.session.get(Registration, waiting.id)
        assert (moved.session_id, moved.status) == (third, CONFIRMED)
        assert _session(first).confirmed_count == 1  # the waiting place held none


def test_a_move_that_cannot_be_made_says_why(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        _session(first).programme.allows_several_places = True
        db.session.commit()
        mover = _book(first, 1).registration
        _book(second, 1)
        with pytest.raises(services.BookingError, match="already have a booking"):
            services.move(mover, _session(second))
        _session(third).status = SessionStatus.CANCELLED
        db.session.commit()
        with pytest.raises(services.BookingError, match="cancelled"):
            services.move(db.session.get(Registration, mover.id), _session(third))
        services.cancel(db.session.get(Registration, mover.id))
        with pytest.raises(services.BookingError, match="Book a new place instead"):
            services.move(db.session.get(Registration, mover.id), _session(second))


def test_move_targets_have_room_and_are_still_to_come(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        _session(first).programme.allows_several_places = True
        db.session.commit()
        mover = _book(first, 1).registration
        assert [s.id for s in services.move_targets(mover)] == [second, third]
        _book(second, 2)  # full now
        assert [s.id for s in services.move_targets(mover)] == [third]
        _session(third).status = SessionStatus.CANCELLED
        db.session.commit()
        assert services.move_targets(db.session.get(Registration, mover.id)) == []


def test_a_session_cancelled_tells_only_the_people_still_booked(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        held = _book(session_id, 1).registration
        waiting = _book(session_id, 2).registration
        gone = _book(session_id, 3).registration
        services.cancel(gone)
        affected = services.cancel_session_bookings(session_id)
        db.session.commit()
        assert sorted(r.id for r in affected) == [held.id, waiting.id]
        assert all(db.session.get(Registration, r.id).cancelled_at is not None for r in (held, waiting))
        session = _session(session_id)
        assert (session.status, session.confirmed_count) == (SessionStatus.CANCELLED, 0)
        assert _emails(EmailKind.SESSION_CANCELLED) == 2 and _emails(EmailKind.SESSION_CANCELLED, gone.id) == 0
        sequences = dict(db.session.execute(sa.select(Registration.id, Registration.calendar_sequence)
                                            .where(Registration.session_id == session_id)).all())
        assert sequences[gone.id] == 1 and sequences[held.id] == 1 and sequences[waiting.id] == 1


def test_a_new_time_changes_every_active_booking_s_calendar_event(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        held = _book(session_id, 1).registration
        gone = _book(session_id, 2).registration
        services.cancel(gone)  # sequence 1
        services.calendar_changed(session_id)
        services.calendar_changed(session_id)
        db.session.commit()
        sequences = dict(db.session.execute(sa.select(Registration.id, Registration.calendar_sequence)
                                            .where(Registration.session_id == session_id)).all())
        assert sequences == {held.id: 2, gone.id: 1}


# --- the door ----------------------------------------------------------------------------------


def test_check_in_once_and_only_for_a_confirmed_place(app, make_user):
    session_id = make_session(app, capacity=1)
    organiser = make_user()
    with app.app_context():
        held = _book(session_id, 1).registration
        waiting = _book(session_id, 2).registration
        assert services.check_in(held, organiser) is True
        assert services.check_in(held, organiser) is False
        assert [target for target, _ in _audit("booking.checked_in")] == [f"registration:{held.id}"]
        with pytest.raises(services.BookingError, match="Person 2 is not booked on this session \\(waiting"):
            services.check_in(waiting, organiser)
        assert db.session.get(Registration, waiting.id).checked_in_at is None
        assert services.undo_check_in(waiting, organiser) is False
        assert services.undo_check_in(held, organiser) is True
        assert [target for target, _ in _audit("booking.check_in_undone")] == [f"registration:{held.id}"]
        assert set(db.session.scalars(sa.select(AuditEntry.user_id).where(AuditEntry.action.in_(
            ["booking.checked_in", "booking.check_in_undone"])))) == {organiser.id}


def test_a_walk_in_gets_a_place_and_grows_a_full_session(app, make_user):
    session_id = make_session(app, capacity=2)
    organiser = make_user()
    with app.app_context():
        walk_in, grew = services.add_walk_in(_session(session_id), organiser, "  Walk In  ", job_role=" Nurse ",
                                             team=" Fostering ", organisation=" HSCP ")
        assert grew is False and (walk_in.name, walk_in.job_role) == ("Walk In", "Nurse")
        assert (walk_in.team, walk_in.organisation) == ("Fostering", "HSCP")
        assert db.session.execute(sa.select(AuditEntry.user_id, AuditEntry.target, AuditEntry.detail).where(
            AuditEntry.action == "booking.walk_in")).one() == (
            organiser.id, f"registration:{walk_in.id}", "North East: morning briefing")
        assert walk_in.email.endswith(f"@{WALK_IN_EMAIL_DOMAIN}") and walk_in.is_walk_in
        assert walk_in.status == CONFIRMED and walk_in.checked_in_at is not None
        assert (_session(session_id).capacity, _session(session_id).confirmed_count) == (2, 1)
        _book(session_id, 1)
        _, grew = services.add_walk_in(_session(session_id), organiser, "Late", email="Late@Example.org")
        session = _session(session_id)
        assert grew is True and (session.capacity, session.confirmed_count) == (3, 3)
        assert db.session.scalar(sa.select(Registration.email).where(Registration.name == "Late")) == "late@example.org"


def test_a_walk_in_already_booked_is_checked_in_and_a_waiting_one_replaced(app, make_user):
    session_id = make_session(app, capacity=1)
    organiser = make_user()
    with app.app_context():
        held = _book(session_id, 1).registration
        waiting = _book(session_id, 2).registration
        registration, grew = services.add_walk_in(_session(session_id), organiser, "Person 1",
                                                  email="person1@example.org")
        assert (registration.id, grew) == (held.id, False) and registration.checked_in_at is not None
        assert db.session.scalar(sa.select(AuditEntry.user_id).where(
            AuditEntry.action == "booking.checked_in")) == organiser.id
        registration, grew = services.add_walk_in(_session(session_id), organiser, "Person 2",
                                                  email="person2@example.org")
        assert registration.id != waiting.id and grew is True
        assert db.session.get(Registration, waiting.id).status == CANCELLED
        assert (registration.status, registration.is_walk_in) == (CONFIRMED, True)


# --- lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (None, services.AttendeeFilter.ALL), ("", services.AttendeeFilter.ALL), ("nonsense", services.AttendeeFilter.ALL),
    ("waiting", services.AttendeeFilter.WAITING), ("not_arrived", services.AttendeeFilter.NOT_ARRIVED),
])
def test_an_attendee_filter_from_a_url(value, expected):
    assert services.AttendeeFilter.from_query(value) is expected


def test_attendee_search_finds_every_word_in_name_email_team_or_organisation(app):
    session_id = make_session(app, capacity=5)
    with app.app_context():
        _book(session_id, 1, name="Jo Bloggs", team="Fostering", organisation="HSCP")
        _book(session_id, 2, name="Sam Smith", email="sam@school.example", team="Schools", organisation="Education")
        _book(session_id, 3, name="Al 100% Sure", team="A_team", organisation="Police")

        def found(search: str, status=services.AttendeeFilter.ALL) -> list[str]:
            return [r.name for r in services.attendees([session_id], status, search)]

        assert found("jo bl") == ["Jo Bloggs"]
        assert found("FOSTER") == ["Jo Bloggs"] and found("school.example") == ["Sam Smith"]
        assert found("education") == ["Sam Smith"] and found("police") == ["Al 100% Sure"]
        assert found("100%") == ["Al 100% Sure"] and found("a_t") == ["Al 100% Sure"]
        assert found("jo smith") == []
        assert found("") == ["Al 100% Sure", "Jo Bloggs", "Sam Smith"]  # by name
        assert found("x" * 100 + "jo") == []  # a search is cut at 100 characters
        assert found("jo\x00") == ["Jo Bloggs"]
        services.cancel(db.session.scalar(sa.select(Registration).where(Registration.name == "Sam Smith")))
        assert found("", services.AttendeeFilter.CANCELLED) == ["Sam Smith"]
        assert found("", services.AttendeeFilter.CONFIRMED) == ["Al 100% Sure", "Jo Bloggs"]
        purged = db.session.scalar(sa.select(Registration).where(Registration.name == "Jo Bloggs"))
        purged.purged_at = utcnow()
        db.session.commit()
        assert found("") == ["Al 100% Sure", "Sam Smith"]


def test_counts_by_session_count_each_status_and_arrivals(app, make_user):
    session_id = make_session(app, capacity=2)
    empty = make_session(app, capacity=2)
    with app.app_context():
        first = _book(session_id, 1).registration
        _book(session_id, 2)
        _book(session_id, 3)
        gone = _book(session_id, 4).registration
        services.cancel(gone)
        services.check_in(first, make_user())
        counts = services.counts_by_session([session_id, empty])
        assert counts == {session_id: services.SessionCounts(booked=2, waiting=1, cancelled=1, attended=1),
                          empty: services.SessionCounts()}
        assert services.counts_by_session([]) == {}


def test_an_attendee_csv_download_is_audited_with_its_size(app, make_user):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        _book(session_id, 1)
        people = services.attendees([session_id])
        organiser = make_user()
        text = services.export_attendees_csv(organiser, people, f"session:{session_id}")
        assert db.session.scalar(sa.select(AuditEntry.user_id).where(
            AuditEntry.action == "export.attendees_csv")) == organiser.id
        assert text.count("\r\n") == 2 and "person1@example.org" in text
        assert _audit("export.attendees_csv") == [(f"session:{session_id}", "1 people")]


def test_a_burst_is_the_bookings_made_in_its_window(app, make_user):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        early = _book(session_id, 1).registration
        early.created_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        bots = [_book(session_id, n, email=f"bot{n}@Bots.example").registration for n in range(3)]
        real = _book(session_id, "real").registration
        since, until = utcnow() - timedelta(hours=1), utcnow() + timedelta(seconds=5)
        assert [r.id for r in services.burst(session_id, since, until, "@bots.EXAMPLE")] == [b.id for b in bots]
        assert [r.id for r in services.burst(session_id, since, until)] == [b.id for b in bots] + [real.id]
        assert services.burst(session_id, since, bots[0].created_at, "@bots.example") == []
        assert [r.id for r in services.burst(session_id, bots[0].created_at, until, "@bots.example")] == [
            b.id for b in bots]
        promoted = services.cancel_burst(_session(session_id), bots, make_user(), "ending @bots.example")
        assert [r.id for r in promoted] == [real.id]
        assert _audit("booking.burst_cancelled") == [
            (f"session:{session_id}", "3 bookings cancelled (ending @bots.example); 1 promoted from the waiting list")]
        assert services.burst(session_id, since, until, "@bots.example") == []
        assert _session(session_id).confirmed_count == 2


def test_a_burst_leaves_out_walk_ins_and_reads_the_ending_literally(app, make_user):
    session_id = make_session(app, capacity=5)
    with app.app_context():
        first = _book(session_id, 1, email="a1@x_bots.example").registration
        second = _book(session_id, 2, email="a2@x_bots.example").registration
        third = _book(session_id, 3, email="a3@x_bots.example").registration
        lookalike = _book(session_id, 4, email="a4@xybots.example").registration  # "_" is not a wildcard
        services.add_walk_in(_session(session_id), make_user(), "Walk In", email="w@x_bots.example")
        # Booked in another order than their ids: the burst lists them by booking time.
        first.created_at, second.created_at, third.created_at = (utcnow() - timedelta(minutes=m) for m in (1, 3, 2))
        lookalike.created_at = utcnow() - timedelta(minutes=4)
        db.session.commit()
        since, until = utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=1)
        found = services.burst(session_id, since, until, "@x_bots.example")
        assert [r.id for r in found] == [second.id, third.id, first.id]
        assert services.burst(session_id, since, until, "%bots.example")[:1] == []


def test_a_burst_cancels_confirmed_and_waiting_places_and_counts_both(app, make_user):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        bots = [_book(session_id, n, email=f"bot{n}@bots.example").registration for n in range(3)]
        assert [b.status for b in bots] == [CONFIRMED, CONFIRMED, WAITING]
        organiser = make_user()
        services.cancel_burst(_session(session_id), bots, organiser, "test")
        assert _audit("booking.burst_cancelled")[0][1].startswith("3 bookings cancelled (test); 0 promoted")
        assert db.session.scalar(sa.select(AuditEntry.user_id).where(
            AuditEntry.action == "booking.burst_cancelled")) == organiser.id
        assert _session(session_id).confirmed_count == 0


def test_people_booked_at_the_same_moment_wait_in_booking_order(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        _book(session_id, 1)
        waiting = [_book(session_id, n).registration for n in (2, 3, 4)]
        moment = utcnow()
        for registration in waiting:
            registration.created_at = moment
        db.session.commit()
        assert [services.waiting_position(db.session.get(Registration, r.id)) for r in waiting] == [1, 2, 3]
        waiting[2].created_at = moment - timedelta(seconds=1)  # booked first after all
        db.session.commit()
        assert [services.waiting_position(db.session.get(Registration, r.id)) for r in waiting] == [2, 3, 1]


def test_move_targets_leave_out_the_booking_s_own_session_and_come_in_date_order(app, one_programme):
    first, second, third = one_programme
    with app.app_context():
        programme_id = _session(first).programme_id
    sooner = make_session(app, capacity=1, programme_id=programme_id, days_ahead=14, title="Made last, held first")
    with app.app_context():
        _session(first).capacity = 2  # its own session has room too
        db.session.commit()
        mover = _book(first, 1).registration
        assert [s.id for s in services.move_targets(mover)] == [sooner, second, third]


def test_an_attendee_search_reads_its_first_100_characters(app):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        _book(session_id, 1, name="Jo Bloggs")
        assert [r.name for r in services.attendees([session_id], search="jo" + " " * 98 + "q")] == ["Jo Bloggs"]
        assert services.attendees([session_id], search="jo" + " " * 97 + "q") == []


def test_an_organiser_cancelling_is_audited_as_them(app, make_user):
    session_id = make_session(app, capacity=1)
    organiser = make_user()
    with app.app_context():
        held = _book(session_id, 1).registration
        services.cancel(held, actor=organiser)
        assert db.session.scalar(sa.select(AuditEntry.user_id).where(
            AuditEntry.action == "booking.cancelled")) == organiser.id


def test_attendee_search_takes_wildcards_literally_in_every_column(app):
    session_id = make_session(app, capacity=5)
    with app.app_context():
        _book(session_id, 1, name="Al Sure", email="al_sure@example.org", organisation="Police_Scotland")
        _book(session_id, 2, name="Bo Sure", email="bosure@example.org", organisation="PoliceScotland")
        for search in ("l_s", "e_s", "L_S"):
            assert [r.name for r in services.attendees([session_id], search=search)] == ["Al Sure"], search


def test_attendees_are_listed_by_name_case_folded_then_booking(app):
    session_id = make_session(app, capacity=5)
    with app.app_context():
        ids = [_book(session_id, n, name=name).registration.id
               for n, name in ((1, "abe"), (2, "_Zed"), (3, "Same"), (4, "same"))]
        listed = services.attendees([session_id])
        assert [r.name for r in listed] == ["_Zed", "abe", "Same", "same"]
        assert [r.id for r in listed][2:] == ids[2:]


def test_counts_by_session_keep_sessions_apart(app):
    first = make_session(app, capacity=1)
    second = make_session(app, capacity=1)
    with app.app_context():
        _book(first, 1)
        _book(first, 2)
        _book(second, 3)
        counts = services.counts_by_session([first, second])
        assert counts[first] == services.SessionCounts(booked=1, waiting=1)
        assert counts[second] == services.SessionCounts(booked=1)


def test_the_longest_waiting_is_promoted_whatever_the_ids(app):
    session_id = make_session(app, capacity=1)
    with app.app_context():
        held = _book(session_id, 1).registration
        later = _book(session_id, 2).registration
        earlier = _book(session_id, 3).registration
        earlier.created_at = later.created_at - timedelta(minutes=5)  # a higher id, yet waiting longer
        db.session.commit()
        _, promoted = services.cancel(held)
        assert [r.id for r in promoted] == [earlier.id]


def test_a_place_freed_when_the_counter_is_already_zero_leaves_it_at_zero(app):
    """The counter never goes below zero (the database refuses it), even if a place is
    freed that the counter no longer holds."""
    session_id = make_session(app, capacity=1)
    with app.app_context():
        held = _book(session_id, 1).registration
        _session(session_id).confirmed_count = 0
        db.session.commit()
        assert services.cancel(held)[0] is True
        assert _session(session_id).confirmed_count == 0


def test_booking_again_once_booking_has_closed_resends_the_link(app):
    """Someone already booked who books again gets their link, even when the session can
    no longer be booked (the page says the same as for a new booking)."""
    session_id = make_session(app, capacity=2)
    with app.app_context():
        held = _book(session_id, 1).registration
        _session(session_id).booking_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        again = _book(session_id, 1)
        assert again.outcome == services.BookingOutcome.ALREADY_BOOKED and again.registration.id == held.id
        with pytest.raises(services.BookingError, match="closed"):
            _book(session_id, 2)


def test_no_place_is_taken_at_a_cancelled_session(app):
    session_id = make_session(app, capacity=2)
    with app.app_context():
        _session(session_id).status = SessionStatus.CANCELLED
        db.session.commit()
        assert services._take_place(session_id) is False
        assert _session(session_id).confirmed_count == 0
