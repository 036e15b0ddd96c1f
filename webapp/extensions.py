"""Extensions are created here, unbound, and bound to the app in create_app()."""
import hashlib
import hmac
import sqlite3

import sqlalchemy as sa
from flask import current_app
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
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


def rate_limit_key() -> str:
    """Whom a rate limit counts: a keyed hash of the client's address, never the address
    itself, so neither memory nor Redis holds a list of who sent feedback when. Hosts
    sharing Redis share SECRET_KEY, so they count the same client the same way."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (get_remote_address() or "").encode(), hashlib.sha256).hexdigest()[:20]


# The limiter keeps counters, never addresses: in memory by default, in Redis when
# RATELIMIT_STORAGE_URI says so, so that several workers and hosts share them.
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
