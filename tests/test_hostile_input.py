"""A catalogue of hostile input thrown at every form: refused with a clear message, or
stored neutralised and shown escaped; never a 500, never another person's data.

Add a form to FORMS when it is built; each payload is tried in each of its text fields."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token
from webapp.auth.models import Role
from webapp.extensions import db

PAYLOADS = {
    "script": "<script>alert('x')</script>",
    "html": '<img src=x onerror="alert(1)"><b>bold</b>',
    "formula": "=HYPERLINK(\"http://evil.example\",\"click\")",
    "formula_plus": "+SUM(1,2)",
    "overlong": "A" * 50_000,
    "nul_bytes": "before\x00after",
    "control_chars": "bell\x07escape\x1b[31m",
    "rtl_override": "\u202egnp.exe",
    "emoji": "Family support \U0001F468\u200D\U0001F469\u200D\U0001F467 works",
    "sql": "'; DROP TABLE programme; --",
    "unicode_edge": "Z\u0351\u0360a\u0362l\u0360g\u0351o \ufeff \u0000",
    "wrong_type": ["a", "b"],
}


@dataclass
class HostileForm:
    name: str
    url: str  # may contain {programme_id}
    role: str | None
    fields: dict  # a valid submission
    attack: list[str]  # the text fields to attack
    token_url: str = "/login"
    extra: dict = field(default_factory=dict)


FORMS = [
    HostileForm("login", "/login", None, {"email": "a@example.org", "password": "whatever1"},
                ["email", "password"]),
    HostileForm("new programme", "/organiser/programmes/new", Role.ORGANISER,
                {"title": "Programme", "summary": "Summary"}, ["title", "summary"],
                token_url="/organiser/programmes"),
    HostileForm("edit programme", "/organiser/programmes/{programme_id}/edit", Role.ORGANISER,
                {"title": "Programme", "summary": "Summary"}, ["title", "summary"],
                token_url="/organiser/programmes"),
    HostileForm("new finding", "/organiser/programmes/{programme_id}/findings/new", Role.ORGANISER,
                {"kind": "indicator", "title": "T", "headline_question": "Q", "grade": "Good",
                 "detail": "", "progress": ""},
                ["kind", "title", "headline_question", "grade", "detail", "progress"],
                token_url="/organiser/programmes"),
    HostileForm("change password", "/organiser/account/password", Role.VIEWER,
                {"current_password": "x", "new_password": "long enough 1", "confirm_password": "long enough 1"},
                ["current_password", "new_password", "confirm_password"], token_url="/organiser/programmes"),
]


def _cases():
    for form in FORMS:
        for target in form.attack:
            for payload_name in PAYLOADS:
                yield pytest.param(form, target, payload_name, id=f"{form.name}-{target}-{payload_name}")


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": False}


@pytest.mark.parametrize(("form", "target", "payload_name"), list(_cases()))
def test_hostile_input_is_refused_or_neutralised(app, client, login_as, demo, form, target, payload_name):
    if form.role:
        login_as(form.role)
    payload = PAYLOADS[payload_name]
    data = {**form.fields, target: payload, "csrf_token": csrf_token(client, form.token_url)}
    response = client.post(form.url.format(programme_id=demo), data=data)
    assert response.status_code < 500
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "onerror=\"alert" not in body
    if response.status_code == 200:
        assert "There is a problem" in body or "error" in body.lower()
    with app.app_context():
        _assert_nothing_stored_raw()
    # whatever was stored shows escaped on the organiser pages
    if form.role and form.role != Role.VIEWER:
        for page in ("/organiser/programmes", f"/organiser/programmes/{demo}"):
            html = client.get(page).get_data(as_text=True)
            assert "<script>alert" not in html and "<img src=x" not in html


def _assert_nothing_stored_raw():
    """No control characters reached the database, in any text column of any table."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (sa.String, sa.Text)):
                values = db.session.execute(sa.select(column).where(column.is_not(None))).scalars()
                for value in values:
                    assert "\x00" not in value and "\x07" not in value, f"{table.name}.{column.name}"


def test_stored_script_is_escaped_on_every_page(app, client, login_as, demo):
    from webapp.programmes import services

    with app.app_context():
        programme = db.session.get(services.Programme, demo)
        programme.title = "<script>alert('title')</script>"
        db.session.commit()
    assert b"<script>alert" not in client.get("/").data
    login_as(Role.ORGANISER)
    for page in ("/organiser/programmes", f"/organiser/programmes/{demo}", f"/organiser/programmes/{demo}/edit"):
        body = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "../../etc/passwd", "%00", "1 OR 1=1"])
def test_missing_and_forged_csrf_tokens_are_refused(client, login_as, token, demo):
    login_as(Role.ORGANISER)
    response = client.post("/organiser/programmes/new", data={"title": "Forged", "csrf_token": token})
    assert response.status_code == 400
    assert b"Your page timed out" in response.data


@pytest.mark.parametrize("path", [
    "/organiser/programmes/abc", "/organiser/programmes/-1", "/organiser/programmes/99999999999999999999",
    "/organiser/programmes/1%00", "/organiser/programmes/{programme_id}/findings/0/edit",
])
def test_tampered_ids_are_not_found(client, login_as, demo, path):
    login_as(Role.ORGANISER)
    response = client.get(path.format(programme_id=demo))
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_oversized_request_body_is_refused(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
