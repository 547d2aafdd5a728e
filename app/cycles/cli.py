"""``flask cycles …`` commands."""
from datetime import date

import click
from flask.cli import AppGroup

from app.cycles.service import CycleError, create_cycle
from app.extensions import db

cycles_cli = AppGroup("cycles", help="Review cycles.")


@cycles_cli.command("create")
@click.argument("name")
@click.option("--readers", type=click.IntRange(min=1), default=2, show_default=True, help="Reads per item.")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Date reads are due.")
def create_command(name: str, readers: int, due) -> None:
    """Create a review cycle."""
    due_date: date | None = due.date() if due else None
    try:
        cycle = create_cycle(name, readers, due_date)
    except CycleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created cycle {cycle.name!r} ({cycle.readers} reads per item"
               + (f", due {cycle.due.isoformat()}" if cycle.due else "") + ")")
