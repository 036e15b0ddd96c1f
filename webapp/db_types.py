"""Column types shared by the models."""
import enum
from datetime import UTC, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult


class UTCDateTime(sa.TypeDecorator):
    """A moment in time, stored as naive UTC on every database and returned aware.

    SQLite has no time zones and PostgreSQL's `timestamptz` would convert to the
    connection's zone; storing naive UTC behaves the same on both, and aware values
    in Python mean a London wall-clock time can never be mistaken for UTC.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def render_migration_item(type_, obj, autogen_context):
    """Alembic autogenerate: write UTCDateTime as a plain DateTime, so that migrations
    never import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def enum_column(enum_class: type[enum.StrEnum], length: int = 32, name: str | None = None) -> sa.Enum:
    """A status column typed as its enum: stored as its value in a VARCHAR with a CHECK
    constraint generated from the enum's values (the same on SQLite and PostgreSQL).
    `name` names the constraint (ck_<table>_<name>); by default the enum's own name."""
    return sa.Enum(enum_class, native_enum=False, create_constraint=True, length=length,
                   name=name or enum_class.__name__.lower(),
                   values_callable=lambda members: [member.value for member in members],
                   validate_strings=True)


def rows_changed(result: sa.Result) -> int:
    """How many rows an UPDATE or DELETE changed (Session.execute is typed as returning a
    plain Result; for those statements it is a CursorResult, which knows)."""
    return cast(CursorResult, result).rowcount
