"""`flask --app wsgi results rebuild`: recompute the running totals from the answers."""
import click
from flask.cli import with_appcontext

from webapp.extensions import db
from webapp.results import totals

results_cli = click.Group("results", help="Results of the feedback.")


@results_cli.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recompute every running total from the stored answers, in one transaction
    (results pages read the old totals until it commits)."""
    before = totals.snapshot()
    rows = totals.rebuild()
    after = totals.snapshot()
    db.session.commit()
    changed = sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    click.echo(f"Rebuilt {rows} running totals from the answers; {changed} differed from before.")
