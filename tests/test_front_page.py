"""The public front page: upcoming sessions of open programmes."""
import re
from datetime import timedelta

from tests import neighbours
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.models import Programme


def test_lists_upcoming_sessions_with_places_left(client, demo):
    body = client.get("/").get_data(as_text=True)
    assert "Joint inspection of children&#39;s services: staff briefings" in body
    assert body.count("class=\"app-session-card\"") == 7 + neighbours.UPCOMING_SESSIONS
    assert "180 of 180" in body
    assert "North West" in body and "Commonwealth House" in body
    assert re.search(r"9:30am to 12pm", body)


def test_hides_closed_programmes_cancelled_and_past_sessions(app, client, demo):
    with app.app_context():
        programme = db.session.get(Programme, demo)
        sessions = sorted(programme.sessions, key=lambda s: s.starts_at)
        sessions[0].status = "cancelled"
        sessions[1].starts_at = utcnow() - timedelta(days=2)
        sessions[1].ends_at = utcnow() - timedelta(days=2) + timedelta(hours=2)
        db.session.commit()
        cancelled_title, past_title = sessions[0].title, sessions[1].title
    body = client.get("/").get_data(as_text=True)
    assert cancelled_title not in body and past_title not in body
    assert body.count("class=\"app-session-card\"") == 5 + neighbours.UPCOMING_SESSIONS
    with app.app_context():
        db.session.get(Programme, demo).is_open = False
        db.session.get(Programme, neighbours.neighbour_id()).is_open = False
        db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "There are no sessions to book" in body


def test_full_session_offers_the_waiting_list(app, client, demo):
    with app.app_context():
        session = db.session.get(Programme, demo).sessions[0]
        session.confirmed_count = session.capacity
        db.session.commit()
    assert "Join the waiting list" in client.get("/").get_data(as_text=True)


def test_phone_viewport_meta(client):
    assert b'name="viewport" content="width=device-width' in client.get("/").data
