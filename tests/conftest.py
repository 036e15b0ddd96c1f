"""Fixtures: a real database per test (an SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), the app, its test client and CLI runner, and small factories.

The schema and the demo are built once per run (per worker under pytest-xdist), not per
test: each test gets a copy of a template SQLite file, or the worker's PostgreSQL
database with every table emptied after the test before.

Every test's database, with or without the demo, also holds a neighbouring programme
(tests/neighbours.py) with bookings and responses of its own: a query that forgets to
keep to its session or programme then reaches other people's rows and a test sees it."""
from __future__ import annotations

import copy
import gc
import os
import pickle
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from config import TestConfig
from webapp import create_app
from webapp.auth.models import Role, User
from webapp.demo.services import load_demo_programme
from webapp.extensions import db
from tests.neighbours import load_neighbour_programme

# Fixture modules: their fixtures are available to every test without being imported
# (an imported fixture is shadowed by the test's argument of the same name: ruff F811).
pytest_plugins = ["tests.booking_helpers", "tests.oidc_helpers"]

SERVER_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# A folder where the SQLite template is kept between runs: tools/mutation.py starts pytest
# once per mutant, and the template (schema, neighbour, demo) takes seconds to build.
# Unset, the template is built once per run as usual.
TEMPLATE_CACHE = os.environ.get("TEST_TEMPLATE_CACHE")
# The job queue's storage: an SQLite file per test, or (CI's second run) Redis.
SERVER_JOBS_URL = os.environ.get("TEST_JOBS_STORAGE_URL")

# CI explores the same examples every run, so a red build always means a change broke
# something; locally every run tries new ones.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
PASSWORD = "correct horse battery staple"


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under `-p no:xdist` (mutmut)
def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker per core and one more. The browser's tests and those that
    start worker processes spend part of their time waiting on another process; the extra
    worker uses that time (`make test` on 2 cores: 149 s instead of 160 s)."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_finish(session):
    """Python's cyclic garbage collector less often, and never over what is loaded by now
    (modules, the collected tests): a test makes a few hundred thousand short-lived
    objects (rendered pages, ORM rows), and at the default threshold (700) a test process
    ran ~9 collections a second, each walking everything alive. 3,223 collections took
    2.1 s of CPU in 303 tests; 371 took 0.6 s (a plugin timing gc.callbacks)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


# Each test's time in the last run (setup, call and teardown), kept in pytest's cache
# (.pytest_cache, not committed): how long tests are found first.
DURATIONS_KEY = "briefings/test-seconds"
# Only tests at least this long go first, longest first; the rest keep their file order,
# the files with the default settings before those with settings of their own, so that one
# app serves test after test (KeptApp, below).
LONG_TEST_SECONDS = 1.0
_durations: dict[str, float] = {}


def _cache(config):
    return getattr(config, "cache", None)  # none under `-p no:cacheprovider`


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests
def pytest_collection_modifyitems(config, items):
    """The longest tests first: under pytest-xdist the last tests handed out are then
    short ones, and no worker is left running a long one while the others have finished
    (a 7.7 s test handed out last kept one worker busy 5.7 s after the other two had
    finished). Their times come from the last run; a test not timed yet counts as long
    if it starts worker processes (`slow`) or drives the browser."""
    cache = _cache(config)
    last_run = cache.get(DURATIONS_KEY, {}) if cache is not None else {}
    settings_groups: dict = {None: 0}  # a module's or class's own app_config -> its place; the default first

    def expected_seconds(item) -> float:
        if item.nodeid in last_run:
            return last_run[item.nodeid]
        return 10.0 if item.get_closest_marker("slow") else 3.0 if item.get_closest_marker("browser") else 0.0

    def place(item) -> tuple[float, int]:
        if (seconds := expected_seconds(item)) >= LONG_TEST_SECONDS:
            return -seconds, 0
        return 0.0, settings_groups.setdefault(_own_settings(item), len(settings_groups))

    items.sort(key=place)


def _own_settings(item):
    """The `app_config` fixture the test's class or module defines for itself, if any: tests
    with other settings need another app (KeptApp), so those sharing settings run together."""
    for owner in (getattr(item, "cls", None), getattr(item, "module", None)):
        if owner is not None and "app_config" in vars(owner):
            return vars(owner)["app_config"]
    return None


def pytest_runtest_logreport(report):
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    """Keep this run's times (in the pytest-xdist controller, which sees every worker's
    reports; a worker's are its own share only)."""
    cache = _cache(session.config)
    if hasattr(session.config, "workerinput") or cache is None or not _durations:
        return
    times = cache.get(DURATIONS_KEY, {})
    times.update({nodeid: round(seconds, 2) for nodeid, seconds in _durations.items()})
    cache.set(DURATIONS_KEY, times)


