"""`flask --app wsgi retention purge [--after-days N] [--dry-run]`: run it daily from cron."""
import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.retention import services
from webapp.timezones import format_datetime

retention_cli = click.Group("retention", help="Delete personal data that is no longer needed.")


@retention_cli.command("purge")
@click.option("--after-days", type=click.IntRange(min=0), default=None,
              help="Purge bookings of sessions that ended more than this many days ago "
                   "[default: RETENTION_DAYS, the period the privacy notice states].")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed; change nothing.")
@with_appcontext
def purge_command(after_days: int | None, dry_run: bool) -> None:
    """Remove names, emails and other personal details of bookings whose session ended
    long enough ago. Statuses and check-ins stay, so booked and attended counts are kept.
    Feedback is anonymous and is not touched."""
    if after_days is None:
        after_days = current_app.config["RETENTION_DAYS"]
    report = services.purge(after_days, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for item in report.sessions:
        click.echo(f"{verb} personal details of {item.registrations} bookings: "
                   f"{item.title} (ended {format_datetime(item.ends_at)})")
    click.echo(f"{verb} personal details of {report.registrations} bookings in "
               f"{len(report.sessions)} sessions that ended more than {after_days} days ago.")
    if report.staff_listed:
        click.echo(f"{verb} {report.staff_listed} people from the staff lists of programmes whose "
                   "sessions have all ended.")
    if dry_run:
        click.echo("Dry run: nothing was changed.")
