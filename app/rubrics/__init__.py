"""Rubric packs: loading, validation and the ``rubrics check`` command."""

import click
from flask import Flask
from flask.cli import AppGroup

from app.config import StartupError
from app.rubrics.loader import RubricError
from app.rubrics.model import CATEGORY_CODES, Rubric
from app.rubrics.registry import association_of, load_for_app

rubrics_cli = AppGroup("rubrics", help="Rubric packs.")


@rubrics_cli.command("check")
def check_command() -> None:
    """Validate every rubric pack and print what was loaded."""
    from flask import current_app

    try:
        rubrics = load_for_app(current_app)
    except RubricError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from exc
    click.echo(f"association {association_of(current_app)}")
    for rubric in sorted(rubrics.values(), key=lambda r: r.key):
        extra = f", {len(rubric.requirements)} requirements" if rubric.requirements else ""
        if rubric.mc_pass_mark is not None:
            extra += f", Part 1 pass mark {rubric.mc_pass_mark:g}%"
        click.echo(
            f"{rubric.key:24} {rubric.kind:12} {', '.join(rubric.categories):18} "
            f"{rubric.designation or '-':3} {len(rubric.domains):2} domains{extra}  ({rubric.source})"
        )
    for line in category_coverage(rubrics):
        click.echo(line)
    indicators = current_app.extensions.get("indicators", {})
    texts = sum(len(domains) for domains in indicators.values())
    if texts:
        click.echo(f"licensed indicator text for {texts} domain entries (instance/indicators.toml)")
    click.echo(f"{len(rubrics)} rubrics OK")


def category_coverage(rubrics: dict[str, Rubric]) -> list[str]:
    """Which categories have an application pack (their applications import) and which do not."""
    covered = {code for rubric in rubrics.values() if rubric.kind == "application" for code in rubric.categories}
    lines = ["categories with an application pack: " + (", ".join(c for c in CATEGORY_CODES if c in covered) or "none")]
    missing = [code for code in CATEGORY_CODES if code not in covered]
    if missing:
        lines.append(f"categories without one (their applications are refused at import): {', '.join(missing)}")
    return lines


def init_app(app: Flask) -> None:
    # A wrong rubric silently changes scores, so the app refuses to start rather than guess.
    try:
        association_of(app)
    except RubricError as exc:
        if app.testing:
            raise
        raise StartupError(f"the app will not start: {exc.problems[0]}") from exc
    try:
        load_for_app(app)
    except RubricError as exc:
        if app.testing:
            raise
        raise StartupError(
            "rubric packs are invalid; the app will not start:\n"
            + "\n".join(f"  {problem}" for problem in exc.problems)
        ) from exc
    app.cli.add_command(rubrics_cli)
