"""Applicants on the edges of the Specialist pack's rules, imported through the command line, and the exported
Requirements sheet read back line by line against figures worked out by hand."""

import csv
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import build_app, close_app
from tests.factories import REQUIREMENTS_HEADER


def write_csv(path: Path, rows: list[list]) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return str(path)


FILES = {
    "applications": [
        [
            "applicant_id",
            "name",
            "category",
            "ethics_signed",
            "agreement_signed",
            "member",
            "rsc_hours",
            "work_years",
            "training_hours",
            "references_received",
        ],
        ["E1", "At the limits", "IMHS", "yes", "yes", "yes", "", "", "", ""],
        ["E2", "Just short", "IMHS", "yes", "no", "yes", "", "", "", ""],
        ["E3", "Peer and provider", "IMHS", "yes", "yes", "", "", "", "", ""],
        # No records at all: every figure comes from its column, and the rules the column cannot show are named.
        ["E4", "Columns only", "IMHS", "yes", "yes", "yes", "55", "2.5", "31", "3"],
    ],
    "training": [
        ["applicant_id", "hours", "topic"],
        ["E1", 20, "general"],
        ["E1", 10, "dei"],  # 30 h: at the minimum
        ["E2", 29.99, "general"],  # just below it
        ["E3", 30.01, "general"],  # just above it
    ],
    "rsc": [
        ["applicant_id", "hours", "provider", "provider_endorsement", "peer", "started_on", "ended_on"],
        # E1: together 2025-03-01 .. 2027-02-28 = 730 days, inside a 2-year span (730.5 days): 50 h.
        ["E1", 30, "Ann Lee", "IMHM-C", "no", "2025-03-01", "2025-12-31"],
        ["E1", 20, "ann lee ", "ECMHM-C", "no", "2026-01-01", "2027-02-28"],
        # E2: one day later (731 days): the spans hold 30 h or 20 h, the first (30 h) counts.
        ["E2", 30, "Ann Lee", "IMHM-C", "no", "2025-03-01", "2025-12-31"],
        ["E2", 20, "Ann Lee", "IMHM-C", "no", "2026-01-01", "2027-03-01"],
        # E3: 46.5 h counted; a peer's 4 h and an IMHS provider's 6 h are not.
        ["E3", 46.5, "Ann Lee", "IMHM-C", "no", "2025-01-01", "2025-12-31"],
        ["E3", 4, "Co Worker", "IMHM-C", "yes", "2025-02-01", "2025-02-28"],
        ["E3", 6, "Bea Cruz", "IMHS", "no", "2025-03-01", "2025-03-31"],
    ],
    "references": [
        ["applicant_id", "rater", "rater_endorsement"],
        ["E1", "R1", "IMHS"],
        ["E1", "R2", ""],
        ["E1", "R3", ""],  # 3 received, 1 endorsed
        ["E2", "R1", ""],
        ["E2", "R2", ""],
        ["E2", "R3", ""],  # 3 received, none endorsed
        ["E3", "R1", "vetted"],
        ["E3", "R2", "IMHM-C"],  # 2 received
    ],
    "work": [
        ["applicant_id", "started_on", "ended_on", "kind", "with_infant_and_parent"],
        ["E1", "2024-01-01", "2025-12-31", "direct_service", "yes"],  # 731 days = 2.0014 years
        ["E2", "2024-01-01", "2024-12-31", "internship", "yes"],  # 366 internship days, at most 365.25
        ["E2", "2025-01-01", "2025-12-29", "direct_service", "yes"],  # 363 days: (363 + 365.25) / 365.25 = 1.99
        ["E3", "2024-01-01", "2025-12-31", "direct_service", ""],  # blank: not with both child and parent
    ],
}

EXPECTED = {  # (applicant, requirement) → (Figure, Check)
    ("E1", "training_hours"): (30, "met"),
    ("E2", "training_hours"): (29.99, "not_met"),
    ("E3", "training_hours"): (30.01, "met"),
    ("E4", "training_hours"): (31, "met"),
    ("E1", "rsc_hours"): (50, "met"),
    ("E2", "rsc_hours"): (30, "not_met"),
    ("E3", "rsc_hours"): (46.5, "not_met"),
    ("E4", "rsc_hours"): (55, "met"),
    ("E1", "references"): (3, "met"),
    ("E2", "references"): (3, "not_met"),
    ("E3", "references"): (2, "not_met"),
    ("E4", "references"): (3, "met"),
    ("E1", "work_experience"): (2, "met"),
    ("E2", "work_experience"): (1.99, "not_met"),
    ("E3", "work_experience"): (0, "not_met"),
    ("E4", "work_experience"): (2.5, "met"),
    ("E1", "endorsement_agreement"): ("yes", "met"),
    ("E2", "endorsement_agreement"): ("no", "not_met"),
    ("E3", "membership"): (None, "unknown"),
    ("E1", "education"): (None, "manual"),
}


@pytest.fixture
def app(tmp_path):
    app = build_app(tmp_path)
    yield app
    close_app(app)


def test_the_exported_requirements_sheet_matches_the_rules_worked_by_hand(app, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["cycles", "create", "Edges", "--due", "2027-04-30"]).exit_code == 0
    for kind, rows in FILES.items():
        result = runner.invoke(args=["import", kind, write_csv(tmp_path / f"{kind}.csv", rows), "--cycle", "Edges"])
        assert result.exit_code == 0, result.output
    out = tmp_path / "edges.xlsx"
    assert runner.invoke(args=["export", "--cycle", "Edges", "--out", str(out)]).exit_code == 0
    sheet = openpyxl.load_workbook(out)["Requirements"]
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header == REQUIREMENTS_HEADER
    found = {(row[0], row[3]): row for row in rows}
    assert len(rows) == 4 * 8  # every line of the Specialist pack for every applicant
    for key, (figure, check) in EXPECTED.items():
        assert (found[key][5], found[key][7]) == (figure, check), key
    assert found[("E3", "rsc_hours")][8] == (
        "46.5 of 50 RS/C hours counted; 4 h from a peer and 6 h from a "
        "provider without IMHM-C or ECMHM-C not counted; best 2-year span "
        "1 January 2025 to 31 December 2025."
    )
    assert "20 h outside the best span" in found[("E2", "rsc_hours")][8]
    assert "not checked without them" in found[("E4", "rsc_hours")][8]
    assert found[("E1", "rsc_hours")][6] == 50 and found[("E1", "endorsement_agreement")][6] == "yes"
    decisions = openpyxl.load_workbook(out)["Decisions"]
    met = {row[0].value: row[-1].value for row in decisions.iter_rows(min_row=2)}
    # E1: training, RS/C, references, work, ethics, agreement, membership met by check; education manual.
    assert met["E1"] == "7 of 8"
