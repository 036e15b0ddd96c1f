"""Column types shared by the models."""
from datetime import datetime, timezone

import sqlalchemy as sa


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
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def render_migration_item(type_, obj, autogen_context):
    """Alembic autogenerate: write UTCDateTime as a plain DateTime, so that migrations
    never import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False
