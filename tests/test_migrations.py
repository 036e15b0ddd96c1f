"""The migrations build the schema the models describe: no pending autogenerate diff."""
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from tests.conftest import SERVER_DATABASE_URL, make_config
from webapp import create_app
from webapp.extensions import db
from datetime import UTC


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database: an SQLite file, or a new PostgreSQL database dropped afterwards."""
    if not SERVER_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(SERVER_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(SERVER_DATABASE_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_upgrade_on_an_empty_database_matches_the_models(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(connection).get_table_names())
            fillfactors = counter_fillfactors(connection)
        db.engine.dispose()
    assert not diff, f"models and migrations disagree: {diff}"
    assert fillfactors == EXPECTED_FILLFACTORS
    assert {"programme", "finding", "event_session", "registration", "response", "answer"} <= tables


def counter_fillfactors(connection) -> dict[str, list[str] | None]:
    """The storage options of the running-total tables (PostgreSQL; SQLite has none)."""
    if connection.dialect.name != "postgresql":
        return {}
    return dict(connection.execute(sa.text(
        "SELECT relname, reloptions FROM pg_class WHERE relname IN ('result_count', 'word_count')")).all())


EXPECTED_FILLFACTORS = ({"result_count": ["fillfactor=50"], "word_count": ["fillfactor=50"]}
                        if SERVER_DATABASE_URL else {})


def test_counter_tables_leave_room_for_updates_when_created_from_the_models(app):
    """create_all (tests, `flask db` on a new PostgreSQL database) sets what the migration sets."""
    with app.app_context(), db.engine.connect() as connection:
        assert counter_fillfactors(connection) == EXPECTED_FILLFACTORS


def test_database_enforces_constraints(app):
    """Rules that must hold whatever the code does live in the database too."""
    from webapp.models import EventSession, Programme
    from datetime import datetime, timedelta

    with app.app_context():
        programme = Programme(slug="p", title="P")
        start = datetime(2030, 1, 1, 10, tzinfo=UTC)
        db.session.add(programme)
        db.session.commit()
        db.session.add(EventSession(programme=programme, title="S", starts_at=start, ends_at=start - timedelta(hours=1),
                                    venue="V", capacity=10))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        session = EventSession(programme=programme, title="S", starts_at=start, ends_at=start + timedelta(hours=1),
                               venue="V", capacity=1)
        db.session.add(session)
        db.session.commit()
        session.confirmed_count = 2  # more than its capacity
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
