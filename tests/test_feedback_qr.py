"""Feedback codes, QR codes (decoded back from the images), posters and slides."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy.exc import IntegrityError

from tests.feedback_helpers import first_session
from webapp import qr
from webapp.extensions import db
from webapp.programmes.models import Programme
from webapp.sessions.models import EventSession
from webapp.tokens import FEEDBACK_CODE_ALPHABET, FEEDBACK_CODE_LENGTH, new_feedback_code


def decode_png(data: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def decode_svg(svg: str) -> list[str]:
    """Paint the SVG's unit squares (the path qrcode writes) and decode the picture."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg)
    assert squares, "no modules in the SVG"
    for x, y, right, bottom in squares:
        draw.rectangle([int(x) * scale, int(y) * scale, int(right) * scale - 1, int(bottom) * scale - 1], fill=0)
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


# --- codes --------------------------------------------------------------------------


def test_codes_use_only_the_look_alike_free_alphabet():
    assert not set("0O1IL2Z5S8BUV") & set(FEEDBACK_CODE_ALPHABET)
    codes = {new_feedback_code() for _ in range(2000)}
    assert len(codes) > 1990
    for code in codes:
        assert len(code) == FEEDBACK_CODE_LENGTH and set(code) <= set(FEEDBACK_CODE_ALPHABET)


def test_every_demo_session_has_its_own_code(app, demo):
    with app.app_context():
        codes = db.session.scalars(sa.select(EventSession.feedback_code).where(EventSession.programme_id == demo)).all()
        assert len(codes) == 7 and len(set(codes)) == 7


def test_the_database_refuses_two_sessions_with_one_code(app, demo):
    with app.app_context():
        template = first_session(demo)
        clash = EventSession(programme_id=demo, title="Clash", starts_at=template.starts_at,
                             ends_at=template.ends_at, venue="Hall", capacity=10,
                             feedback_code=template.feedback_code)
        db.session.add(clash)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


# --- QR codes -----------------------------------------------------------------------


def test_qr_helpers_round_trip():
    url = "https://briefings.example.org/f/K7MQ2P"
    assert decode_png(qr.qr_png(url)) == [url]
    assert decode_svg(qr.qr_svg(url)) == [url]


@pytest.fixture
def organiser(login_as):
    return login_as("organiser")


def session_urls(app, demo):
    with app.app_context():
        session = first_session(demo)
        base = f"/organiser/programmes/{demo}/sessions/{session.id}/feedback"
        return base, session.feedback_code


def test_qr_routes_encode_the_public_feedback_address(app, client, demo, organiser):
    base, code = session_urls(app, demo)
    expected = f"{app.config['PUBLIC_BASE_URL']}/f/{code}"
    png = client.get(f"{base}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert decode_png(png.data) == [expected]
    svg = client.get(f"{base}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert decode_svg(svg.get_data(as_text=True)) == [expected]


def test_qr_uses_the_configured_public_base_url(client, demo, login_as, app):
    app.config["PUBLIC_BASE_URL"] = "https://briefings.example.org"
    login_as("organiser")
    base, code = session_urls(app, demo)
    assert decode_png(client.get(f"{base}/qr.png").data) == [f"https://briefings.example.org/f/{code}"]


def test_poster_and_slide_show_title_code_address_and_anonymity(app, client, demo, organiser):
    base, code = session_urls(app, demo)
    for page, css in (("poster", "app-poster"), ("slide", "app-slide")):
        html = client.get(f"{base}/{page}").get_data(as_text=True)
        assert css in html
        assert "North East: morning briefing" in html
        # the code is in the address: the poster does not ask for it to be typed again
        assert f">localhost/f/{code}<" in html and f">{code}<" not in html and "type the code" not in html
        assert "anonymous" in html.lower()
        assert f'src="{base}/qr.svg"' in html


def test_a_session_of_another_programme_is_a_404(app, client, demo, organiser):
    with app.app_context():
        other = Programme(slug="other", title="Other")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
        session_id = first_session(demo).id
    for page in ("qr.png", "qr.svg", "poster", "slide"):
        assert client.get(f"/organiser/programmes/{other_id}/sessions/{session_id}/feedback/{page}").status_code == 404
