"""`flask --app wsgi demo [--responses N]`."""
import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from webapp.extensions import db
from webapp.programmes.models import Programme

from webapp.demo.services import add_synthetic_responses, load_demo_programme


@click.command("demo")
@click.option("--responses", type=click.IntRange(min=0), default=0,
              help="Also add this many synthetic feedback responses.")
@click.option("--seed", type=int, default=None, help="Random seed for repeatable responses.")
@click.option("--if-empty", is_flag=True, help="Only load it into a database with no programmes.")
@with_appcontext
def demo_command(responses: int, seed: int | None, if_empty: bool) -> None:
    """Load the demo programme from the seed report (running it again changes nothing)."""
    if if_empty and db.session.scalar(sa.select(Programme.id).limit(1)):
        click.echo("The database already has programmes: demo not loaded.")
        return
    programme, created = load_demo_programme()
    if created:
        click.echo(f"Loaded the demo programme “{programme.title}” with "
                   f"{len(programme.findings)} findings and {len(programme.sessions)} sessions.")
    else:
        click.echo("The demo programme is already loaded: nothing changed.")
    if responses:
        added = add_synthetic_responses(programme, responses, seed=seed)
        click.echo(f"Added {added} synthetic responses.")
