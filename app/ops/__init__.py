"""Operations: the health check, backups and logging (docs/operations.md)."""

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.people.access import public

PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


@public
def healthz() -> tuple[str, int, dict[str, str]]:
    """200 when the database answers at the schema this code needs, else 503; never a detail (it is public)."""
    from app.ops.health import database_state

    state = database_state(current_app)
    if state.healthy:
        return "ok\n", 200, PLAIN_TEXT
    current_app.logger.warning("health check failed: %s", state.describe())
    return "unavailable\n", 503, PLAIN_TEXT


@click.command("backup")
@with_appcontext
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (SQLite copy, or pg_dump custom format for PostgreSQL).",
)
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def backup_command(out: Path, force: bool) -> None:
    """Back up the database while the app keeps running (the file is readable by its owner only)."""
    from app.ops.backup import BackupError, backup_database

    try:
        click.echo(backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], out, replace=force))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)
    app.cli.add_command(backup_command)
