"""The demo cycle and ``flask demo [--show-users] [--force]``."""

import click
from flask import Flask
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--show-users", is_flag=True, help="Print the demo accounts and their demo-only passwords.")
@click.option("--force", is_flag=True, help="Load the demo even though the database holds other accounts or cycles.")
@with_appcontext
def demo_command(show_users: bool, force: bool) -> None:
    """Load a realistic demo cycle; once it is loaded, running this again changes nothing."""
    from app.demo.service import DemoError, demo_accounts, load_demo
    from app.extensions import db

    try:
        result = load_demo(force=force)
    except DemoError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for line in result.lines():
        click.echo(line)
    if show_users:
        accounts = demo_accounts()
        if not accounts:
            return
        click.echo("Demo accounts — DEMO ONLY: these passwords are public; never use them with real data:")
        for account in accounts:
            password = account.password if account.password_works else "(password changed)"
            click.echo(f"  {account.role:12} {account.email:24} {password:24} {account.name}")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_command)
