"""``flask reconcile --cycle NAME``."""

import click
from flask.cli import with_appcontext

from app.cli import TerminalProgress
from app.cycles.models import ItemState
from app.cycles.service import CycleError, cycle_row_by_name
from app.extensions import db
from app.reconcile.service import ReconcileError, reconcile_cycle


@click.command("reconcile")
@click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")
@with_appcontext
def reconcile_command(cycle_name: str) -> None:
    """Evaluate every item of a cycle with its reads, assign third readers, print counts per state."""
    try:
        counts = reconcile_cycle(cycle_row_by_name(cycle_name), progress=TerminalProgress())
    except (CycleError, ReconcileError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for state in ItemState:
        click.echo(f"{state.value:13} {counts[state.value]}")
    click.echo(f"{'total':13} {sum(counts.values())}")
