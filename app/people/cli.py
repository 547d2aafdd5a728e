"""``flask users …`` commands."""

import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.listing import table
from app.people.models import Role, User
from app.people.service import UserError, create_user, normalise_email, set_active

users_cli = AppGroup("users", help="Sign-in accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
def create_command(email: str, name: str, role: str) -> None:
    """Create a user; the password is read from stdin (or prompted on a terminal)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(email, name, role, password)
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email}")


@users_cli.command("list")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None, help="Only accounts of this role.")
def list_command(role: str | None) -> None:
    """Every account (or those of one role): e-mail, name, role, and whether it can sign in."""
    query = db.select(User).order_by(User.role, User.email)
    if role is not None:
        query = query.where(User.role == Role(role))
    users = db.session.scalars(query).all()
    if not users:
        click.echo("no accounts" + (f" with role {role}" if role else ""))
        return
    rows = [
        (
            user.email,
            user.name,
            user.role.value,
            ("active" if user.active else "disabled") + ("" if user.password_hash else ", no password yet"),
        )
        for user in users
    ]
    for line in table(("email", "name", "role", "sign-in"), rows):
        click.echo(line)


def _set_active(email: str, active: bool) -> None:
    user = db.session.scalar(db.select(User).filter_by(email=normalise_email(email)))
    if user is None:
        raise UserError.of("email", f"no account with e-mail {normalise_email(email)}")
    changed = user.active != active
    set_active(user, active)
    db.session.commit()
    state = "can sign in" if active else "is disabled and signed out everywhere"
    click.echo(f"{user.email} {state}" + ("" if changed else " (unchanged)"))


@users_cli.command("disable")
@click.option("--email", required=True)
def disable_command(email: str) -> None:
    """Stop an account signing in; every session of it ends at once. Its reads and history stay."""
    _set_active(email, False)


@users_cli.command("enable")
@click.option("--email", required=True)
def enable_command(email: str) -> None:
    """Let a disabled account sign in again."""
    _set_active(email, True)
