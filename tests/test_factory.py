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
