"""``flask assign --cycle NAME [--readers N] [--item ITEM_ID ...] [--dry-run]``."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.assignment.service import AssignmentError, Plan, auto_assign
from app.cli import TerminalProgress
from app.cycles.models import Cycle, Item
from app.cycles.service import CycleError, cycle_by_name
from app.extensions import db

# The exit code when the plan was written but some items could not get all their reads (docs/operations.md).
UNFILLED = 3


@click.command("assign")
@click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")
@click.option(
    "--readers",
    type=click.IntRange(min=1),
    default=None,
    help="Reads per item. Given, it also becomes the cycle's reads per item (kept for reconciliation "
    "and later runs); omitted, the cycle's own number is used.",
)
@click.option(
    "--item",
    "item_ids",
    multiple=True,
    metavar="ITEM_ID",
    help="Refill only this item (repeat for several), e.g. after a reviewer declined it.",
)
@click.option("--dry-run", is_flag=True, help="Show the plan and load summary without writing anything.")
@with_appcontext
def assign_command(cycle_name: str, readers: int | None, item_ids: tuple[str, ...], dry_run: bool) -> None:
    """Auto-assign reviewers to every item still short of its reads.

    Optimal, not greedy: the maximum reviewer load is the least possible
    within each reviewer's max_load, and the rest is spread evenly. Items that
    cannot get their reads are listed with the reason; whatever can be
    assigned to them is assigned, and the command exits with status 3.
    """
    try:
        cycle = cycle_by_name(cycle_name)
        only = item_pks(cycle, item_ids) if item_ids else None
        plan = auto_assign(cycle, readers, dry_run=dry_run, only=only, progress=TerminalProgress())
    except (CycleError, AssignmentError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report_lines(plan):
        click.echo(line)
    if plan.written and plan.shortfalls:
        raise SystemExit(UNFILLED)


def item_pks(cycle: Cycle, item_ids: tuple[str, ...]) -> set[int]:
    """The pks of the named items of the cycle; refused naming every id the cycle does not have."""
    wanted = {item_id.strip() for item_id in item_ids}
    found = dict(
        db.session.execute(
            select(Item.item_id, Item.id).where(Item.cycle_id == cycle.id, Item.item_id.in_(sorted(wanted)))
        ).all()
    )
    missing = sorted(wanted - set(found))
    if missing:
        raise AssignmentError.of("item", f"cycle {cycle.name!r} has no item {', '.join(missing)}")
    return set(found.values())


def report_lines(plan: Plan) -> list[str]:
    verb = "Made" if plan.written else "Would make (dry run, nothing written)"
    considered = f"{plan.items_considered} item{'s' if plan.items_considered != 1 else ''}"
    lines = [
        f"Cycle {plan.cycle_name!r}: {plan.readers} read{'s' if plan.readers != 1 else ''} per item, "
        + (f"refilling {considered}" if plan.refill else f"{considered} open for assignment"),
        f"{verb}: {len(plan.reads)} assignment{'s' if len(plan.reads) != 1 else ''}",
    ]
    if plan.validity_seeded:
        lines.append(
            f"{'Mixed' if plan.written else 'Would mix'} {plan.validity_seeded} validity "
            f"read{'s' if plan.validity_seeded != 1 else ''} into the reviewers' queues (the cycle's validity rate "
            "and qualification set)."
        )
    if not plan.blind_across_items:
        lines.append(
            "Blindness across items is relaxed for this cycle: a reviewer may read an applicant's "
            "portfolio and their essays."
        )
    # The loads are the plan's (what the cycle holds plus the new live reads); the validity reads are mixed in
    # after it, so a coordinator reading "max 3" must not think the queues stop there.
    lines.append(
        "Load per reviewer (assignments in the cycle"
        + (", before the validity reads mixed in" if plan.validity_seeded else "")
        + "):"
    )
    summaries = plan.load_summaries()
    if not summaries:
        lines.append("  no reviewers in the cycle's pool")
    for summary in summaries:
        lines.append(
            f"  {summary.label} ({summary.reviewers}): min {summary.minimum} / "
            f"median {summary.median:g} / max {summary.maximum}"
        )
    lines.append(plan.bound_line())
    if plan.shortfalls:
        lines.append(f"Items that could not be filled ({len(plan.shortfalls)}):")
        lines.extend(f"  {shortfall.reason}" for shortfall in plan.shortfalls)
    else:
        lines.append("Every item has its reads.")
    return lines