def make_config(database_url: str, **overrides) -> type[TestConfig]:
    return type("PerTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


def _build_schema(url: str) -> None:
    """The models' tables, once per run (tests/test_migrations.py checks migrations == models)."""
    app = create_app(make_config(url))
    with app.app_context():
        db.drop_all()  # a previous run's tables, on a server database
        db.create_all()
        db.engine.dispose()


Rows = list[tuple[sa.Table, list[dict]]]


def _all_rows() -> Rows:
    db.session.remove()
    with db.engine.connect() as connection:
        rows = [(table, [row._asdict() for row in connection.execute(table.select().order_by(*table.primary_key))])
                for table in db.metadata.sorted_tables]
    return [(table, table_rows) for table, table_rows in rows if table_rows]


def _load_neighbour(url: str) -> Rows:
    """The neighbouring programme (tests/neighbours.py); returns every row in the database after it."""
    app = create_app(make_config(url))
    with app.app_context():
        load_neighbour_programme()
        rows = _all_rows()
        db.engine.dispose()
    return rows


def _load_demo(url: str) -> tuple[int, Rows]:
    """Load the demo with its real loader; returns its id and every row in the database
    after it (the neighbour's and the demo's), table by table."""
    app = create_app(make_config(url))
    with app.app_context():
        programme_id = load_demo_programme()[0].id
        rows = _all_rows()
        db.engine.dispose()
    return programme_id, rows


def _names(rows: Rows) -> list[tuple[str, list[dict]]]:
    return [(table.name, table_rows) for table, table_rows in rows]


def _tables(rows: list[tuple[str, list[dict]]]) -> Rows:
    return [(db.metadata.tables[name], table_rows) for name, table_rows in rows]


class SQLiteTemplate:
    """Two SQLite files built once, the schema with the neighbour, and that with the demo
    too; each test gets a copy of one, so a test never sees another's rows."""

    def __init__(self, folder: Path):
        self.links = folder
        kept = Path(TEMPLATE_CACHE) if TEMPLATE_CACHE else None
        if kept and (kept / "rows.pickle").exists():
            folder = kept  # built by an earlier run: its files are copied, never changed
        self.empty, self.with_demo = folder / "empty.sqlite", folder / "demo.sqlite"
        if folder == kept:
            with open(kept / "rows.pickle", "rb") as file:
                self.demo_id, neighbour_rows, demo_rows = pickle.load(file)
            self.neighbour_rows, self.demo_rows = _tables(neighbour_rows), _tables(demo_rows)
            return
        _build_schema(f"sqlite:///{self.empty}")
        self.neighbour_rows = _load_neighbour(f"sqlite:///{self.empty}")
        shutil.copyfile(self.empty, self.with_demo)
        self.demo_id, self.demo_rows = _load_demo(f"sqlite:///{self.with_demo}")
        if kept:
            kept.mkdir(parents=True, exist_ok=True)
            for path in (self.empty, self.with_demo):
                shutil.copyfile(path, kept / path.name)
            with open(kept / "rows.pickle", "wb") as file:
                pickle.dump((self.demo_id, _names(self.neighbour_rows), _names(self.demo_rows)), file)

    def database(self, folder: Path, with_demo: bool) -> str:
        """A copy of the template in the test's own folder, reached through the worker's one
        database path (a symbolic link, pointed anew for each test): an app kept from the
        test before (KeptApp) keeps its URL, and its engine opens this test's copy."""
        path = folder / "test.sqlite"
        shutil.copyfile(self.with_demo if with_demo else self.empty, path)
        # One link per process: tools/mutation.py's forked test runs share this folder.
        link = self.links / f"test-{os.getpid()}.sqlite"
        pointer = link.with_suffix(".new")
        pointer.unlink(missing_ok=True)
        pointer.symlink_to(path)
        pointer.replace(link)  # SQLite follows the link: the WAL goes beside the copy
        return f"sqlite:///{link}"

    def clean(self) -> None:
        """Nothing to do: the next test has its own copy."""

    def close(self) -> None:
        """Nothing to do: pytest removes its temporary folders."""


class ServerTemplate:
    """One PostgreSQL database per worker, its schema built once; every table is emptied
    after each test, and the neighbour's rows, with the demo's for a test that asks for
    the demo (read once from the real loaders), are put back before each test. DELETE is much quicker than TRUNCATE or a new
    database per test on tables this small."""

    def __init__(self):
        self.url, self.ours = _worker_database()
        _build_schema(self.url)
        self.neighbour_rows = _load_neighbour(self.url)
        self.demo_id, self.demo_rows = _load_demo(self.url)
        self.engine = sa.create_engine(self.url)
        self.clean()

    def database(self, folder: Path, with_demo: bool) -> str:
        with self.engine.begin() as connection:
            for table, rows in self.demo_rows if with_demo else self.neighbour_rows:
                connection.execute(table.insert(), rows)
        return self.url

    def clean(self) -> None:
        with self.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())

    def close(self) -> None:
        if not self.ours:  # TEST_DATABASE_URL's own database: its tables go, the database stays
            db.metadata.drop_all(self.engine)
        self.engine.dispose()
        if self.ours:
            _admin(f'DROP DATABASE "{sa.engine.make_url(self.url).database}" WITH (FORCE)')


