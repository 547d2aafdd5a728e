"""``flask letters --cycle NAME --out DIR [--template FILE.docx]``."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli import TerminalProgress
from app.cycles.service import cycle_by_name
from app.errors import InputError
from app.letters.service import write_letters
from app.reports import DECISION_LABELS


@click.command("letters")
@click.option("--cycle", "cycle_name", required=True, help="Name of the review cycle.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write <applicant_id>.docx into (created when missing).",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A .docx template for every decision, instead of instance/letters/ or the defaults.",
)
@with_appcontext
def letters_command(cycle_name: str, out_dir: Path, template_path: Path | None) -> None:
    """Write one decision letter (.docx) per decided application of the cycle."""
    if template_path is not None and template_path.suffix.lower() != ".docx":
        raise InputError.of("--template", f"{template_path.name} is not a Word document (.docx)")
    cycle = cycle_by_name(cycle_name)
    written = write_letters(cycle, out_dir, template_path=template_path, progress=TerminalProgress())
    counts = ", ".join(
        f"{count} {DECISION_LABELS[decision].lower()}" for decision, count in written.per_decision.items() if count
    )
    click.echo(
        f"wrote {written.count} letter{'s' if written.count != 1 else ''} to {out_dir}"
        + (f" ({counts})" if counts else "")
    )
