"""Configuration, read from the environment.

DevelopmentConfig is what `make run` uses; ProductionConfig refuses to start without a
real SECRET_KEY and, unless explicitly allowed, on SQLite.
"""
from __future__ import annotations

import os
from datetime import timedelta


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [item.strip().lower() for item in os.environ.get(name, "").split(",") if item.strip()]


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means "SQLite file in the instance folder", filled in by create_app().
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    TIMEZONE = "Europe/London"

    # Mail: without MAIL_SERVER messages are written to instance/outbox/ as .eml files.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_STARTTLS = _env_bool("MAIL_USE_STARTTLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Staff briefings <no-reply@localhost>")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    # Where .eml files go when there is no MAIL_SERVER (default: instance/outbox/).
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX")

    # Booking may be limited to work addresses, e.g. "glasgow.gov.uk,ggc.scot.nhs.uk".
    ALLOWED_EMAIL_DOMAINS = _env_list("ALLOWED_EMAIL_DOMAINS")

    # Rate limits: counters only, in memory unless a shared store is configured.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute;20 per hour")
    # Generous: a whole room of phones may share one address behind the venue's NAT.
    FEEDBACK_RATE_LIMIT = os.environ.get("FEEDBACK_RATE_LIMIT", "300 per minute")
    BOOKING_RATE_LIMIT = os.environ.get("BOOKING_RATE_LIMIT", "60 per minute")

    # OWASP (2025): scrypt with N=2^17, r=8, p=1. Werkzeug's default N=2^15 is below it.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"

    # Cookies: Flask's defaults set none of these.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", "8")))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # A feedback form left open on a phone for a while must still submit:
    # the CSRF token lives as long as the session cookie (expiry is handled gracefully anyway).
    WTF_CSRF_TIME_LIMIT = 6 * 3600
    MAX_CONTENT_LENGTH = 1024 * 1024
    ALLOW_SQLITE_IN_PRODUCTION = _env_bool("ALLOW_SQLITE_IN_PRODUCTION")
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    # Strict-Transport-Security max-age; 0 sends no header (ProductionConfig sends it).
    HSTS_SECONDS = 0
    # Organisers are signed out after this long without a request.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    # A one-time link to set a first password works for this long.
    INVITE_HOURS = int(os.environ.get("INVITE_HOURS", "72"))
    # Booking details are deleted this many days after the session ended (see the
    # privacy notice); run `flask --app wsgi retention purge` daily from cron.
    RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "90"))
    # The privacy notice (UK GDPR articles 13 and 14): who is responsible, how to reach
    # them, on what basis. Empty values are explained in general words on the notice.
    PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "")  # e.g. Glasgow City Council
    PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "")  # e.g. dataprotection@example.org
    PRIVACY_DPO = os.environ.get("PRIVACY_DPO", "")  # the Data Protection Officer, if different
    PRIVACY_LAWFUL_BASIS = os.environ.get(
        "PRIVACY_LAWFUL_BASIS",
        "public task (UK GDPR article 6(1)(e)): briefing staff on the inspection and hearing their views "
        "is part of running public services")
    # The presenter view reloads itself this often (a meta refresh: no script).
    PRESENTER_REFRESH_SECONDS = int(os.environ.get("PRESENTER_REFRESH_SECONDS", "10"))

    @classmethod
    def validate(cls, app) -> None:
        """Called by create_app() once the app's config is loaded."""


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SECRET_KEY = "test-secret-key-not-for-production-0123456789"
    PUBLIC_BASE_URL = "http://localhost"
    SERVER_NAME = None
    MAIL_SERVER = None
    RATELIMIT_STORAGE_URI = "memory://"
    # Fast hashing keeps the suite quick; production cost is checked by its own test.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    # One pool per gunicorn worker process. A worker (gunicorn.conf.py: GUNICORN_THREADS=4)
    # uses up to 4 connections at once: 4 kept open, so a busy worker never opens and
    # closes connections, plus 1 for a burst; hosts x workers x (pool_size + max_overflow)
    # stays under PostgreSQL's max_connections (100 by default): 2 hosts x 9 workers x 5 = 90.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,  # a connection dropped by a restart or firewall is replaced, not used
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "4")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "1")),
        # Wait at most this long for a free connection, well inside gunicorn's 30 s timeout,
        # so an exhausted pool gives a clean 500 instead of a killed worker.
        "pool_timeout": int(os.environ.get("DB_POOL_TIMEOUT", "10")),
        # Reconnect every 30 minutes: below typical firewall / load-balancer idle cut-offs.
        "pool_recycle": int(os.environ.get("DB_POOL_RECYCLE", "1800")),
    }
    # Seconds to wait for PostgreSQL to accept a new connection (applied to PostgreSQL only).
    DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))

    @classmethod
    def validate(cls, app) -> None:
        secret = app.config.get("SECRET_KEY") or ""
        if len(secret) < 32 or secret in {"dev", "change-me", "secret"}:
            raise RuntimeError(
                "ProductionConfig needs SECRET_KEY: at least 32 random characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        uri = app.config.get("SQLALCHEMY_DATABASE_URI") or ""
        if uri.startswith("sqlite") and not app.config.get("ALLOW_SQLITE_IN_PRODUCTION"):
            raise RuntimeError(
                "ProductionConfig refuses SQLite: set DATABASE_URL=postgresql+psycopg://... "
                "or ALLOW_SQLITE_IN_PRODUCTION=1 for a single small host."
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
