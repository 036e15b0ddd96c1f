"""`flask --app wsgi demo [--responses N]`."""
import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from webapp.extensions import db
from webapp.programmes.models import Programme

from webapp.demo.services import add_synthetic_responses, load_demo
from webapp.feedback.codes import feedback_url
from webapp.sessions.models import EventSession


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
    programme, created = load_demo()
    if created:
        click.echo(f"Loaded the demo programme “{programme.title}” with "
                   f"{len(programme.findings)} findings and {len(programme.sessions)} sessions: six held "
                   "over the last three weekdays, one today and the mop-up session ahead.")
        today = db.session.scalars(sa.select(EventSession).where(EventSession.programme_id == programme.id)
                                   .where(EventSession.feedback_opens_at.is_not(None))).first()
        if today:
            click.echo(f"Feedback is open now for “{today.title}”: {feedback_url(today)}")
    else:
        click.echo("The demo programme is already loaded: nothing changed.")
    if responses:
        added = add_synthetic_responses(programme, responses, seed=seed)
        click.echo(f"Added {added} synthetic responses.")
