"""``flask reconcile --cycle NAME``."""

import click
from flask.cli import with_appcontext

from app.cli import TerminalProgress
from app.cycles.models import ItemState
from app.cycles.service import CycleError, cycle_row_by_name, validity_essay_count
from app.extensions import db
from app.reconcile.service import ReconcileError, reconcile_cycle


@click.command("reconcile")
@click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")
@with_appcontext
def reconcile_command(cycle_name: str) -> None:
    """Evaluate every item of a cycle with its reads, assign third readers, print counts per state (and the validity
    essays apart, when the cycle has any)."""
    try:
        cycle = cycle_row_by_name(cycle_name)
        counts = reconcile_cycle(cycle, progress=TerminalProgress())
        validity = validity_essay_count(cycle.id)
    except (CycleError, ReconcileError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for state in ItemState:
        click.echo(f"{state.value:13} {counts[state.value]}")
    click.echo(f"{'total':13} {sum(counts.values())}")
    if validity:  # evaluated like every item but in review for ever: never in the counts (docs/calibration.md)
        click.echo(f"validity essays  {validity} (not counted)")
