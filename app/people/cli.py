"""``flask users …`` commands."""
import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.people.models import Role
from app.people.service import UserError, create_user

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
