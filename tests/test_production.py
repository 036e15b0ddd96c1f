"""Running for a whole health board: the health check, gunicorn's settings, ProxyFix, the
database pool, and rate-limit counters shared between app servers through Redis."""
from __future__ import annotations

import json
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import ProductionConfig
from tests.conftest import PASSWORD, make_config, post_form
from webapp import create_app
from webapp.extensions import db, limiter

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


# --- /healthz ----------------------------------------------------------------------------

def test_healthz_says_ok_when_the_database_answers(app, client):
    from webapp.jobs.schedule import beat

    with app.app_context():
        beat("worker-1")  # a job worker has reported
    response = client.get("/healthz")
    assert response.status_code == 200
    checks = response.json["checks"]
    assert response.json["status"] == "ok" and set(checks) == {"database", "job_queue", "job_worker"}
    assert checks["database"]["detail"] == "ok" and checks["job_queue"]["detail"] == "0 jobs waiting"
    # Written just now: 0 s ago, or 1-2 s on a loaded machine (CI once took over a second).
    seconds = re.fullmatch(r"last heartbeat (\d+) s ago", checks["job_worker"]["detail"])
    assert checks["job_worker"]["ok"] and seconds and int(seconds.group(1)) < 5
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_degraded_not_down_without_a_job_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "degraded"
    assert response.json["checks"]["job_worker"] == {
        "ok": False, "detail": "no job worker has reported yet", "ms": response.json["checks"]["job_worker"]["ms"]}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    # A database file in a folder that does not exist cannot be opened.
    broken = create_app(make_config(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable" and response.json["checks"]["database"]["ok"] is False
    with broken.app_context():
        db.engine.dispose()


# --- ProxyFix ----------------------------------------------------------------------------

def _echo_client(database_url: str, hops: int):
    app = create_app(make_config(database_url, PROXY_FIX_HOPS=hops))

    @app.route("/test/echo")
    def echo():
        from flask import request

        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app.test_client()


def test_proxy_fix_trusts_exactly_the_configured_proxies(database_url):
    forwarded = {
        "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "briefings.example.org",
    }
    behind_one = _echo_client(database_url, hops=1).get("/test/echo", headers=forwarded).json
    # Only the last hop (added by our own proxy) is believed: a client cannot fake its address.
    assert behind_one == {"addr": "203.0.113.9", "scheme": "https", "host": "briefings.example.org"}

    direct = _echo_client(database_url, hops=0).get("/test/echo", headers=forwarded).json
    assert direct == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


# --- the database pool ---------------------------------------------------------------------

def test_production_pool_fits_postgresql_max_connections(tmp_path, monkeypatch):
    options = ProductionConfig.SQLALCHEMY_ENGINE_OPTIONS
    per_worker = options["pool_size"] + options["max_overflow"]
    # Two hosts of nine workers (2 x 4 cores + 1) stay under PostgreSQL's default 100.
    assert 2 * 9 * per_worker < 100
    assert options["pool_pre_ping"] is True
    assert 0 < options["pool_timeout"] < 30  # gives up before gunicorn kills the worker
    assert 0 < options["pool_recycle"] <= 3600

    class Production(ProductionConfig):
        SECRET_KEY = "x" * 48
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none"

    app = create_app(Production)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert "connect_args" not in ProductionConfig.SQLALCHEMY_ENGINE_OPTIONS  # class left alone

    class SmallHost(Production):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'small.sqlite'}"
        ALLOW_SQLITE_IN_PRODUCTION = True

    # sqlite3.connect() has no connect_timeout argument.
    small = create_app(SmallHost)
    assert "connect_args" not in small.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert small.test_client().get("/healthz").status_code == 200
    with small.app_context():
        db.engine.dispose()


# --- gunicorn ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_settings_gate_fits_the_pool_and_the_access_log_can_be_turned_off(monkeypatch):
    for name in ("GUNICORN_THREADS", "GUNICORN_WORKER_CLASS", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gthread" and settings["preload_app"] is True
    # The requests a worker runs at once have connections kept open for them, with room
    # beside them for sign-ins and health checks; many more threads hold the waiting ones.
    pool_size = ProductionConfig.SQLALCHEMY_ENGINE_OPTIONS["pool_size"]
    assert pool_size > ProductionConfig.ADMISSION_SLOTS
    assert settings["threads"] >= 8 * ProductionConfig.ADMISSION_SLOTS
    assert settings["accesslog"] == "-"
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] is None  # gunicorn: no access log


def test_gunicorn_spreads_worker_restarts(monkeypatch):
    for name in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # Workers serve at the same rate: a jitter much smaller than the limit would have
    # them restart together, leaving nobody serving.
    assert settings["max_requests_jitter"] >= settings["max_requests"] // 2 > 0
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["max_requests"] == settings["max_requests"]


def test_warm_up_compiles_every_template_before_the_workers_are_forked(app):
    from webapp import warm_up

    app.jinja_env.cache.clear()
    warm_up(app)
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert {"feedback/respond.html", "feedback/thanks.html", "emails/confirmation.txt",
            "govuk_frontend_jinja/components/button/macro.html"} <= compiled


def test_gunicorn_serves_the_app_with_the_settings_file(database_url, tmp_path):
    psutil = pytest.importorskip("psutil")
    port = _free_port()
    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database_url,
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PROXY_FIX_HOPS": "1",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        body = None
        # Up in 1-4 s; a loaded CI machine once took over 30 (a bound for a failure only).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?x=secret", timeout=2) as r:
                    body, headers = r.read().decode(), r.headers
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.2)
        # Serving; "degraded" only because no job worker runs beside it here.
        assert json.loads(body)["status"] == "degraded", log.read_text()
        assert not json.loads(body)["checks"]["job_worker"]["ok"]
        secret = "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE"  # shaped like a booking token
        for path in (f"/booking/{secret}", f"/checkin/{secret}", f"/account/setup/{secret}"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            except urllib.error.HTTPError:
                pass
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "/" not in headers.get("Server", "")  # no version for a scanner to match
        # The first worker may answer before the arbiter has forked the second.
        while time.monotonic() < deadline and len(psutil.Process(server.pid).children()) < 2:
            time.sleep(0.2)
        assert len(psutil.Process(server.pid).children()) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = log.read_text()
    access = [line for line in output.splitlines() if "/healthz" in line]
    assert access and '"GET /healthz HTTP/1.1" 200' in access[0], output
    assert "Control socket" not in output  # one path per user: two services would fight over it
    # No client address and no query string in the access log.
    assert "127.0.0.1" not in access[0] and "secret" not in access[0]
    # Tokens are masked, in the access log and everywhere else.
    assert secret not in output and "GET /booking/[token] HTTP/1.1" in output, output
    assert "/checkin/[token]" in output and "/account/setup/[token]" in output


# --- rate limits shared through Redis -----------------------------------------------------

def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return client


@pytest.fixture
def redis_prefix():
    client = _redis()
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    # Flask-Limiter keeps the first non-empty prefix it is given on its (process-wide)
    # extension object; later apps in this test run must not inherit ours.
    limiter._key_prefix = ""
    client.close()


SECOND_APP = """
import json, sys
from tests.conftest import make_config, post_form
from webapp import create_app
settings = json.loads(sys.argv[1])
app = create_app(make_config(settings.pop("database_url"), **settings.pop("config")))
client = app.test_client()
response = post_form(client, "/login", {"email": settings["email"], "password": "wrong password"})
print(response.status_code)
"""


def _failed_login_on_another_app_server(database_url: str, config: dict, email: str) -> int:
    """A failed sign-in on a second app server: its own process, its own app and limiter."""
    settings = json.dumps({"database_url": database_url, "config": config, "email": email})
    result = subprocess.run(
        [sys.executable, "-c", SECOND_APP, settings], cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_login_failures_count_across_app_servers_sharing_redis(database_url, redis_prefix, make_user):
    shared = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    first = create_app(make_config(database_url, **shared))
    user = make_user("organiser")
    client = first.test_client()
    for _ in range(3):
        response = post_form(client, "/login", {"email": user.email, "password": "wrong password"})
        assert response.status_code == 200  # refused, but not yet limited

    # The counters are in Redis, under this run's prefix.
    keys = list(_redis().scan_iter(match=f"*{redis_prefix}*"))
    assert keys

    # The second server has seen no attempt itself, yet refuses the fourth.
    assert _failed_login_on_another_app_server(database_url, shared, user.email) == 429
    # Control: a server keeping its own counters would still let it through.
    alone = {**shared, "RATELIMIT_KEY_PREFIX": f"{redis_prefix}-other"}
    assert _failed_login_on_another_app_server(database_url, alone, user.email) == 200
    # And the right password is still refused on the first server once limited.
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    with first.app_context():
        db.engine.dispose()


def test_shared_rate_limit_counters_hold_no_client_address(database_url, redis_prefix, demo):
    from tests.feedback_helpers import form_fields, open_feedback

    app = create_app(make_config(database_url, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix,
                                 FEEDBACK_RATE_LIMIT="2 per minute"))
    code = open_feedback(app, demo)
    client = app.test_client()
    html = client.get(f"/f/{code}").get_data(as_text=True)
    address = {"REMOTE_ADDR": "203.0.113.9"}
    statuses = [client.post(f"/f/{code}", data=form_fields(html), environ_base=address).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]  # counted in Redis
    keys = [key.decode() for key in _redis().scan_iter(match=f"*{redis_prefix}*")]
    assert keys and not any("203.0.113" in key for key in keys), keys
    with app.app_context():
        db.engine.dispose()


# --- Redis unreachable --------------------------------------------------------------------

class TestRedisUnreachable:
    """Redis down (here: a closed port) must not stop sign-in, booking or feedback: the
    limits are counted in this process, with a warning, and /healthz says "degraded"."""

    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_free_port()}/13", "LOGIN_RATE_LIMIT": "2 per minute"}

    @pytest.fixture(autouse=True)
    def _limiter_recovers(self):
        yield
        limiter._storage_dead = False  # the extension is process-wide; later apps have a live store

    def test_booking_feedback_and_sign_in_still_work_and_healthz_says_degraded(
            self, app, client, demo, make_user, caplog):
        from tests.booking_helpers import book_via_http, person
        from tests.feedback_helpers import complete_answers, form_fields, open_feedback
        from webapp.sessions.models import EventSession

        with caplog.at_level(logging.WARNING):
            with app.app_context():
                session_id = db.session.scalars(sa.select(EventSession.id).where(
                    EventSession.programme_id == demo).order_by(EventSession.id)).first()
            started = time.monotonic()
            assert book_via_http(client, session_id, person(1)).status_code == 302
            code = open_feedback(app, demo)
            html = client.get(f"/f/{code}").get_data(as_text=True)
            response = client.post(f"/f/{code}", data={**form_fields(html), **complete_answers(app, demo)})
            assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
            user = make_user("organiser")
            assert post_form(app.test_client(), "/login", {"email": user.email, "password": PASSWORD}).status_code == 302
            assert time.monotonic() - started < 10
            # The limits still hold, counted in this process.
            statuses = [post_form(app.test_client(), "/login", {"email": user.email, "password": "wrong"}).status_code
                        for _ in range(3)]
            assert statuses[-1] == 429
        assert "falling back to in-memory storage" in caplog.text

        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json["status"] == "degraded"
        assert health.json["checks"]["database"]["ok"] is True
        assert health.json["checks"]["redis"]["ok"] is False


def test_tokens_are_masked_in_the_apps_own_log_lines(app, caplog):
    token = "Zyxwvutsrqponmlkjihgfedcba9876543210_-QWERT"
    with caplog.at_level(logging.INFO):
        logging.getLogger("webapp.bookings").warning("Could not open /booking/%s for %s", token, "a person")
        logging.getLogger("werkzeug").info(f'127.0.0.1 - - "GET /checkin/{token} HTTP/1.1" 404 -')
        logging.getLogger("webapp").info("invite link %s", f"https://x.example/account/setup/{token}")
    assert token not in caplog.text
    assert caplog.text.count("[token]") == 3
