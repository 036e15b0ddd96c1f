"""The app factory with each configuration."""
import pytest

from config import Config, DevelopmentConfig, ProductionConfig, TestConfig
from webapp import create_app


def test_testing_config_by_name():
    app = create_app("testing")
    assert app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"]


def test_development_config_uses_sqlite_in_instance_folder_and_a_random_key(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = type("Dev", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": None})
    app = create_app(config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/briefings.sqlite")
    key = app.config["SECRET_KEY"]
    assert len(key) >= 32 and key != "dev"
    # the same key next time, so sessions survive a restart
    assert create_app(config).config["SECRET_KEY"] == key
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_config_name_is_refused():
    with pytest.raises(ValueError, match="Unknown config"):
        create_app("staging")


def _production(**overrides):
    return type("Prod", (ProductionConfig,), overrides)


def test_production_refuses_to_start_without_a_real_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(_production(SECRET_KEY=None, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@h/db"))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(_production(SECRET_KEY="dev", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@h/db"))


def test_production_refuses_sqlite_unless_allowed():
    secret = "s" * 48
    with pytest.raises(RuntimeError, match="SQLite"):
        create_app(_production(SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI="sqlite:////tmp/x.sqlite"))
    app = create_app(_production(SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI="sqlite:////tmp/x.sqlite",
                                 ALLOW_SQLITE_IN_PRODUCTION=True))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_cookies_are_secure_host_prefixed_httponly_lax():
    app = create_app(_production(SECRET_KEY="s" * 48, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@h/db"))
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    # __Host- cookies must not carry a Domain and must have Path=/
    assert app.config.get("SESSION_COOKIE_DOMAIN") in (None, False)
    assert app.config["SESSION_COOKIE_PATH"] in (None, "/")


def test_production_password_hashing_meets_owasp_cost():
    method = Config.PASSWORD_HASH_METHOD
    algorithm, n, r, p = method.split(":")
    assert algorithm == "scrypt" and int(n) >= 2**17 and int(r) >= 8 and int(p) >= 1
    assert method == ProductionConfig.PASSWORD_HASH_METHOD
    assert method != TestConfig.PASSWORD_HASH_METHOD  # only tests trade cost for speed


def test_sqlite_connections_use_wal_and_a_busy_timeout(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    from webapp.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_werkzeug_private_api_the_lazy_url_builders_use_is_there():
    """webapp.application.Rule overrides werkzeug's private Rule._compile_builder; a
    werkzeug release that renames or reshapes it must fail here, not in every url_for."""
    import inspect
    from importlib.metadata import version

    from werkzeug.routing import Rule as WerkzeugRule

    from webapp.application import CHECKED_WERKZEUG_VERSIONS

    assert version("werkzeug") in CHECKED_WERKZEUG_VERSIONS, (
        f"Werkzeug {version('werkzeug')}: check webapp.application.Rule against it, then add it")
    assert list(inspect.signature(WerkzeugRule._compile_builder).parameters) == ["self", "append_unknown"]


def test_urls_built_by_the_lazy_builders_match_werkzeug(app):
    """Every kind of rule we have, built through the lazy builders and through plain
    werkzeug Rules: converters, defaults, unknown arguments going to the query string."""
    from werkzeug.routing import Map
    from werkzeug.routing import Rule as WerkzeugRule

    from webapp.application import Rule

    def urls(rule_class):
        url_map = Map([rule_class("/programmes/<int:programme_id>/sessions/<int:session_id>", endpoint="session"),
                       rule_class("/f/<code>", endpoint="feedback"),
                       rule_class("/results", endpoint="results", defaults={"page": 1}),
                       rule_class("/results/page/<int:page>", endpoint="results")])
        adapter = url_map.bind("example.org")
        return [adapter.build("session", {"programme_id": 3, "session_id": 12}),
                adapter.build("feedback", {"code": "ab c/é", "q": "x y"}),
                adapter.build("results", {"page": 1}), adapter.build("results", {"page": 2}),
                adapter.build("session", {"programme_id": 3, "session_id": 12, "next": "/a?b=c"}, force_external=True)]

    assert urls(Rule) == urls(WerkzeugRule)
    assert urls(Rule)[1] == "/f/ab%20c/%C3%A9?q=x+y"
    assert isinstance(app.url_map._rules[0], Rule)


@pytest.mark.fresh_app  # an app that has served no request yet
def test_url_builders_wait_for_their_first_use_and_warm_up_compiles_them(app):
    from webapp import warm_up

    def compiled(rule):
        return [builder.compiled is not None for builder in rule.lazy_builders.values()]

    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert compiled(rules["auth.login"]) == [False, False]
    with app.test_request_context():
        from flask import url_for

        assert url_for("auth.login", next="/x") == "/login?next=/x"
    assert compiled(rules["auth.login"]) == [False, True]  # the builder that appends unknown arguments
    warm_up(app)
    assert all(all(compiled(rule)) for rule in app.url_map.iter_rules())
