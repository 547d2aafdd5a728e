"""Operations: backups."""
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("backup")
@with_appcontext
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (SQLite copy, or pg_dump custom format for PostgreSQL).")
def backup_command(out: Path) -> None:
    """Back up the database while the app keeps running."""
    from app.ops.backup import BackupError, backup_database

    try:
        click.echo(backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], out))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
