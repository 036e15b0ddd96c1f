"""Security headers on every response, no-store for personal data, and templates that a
strict Content-Security-Policy (no 'unsafe-inline') does not break."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for

from config import ProductionConfig
from webapp import create_app
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.security import CONTENT_SECURITY_POLICY, mark_personal_data, personal_data

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


def _id_values(app, programme_id: int) -> dict:
    """One real value for each URL parameter name in use, from the demo."""
    from webapp.models import EventSession, Finding, Registration

    with app.app_context():
        session = db.session.scalars(sa.select(EventSession).where(EventSession.programme_id == programme_id)
                                     .order_by(EventSession.id)).first()
        registration = Registration(session=session, name="Ada Example", email="ada@example.org",
                                    status="confirmed")
        session.confirmed_count += 1
        db.session.add(registration)
        db.session.commit()
        return {
            "programme_id": programme_id,
            "finding_id": db.session.scalar(
                sa.select(Finding.id).where(Finding.programme_id == programme_id).limit(1)
            ),
            "session_id": session.id,
            "registration_id": registration.id,
            "code": session.feedback_code,
            "token": registration.booking_token,
            "filename": "css/app.css",
        }


def _get_urls(app, values: dict) -> list[str]:
    """Every GET route without parameters, and every one whose parameters the demo fills."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not set(rule.arguments) <= set(values):
                continue
            urls.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    return sorted(set(urls)) + ["/no-such-page"]


def _assert_headers(url: str, response) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == EXPECTED_CSP, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url
    assert "camera=()" in headers.get("Permissions-Policy", ""), url
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", url
    assert "/" not in headers.get("Server", ""), f"a server version at {url}"
    assert "Strict-Transport-Security" not in headers, f"HSTS outside production at {url}"


def _assert_csp_safe_html(url: str, response) -> None:
    if response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html), f"inline <script> on {url}"
    assert not STYLE_ATTRIBUTE.search(html), f"style attribute on {url}"
    assert not EVENT_HANDLER.search(html), f"on...= handler on {url}"


def test_policy_is_the_agreed_one():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_every_page_has_the_headers_when_signed_out(app, client, demo):
    urls = _get_urls(app, _id_values(app, demo))
    assert "/" in urls and "/privacy" in urls and "/healthz" in urls
    assert any(url.startswith("/static/") for url in urls)
    for url in urls:
        response = client.get(url)
        _assert_headers(url, response)
        _assert_csp_safe_html(url, response)
    # Public pages for anonymous visitors may be cached; that is what makes the test
    # below mean something.
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/privacy").headers.get("Cache-Control", "")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ORGANISER, Role.VIEWER])
def test_every_page_has_the_headers_when_signed_in(app, client, demo, login_as, role):
    values = _id_values(app, demo)
    login_as(role)
    html_pages = 0
    for url in _get_urls(app, values):
        response = client.get(url)
        _assert_headers(url, response)
        _assert_csp_safe_html(url, response)
        if response.mimetype == "text/html":
            html_pages += 1
            assert response.headers.get("Cache-Control") == "no-store", (
                f"{url} ({response.status_code}) may be cached for a signed-in {role}"
            )
    assert html_pages >= 5


def test_fingerprinted_assets_stay_cacheable_when_signed_in(client, login_as):
    login_as(Role.ORGANISER)
    page = client.get("/organiser/programmes").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{8}\.css)"', page).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.fresh_app  # adds routes: Flask refuses them on an app that has served requests
def test_personal_data_flag_forbids_storing(app, client):
    @personal_data
    def attendance_csv():
        return "name,email\nAda,ada@example.org\n", 200, {"Content-Type": "text/csv"}

    def ticket():
        mark_personal_data()
        return b"\x89PNG...", 200, {"Content-Type": "image/png"}

    def public_csv():
        return "a,b\n", 200, {"Content-Type": "text/csv"}

    app.add_url_rule("/test/attendance.csv", view_func=attendance_csv)
    app.add_url_rule("/test/ticket.png", view_func=ticket)
    app.add_url_rule("/test/public.csv", view_func=public_csv)

    assert client.get("/test/attendance.csv").headers["Cache-Control"] == "no-store"
    assert client.get("/test/ticket.png").headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in client.get("/test/public.csv").headers


def test_hsts_in_production_only(tmp_path, client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers

    class ProductionForTest(ProductionConfig):
        SECRET_KEY = "x" * 48
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.sqlite'}"
        ALLOW_SQLITE_IN_PRODUCTION = True

    prod_app = create_app(ProductionForTest)
    response = prod_app.test_client().get("/healthz", base_url="https://localhost")
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 180 * 24 * 3600
    with prod_app.app_context():
        db.engine.dispose()


def test_templates_have_no_inline_script_style_or_handlers():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) >= 10
    problems = []
    for path in files:
        source = JINJA_COMMENT.sub("", path.read_text(encoding="utf-8"))
        checks = [("inline <script>", INLINE_SCRIPT), ("style=", STYLE_ATTRIBUTE), ("on...= handler", EVENT_HANDLER)]
        if path.parent.name == "emails":  # read by mail clients, which drop <style> and classes: no CSP there
            checks.remove(("style=", STYLE_ATTRIBUTE))
        for name, pattern in checks:
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {name}")
    assert not problems, "\n".join(problems)


def test_template_scan_catches_what_it_should():
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert INLINE_SCRIPT.search('<script type="module">x()</script>')
    assert not INLINE_SCRIPT.search('<script type="module" src="/static/js/app.js"></script>')
    assert STYLE_ATTRIBUTE.search('<div style="width: 50%">')
    assert EVENT_HANDLER.search('<button onclick="go()">')
    assert not EVENT_HANDLER.search('<p class="x">Sign in on another device=</p>')
