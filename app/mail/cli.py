"""``flask mail send``, ``flask invite`` and ``flask remind`` (docs/mail.md, docs/operations.md).

``invite`` and ``remind`` queue their messages, commit, and deliver before
they exit. Exit code 1 when a message could not be delivered (it stays in the
outbox, and ``flask mail send`` retries it); without ``MAIL_SERVER`` the
messages wait in the outbox and the command succeeds.
"""

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.cycles.models import Cycle
from app.errors import InputError
from app.extensions import db
from app.mail import outbox, service

mail_cli = AppGroup("mail", help="The outbox: deliver what waits in it.")


def _cycle(name: str) -> Cycle:
    cycle = db.session.scalar(select(Cycle).filter_by(name=name))
    if cycle is None:
        raise InputError.of("cycle", f"no cycle is named {name!r} (see `flask cycles list`)")
    return cycle


def deliver_now() -> None:
    """Deliver what is due before a command exits; a failure is exit code 1 (the messages stay queued)."""
    report = outbox.deliver()
    click.echo(f"mail: {report.describe()}")
    if report.failed:
        raise click.ClickException(
            f"{report.failed} message{'s' if report.failed != 1 else ''} not delivered: "
            f"{report.error}. They stay in the outbox; `flask mail send` retries them."
        )


@mail_cli.command("send")
def send_command() -> None:
    """Deliver every message that is due (new ones, and failed ones whose pause is over); cron-able.

    Digests of reads assigned from the command line (`flask assign`,
    `flask reconcile`) are queued first, so one run a few minutes after those
    tells every reviewer.
    """
    notices = service.queue_assignment_notices()
    db.session.commit()
    if notices.digests or notices.further:
        click.echo(f"queued {notices.digests} digest(s) of new reads and {notices.further} further-read notice(s)")
    deliver_now()


@click.command("invite")
@click.option("--cycle", "cycle_name", required=True, help="The cycle's name.")
@with_appcontext
def invite_command(cycle_name: str) -> None:
    """E-mail a one-time set-password link to every reviewer and committee member of the cycle without a
    password (nobody gets a second while their link still works)."""
    report = service.invite_cycle(_cycle(cycle_name))
    db.session.commit()
    click.echo(report.describe())
    deliver_now()


@click.command("remind")
@click.option("--cycle", "cycle_name", required=True, help="The cycle's name.")
@click.option(
    "--days-before",
    default=3,
    show_default=True,
    type=click.IntRange(0, 365),
    help="Remind reviewers whose pending reads are due within this many days.",
)
@with_appcontext
def remind_command(cycle_name: str, days_before: int) -> None:
    """Remind each reviewer with pending reads due within --days-before days, or overdue (at most one a day
    per reviewer, across cycles); the coordinators get the cycle's digest."""
    cycle = _cycle(cycle_name)
    report = service.remind(cycle, days_before=days_before)
    digests = service.coordinator_digest(cycle)
    db.session.commit()
    click.echo(report.describe(days_before) + f"; coordinator digest to {digests}")
    deliver_now()
