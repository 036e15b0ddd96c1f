"""`flask --app wsgi users create EMAIL --role ROLE`."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from webapp.auth.models import User
from webapp.auth.services import authenticate
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_create_with_piped_password(runner, app):
    result = runner.invoke(args=["users", "create", "Boss@Example.org", "--role", "admin"],
                           input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    assert "Created admin account for boss@example.org" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.role == "admin"
        assert authenticate("boss@example.org", "a long enough passphrase") is not None


def test_refuses_short_password_duplicate_and_bad_role(runner, app):
    result = runner.invoke(args=["users", "create", "a@example.org"], input="short\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    runner.invoke(args=["users", "create", "a@example.org"], input="long enough pass\n")
    result = runner.invoke(args=["users", "create", "a@example.org"], input="long enough pass\n")
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["users", "create", "b@example.org", "--role", "owner"], input="long enough pass\n")
    assert result.exit_code != 0 and "Invalid value for '--role'" in result.output


def test_asks_twice_on_a_terminal(database_url):
    """A real pseudo-terminal: the password is asked for twice and must match."""
    import pty
    import select

    # The test's own database, schema and demo ready (`flask db upgrade` is tested in
    # test_migrations; running every migration here took most of this test's time).
    env = {**os.environ, "DATABASE_URL": database_url, "APP_CONFIG": "development", "SECRET_KEY": "x" * 40}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]

    controller, terminal = pty.openpty()
    process = subprocess.Popen(flask + ["users", "create", "tty@example.org", "--role", "viewer"],
                               cwd=ROOT, env=env, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""

    def read_until(text: bytes):
        nonlocal output
        while text not in output:
            ready, _, _ = select.select([controller], [], [], 20)
            if not ready:
                pytest.fail(f"no {text!r} in {output!r}")
            output += os.read(controller, 1024)

    read_until(b"Password:")
    os.write(controller, b"terminal passphrase\n")
    read_until(b"Repeat password:")
    os.write(controller, b"terminal passphrase\n")
    assert process.wait(timeout=30) == 0
    os.close(controller)
    check = subprocess.run(flask + ["users", "list"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "tty@example.org\tviewer\tactive" in check.stdout