def _admin(statement: str) -> object:
    """Run one statement outside a transaction on TEST_DATABASE_URL's database; returns its first value."""
    engine = sa.create_engine(SERVER_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            result = connection.exec_driver_sql(statement)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


WORKER_DATABASE_MARK = "made by tests/conftest.py for one pytest-xdist worker, dropped when its run ends"


def _worker_database() -> tuple[str, bool]:
    """TEST_DATABASE_URL's database; under pytest-xdist, one per worker named after it
    (test_gw0, test_gw1, ...). Returns its URL and whether the tests made it (then it is
    dropped at the end; a comment on it says so, should an interrupted run leave it)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return SERVER_DATABASE_URL, False
    base = sa.engine.make_url(SERVER_DATABASE_URL)
    url = base.set(database=f"{base.database}_{worker}")
    comment = _admin("SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
                     f"WHERE datname = '{url.database}'")
    if comment is None:
        _admin(f'CREATE DATABASE "{url.database}"')
        _admin(f'COMMENT ON DATABASE "{url.database}" IS \'{WORKER_DATABASE_MARK}\'')
        # A commit need not wait for the disk (a crash may lose the last commits, not consistency):
        # 2-3 ms instead of 8-25 ms per commit on a busy machine, and tests commit a lot.
        _admin(f'ALTER DATABASE "{url.database}" SET synchronous_commit = off')
    return url.render_as_string(hide_password=False), comment in (None, WORKER_DATABASE_MARK)


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory):
    """The schema and the demo, built once per run (once per worker under pytest-xdist)."""
    template = ServerTemplate() if SERVER_DATABASE_URL else SQLiteTemplate(tmp_path_factory.mktemp("template"))
    yield template
    template.close()


@pytest.fixture
def database_url(request, tmp_path, _database_template) -> str:
    """This test's own database, with the demo already in it when the test asks for `demo`."""
    yield _database_template.database(tmp_path, with_demo="demo" in request.fixturenames)
    _database_template.clean()


@pytest.fixture
def app_config(database_url) -> dict:
    """Override in a test module to change settings (e.g. rate limits)."""
    return {}


class KeptApp:
    """The app of the test before, handed to the next test that asks for the same settings
    (most tests ask for the defaults), instead of a new one per test: building an app costs
    about 20 ms, and its first request of each page about as much again (templates loaded,
    SQL compiled for its engine), over a thousand times a run.

    What a test may change is put back before the next one: the settings, anything added to
    app.extensions (the bounded caches, the health checks' last answers, the identity
    provider's client), the rate limits counted, and the job queue (its own file per test);
    the database is the test's own copy (SQLiteTemplate.database). An app the test changed
    beyond that (a route, a hook, a template global), or with a request still in hand, or
    whose process-wide extensions another app has taken since (every create_app gives the
    job queue and the rate limiter its own settings), is not handed on: the next test gets
    a new one. A test marked `fresh_app` gets a new app of its own (Flask refuses routes
    added to an app that has served requests)."""

    def __init__(self):
        self.app = None

    def app_for(self, database_url: str, overrides: dict, per_test: dict, fresh: bool):
        settings = {**per_test, **overrides}
        if fresh or not self._reusable(database_url, overrides):
            self.app = None
            app = create_app(make_config(database_url, **settings))
            if not fresh:
                self.app, self.key = app, (database_url, copy.deepcopy(overrides))
                self.config, self.extensions = copy.deepcopy(dict(app.config)), set(app.extensions)
                self.shape = _shape(app)
            return app
        from limits.storage import MemoryStorage
        from webapp.extensions import limiter
        from webapp.jobs import queue

        app = self.app
        app.config.clear()
        app.config.update({**copy.deepcopy(self.config), **settings})
        for name in set(app.extensions) - self.extensions:
            del app.extensions[name]
        if isinstance(limiter.storage, MemoryStorage):
            limiter.storage.reset()
        queue.init_app(app)  # this test's own queue file
        return app

    def _reusable(self, database_url: str, overrides: dict) -> bool:
        from webapp.admission import EXTENSION as ADMISSION
        from webapp.jobs import queue

        if self.app is None or (database_url, overrides) != self.key or queue.task_app() is not self.app:
            return False
        gate = self.app.extensions.get(ADMISSION)
        return _shape(self.app) == self.shape and (gate is None or not (gate.in_use or gate.waiting))


def _shape(app) -> tuple:
    """What a test could add to an app that putting its settings back would not undo
    (Flask adds empty entries to error_handler_spec as it looks handlers up)."""
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs,
             app.template_context_processors, app.url_value_preprocessors, app.url_default_functions)
    error_handlers = {blueprint: {code: dict(handlers) for code, handlers in codes.items() if handlers}
                      for blueprint, codes in app.error_handler_spec.items() if any(codes.values())}
    return (sorted(app.view_functions), [rule.rule for rule in app.url_map.iter_rules()],
            [{name: len(functions) for name, functions in hook.items()} for hook in hooks],
            error_handlers, sorted(app.jinja_env.globals), sorted(app.jinja_env.filters))


