"""A cycle filled through the import service, as a coordinator fills one: for the tests of what imported rows
do (third reads, validity essays, calibration). The app knows only the test's own rubric packs."""

from collections.abc import Iterator
from pathlib import Path

from flask import Flask

from app.extensions import db
from app.imports.service import ImportResult, import_file
from tests.conftest import build_app, close_app
from tests.rubric_text import levels, rubric_toml
from tests.unit.import_files import csv_bytes

# A paper essay on two domains scored 1-4: a mean of 3 passes, and reads more than 1 apart on a domain call
# a third reader whose score is combined by the mean (docs/imports.md, "Third reads").
PAPER_ESSAY = rubric_toml(
    "paper-essay",
    "essay",
    ["IMHM-C"],
    {"reflection": "Reflection", "thinking": "Thinking"},
    levels("One", "Two", "Three", "Four"),
    pass_rule={"mean_min": 3},
    reconcile={"combine": "mean", "tolerance": 1, "third_reader": True},
)


def app_with_only(tmp_path: Path, rubrics: dict[str, str]) -> Iterator[Flask]:
    """The body of an ``app`` fixture: a test app whose rubric packs are ``rubrics`` (key → TOML text) alone,
    the shipped ones pointed away, closed after the test."""
    app = build_app(tmp_path, rubrics=rubrics, RUBRICS_DIR=str(tmp_path / "no-shipped-packs"))
    yield app
    close_app(app)


def imported(kind: str, rows: list[list], cycle) -> ImportResult:
    """``rows`` (a header first) imported as a CSV file of ``kind``, which must go in whole; committed."""
    result = import_file(kind, csv_bytes(rows), f"{kind}.csv", cycle)
    assert result.ok, result.report()
    db.session.commit()
    return result


def refused(kind: str, rows: list[list], cycle) -> list[str]:
    """The errors of a CSV file of ``kind`` that must be refused whole (nothing of it stays)."""
    result = import_file(kind, csv_bytes(rows), f"{kind}.csv", cycle)
    assert not result.ok
    db.session.rollback()
    return [str(error) for error in result.errors]
