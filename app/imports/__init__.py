"""Spreadsheet imports (docs/spec-summary.md, "Imports") and ``flask import KIND FILE --cycle NAME``."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from app.imports.validate import KINDS


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cycle", "cycle_name", required=True, help="Name of the cycle to import into.")
@with_appcontext
def import_command(kind: str, file: Path, cycle_name: str) -> None:
    """Import a spreadsheet (.xlsx or .csv) of KIND into a cycle; all rows or none."""
    from flask import current_app

    from app.cli import TerminalProgress
    from app.cycles.service import CycleError, cycle_by_name, cycle_row_by_name
    from app.extensions import db
    from app.imports.readers import ImportFileError, ImportLimits
    from app.imports.service import import_file

    try:
        # The scores import, the big one, takes the plain row and runs no ORM statement (docs/architecture.md).
        cycle = cycle_row_by_name(cycle_name) if kind == "scores" else cycle_by_name(cycle_name)
    except CycleError as exc:
        raise click.ClickException(str(exc)) from exc
    limits = ImportLimits.from_config(current_app.config)
    if file.stat().st_size > limits.max_bytes:  # refuse before reading a huge file into memory
        raise click.ClickException(
            str(
                ImportFileError(
                    f"{file.name}: file is {file.stat().st_size:,} bytes, more than the limit of {limits.max_bytes:,}"
                )
            )
        )
    result = import_file(kind, file.read_bytes(), file.name, cycle, limits=limits, progress=TerminalProgress())
    if not result.ok:
        db.session.rollback()
        click.echo(f"{file.name}: nothing imported; fix these problems and import again:", err=True)
        for line in result.report():
            click.echo(line, err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(result.summary())


def init_app(app: Flask) -> None:
    app.cli.add_command(import_command)