_kept_app = KeptApp()


def own_files(folder: Path) -> dict:
    """A test's own outbox (emails without a MAIL_SERVER land there, not in
    instance/outbox/) and job-queue file, in its folder."""
    return {"MAIL_OUTBOX": str(folder / "outbox"), "JOBS_STORAGE_URL": f"sqlite:///{folder / 'jobs.sqlite'}"}


@pytest.fixture
def app(request, database_url, app_config, tmp_path):
    per_test = {**own_files(tmp_path), "JOBS_QUEUE_NAME": f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"}
    if SERVER_JOBS_URL:
        per_test["JOBS_STORAGE_URL"] = SERVER_JOBS_URL
    app = _kept_app.app_for(database_url, app_config, per_test,
                            fresh=request.node.get_closest_marker("fresh_app") is not None)
    if SERVER_JOBS_URL:
        from webapp.jobs.queue import huey

        huey.flush()  # a queue shared by the run: each test starts with it empty
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def run_jobs(app):
    """Run, as a worker would, every job waiting in this test's queue (a real Huey
    SQLite queue); returns how many ran."""
    from webapp.jobs import queue

    def run() -> int:
        with app.app_context():
            return queue.run_pending()

    return run


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    def make(role: str = Role.ORGANISER, email: str | None = None, password: str = PASSWORD) -> User:
        with app.app_context():
            user = User(email=email or f"{role}-{os.urandom(3).hex()}@example.org", role=role)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page the way a browser would
    (none when the test turned CSRF off: there is nothing to read)."""
    if not client.application.config.get("WTF_CSRF_ENABLED", True):
        return ""
    response = client.get(url)
    if response.status_code == 302:  # signed in: any organiser page has the sign-out form
        response = client.get("/organiser/programmes")
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, token_url: str = "/login", **kwargs):
    """POST like a browser: with the session's CSRF token."""
    payload = {"csrf_token": csrf_token(client, token_url), **(data or {})}
    return client.post(url, data=payload, **kwargs)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return post_form(self.client, "/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(client, auth, make_user):
    """Sign the test client in with a new account of the given role; returns the user."""

    def login(role: str = Role.ORGANISER) -> User:
        user = make_user(role)
        response = auth.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login


@pytest.fixture
def demo(app):
    """The demo programme in this test's database; returns its id. `database_url` has put
    its rows there already; asked for late (getfixturevalue), it is loaded now."""
    with app.app_context():
        programme, _ = load_demo_programme()
        return programme.id


@contextmanager
def served(app) -> Iterator[str]:
    """The app on a real threaded HTTP server on loopback (like gunicorn's gthread);
    yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for serve_forever's next look at its flag: half a second by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    """The app served over HTTP (`served`) with a job worker beside it; yields its base URL.
    PUBLIC_BASE_URL points at it so that links in emails and QR codes work."""
    from webapp.jobs import queue

    with served(app) as base_url:
        app.config["PUBLIC_BASE_URL"] = base_url
        # A job worker beside it, as `make run` has: emails leave within a fraction of a second.
        stop = threading.Event()

        def work() -> None:
            while not stop.wait(0.2):
                with app.app_context():
                    queue.run_pending()

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        yield base_url
        stop.set()
        worker.join(timeout=10)
