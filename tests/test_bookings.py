"""Public booking, the waiting list, promotion, moving and manage-my-booking."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import pytest

from tests.booking_helpers import book_via_http, csrf_from, make_session, person
from webapp.bookings import services
from webapp.bookings.models import Registration
from webapp.extensions import db
from webapp.sessions.models import EventSession


def _registrations(app, session_id):
    with app.app_context():
        return {r.email: (r.status, r.booking_token) for r in
                db.session.scalars(sa.select(Registration).where(Registration.session_id == session_id))}


def _count(app, session_id):
    with app.app_context():
        return db.session.get(EventSession, session_id).confirmed_count


def _without_csrf(page: str) -> str:
    import re

    return re.sub(r'name="csrf_token"[^>]*>', "", page)


def _book(app, session_id, n, **overrides):
    with app.app_context():
        result = services.book(db.session.get(EventSession, session_id), **person(n, **overrides))
        return result.outcome, result.registration.booking_token


def test_booking_form_books_a_place_and_says_to_check_the_email(app, client):
    session_id = make_session(app, capacity=2)
    response = book_via_http(client, session_id, person(1, email="  Ada@Example.ORG "))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sessions/{session_id}/register/sent"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page and "ada@example.org" in page
    status, token = _registrations(app, session_id)["ada@example.org"]
    assert status == "confirmed" and len(token) >= 22  # >= 128 bits, URL-safe
    assert token not in page
    page = client.get(f"/booking/{token}?new=1").get_data(as_text=True)
    assert "You’re booked" in page and "Check-in ticket" in page
    assert _count(app, session_id) == 1


def test_full_session_offers_the_waiting_list(app, client):
    session_id = make_session(app, capacity=1)
    _book(app, session_id, 1)
    page = client.get(f"/sessions/{session_id}/register").get_data(as_text=True)
    assert "This session is full" in page and "Join the waiting list" in page
    response = book_via_http(client, session_id, person(2))
    assert response.headers["Location"] == f"/sessions/{session_id}/register/sent"
    status, token = _registrations(app, session_id)["person2@example.org"]
    assert status == "waiting"
    page = client.get(f"/booking/{token}?new=1").get_data(as_text=True)
    assert "You’re on the waiting list" in page and "number 1 on the waiting list" in page
    assert _count(app, session_id) == 1


def test_duplicate_booking_answers_exactly_as_a_new_one_and_keeps_one(app, client):
    """Someone typing another person's address cannot tell whether that person has
    booked: the answer (status, redirect, page) is the same as for a new booking."""
    session_id = make_session(app, capacity=5)
    first = book_via_http(client, session_id, person(1))
    first_page = client.get(first.headers["Location"]).get_data(as_text=True)
    stranger = app.test_client()
    response = book_via_http(stranger, session_id, person(1, email="PERSON1@example.org", name="Someone else"))
    assert (response.status_code, response.headers["Location"]) == (first.status_code, first.headers["Location"])
    page = stranger.get(response.headers["Location"]).get_data(as_text=True)
    assert _without_csrf(page) == _without_csrf(first_page)
    assert "/booking/" not in page  # the link goes by email only, never to whoever typed the address
    assert len(_registrations(app, session_id)) == 1
    assert _count(app, session_id) == 1


def test_cancelled_booking_may_book_again(app):
    session_id = make_session(app, capacity=5)
    _, token = _book(app, session_id, 1)
    with app.app_context():
        services.cancel(services.find_by_booking_token(token))
    assert _book(app, session_id, 1)[0] == "confirmed"


def test_promotion_on_cancel_takes_the_oldest_waiting(app, client):
    session_id = make_session(app, capacity=1)
    _, first = _book(app, session_id, 1)
    _book(app, session_id, 2)
    _book(app, session_id, 3)
    token = csrf_from(client.get(f"/booking/{first}/cancel").get_data(as_text=True))
    response = client.post(f"/booking/{first}/cancel", data={"csrf_token": token})
    assert response.status_code == 302
    statuses = {email: status for email, (status, _) in _registrations(app, session_id).items()}
    assert statuses == {"person1@example.org": "cancelled", "person2@example.org": "confirmed",
                        "person3@example.org": "waiting"}
    assert _count(app, session_id) == 1
    with app.app_context():
        promoted = db.session.scalar(sa.select(Registration).where(Registration.email == "person2@example.org"))
        assert promoted.promoted_at is not None


def test_cancelling_twice_changes_nothing(app):
    session_id = make_session(app, capacity=1)
    _, token = _book(app, session_id, 1)
    with app.app_context():
        registration = services.find_by_booking_token(token)
        assert services.cancel(registration)[0] is True
        assert services.cancel(registration) == (False, [])
    assert _count(app, session_id) == 0


def test_leaving_the_waiting_list_frees_no_place(app):
    session_id = make_session(app, capacity=1)
    _book(app, session_id, 1)
    _, waiting = _book(app, session_id, 2)
    with app.app_context():
        assert services.cancel(services.find_by_booking_token(waiting)) == (True, [])
    assert _count(app, session_id) == 1


def test_promotion_on_capacity_increase(app, login_as, client):
    session_id = make_session(app, capacity=1)
    for n in range(1, 5):
        _book(app, session_id, n)
    login_as("organiser")
    with app.app_context():
        session = db.session.get(EventSession, session_id)
        programme_id = session.programme_id
        from webapp.sessions.forms import SessionForm
        data = SessionForm.initial_data(session)
    url = f"/organiser/programmes/{programme_id}/sessions/{session_id}/edit"
    token = csrf_from(client.get(url).get_data(as_text=True))
    form = {k: ("" if v is None else v.strftime("%H:%M") if k.endswith("time") else v) for k, v in data.items()}
    form.update(csrf_token=token, capacity="3", day=data["day"].isoformat())
    response = client.post(url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    statuses = {email: status for email, (status, _) in _registrations(app, session_id).items()}
    assert statuses == {"person1@example.org": "confirmed", "person2@example.org": "confirmed",
                        "person3@example.org": "confirmed", "person4@example.org": "waiting"}
    assert _count(app, session_id) == 3


def test_move_booking_to_another_session_keeps_the_link_and_promotes(app, client):
    first = make_session(app, capacity=1)
    with app.app_context():
        programme_id = db.session.get(EventSession, first).programme_id
    second = make_session(app, capacity=5, programme_id=programme_id, title="South: afternoon briefing")
    other_programme = make_session(app, capacity=5, title="Another programme's session")
    _, token = _book(app, first, 1)
    _book(app, first, 2)
    page = client.get(f"/booking/{token}").get_data(as_text=True)
    assert "South: afternoon briefing" in page and "Another programme's session" not in page
    csrf = csrf_from(page)
    refused = client.post(f"/booking/{token}/move", data={"csrf_token": csrf, "session_id": other_programme})
    assert refused.status_code == 400 and "Select one of the sessions listed" in refused.get_data(as_text=True)
    response = client.post(f"/booking/{token}/move", data={"csrf_token": csrf, "session_id": second})
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.scalar(sa.select(Registration).where(Registration.booking_token == token))
        assert moved.session_id == second and moved.status == "confirmed"
    assert _registrations(app, first)["person2@example.org"][0] == "confirmed"
    assert _count(app, first) == 1 and _count(app, second) == 1


def test_move_refuses_a_session_already_booked(app):
    first = make_session(app, capacity=3)
    with app.app_context():
        programme = db.session.get(EventSession, first).programme
        programme.allows_several_places = True  # so that one person can hold both
        db.session.commit()
        programme_id = programme.id
    second = make_session(app, capacity=3, programme_id=programme_id)
    _, token = _book(app, first, 1)
    _book(app, second, 1)
    with app.app_context():
        registration = services.find_by_booking_token(token)
        with pytest.raises(services.BookingError, match="already have a booking"):
            services.move(registration, db.session.get(EventSession, second))
    assert _count(app, first) == 1 and _count(app, second) == 1


def test_move_to_a_full_session_is_refused(app):
    first = make_session(app, capacity=3)
    with app.app_context():
        programme_id = db.session.get(EventSession, first).programme_id
    second = make_session(app, capacity=1, programme_id=programme_id)
    _book(app, second, 9)
    _, token = _book(app, first, 1)
    with app.app_context(), pytest.raises(services.BookingError, match="just filled up"):
        services.move(services.find_by_booking_token(token), db.session.get(EventSession, second))
    assert _count(app, first) == 1 and _count(app, second) == 1


@pytest.mark.parametrize("path", ["/booking/{}", "/booking/{}/calendar.ics", "/booking/{}/ticket.svg"])
def test_wrong_token_is_a_plain_404(app, client, path):
    session_id = make_session(app)
    _, token = _book(app, session_id, 1)
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 500, "1"):
        response = client.get(path.format(wrong))
        assert response.status_code == 404
        assert "Person 1" not in response.get_data(as_text=True)


def test_wrong_token_cannot_cancel(app, client):
    session_id = make_session(app)
    _, token = _book(app, session_id, 1)
    csrf = csrf_from(client.get(f"/booking/{token}/cancel").get_data(as_text=True))
    assert client.post(f"/booking/{'a' * 43}/cancel", data={"csrf_token": csrf}).status_code == 404
    assert _count(app, session_id) == 1


def test_cancel_from_the_manage_page_asks_first(app, client):
    session_id = make_session(app)
    _, token = _book(app, session_id, 1)
    manage = client.get(f"/booking/{token}").get_data(as_text=True)
    assert f'href="/booking/{token}/cancel"' in manage  # a link to a question, not a one-tap form
    assert f'action="/booking/{token}/cancel"' not in manage
    question = client.get(f"/booking/{token}/cancel")
    page = question.get_data(as_text=True)
    assert question.status_code == 200 and question.headers["Cache-Control"] == "no-store"
    assert "Are you sure you want to cancel your booking?" in page and "Yes, cancel my booking" in page
    assert f'href="/booking/{token}"' in page and "No, keep my booking" in page
    assert _registrations(app, session_id)["person1@example.org"][0] == "confirmed"
    response = client.post(f"/booking/{token}/cancel", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert _registrations(app, session_id)["person1@example.org"][0] == "cancelled"
    # once cancelled, the question is not asked again
    assert client.get(f"/booking/{token}/cancel").status_code == 302


def test_manage_page_cancel_then_old_link_shows_cancelled(app, client):
    session_id = make_session(app)
    _, token = _book(app, session_id, 1)
    csrf = csrf_from(client.get(f"/booking/{token}/cancel").get_data(as_text=True))
    client.post(f"/booking/{token}/cancel", data={"csrf_token": csrf})
    page = client.get(f"/booking/{token}").get_data(as_text=True)
    assert "This booking was cancelled" in page and "Cancel my booking" not in page
    assert client.get(f"/booking/{token}/ticket.png").status_code == 404
    assert b"METHOD:CANCEL" in client.get(f"/booking/{token}/calendar.ics").data


def test_purged_booking_token_is_404(app, client):
    session_id = make_session(app)
    _, token = _book(app, session_id, 1)
    with app.app_context():
        from webapp.db_types import utcnow
        registration = services.find_by_booking_token(token)
        registration.purged_at = utcnow()
        db.session.commit()
    assert client.get(f"/booking/{token}").status_code == 404


def test_ticket_qr_encodes_the_checkin_link(app, client):
    import io

    import zxingcpp
    from PIL import Image

    session_id = make_session(app)
    _, token = _book(app, session_id, 1)
    response = client.get(f"/booking/{token}/ticket.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))
    with app.app_context():
        checkin_token = services.find_by_booking_token(token).checkin_token
    assert [code.text for code in decoded] == [f"http://localhost/checkin/{checkin_token}"]
    svg = client.get(f"/booking/{token}/ticket.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


# --- Sessions that cannot be booked say so plainly -------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"is_open": False}, "Booking is closed: this programme is not taking bookings."),
    ({"status": "cancelled"}, "This session has been cancelled."),
    ({"days_ahead": -1}, "This session has already taken place."),
    ({"booking_opens_in_days": 3}, "Booking for this session opens on"),
    ({"booking_closed_days_ago": 1}, "Booking for this session closed on"),
])
def test_unbookable_sessions_say_why_and_refuse_posts(app, client, kwargs, message):
    from datetime import timedelta

    from webapp.db_types import utcnow

    kwargs = dict(kwargs)
    if "booking_opens_in_days" in kwargs:
        kwargs["booking_opens_at"] = utcnow() + timedelta(days=kwargs.pop("booking_opens_in_days"))
    if "booking_closed_days_ago" in kwargs:
        kwargs["booking_closes_at"] = utcnow() - timedelta(days=kwargs.pop("booking_closed_days_ago"))
    session_id = make_session(app, **kwargs)
    page = client.get(f"/sessions/{session_id}/register")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert "Book my place" not in page.get_data(as_text=True)
    url = f"/sessions/{session_id}/register"
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **person(1)})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert _registrations(app, session_id) == {}


def test_unknown_session_is_404(client):
    assert client.get("/sessions/999999/register").status_code == 404


# --- Validation messages, and what was typed is kept -----------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Enter your full name"),
    ("email", "", "Enter your work email address"),
    ("email", "not-an-email", "Enter an email address in the correct format, like name@example.org"),
    ("email", "a@b", "Enter an email address in the correct format, like name@example.org"),
    ("job_role", "", "Enter your job role"),
    ("team", "", "Enter your team or service"),
    ("organisation", "", "Enter your organisation"),
    ("name", "N" * 121, "Full name must be 120 characters or fewer"),
    ("email", "a" * 250 + "@example.org", "Email address must be 254 characters or fewer"),
    ("job_role", "J" * 121, "Job role must be 120 characters or fewer"),
    ("team", "T" * 121, "Team or service must be 120 characters or fewer"),
    ("locality", "L" * 121, "Locality must be 120 characters or fewer"),
    ("organisation", "O" * 121, "Organisation must be 120 characters or fewer"),
    ("access_requirements", "A" * 1001, "Access requirements must be 1000 characters or fewer"),
])
def test_booking_validation_messages_keep_what_was_typed(app, client, field, value, message):
    session_id = make_session(app)
    data = person(1, **{field: value})
    data["access_requirements"] = data["access_requirements"] or "Hearing loop, please"
    response = book_via_http(client, session_id, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and page.count(message) >= 2  # error summary and the field
    assert "<title>Error: " in page
    kept = "Hearing loop, please" if field != "access_requirements" else "Person 1"
    assert kept in page
    assert _registrations(app, session_id) == {}


def test_allowed_email_domains(app, client):
    app.config["ALLOWED_EMAIL_DOMAINS"] = ["glasgow.gov.uk", "ggc.scot.nhs.uk"]
    session_id = make_session(app)
    page = client.get(f"/sessions/{session_id}/register").get_data(as_text=True)
    assert "ending in @glasgow.gov.uk or @ggc.scot.nhs.uk" in page
    response = book_via_http(client, session_id, person(1, email="me@gmail.com"))
    assert "Enter your work email address: it must end in @glasgow.gov.uk or @ggc.scot.nhs.uk" in \
        response.get_data(as_text=True)
    assert book_via_http(client, session_id, person(2, email="me@ggc.scot.nhs.uk")).status_code == 302
    assert book_via_http(client, session_id, person(3, email="me@education.glasgow.gov.uk")).status_code == 302


def test_front_page_book_link_opens_the_form(app, client):
    session_id = make_session(app)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/sessions/{session_id}/register"' in page
    assert client.get(f"/sessions/{session_id}/register").status_code == 200


def test_booking_posts_are_rate_limited(app, client):
    app.config["BOOKING_RATE_LIMIT"] = "2 per minute"
    session_id = make_session(app, capacity=10)
    codes = [book_via_http(client, session_id, person(n)).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_a_place_at_a_session_already_held_does_not_count(app):
    held = make_session(app, capacity=3)
    with app.app_context():
        programme_id = db.session.get(EventSession, held).programme_id
    mop_up = make_session(app, capacity=3, programme_id=programme_id, days_ahead=60)
    _book(app, held, 1)
    with app.app_context():
        session = db.session.get(EventSession, held)
        session.starts_at, session.ends_at = session.starts_at - timedelta(days=30), session.ends_at - timedelta(days=30)
        db.session.commit()
    assert _book(app, mop_up, 1)[0] == "confirmed"
