"""Extensions are created here, unbound, and bound to the app in create_app()."""
import hashlib
import hmac
import ipaddress
import sqlite3
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints so that Alembic can alter and drop them on every database.
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)

# Models subclass Model. At run time it is Flask-SQLAlchemy's db.Model (table names,
# the session binding); type checkers cannot follow that attribute, so they are shown
# the declarative base it is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


def _keyed(kind: str, value: str) -> str:
    """A keyed hash of what a limit counts, never the thing itself, so neither memory nor
    Redis holds a list of who sent feedback or booked when. Hosts sharing Redis share
    SECRET_KEY, so they count the same client the same way."""
    secret = current_app.config["SECRET_KEY"].encode()
    return kind + hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]


def rate_limit_key() -> str:
    """The client's address. Hundreds of staff share one address (a council's or a health
    board's internet gateway, a venue's Wi-Fi), so limits on it are ceilings for a whole
    organisation; people are told apart by device_key() and email_key()."""
    return _keyed("a", get_remote_address() or "")


def device_key() -> str:
    """One browser: the random CSRF secret Flask-WTF keeps in its signed session cookie
    (a form must be fetched before it can be sent). A client that throws its cookies away
    gets a new 'device' each time, which is why the address and email ceilings remain."""
    secret = session.get("csrf_token")
    return _keyed("d", secret) if isinstance(secret, str) and secret else rate_limit_key()


def _typed_email() -> str:
    return str(request.form.get("email", "")).strip().lower()[:254]


def email_key() -> str:
    """The address being booked or signed in with, whoever sends it."""
    return _keyed("e", _typed_email())


def email_domain_key() -> str:
    return _keyed("m", _typed_email().rpartition("@")[2])


def exempt_address() -> bool:
    """The organisation's own egress networks (RATELIMIT_EXEMPT_NETWORKS) have no
    per-address ceiling: they are thousands of people, not one."""
    networks = current_app.config.get("RATELIMIT_EXEMPT_NETWORKS") or ()
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(get_remote_address() or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def limit_setting(name: str):
    """A limit read from the app's config when the request comes (tests change it)."""
    return lambda: current_app.config[name]


def retry_after_seconds() -> int:
    """When the limit this request broke lets it through again (at least 1 second)."""
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))


# The limiter keeps counters, never addresses: in memory by default, in Redis when
# RATELIMIT_STORAGE_URI says so, so that several workers and hosts share them. If Redis
# cannot be reached, it counts in this process instead (and logs a warning) rather than
# refusing sign-in, bookings and feedback: RATELIMIT_IN_MEMORY_FALLBACK_ENABLED.
limiter = Limiter(key_func=rate_limit_key, default_limits=[])


@sa.event.listens_for(sa.engine.Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL lets readers work while one request writes; the busy timeout makes a
    second writer wait its turn instead of failing with 'database is locked'."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
