"""``flask export --cycle NAME --out FILE.xlsx``."""

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli import TerminalProgress
from app.cycles.service import CycleError, cycle_by_name
from app.errors import InputError
from app.exports.service import ExportError, export_cycle


@click.command("export")
@click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The .xlsx file to write.",
)
@with_appcontext
def export_command(cycle_name: str, out_path: Path) -> None:
    """Write the cycle's workbook: decisions, items, scores, agreement, reviewers, assignments."""
    if out_path.suffix.lower() != ".xlsx":
        # An Excel workbook under another name opens as garbage (or not at all) where the name is trusted.
        raise InputError.of(
            "--out",
            f"{out_path.name} does not end in .xlsx: the export is an Excel workbook; "
            f"name it e.g. {out_path.stem or 'cycle'}.xlsx",
        )
    try:
        cycle = cycle_by_name(cycle_name)
    except CycleError as exc:
        raise click.ClickException(str(exc)) from exc
    directory = out_path.resolve().parent
    if not directory.is_dir():
        raise click.ClickException(f"--out: folder {directory} does not exist")
    # Written next to the target and renamed into place, so a failure never leaves half a workbook.
    fd, temporary = tempfile.mkstemp(suffix=".xlsx", dir=directory)
    os.close(fd)
    try:
        export_cycle(cycle, temporary, progress=TerminalProgress())
        os.replace(temporary, out_path)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    click.echo(f"wrote {out_path}")
