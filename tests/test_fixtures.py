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


# --- The app kept from one test to the next (tests/conftest.py KeptApp) ----------------

@pytest.fixture
def kept(database_url):
    """A KeptApp of the test's own (not the run's), and a function asking it for an app
    as the `app` fixture does for each test."""
    from tests.conftest import KeptApp, own_files

    keeper = KeptApp()

    def next_test(tmp_path, name: str, overrides: dict | None = None, fresh: bool = False):
        return keeper.app_for(database_url, overrides or {}, own_files(tmp_path / name), fresh)

    yield next_test
    for app in {keeper.app} - {None}:
        with app.app_context():
            db.engine.dispose()


def test_the_next_test_gets_the_same_app_with_everything_it_may_change_put_back(kept, tmp_path):
    from flask_limiter.util import get_remote_address

    from webapp.extensions import limiter
    from webapp.jobs import queue

    first = kept(tmp_path, "first")
    first.config["PUBLIC_BASE_URL"] = "http://changed.example"
    first.config["ADDED_BY_THE_TEST"] = True
    first.extensions["bounded_caches"] = {"phone_forms": "kept from the test before"}
    limit = "1 per day"
    with first.test_request_context():
        from limits import parse

        limiter.limiter.hit(parse(limit), "kept-app-test", get_remote_address())
        assert not limiter.limiter.test(parse(limit), "kept-app-test", get_remote_address())

    second = kept(tmp_path, "second")
    assert second is first
    assert second.config["PUBLIC_BASE_URL"] != "http://changed.example"
    assert "ADDED_BY_THE_TEST" not in second.config
    assert "bounded_caches" not in second.extensions
    assert second.config["MAIL_OUTBOX"] == str(tmp_path / "second" / "outbox")
    assert queue.huey.storage.filename == str(tmp_path / "second" / "jobs.sqlite")
    with second.test_request_context():
        assert limiter.limiter.test(parse(limit), "kept-app-test", get_remote_address())


def test_an_app_a_test_changed_or_another_app_took_over_is_not_handed_on(kept, tmp_path):
    from webapp import create_app
    from tests.conftest import make_config

    first = kept(tmp_path, "first")
    first.add_url_rule("/test/added", view_func=lambda: "added")
    second = kept(tmp_path, "second")
    assert second is not first and "/test/added" not in [rule.rule for rule in second.url_map.iter_rules()]

    assert kept(tmp_path, "third") is second
    other = create_app(make_config("sqlite://"))  # the job queue and the limiter now serve `other`
    assert kept(tmp_path, "fourth") is not second
    with other.app_context():
        db.engine.dispose()


def test_other_settings_or_fresh_app_get_a_new_app(kept, tmp_path):
    first = kept(tmp_path, "first")
    assert kept(tmp_path, "second", {"RATELIMIT_ENABLED": False}) is not first
    limits_off = kept(tmp_path, "third", {"RATELIMIT_ENABLED": False})
    assert kept(tmp_path, "fourth", {"RATELIMIT_ENABLED": False}, fresh=True) is not limits_off
    assert kept(tmp_path, "fifth", {"RATELIMIT_ENABLED": False}) is not limits_off  # the fresh one took over


class _Item:
    def __init__(self, nodeid: str, marker: str | None = None, module=None):
        self.nodeid, self.marker, self.module = nodeid, marker, module

    def get_closest_marker(self, name: str):
        return name if name == self.marker else None


def test_the_longest_tests_are_handed_out_first_and_the_rest_keep_their_order():
    """By the last run's times (slow and browser tests count as long before they are
    timed); a short test stays where it was, beside its file's other tests."""
    from tests import conftest

    items = [_Item("a::short1"), _Item("a::long2s"), _Item("a::short2"), _Item("b::browser", "browser"),
             _Item("b::slow", "slow"), _Item("b::timed_short_browser", "browser"), _Item("c::long5s")]
    config = type("Config", (), {"cache": {conftest.DURATIONS_KEY: {
        "a::long2s": 2.0, "a::short1": 0.2, "c::long5s": 5.0, "b::timed_short_browser": 0.4}}})()
    conftest.pytest_collection_modifyitems(config, items)
    assert [item.nodeid for item in items] == [
        "b::slow", "c::long5s", "b::browser", "a::long2s", "a::short1", "a::short2", "b::timed_short_browser"]


def test_short_tests_with_settings_of_their_own_run_together_after_the_default_ones():
    """One app serves all the tests with the same settings (KeptApp) instead of a new
    one each time the settings change back and forth between files."""
    from tests import conftest

    def module(name: str, **fixtures):
        return type(name, (), fixtures)  # vars() of it is what a module's would be

    limits_off = module("limits_off", app_config=lambda: {"RATELIMIT_ENABLED": False})
    mail = module("mail", app_config=lambda: {"MAIL_SERVER": "127.0.0.1"})
    items = [_Item("a::1", module=module("a")), _Item("b::1", module=limits_off), _Item("c::1", module=module("c")),
             _Item("d::1", module=mail), _Item("e::1", module=limits_off), _Item("f::1", module=module("f")),
             _Item("d::2", module=mail)]
    conftest.pytest_collection_modifyitems(type("Config", (), {"cache": {}})(), items)
    assert [item.nodeid for item in items] == ["a::1", "c::1", "f::1", "b::1", "e::1", "d::1", "d::2"]
