"""The database fixtures: the schema and the demo are built once per run, yet every test
starts from a database of its own holding only the neighbouring programme (and the demo,
when it asks), and the demo is exactly what its loader wrote."""
import pytest
import sqlalchemy as sa

from webapp.auth.models import Role, User
from webapp.demo.services import load_demo_programme
from webapp.extensions import db
from webapp.programmes.models import Programme
from tests import neighbours


def _rows(table: sa.Table) -> list[dict]:
    return [row._asdict() for row in db.session.execute(table.select().order_by(*table.primary_key))]


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_starts_from_its_own_database(app_ctx, turn, _database_template):
    """Run twice (and after any other test on the same worker): what one test wrote, the
    next never sees; it sees only the neighbouring programme."""
    assert [(table, _rows(table)) for table in db.metadata.sorted_tables if _rows(table)] \
        == _database_template.neighbour_rows
    assert db.session.scalars(sa.select(Programme.slug)).all() == [neighbours.SLUG]
    db.session.add(Programme(slug="isolation", title=f"Written by the {turn} test"))
    db.session.add(User(email=f"{turn}@example.org", role=Role.VIEWER))
    db.session.commit()


def test_the_demo_is_what_its_loader_wrote(app, demo, _database_template):
    with app.app_context():
        assert [(table, _rows(table)) for table in db.metadata.sorted_tables if _rows(table)] \
            == _database_template.demo_rows
        programme, created = load_demo_programme()
        assert (programme.id, created) == (demo, False)
        assert len(programme.sessions) == 7 and all(s.starts_at.utcoffset() is not None for s in programme.sessions)


def test_the_neighbour_has_sessions_bookings_and_responses_everywhere(app_ctx):
    """What the leak tests rely on: several sessions, each with confirmed and waiting or
    cancelled bookings, arrivals, and responses."""
    from webapp.bookings.models import RegistrationStatus

    snapshot = neighbours.snapshot()
    assert len(snapshot["sessions"]) == 3
    assert neighbours.counts_by_status() == {RegistrationStatus.CONFIRMED: 8, RegistrationStatus.WAITING: 3,
                                             RegistrationStatus.CANCELLED: 2}
    assert {row.session_id for row in snapshot["registrations"]} == {row.id for row in snapshot["sessions"]}
    assert sum(row.checked_in_at is not None for row in snapshot["registrations"]) == 5
    assert snapshot["responses"] == 7
