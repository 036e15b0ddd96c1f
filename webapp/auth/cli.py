"""`flask --app wsgi users create EMAIL --role ROLE`."""
import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from webapp.auth import services
from webapp.auth.models import Role, User
from webapp.extensions import db

users_cli = click.Group("users", help="Manage organiser accounts.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat password")
    # Piped: the first line of standard input, without its line ending.
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ORGANISER.value,
    show_default=True,
)
@click.option("--name", default="", help="Display name.")
@with_appcontext
def create_user_command(email: str, role: str, name: str) -> None:
    """Create an account. The password is read from standard input when piped,
    and asked for twice on a terminal."""
    password = _read_password()
    try:
        user = services.create_user(email, password, role, display_name=name)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} account for {user.email}.")


@users_cli.command("list")
@with_appcontext
def list_users_command() -> None:
    """List accounts."""
    for user in db.session.scalars(sa.select(User).order_by(User.email)):
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{state}")
