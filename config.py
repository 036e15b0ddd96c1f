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
    # The longest one email's whole SMTP conversation may take (a server trickling bytes).
    MAIL_DEADLINE = int(os.environ.get("MAIL_DEADLINE", "60"))
    # Where .eml files go when there is no MAIL_SERVER (default: instance/outbox/).
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX")

    # Booking may be limited to work addresses, e.g. "glasgow.gov.uk,ggc.scot.nhs.uk".
    ALLOWED_EMAIL_DOMAINS = _env_list("ALLOWED_EMAIL_DOMAINS")

    # Rate limits: counters only, in memory unless a shared store is configured.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Requests run at once per process, the rest waiting in deadline order (webapp/admission.py);
    # 0: no gate (development, tests). A page load gives way to forms sent up to this much
    # later: longer than a rush keeps the form waiting, or page loads overdue by then go
    # before bookings again (booking_rush with 0.5 s: POST p99 263-458 ms; with 2 s: 84-141).
    ADMISSION_SLOTS = int(os.environ.get("ADMISSION_SLOTS", "0"))
    ADMISSION_PAGE_GRACE_SECONDS = float(os.environ.get("ADMISSION_PAGE_GRACE_SECONDS", "2"))
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = False
    # Redis down: count in this process (with a logged warning) rather than refuse people.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that does not answer is given up on within a second, not after TCP's minutes.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Networks (CIDR, comma-separated) that are the organisation's own internet gateways:
    # no per-address ceiling applies to them (the per-person limits still do).
    RATELIMIT_EXEMPT_NETWORKS = _env_list("RATELIMIT_EXEMPT_NETWORKS")
    # Sign-in, counted before the password is checked. Per address: an office of
    # organisers behind one gateway signs in at 9:00, so a ceiling, not a lock.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute;300 per hour")
    # Per account (the email typed), whoever and wherever the attempts come from.
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour")
    # Feedback, per address: a room of 180, or a webinar of 5,000 staff, on one network.
    FEEDBACK_RATE_LIMIT = os.environ.get("FEEDBACK_RATE_LIMIT", "3000 per minute")
    # Feedback, per device: one response, then "give another response" for a shared phone.
    FEEDBACK_DEVICE_RATE_LIMIT = os.environ.get("FEEDBACK_DEVICE_RATE_LIMIT", "10 per 10 minutes;30 per day")
    # A session takes at most this many responses per place (plus 10): more than the room.
    FEEDBACK_RESPONSES_PER_PLACE = float(os.environ.get("FEEDBACK_RESPONSES_PER_PLACE", "1.5"))
    # Unknown feedback codes typed or guessed (/f/<code> and /f?code=): per device, and
    # an organisation-sized ceiling per address. Only codes that do not exist count.
    FEEDBACK_CODE_DEVICE_RATE_LIMIT = os.environ.get("FEEDBACK_CODE_DEVICE_RATE_LIMIT", "20 per 10 minutes")
    FEEDBACK_CODE_RATE_LIMIT = os.environ.get("FEEDBACK_CODE_RATE_LIMIT", "600 per 10 minutes")
    # Room questions (/f/<code>/questions), per device: a few questions, many upvotes;
    # per address, an organisation-sized ceiling like feedback's.
    ROOM_QUESTION_DEVICE_RATE_LIMIT = os.environ.get("ROOM_QUESTION_DEVICE_RATE_LIMIT", "5 per 10 minutes;20 per day")
    ROOM_VOTE_DEVICE_RATE_LIMIT = os.environ.get("ROOM_VOTE_DEVICE_RATE_LIMIT", "60 per 10 minutes")
    ROOM_RATE_LIMIT = os.environ.get("ROOM_RATE_LIMIT", "3000 per minute")
    # How often a phone's list of questions refreshes itself (with JavaScript).
    ROOM_REFRESH_SECONDS = int(os.environ.get("ROOM_REFRESH_SECONDS", "15"))
    # How many questions the presenter view's Questions slide shows.
    PRESENTER_QUESTIONS = int(os.environ.get("PRESENTER_QUESTIONS", "5"))
    # Booking, per address: the all-staff email makes an organisation book at once.
    BOOKING_RATE_LIMIT = os.environ.get("BOOKING_RATE_LIMIT", "1200 per minute")
    # Booking, per device (a shared office PC books for a few colleagues) and per email.
    BOOKING_DEVICE_RATE_LIMIT = os.environ.get("BOOKING_DEVICE_RATE_LIMIT", "10 per 10 minutes;30 per day")
    BOOKING_EMAIL_RATE_LIMIT = os.environ.get("BOOKING_EMAIL_RATE_LIMIT", "5 per 10 minutes;20 per day")
    # Booking, per email domain, except the ALLOWED_EMAIL_DOMAINS: invented addresses.
    BOOKING_DOMAIN_RATE_LIMIT = os.environ.get("BOOKING_DOMAIN_RATE_LIMIT", "1000 per 10 minutes")

    # OWASP (2025): scrypt with N=2^17, r=8, p=1. Werkzeug's default N=2^15 is below it.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"
    # Each check is ~1 s of CPU and 128 MiB: at most this many at once per worker process
    # (the rest wait up to PASSWORD_CHECK_WAIT_SECONDS, then are asked to try again).
    PASSWORD_CHECKS_AT_ONCE = int(os.environ.get("PASSWORD_CHECKS_AT_ONCE", "2"))
    PASSWORD_CHECK_WAIT_SECONDS = float(os.environ.get("PASSWORD_CHECK_WAIT_SECONDS", "10"))
    # Admins must use a second factor (TOTP from an authenticator app) when set.
    REQUIRE_ADMIN_MFA = _env_bool("REQUIRE_ADMIN_MFA")

    # Cookies: Flask's defaults set none of these.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # Also the absolute lifetime of an organiser's sign-in: activity never extends it.
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
    # A password reset link (from "Forgot your password?") works for this long.
    RESET_HOURS = int(os.environ.get("RESET_HOURS", "1"))
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
    # The room sees results only once this many have responded (never fewer than 5:
    # results/services.SMALL_GROUP_MIN), and a finding's % only once as many answered it.
    PRESENTER_MIN_RESPONSES = int(os.environ.get("PRESENTER_MIN_RESPONSES", "5"))

    # The job queue (webapp/jobs): an SQLite file in instance/ unless set, e.g.
    # redis://127.0.0.1:6379/1 for several hosts and workers.
    JOBS_STORAGE_URL = os.environ.get("JOBS_STORAGE_URL")
    # Apps and workers that share a storage and a name share one queue.
    JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "briefings")
    # A failed email is tried again after 30 s, 1 min, 2 min ... at most an hour apart,
    # JOBS_MAX_ATTEMPTS times in all (about 8 hours), then kept as failed for an admin.
    JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "12"))
    JOBS_RETRY_BASE_SECONDS = float(os.environ.get("JOBS_RETRY_BASE_SECONDS", "30"))
    JOBS_RETRY_MAX_SECONDS = float(os.environ.get("JOBS_RETRY_MAX_SECONDS", "3600"))
    # A worker holds an email this long while sending it (MAIL_DEADLINE and some); one
    # killed mid-send lets it go then, and the sweep gives it to another worker.
    JOBS_CLAIM_SECONDS = int(os.environ.get("JOBS_CLAIM_SECONDS", "120"))
    # A pending email still not picked up this long after it was due is handed over again.
    JOBS_SWEEP_AFTER_SECONDS = int(os.environ.get("JOBS_SWEEP_AFTER_SECONDS", "120"))
    # The largest staff list file accepted (a 40,000-row CSV is about 4 MB).
    STAFF_UPLOAD_MAX_BYTES = int(os.environ.get("STAFF_UPLOAD_MAX_BYTES", str(20 * 1000 * 1000)))
    # Worker threads per `flask jobs work` process.
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))
    # A worker on the same host as the web app runs at this lower CPU priority (Unix
    # nice), so a burst of emails never slows the pages people are waiting for; on an
    # idle host it still gets all the CPU. 0 keeps the normal priority.
    JOBS_WORKER_NICE = int(os.environ.get("JOBS_WORKER_NICE", "10"))
    # A workbook of this many responses or more is built by a worker (the page shows
    # its progress); smaller ones are built in the request and sent at once.
    WORKBOOK_STREAM_BELOW = int(os.environ.get("WORKBOOK_STREAM_BELOW", "2000"))
    # Where built workbooks are kept (default instance/exports), and for how long.
    EXPORTS_DIR = os.environ.get("EXPORTS_DIR")
    EXPORTS_KEEP_HOURS = float(os.environ.get("EXPORTS_KEEP_HOURS", "24"))

    # Single sign-on with the organisation's OpenID Connect provider (README: "Single sign-on").
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip()
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation's account")
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM", "email")
    # The claim that says the provider has verified that email (Entra ID: xms_edov).
    OIDC_EMAIL_VERIFIED_CLAIM = os.environ.get("OIDC_EMAIL_VERIFIED_CLAIM", "email_verified")
    OIDC_ALLOWED_DOMAINS = _env_list("OIDC_ALLOWED_DOMAINS")
    # Unknown people get an account (viewer, or a role from OIDC_ROLE_GROUPS) instead of a refusal.
    OIDC_AUTO_CREATE = _env_bool("OIDC_AUTO_CREATE")
    OIDC_ROLE_GROUPS = os.environ.get("OIDC_ROLE_GROUPS", "")
    OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
    # Seconds to wait for the provider (discovery, keys, token).
    OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", "10"))
    # 0: only single sign-on; the email and password form is gone.
    PASSWORD_LOGIN = _env_bool("PASSWORD_LOGIN", True)

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
    # One request at a time per gunicorn worker (WEB_CONCURRENCY workers use the cores),
    # with its GUNICORN_THREADS (32) holding the rest in order: a booking in hand first.
    ADMISSION_SLOTS = int(os.environ.get("ADMISSION_SLOTS", "1"))
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    # One pool per gunicorn worker process. A worker runs ADMISSION_SLOTS requests at once
    # beside sign-ins, health checks and streamed bodies (none of them gated): 4 connections
    # kept open, so a busy worker never opens and closes connections, plus 1 for a burst;
    # hosts x workers x (pool_size + max_overflow) stays under PostgreSQL's max_connections
    # (100 by default): 2 hosts x 9 workers x 5 = 90.
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
        issuer = app.config.get("OIDC_ISSUER") or ""
        if issuer and not issuer.startswith("https://"):
            raise RuntimeError("OIDC_ISSUER must be an https:// address in production")
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
