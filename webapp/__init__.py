"""The application factory."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import CONFIGS, Config, ProductionConfig
from webapp import admission, log_masking
from webapp.extensions import csrf, db, limiter, login_manager, migrate
from webapp.forms import MAX_DATABASE_ID
from webapp.application import App, Rule


def create_app(config_name_or_class: str | type[Config] | None = None) -> Flask:
    app = App(__name__, template_folder="../templates", static_folder="static")
    app.url_map.converters["int"] = DatabaseIdConverter
    config_class = _resolve_config(config_name_or_class)
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'briefings.sqlite'}"
        )
    if not app.config.get("SECRET_KEY") and not issubclass(config_class, ProductionConfig):
        app.config["SECRET_KEY"] = _instance_secret_key(app)
    config_class.validate(app)
    _set_connect_timeout(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    admission.install(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_cli(app)
    log_masking.install()  # tokens never reach a log line (gunicorn's access log included)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in URLs only matches numbers that fit an integer column, so a huge
    tampered id is a plain 404 instead of a database overflow."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(url_map, *args, **kwargs)


def _set_connect_timeout(app: Flask) -> None:
    """PostgreSQL only: how long to wait for a new connection before giving up."""
    timeout = app.config.get("DB_CONNECT_TIMEOUT")
    if timeout and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"connect_timeout": timeout, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _resolve_config(config_name_or_class: str | type[Config] | None) -> type[Config]:
    if config_name_or_class is None:
        config_name_or_class = os.environ.get("APP_CONFIG", "development")
    if isinstance(config_name_or_class, str):
        try:
            return CONFIGS[config_name_or_class]
        except KeyError:
            raise ValueError(
                f"Unknown config {config_name_or_class!r}: use one of {', '.join(CONFIGS)}"
            ) from None
    return config_name_or_class


def _instance_secret_key(app: Flask) -> str:
    """Development only: a random key kept in the instance folder, never 'dev'."""
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _init_extensions(app: Flask) -> None:
    from webapp import assets, compression, security
    from webapp.auth import oidc
    from webapp import models  # noqa: F401  (registers every table on the metadata)
    from webapp.db_types import render_migration_item
    from webapp.jobs import queue as jobs_queue

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent.parent / "migrations"),
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    assets.init_app(app)
    security.init_app(app)
    compression.init_app(app)
    jobs_queue.init_app(app)
    oidc.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from webapp.actions.views import bp as actions_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.bookings.views import bp as bookings_bp
    from webapp.checkin.views import bp as checkin_bp
    from webapp.errors.handlers import bp as errors_bp
    from webapp.feedback.views import bp as feedback_bp
    from webapp.main.views import bp as main_bp
    from webapp.exports.views import bp as exports_bp
    from webapp.jobs.views import bp as jobs_bp
    from webapp.programmes.views import bp as programmes_bp
    from webapp.reports.views import bp as reports_bp
    from webapp.room.views import bp as room_bp
    from webapp.results.views import bp as results_bp
    from webapp.sessions.views import bp as sessions_bp
    from webapp.staff.views import bp as staff_bp
    from webapp.themes.views import bp as themes_bp

    for blueprint in (main_bp, auth_bp, errors_bp, programmes_bp, sessions_bp, bookings_bp, checkin_bp,
                      feedback_bp, results_bp, exports_bp, staff_bp, jobs_bp, actions_bp,
                      reports_bp, room_bp, themes_bp):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from webapp import timezones

    app.jinja_env.filters["local_date"] = timezones.format_date
    app.jinja_env.filters["local_time"] = timezones.format_time
    app.jinja_env.filters["clock_time"] = timezones.format_clock
    app.jinja_env.filters["local_datetime"] = timezones.format_datetime
    from webapp.results import formatting

    app.jinja_env.globals.update(percent=formatting.percent, number=formatting.number, bar=formatting.bar)
    # Templates compare statuses with the enums, never with string literals.
    from webapp.auth.models import Role
    from webapp.bookings.models import RegistrationStatus
    from webapp.feedback.models import QuestionKind
    from webapp.programmes.models import FindingKind
    from webapp.sessions.models import SessionStatus

    for enum_class in (Role, RegistrationStatus, FindingKind, SessionStatus, QuestionKind):
        app.jinja_env.globals[enum_class.__name__] = enum_class


def _register_cli(app: Flask) -> None:
    from webapp.auth.cli import users_cli
    from webapp.demo.cli import demo_command
    from webapp.jobs.cli import jobs_cli, serve_command
    from webapp.results.cli import results_cli
    from webapp.retention.cli import retention_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(serve_command)
    app.cli.add_command(results_cli)


def warm_up(app: Flask) -> None:
    """Do once, before the workers are forked, what each new process would otherwise do
    on its first requests: compile every template, configure the ORM mappers, build
    the URL matcher and compile the URL builders. gunicorn recycles a worker every few
    thousand requests (max_requests), often in the middle of a busy room; a cold worker
    spent 80 ms of CPU compiling templates on its first form while the room queued
    behind it (the p99 of bench/feedback_burst.py). Forked workers share what is compiled."""
    import sqlalchemy.orm

    for name in app.jinja_env.list_templates(extensions=["html", "txt"]):
        app.jinja_env.get_template(name)
    sqlalchemy.orm.configure_mappers()
    app.url_map.update()
    for rule in app.url_map.iter_rules():
        if isinstance(rule, Rule):
            rule.compile_builders()
