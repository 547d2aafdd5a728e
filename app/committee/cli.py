"""``flask committee seat|unseat|list --cycle NAME``: who sits on a cycle's committee (docs/committee.md)."""

import click
from flask.cli import AppGroup

from app.access import cycle_recusals
from app.cycles import seating
from app.cycles.service import cycle_by_name
from app.extensions import db
from app.listing import table
from app.mail import service as mail
from app.mail.cli import deliver_now

committee_cli = AppGroup("committee", help="Who sits on a cycle's committee.")
CYCLE = click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")


@committee_cli.command("seat")
@CYCLE
@click.argument("emails", nargs=-1, required=True, metavar="EMAIL...")
def seat_command(cycle_name: str, emails: tuple[str, ...]) -> None:
    """Seat committee or coordinator accounts on the cycle's committee; all or none."""
    cycle = cycle_by_name(cycle_name)
    seats = seating.seat(cycle, emails)
    invited = set(mail.invite_seated(cycle, seats))
    db.session.commit()
    for seat in seats:
        click.echo(
            f"{seat.email}: "
            + ("seated" if seat.changed else "already seated")
            + (
                " (no password yet: invited to set one)"
                if seat.email in invited
                else " (no password yet: `flask invite` sends a new invitation once theirs lapses)"
                if seat.needs_password
                else ""
            )
        )
    if invited:
        deliver_now()


@committee_cli.command("unseat")
@CYCLE
@click.argument("emails", nargs=-1, required=True, metavar="EMAIL...")
def unseat_command(cycle_name: str, emails: tuple[str, ...]) -> None:
    """Take accounts off the cycle's committee; their past resolutions and decisions stay."""
    cycle = cycle_by_name(cycle_name)
    seats = seating.unseat(cycle, emails)
    db.session.commit()
    for seat in seats:
        click.echo(f"{seat.email}: " + ("unseated" if seat.changed else "was not seated"))


@committee_cli.command("list")
@CYCLE
def list_command(cycle_name: str) -> None:
    """The cycle's committee (e-mail, name, role, organization, sign-in), then who is recused from which
    applicant and why."""
    cycle = cycle_by_name(cycle_name)
    members = seating.members(cycle)
    if not members:
        click.echo(f"nobody sits on the committee of {cycle.name!r} yet")
        return
    rows = [
        (
            m.email,
            m.name,
            m.role,
            m.organization or "-",
            ("active" if m.active else "disabled") + ("" if m.has_password else ", no password yet"),
        )
        for m in members
    ]
    for line in table(("email", "name", "role", "organization", "sign-in"), rows):
        click.echo(line)
    recused = cycle_recusals(cycle)
    click.echo("")
    if not recused:
        click.echo("recusals: none")
        return
    click.echo("recusals:")
    for line in table(
        ("member", "applicant", "why"),
        [(member.email, applicant.applicant_id, "; ".join(reasons)) for member, applicant, reasons in recused],
    ):
        click.echo(line)
