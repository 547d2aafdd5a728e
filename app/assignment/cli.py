"""``flask assign --cycle NAME [--readers N] [--dry-run]``."""
import click
from flask.cli import with_appcontext

from app.assignment.service import AssignmentError, Plan, auto_assign
from app.cycles.service import CycleError, cycle_by_name
from app.extensions import db


@click.command("assign")
@click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")
@click.option("--readers", type=click.IntRange(min=1), default=None,
              help="Reads per item. Given, it also becomes the cycle's reads per item (kept for reconciliation "
                   "and later runs); omitted, the cycle's own number is used.")
@click.option("--dry-run", is_flag=True, help="Show the plan and load summary without writing anything.")
@with_appcontext
def assign_command(cycle_name: str, readers: int | None, dry_run: bool) -> None:
    """Auto-assign reviewers to every item still short of its reads.

    Optimal, not greedy: the maximum reviewer load is the least possible
    within each reviewer's max_load, and the rest is spread evenly. Items that
    cannot get their reads are listed with the reason; whatever can be
    assigned to them is assigned.
    """
    try:
        cycle = cycle_by_name(cycle_name)
        plan = auto_assign(cycle, readers, dry_run=dry_run)
    except (CycleError, AssignmentError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report_lines(plan):
        click.echo(line)


def report_lines(plan: Plan) -> list[str]:
    verb = "Made" if plan.written else "Would make (dry run, nothing written)"
    lines = [f"Cycle {plan.cycle_name!r}: {plan.readers} read{'s' if plan.readers != 1 else ''} per item, "
             f"{plan.items_considered} item{'s' if plan.items_considered != 1 else ''} open for assignment",
             f"{verb}: {len(plan.reads)} assignment{'s' if len(plan.reads) != 1 else ''}",
             "Load per reviewer (assignments in the cycle):"]
    summaries = plan.load_summaries()
    if not summaries:
        lines.append("  no reviewers in the cycle's pool")
    for summary in summaries:
        lines.append(f"  {summary.label} ({summary.reviewers}): min {summary.minimum} / "
                     f"median {summary.median:g} / max {summary.maximum}")
    lines.append(f"Maximum load: {plan.max_load}")
    if plan.shortfalls:
        lines.append(f"Items that could not be filled ({len(plan.shortfalls)}):")
        lines.extend(f"  {shortfall.reason}" for shortfall in plan.shortfalls)
    else:
        lines.append("Every item has its reads.")
    return lines
