"""The real two-rater ASAP essay set taken through import → reconcile → export.

The importer's service loads the files; reconcile and export run as ``flask`` commands.

Expected figures are computed here independently: plain Python for states,
combined scores and agreement shares, scikit-learn for the weighted kappa and
the ``krippendorff`` package for alpha.
"""

import csv
from pathlib import Path
from statistics import mean

import krippendorff
import openpyxl
import pytest
from sklearn.metrics import cohen_kappa_score

from app.cycles.service import cycle_by_name
from app.extensions import db
from app.imports.service import import_file
from tests.unit.reconcile_fixtures import write_test_rubrics

DATA = Path("/work/shared/data/asap-set1-two-raters.csv")
if not DATA.exists():
    DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "asap-set1-two-raters.csv"
RATERS = ("rater1@asap.example.org", "rater2@asap.example.org")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DATA.exists(), reason="the shared ASAP data set is missing")]


@pytest.fixture(autouse=True)
def test_rubrics(tmp_path):
    write_test_rubrics(tmp_path / "instance")


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.output


def test_asap_essays_through_import_reconcile_and_export(app, runner, tmp_path):
    with DATA.open(encoding="utf-8", newline="") as fh:
        essays = list(csv.DictReader(fh))
    first = [int(row["rater1"]) for row in essays]
    second = [int(row["rater2"]) for row in essays]
    ids = [f"ASAP-{row['essay_id']}" for row in essays]

    files = {
        "reviewers": write_csv(
            tmp_path / "reviewers.csv", ["email", "name"], [[RATERS[0], "Rater One"], [RATERS[1], "Rater Two"]]
        ),
        "applications": write_csv(
            tmp_path / "applications.csv",
            ["applicant_id", "name", "category", "mc_score"],
            [["S1", "ASAP writers", "IMHS", 90]],
        ),
        "essays": write_csv(
            tmp_path / "essays.csv",
            ["item_id", "applicant_id", "rubric", "response"],
            [[item_id, "S1", "asap-holistic", row["essay"]] for item_id, row in zip(ids, essays, strict=True)],
        ),
        # Rater one's comment carries the essay text: real messy text, some of it starting with "@".
        "scores": write_csv(
            tmp_path / "scores.csv",
            ["item_id", "reviewer_email", "domain", "score", "comment"],
            [
                [item_id, RATERS[0], "holistic", a, row["essay"]]
                for item_id, a, row in zip(ids, first, essays, strict=True)
            ]
            + [[item_id, RATERS[1], "holistic", b, ""] for item_id, b in zip(ids, second, strict=True)],
        ),
    }
    run(runner, "cycles", "create", "ASAP")
    with app.app_context():
        cycle = cycle_by_name("ASAP")
        for kind in ("reviewers", "applications", "essays", "scores"):
            result = import_file(kind, files[kind].read_bytes(), files[kind].name, cycle)
            assert result.ok, result.report()
            db.session.commit()

    counts = dict(line.split() for line in run(runner, "reconcile", "--cycle", "ASAP").splitlines())
    non_adjacent = sum(abs(a - b) > 1 for a, b in zip(first, second, strict=True))
    assert non_adjacent == 5
    # Only the two raters are in the pool, so no third reader is left for the non-adjacent essays.
    assert counts["committee"] == str(non_adjacent)
    assert counts["agreed"] == str(len(essays) - non_adjacent)
    assert counts["unassigned"] == "1"  # the applicant's portfolio item, never read
    assert counts["total"] == str(len(essays) + 1)

    out = tmp_path / "asap.xlsx"
    run(runner, "export", "--cycle", "ASAP", "--out", str(out))
    wb = openpyxl.load_workbook(out, read_only=True)

    header = next(wb["Items"].iter_rows(max_row=1, values_only=True))
    # Write-only sheets carry no dimension, so a read-only reader is told how wide the rows are.
    items = {row[0]: row for row in wb["Items"].iter_rows(min_row=2, max_col=len(header), values_only=True)}
    holistic, state_col = header.index("holistic"), header.index("State")
    for item_id, a, b, row in zip(ids, first, second, essays, strict=True):
        exported = items[item_id]
        assert exported[header.index("Reads")] == 2
        if abs(a - b) > 1:
            assert exported[state_col] == "Committee" and exported[holistic] is None
        else:
            # The rubric sums the two reads, as the data set's official resolved score does.
            assert exported[state_col] == "Agreed"
            assert exported[holistic] == a + b == int(row["resolved"])
            assert exported[header.index("Result")] == "Pass"

    (agreement,) = [
        row
        for row in wb["Agreement"].iter_rows(min_row=2, max_col=10, values_only=True)
        if row[0] == "ASAP set 1, holistic"
    ]  # the rubric's title and the domain's name, in words
    _, domain, count, exact, adjacent, kappa, alpha_ordinal, alpha_interval, discrepancies, caution = agreement
    assert domain == "Holistic" and count == len(essays) and caution is None
    assert exact == pytest.approx(sum(a == b for a, b in zip(first, second, strict=True)) / len(essays))
    assert adjacent == pytest.approx(sum(abs(a - b) <= 1 for a, b in zip(first, second, strict=True)) / len(essays))
    assert kappa == pytest.approx(cohen_kappa_score(first, second, labels=[1, 2, 3, 4, 5, 6], weights="quadratic"))
    assert alpha_ordinal == pytest.approx(
        krippendorff.alpha(reliability_data=[first, second], level_of_measurement="ordinal")
    )
    assert alpha_interval == pytest.approx(
        krippendorff.alpha(reliability_data=[first, second], level_of_measurement="interval")
    )
    assert discrepancies == non_adjacent

    reviewers = {row[0]: row for row in wb["Reviewers"].iter_rows(min_row=2, max_col=7, values_only=True)}
    severity = mean(a - b for a, b in zip(first, second, strict=True))
    assert reviewers[RATERS[0]][2:5] == (len(essays), len(essays), 0)
    assert reviewers[RATERS[0]][5] == pytest.approx(mean(first))
    assert reviewers[RATERS[0]][6] == pytest.approx(severity)
    assert reviewers[RATERS[1]][5] == pytest.approx(mean(second))
    assert reviewers[RATERS[1]][6] == pytest.approx(-severity)

    scores = list(wb["Scores"].iter_rows(min_row=2, max_col=7, values_only=True))
    assert len(scores) == 2 * len(essays)
    comments = {row[0]: row[5] for row in scores if row[1] == RATERS[0]}
    assert all(comments[item_id] == row["essay"] for item_id, row in zip(ids, essays, strict=True))
    wb.close()

    full = openpyxl.load_workbook(out)
    assert not [
        cell.coordinate for ws in full.worksheets for row in ws.iter_rows() for cell in row if cell.data_type == "f"
    ]
    starts_risky = [cell for cell in full["Scores"]["F"] if isinstance(cell.value, str) and cell.value[:1] == "@"]
    assert starts_risky and all(cell.quotePrefix for cell in starts_risky)
