"""Fixtures: a real database per test (an SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), the app, its test client and CLI runner, and small factories."""
from __future__ import annotations

import os
import re
import threading

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from config import TestConfig
from webapp import create_app
from webapp.auth.models import Role, User
from webapp.extensions import db

SERVER_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# The job queue's storage: an SQLite file per test, or (CI's second run) Redis.
SERVER_JOBS_URL = os.environ.get("TEST_JOBS_STORAGE_URL")

# CI explores the same examples every run, so a red build always means a change broke
# something; locally every run tries new ones.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
PASSWORD = "correct horse battery staple"


def make_config(database_url: str, **overrides) -> type[TestConfig]:
    return type("PerTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture(scope="session")
def _server_schema():
    """On PostgreSQL the schema is built once; each test empties the tables after itself,
    and the tables are dropped when the run ends."""
    if not SERVER_DATABASE_URL:
        yield None
        return
    app = create_app(make_config(SERVER_DATABASE_URL))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def database_url(tmp_path, _server_schema) -> str:
    return SERVER_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app_config(database_url) -> dict:
    """Override in a test module to change settings (e.g. rate limits)."""
    return {}


@pytest.fixture
def app(database_url, app_config, tmp_path):
    # Emails without a MAIL_SERVER land in this test's own outbox, not instance/outbox/.
    jobs = {"JOBS_STORAGE_URL": SERVER_JOBS_URL or f"sqlite:///{tmp_path / 'jobs.sqlite'}",
            "JOBS_QUEUE_NAME": f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"}
    app = create_app(make_config(database_url, **{"MAIL_OUTBOX": str(tmp_path / "outbox"), **jobs, **app_config}))
    if SERVER_JOBS_URL:
        from webapp.jobs.queue import huey

        huey.flush()  # a queue shared by the run: each test starts with it empty
    with app.app_context():
        if not SERVER_DATABASE_URL:
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if SERVER_DATABASE_URL:
            # DELETE is much quicker than TRUNCATE on tables this small.
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def run_jobs(app):
    """Run, as a worker would, every job waiting in this test's queue (a real Huey
    SQLite queue); returns how many ran."""
    from webapp.jobs import queue

    def run() -> int:
        with app.app_context():
            return queue.run_pending()

    return run


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    def make(role: str = Role.ORGANISER, email: str | None = None, password: str = PASSWORD) -> User:
        with app.app_context():
            user = User(email=email or f"{role}-{os.urandom(3).hex()}@example.org", role=role)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page the way a browser would."""
    response = client.get(url)
    if response.status_code == 302:  # signed in: any organiser page has the sign-out form
        response = client.get("/organiser/programmes")
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True))
    if not client.application.config.get("WTF_CSRF_ENABLED", True):
        return match.group(1) if match else ""
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, token_url: str = "/login", **kwargs):
    """POST like a browser: with the session's CSRF token."""
    payload = {"csrf_token": csrf_token(client, token_url), **(data or {})}
    return client.post(url, data=payload, **kwargs)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return post_form(self.client, "/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(client, auth, make_user):
    """Sign the test client in with a new account of the given role; returns the user."""

    def login(role: str = Role.ORGANISER) -> User:
        user = make_user(role)
        response = auth.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login


@pytest.fixture
def demo(app):
    """The demo programme, loaded into this test's database; returns its id."""
    from webapp.demo.services import load_demo_programme

    with app.app_context():
        programme, _ = load_demo_programme()
        return programme.id


@pytest.fixture
def live_server(app):
    """The app on a real threaded HTTP server on loopback; yields its base URL.
    PUBLIC_BASE_URL points at it so that links in emails and QR codes work."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=10)
