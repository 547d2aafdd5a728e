"""``flask cycles …`` commands."""

from datetime import date

import click
from flask.cli import AppGroup

from app.cycles.models import ItemState
from app.cycles.service import (
    CycleError,
    create_cycle,
    cycle_by_name,
    cycles_with_counts,
    set_blind_across_items,
    set_calibration,
)
from app.extensions import db
from app.listing import table

cycles_cli = AppGroup("cycles", help="Review cycles.")
BLINDNESS = ("--blind-across-items/--not-blind-across-items",)
BLINDNESS_HELP = (
    "Whether a reviewer who reads an applicant's portfolio is kept off that applicant's essays, "
    "and the reverse. Relax it only when the pool is too small."
)


@cycles_cli.command("create")
@click.argument("name")
@click.option("--readers", type=click.IntRange(min=1), default=2, show_default=True, help="Reads per item.")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Date reads are due.")
@click.option(*BLINDNESS, default=True, show_default=True, help=BLINDNESS_HELP)
def create_command(name: str, readers: int, due, blind_across_items: bool) -> None:
    """Create a review cycle."""
    due_date: date | None = due.date() if due else None
    try:
        cycle = create_cycle(name, readers, due_date, blind_across_items=blind_across_items)
    except CycleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(
        f"created cycle {cycle.name!r} ({cycle.readers} reads per item"
        + (f", due {cycle.due.isoformat()}" if cycle.due else "")
        + ("" if cycle.blind_across_items else ", blindness across items relaxed")
        + ")"
    )


@cycles_cli.command("set")
@click.argument("name")
@click.option(*BLINDNESS, default=None, help=BLINDNESS_HELP)
@click.option(
    "--flag-min-adjacent",
    type=float,
    default=None,
    help="Flag a reviewer whose adjacent agreement with the expert scores is below this share (0.9).",
)
@click.option(
    "--flag-max-mean-difference",
    type=float,
    default=None,
    help="Flag a reviewer whose mean difference from the expert scores is beyond ± this (0.5).",
)
@click.option(
    "--flag-min-kappa",
    type=float,
    default=None,
    help="Flag a reviewer whose weighted kappa with the expert scores is below this (0.6).",
)
@click.option("--drift-window", type=int, default=None, help="Reads per drift window (10).")
@click.option(
    "--validity-rate",
    type=float,
    default=None,
    help="Share of validity reads auto-assignment mixes into each reviewer's queue (0 to 0.5; 0: none).",
)
@click.option(
    "--qualify-items",
    type=int,
    default=None,
    help="Validity essays each reviewer scores before their other items open (0: no qualification set).",
)
@click.option(
    "--qualify-min-adjacent",
    type=float,
    default=None,
    help="Share of the set's domain scores within one point of the expert scores that passes (0.8).",
)
def set_command(name: str, blind_across_items: bool | None, **calibration: float | int | None) -> None:
    """Change a cycle's settings."""
    wanted = {key: value for key, value in calibration.items() if value is not None}
    if blind_across_items is None and not wanted:
        raise click.UsageError(
            "nothing to change: give --blind-across-items or --not-blind-across-items, or a "
            "calibration setting (--flag-min-adjacent, --flag-max-mean-difference, "
            "--flag-min-kappa, --drift-window, --validity-rate, --qualify-items, "
            "--qualify-min-adjacent)"
        )
    try:
        cycle = cycle_by_name(name)
        changed = set_blind_across_items(cycle, blind_across_items) if blind_across_items is not None else None
        calibrated = set_calibration(cycle, wanted) if wanted else None
    except CycleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    if changed is not None:
        state = (
            "kept" if cycle.blind_across_items else "relaxed: a reviewer may read an applicant's portfolio and essays"
        )
        click.echo(f"cycle {cycle.name!r}: blindness across items {state}" + ("" if changed else " (unchanged)"))
    if calibrated is not None:
        settings = ", ".join(f"{key.replace('_', '-')} {getattr(cycle, key):g}" for key in wanted)
        click.echo(f"cycle {cycle.name!r}: {settings}" + ("" if calibrated else " (unchanged)"))


@cycles_cli.command("list")
def list_command() -> None:
    """Every cycle, newest first, with its reads per item, due date, number of items in each state and number of
    validity essays (counted apart: they stay in review)."""
    cycles = cycles_with_counts()
    if not cycles:
        click.echo("no cycles yet: create one with `cycles create NAME`")
        return
    rows = [
        (
            cycle.name,
            cycle.readers,
            cycle.due.isoformat() if cycle.due else "-",
            sum(counts.values()),
            *(counts[state] for state in ItemState),
            validity,
        )
        for cycle, counts, validity in cycles
    ]
    columns = ("cycle", "readers", "due", "items", *(state.value for state in ItemState), "validity")
    for line in table(columns, rows):
        click.echo(line)
