"""The cycle workbook (docs/workbook.md), reloaded and checked cell by cell against figures worked out by hand."""

import io
import random
import re
import stat
import zipfile
from datetime import datetime

import openpyxl
import pytest

from app.assignment.models import AssignmentDecline, AssignmentSource
from app.committee.models import Decision, DecisionValue
from app.exports.service import export_cycle, export_cycle_bytes
from app.exports.workbook import Column, Sheet, write_workbook
from app.extensions import db
from app.people.models import Role
from app.reconcile.service import reconcile_cycle
from app.scoring.models import CheckStatus, Read, ReadStatus, RequirementCheck
from tests import factories as f
from tests.unit.reconcile_fixtures import write_test_rubrics
from tests.unit.reviewer_oracle import reviewer_figures

EVIL_NAME = '=HYPERLINK("http://example.com/x","click")'
T0 = datetime(2026, 3, 1, 9, 0, 0)


@pytest.fixture(autouse=True)
def test_rubrics(tmp_path):
    write_test_rubrics(tmp_path / "instance")


def at(minute):
    return T0.replace(minute=minute)


def build_small_cycle():
    """Two applicants, one application item and three essays, two reviewers, one committee decision."""
    cycle = f.make_cycle(name="Small")
    ann = f.make_user(email="ann@example.org", name="Ann")
    bob = f.make_user(email="bob@example.org", name="-Bob")
    chair = f.make_user(Role.COMMITTEE, email="chair@example.org", name="Chair")
    for reviewer in (ann, bob):
        f.add_member(cycle, reviewer)
    one = f.make_applicant(
        cycle,
        applicant_id="A1",
        name="Applicant One",
        category="TEST",
        mc_score=85,
        organization="Bay Center",
        figures={"training_hours": 12},
    )
    one.email = "one@example.org"
    two = f.make_applicant(cycle, applicant_id="A2", name=EVIL_NAME, category="TEST", mc_score=70)

    portfolio = f.make_application_item(cycle, one, rubric_key="t-application")
    e1 = f.make_essay(cycle, one, item_id="E1", rubric_key="t-essay")
    e2 = f.make_essay(cycle, two, item_id="E2", rubric_key="t-essay")
    e3 = f.make_essay(cycle, two, item_id="E3", rubric_key="t-essay")

    minute = iter(range(60))

    def read(item, reviewer, number, scores, comments=None):
        assignment = f.assign(item, reviewer)
        assignment.assigned_at = at(next(minute))
        submitted = f.submitted_read(assignment, scores, number=number, comments=comments)
        submitted.submitted_at = at(30 + next(minute))
        return submitted

    for number, (reviewer, practice) in enumerate(((ann, 3), (bob, 2)), start=1):
        r = read(portfolio, reviewer, number, {"evidence": 3, "practice": practice})
        db.session.add_all(
            [RequirementCheck(read_id=r.id, requirement_key=key, status=CheckStatus.MET) for key in ("hours", "ethics")]
        )
    read(
        e1, ann, 1, {"insight": 3, "clarity": 4}, {"insight": "@SUM(A1:A9)", "clarity": "Clear\nand kind"}
    ).overall_comment = "-see the notes"
    read(e1, bob, 2, {"insight": 4, "clarity": 4}, {"clarity": "+1 great"})
    read(e2, ann, 1, {"insight": 4, "clarity": 3}, {"insight": "\tindented"})
    read(e2, bob, 2, {"insight": 2, "clarity": 3}, {"insight": "-2 for depth"})
    draft = f.assign(e3, ann)
    draft.assigned_at = at(50)
    db.session.add(Read(assignment_id=draft.id, status=ReadStatus.DRAFT))
    waiting = f.assign(e3, bob, AssignmentSource.THIRD_READER)  # a further reader's assignment: round 2
    waiting.assigned_at = at(51)
    # Cy was given E2, declined it (a reason a spreadsheet would take for a formula) and holds nothing now.
    cy = f.make_user(email="cy@example.org", name="Cy")
    db.session.add(
        AssignmentDecline(
            item_pk=e2.id,
            reviewer_id=cy.id,
            reason="=I supervised this applicant",
            source=AssignmentSource.AUTO,
            assigned_at=at(52),
            declined_at=at(53),
        )
    )
    db.session.add(
        Decision(
            application_id=one.application.id,
            decision=DecisionValue.ENDORSE,
            rationale="=1+1 all parts passed",
            decided_by_id=chair.id,
            decided_at=T0,
        )
    )
    db.session.flush()
    reconcile_cycle(cycle)
    db.session.commit()
    return cycle


def sheet_rows(workbook, title):
    return [[cell.value for cell in row] for row in workbook[title].iter_rows()]


def column_width(ws, letter):
    """openpyxl files a run of equally wide columns under its first letter."""
    index = openpyxl.utils.column_index_from_string(letter)
    return next(d.width for d in ws.column_dimensions.values() if d.min <= index <= d.max)


def test_the_workbook_matches_the_hand_computed_cycle(app, tmp_path):
    with app.app_context():
        cycle = build_small_cycle()
        out = tmp_path / "small.xlsx"
        export_cycle(cycle, str(out))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == f.WORKBOOK_SHEETS

    assert sheet_rows(wb, "Decisions") == [
        [
            "Applicant ID",
            "Name",
            "Category",
            "Portfolio",
            "MC score",
            "Essay result",
            "Suggested",
            "Decision",
            "Rationale",
            "Decided by",
            "Decided at",
            "Email",
            "Organization",
            "Requirements met",
        ],
        # A1: portfolio agreed pass (3/3, 3/2 → mean 2.75), E1 agreed pass, 85 ≥ 80, both lines' final met → endorse.
        [
            "A1",
            "Applicant One",
            "TEST",
            "Pass",
            85,
            "Pass",
            "Endorse",
            "Endorse",
            "=1+1 all parts passed",
            "chair@example.org",
            T0,
            "one@example.org",
            "Bay Center",
            "2 of 2",
        ],
        # A2: Part 1 70 < 80 → not endorsed; E2 with the committee and E3 in review → essay part unknown; no
        # portfolio item, so neither line has a final result and neither could be checked.
        ["A2", EVIL_NAME, "TEST", None, 70, None, "Not endorsed", None, None, None, None, None, None, "0 of 2"],
    ]
    assert sheet_rows(wb, "Requirements") == [
        f.REQUIREMENTS_HEADER,
        # 12 training hours against 10; both reads marked the line met and the item is agreed: final met.
        [
            "A1",
            "Applicant One",
            "TEST",
            "hours",
            "Training hours",
            12,
            10,
            "met",
            "12 h from the training_hours column, 10 h needed (no training records).",
            "met; met",
            "met",
        ],
        [
            "A1",
            "Applicant One",
            "TEST",
            "ethics",
            "Code of Ethics signed",
            None,
            "yes",
            "unknown",
            "No ethics_signed figure: cannot be checked.",
            "met; met",
            "met",
        ],
        [
            "A2",
            EVIL_NAME,
            "TEST",
            "hours",
            "Training hours",
            None,
            10,
            "unknown",
            "No training records and no training_hours figure: cannot be checked.",
            None,
            None,
        ],
        [
            "A2",
            EVIL_NAME,
            "TEST",
            "ethics",
            "Code of Ethics signed",
            None,
            "yes",
            "unknown",
            "No ethics_signed figure: cannot be checked.",
            None,
            None,
        ],
    ]
    assert sheet_rows(wb, "Items") == [
        [
            "Item ID",
            "Kind",
            "Applicant ID",
            "Rubric",
            "Reads",
            "State",
            "evidence",
            "practice",
            "insight",
            "clarity",
            "Mean",
            "Result",
            "Rationale",
        ],
        ["APP-A1", "Application", "A1", "Test application", 2, "Agreed", 3, 2.5, None, None, 2.75, "Pass", None],
        ["E1", "Essay", "A1", "Test essay", 2, "Agreed", None, None, 3.5, 4, 3.75, "Pass", None],
        ["E2", "Essay", "A2", "Test essay", 2, "Committee", None, None, None, None, None, None, None],
        ["E3", "Essay", "A2", "Test essay", 0, "In review", None, None, None, None, None, None, None],
    ]
    submitted = [at(30 + m) for m in (1, 3, 5, 7, 9, 11)]  # each read() takes two minutes from the counter
    assert sheet_rows(wb, "Scores") == [
        ["Item ID", "Reviewer", "Read", "Domain", "Score", "Comment", "Submitted at"],
        ["APP-A1", "ann@example.org", 1, "evidence", 3, None, submitted[0]],
        ["APP-A1", "ann@example.org", 1, "practice", 3, None, submitted[0]],
        ["APP-A1", "bob@example.org", 2, "evidence", 3, None, submitted[1]],
        ["APP-A1", "bob@example.org", 2, "practice", 2, None, submitted[1]],
        ["E1", "ann@example.org", 1, "insight", 3, "@SUM(A1:A9)", submitted[2]],
        ["E1", "ann@example.org", 1, "clarity", 4, "Clear\nand kind", submitted[2]],
        ["E1", "bob@example.org", 2, "insight", 4, None, submitted[3]],
        ["E1", "bob@example.org", 2, "clarity", 4, "+1 great", submitted[3]],
        ["E2", "ann@example.org", 1, "insight", 4, "\tindented", submitted[4]],
        ["E2", "ann@example.org", 1, "clarity", 3, None, submitted[4]],
        ["E2", "bob@example.org", 2, "insight", 2, "-2 for depth", submitted[5]],
        ["E2", "bob@example.org", 2, "clarity", 3, None, submitted[5]],
    ]

    agreement = sheet_rows(wb, "Agreement")
    assert agreement[0] == [
        "Rubric",
        "Domain",
        "Items",
        "Exact agreement",
        "Adjacent agreement",
        "Weighted kappa (quadratic)",
        "Krippendorff alpha (ordinal)",
        "Krippendorff alpha (interval)",
        "Discrepancies",
        "Caution",
    ]
    one_item = "Only 1 item: too few for a reliable figure (fewer than 10)"
    two_items = "Only 2 items: too few for a reliable figure (fewer than 10)"
    # evidence: one item, 3 and 3 — no variation, so kappa and alpha are undefined (blank).
    assert agreement[1] == ["Test application", "Evidence", 1, 1, 1, None, None, None, 0, one_item]
    # practice: one item, 3 and 2 — observed disagreement equals chance: kappa 0, alpha 0.
    assert agreement[2] == ["Test application", "Practice", 1, 0, 1, 0, 0, 0, 0, one_item]
    # insight: E1 (3, 4), E2 (4, 2). Kappa: observed (1 + 4)/9 against expected 0.5·(1 + 1 + 0 + 4)/9 → 1 − 5/3.
    # Alpha from the coincidence matrix, n2 = 1, n3 = 1, n4 = 2, n = 4:
    #   interval: D_o = 10, D_e = 2·(1·1·1 + 1·2·4 + 1·2·1)/3 = 22/3 → 1 − 30/22;
    #   ordinal: δ(3,4) = 2.25, δ(2,4) = 6.25, δ(2,3) = 1 → D_o = 17, D_e = 2·(1 + 12.5 + 4.5)/3 = 12 → 1 − 17/12.
    rubric, domain, items, exact, adjacent, kappa, ordinal, interval, discrepancies, caution = agreement[3]
    assert (rubric, domain, items, exact, adjacent, discrepancies, caution) == (
        "Test essay",
        "Insight",
        2,
        0,
        0.5,
        1,
        two_items,
    )
    assert kappa == pytest.approx(1 - 5 / 3)
    assert ordinal == pytest.approx(1 - 17 / 12)
    assert interval == pytest.approx(1 - 30 / 22)
    # clarity: (4, 4) and (3, 3): perfect agreement with variation.
    assert agreement[4] == ["Test essay", "Clarity", 2, 1, 1, 1, 1, 1, 0, two_items]
    assert len(agreement) == 5

    reviewers = sheet_rows(wb, "Reviewers")
    assert reviewers[0] == ["Reviewer", "Name", "Assigned", "Submitted", "Pending", "Mean score", "Severity"]
    # Ann gave 3,3, 3,4, 4,3 (mean 20/6); against Bob per cell: 0, +1, −1, 0, +2, 0 → +2/6.
    assert reviewers[1][:5] == ["ann@example.org", "Ann", 4, 3, 1]
    assert reviewers[1][5] == pytest.approx(20 / 6) and reviewers[1][6] == pytest.approx(2 / 6)
    assert reviewers[2][:5] == ["bob@example.org", "-Bob", 4, 3, 1]
    assert reviewers[2][5] == pytest.approx(18 / 6) and reviewers[2][6] == pytest.approx(-2 / 6)
    assert len(reviewers) == 3

    assert sheet_rows(wb, "Assignments") == [
        ["Item ID", "Reviewer", "Status", "Assigned at", "Round", "Overall comment", "Declined"],
        ["APP-A1", "ann@example.org", "Submitted", at(0), 1, None, None],
        ["APP-A1", "bob@example.org", "Submitted", at(2), 1, None, None],
        ["E1", "ann@example.org", "Submitted", at(4), 1, "-see the notes", None],
        ["E1", "bob@example.org", "Submitted", at(6), 1, None, None],
        ["E2", "ann@example.org", "Submitted", at(8), 1, None, None],
        ["E2", "bob@example.org", "Submitted", at(10), 1, None, None],
        ["E2", "cy@example.org", "Declined", at(52), 1, None, "=I supervised this applicant"],
        ["E3", "ann@example.org", "Draft", at(50), 1, None, None],
        ["E3", "bob@example.org", "Assigned", at(51), 2, None, None],
    ]

    summary = {row[0]: row[1:] for row in sheet_rows(wb, "Summary") if row[0] is not None}
    assert wb.active.title == "Summary"
    assert "Small: review summary" in summary and "2 reads per item." in summary
    exported = next(line for line in summary if line.startswith("Exported "))
    assert exported.endswith("UTC. Every time in this workbook is in UTC.")
    # Items per state, by hand: APP-A1 and E1 agreed, E2 with the committee, E3 in review.
    assert "Items per state (4 items)" in summary
    assert [summary[state][0] for state in ("Committee", "Agreed", "In review", "Unassigned")] == [1, 2, 1, 0]
    # Applications per decision: A1 endorsed, A2 not decided yet.
    assert summary["Category"][:4] == ["Endorse", "Not endorsed", "Revise and resubmit", "Not decided yet"]
    assert summary["TEST"][:4] == [1, 0, 0, 1]
    # Reads: six submitted, Ann's draft on E3 started, Bob's not started.
    assert [summary[key][0] for key in ("Submitted", "Pending: started", "Pending: not started")] == [6, 1, 1]
    assert "Part 1 (multiple choice) pass mark: 80 %." in summary
    # The test rubrics' pass rule (tests/unit/reconcile_fixtures.py): mean at least 2.5, every domain at least 2.
    assert summary["Test essay (scale 1–4)"][:3] == [2.5, 2, None]
    assert summary["Test application (scale 1–4)"][:3] == [2.5, 2, None]
    with zipfile.ZipFile(tmp_path / "small.xlsx") as archive:  # openpyxl does not load charts: count the parts
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 3  # items per state, applications per category, reads


def test_no_cell_is_a_formula_and_user_text_stays_visible(app):
    with app.app_context():
        workbook_bytes = export_cycle_bytes(build_small_cycle())
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    risky = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r\n":
                    risky[cell.value] = cell.quotePrefix
    assert risky == {
        EVIL_NAME: True,
        "=1+1 all parts passed": True,
        "@SUM(A1:A9)": True,
        "+1 great": True,
        "\tindented": True,
        "-2 for depth": True,
        "-Bob": True,
        "-see the notes": True,
        "=I supervised this applicant": True,
    }


def test_every_sheet_has_a_bold_frozen_filtered_header_widths_and_formats(app, tmp_path):
    with app.app_context():
        out = tmp_path / "small.xlsx"
        export_cycle(build_small_cycle(), out)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets[:-1]:  # the tables; the Summary is a report
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}", ws.title
        assert all(cell.font.b for cell in ws[1]), ws.title
        for cell in ws[1]:  # every header fully visible: its letters and room for bold type and the filter button
            assert column_width(ws, cell.column_letter) >= len(cell.value) + 3, (ws.title, cell.value)
    agreement = wb["Agreement"]
    assert agreement["D2"].number_format == "0.0%" and agreement["E5"].number_format == "0.0%"
    for sheet, cell in (("Scores", "G2"), ("Assignments", "D2"), ("Decisions", "K2")):
        assert wb[sheet][cell].number_format == 'yyyy-mm-dd hh:mm:ss "UTC"', sheet
    # Long text wraps within a readable width instead of running off the page.
    for sheet, column in (("Decisions", "I"), ("Items", "M"), ("Scores", "F"), ("Assignments", "F")):
        assert wb[sheet][f"{column}1"].value in ("Rationale", "Comment", "Overall comment")
        assert 50 <= column_width(wb[sheet], column) <= 61
    assert wb["Decisions"]["I2"].alignment.wrap_text and wb["Scores"]["F6"].alignment.wrap_text
    # A caution row is shaded.
    assert agreement["A2"].fill.fgColor.rgb.endswith("FFF2CC")


def test_every_sheet_is_set_up_to_print_landscape_one_page_wide_with_the_header_repeated(app, tmp_path):
    with app.app_context():
        out = tmp_path / "small.xlsx"
        export_cycle(build_small_cycle(), out)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) in ((1, 0), (None, 0)), ws.title
        footer = ws.oddFooter
        assert (footer.left.text, footer.center.text, footer.right.text) == ("Small", "&A", "Page &P of &N")
    assert all(ws.print_title_rows == "$1:$1" for ws in wb.worksheets[:-1])


def test_an_ampersand_in_the_cycle_name_is_printed_as_one(tmp_path):
    out = tmp_path / "amp.xlsx"
    write_workbook([Sheet("S", [Column("Text")], [["x"]])], str(out), footer="Spring & Summer")
    assert openpyxl.load_workbook(out)["S"].oddFooter.left.text == "Spring && Summer"


def test_control_characters_are_dropped_from_text_and_the_rest_is_kept(tmp_path):
    out = tmp_path / "x.xlsx"
    write_workbook(
        [
            Sheet(
                "S",
                [Column("Text"), Column("When", kind="date")],
                [["a\x00b\x07c", datetime(2026, 1, 2).date()], ["=\x01x", None]],
            )
        ],
        str(out),
    )
    ws = openpyxl.load_workbook(out)["S"]
    assert ws["A2"].value == "abc" and ws["A3"].value == "=x" and ws["A3"].data_type == "s"
    assert ws["B2"].number_format == "yyyy-mm-dd"


def test_formats_with_equal_properties_share_one_style_and_every_cell_names_its_style_by_number(tmp_path):
    # A text and a plain number column both only align to the top: one style between them; the formats' indexes
    # are fixed when they are made (workbook.py, _XfIndex), so the sheet's s="…" must still be plain numbers.
    out = tmp_path / "styles.xlsx"
    write_workbook(
        [
            Sheet(
                "S",
                [
                    Column("Text"),
                    Column("Count", kind="number"),
                    Column("Share", kind="percent"),
                    Column("Note", wrap=True),
                ],
                [["a", 1, 0.25, "=x"], ["b", 2, 0.5, "long"]],
            )
        ],
        str(out),
    )
    ws = openpyxl.load_workbook(out)["S"]
    assert ws["A2"].style_id == ws["B3"].style_id != ws["C2"].style_id
    assert ws["A2"].alignment.vertical == ws["D2"].alignment.vertical == "top" and ws["D3"].alignment.wrap_text
    assert ws["C2"].number_format == "0.0%" and ws["D2"].quotePrefix and not ws["D3"].quotePrefix
    assert ws["A1"].font.bold and not ws["A2"].font.bold
    with zipfile.ZipFile(out) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert re.findall(r' s="([^"]*)"', sheet) and all(index.isdigit() for index in re.findall(r' s="([^"]*)"', sheet))


def test_export_command_writes_the_file_and_names_a_missing_cycle(app, runner, tmp_path):
    with app.app_context():
        build_small_cycle()
    out = tmp_path / "cli.xlsx"
    result = runner.invoke(args=["export", "--cycle", "Small", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "Decisions"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: readable by its owner only, as the database
    missing = runner.invoke(args=["export", "--cycle", "Nope", "--out", str(tmp_path / "n.xlsx")])
    assert missing.exit_code == 1 and "no cycle called 'Nope'" in missing.output
    assert not (tmp_path / "n.xlsx").exists()
    assert list(tmp_path.glob("tmp*.xlsx")) == []


def test_a_third_read_joins_alpha_and_severity_and_a_read_without_scores_still_counts(app):
    """Insight: E1 read three times (2, 3, 4); E2 read 3 and 3, then a third read submitted with no scores."""
    with app.app_context():
        cycle = f.make_cycle(name="Three reads")
        ann, bob, cat = (f.make_user(email=f"{name}@example.org", name=name.title()) for name in ("ann", "bob", "cat"))
        applicant = f.make_applicant(cycle, applicant_id="A1", name="One", category="TEST", mc_score=85)
        e1 = f.make_essay(cycle, applicant, item_id="E1", rubric_key="t-essay")
        e2 = f.make_essay(cycle, applicant, item_id="E2", rubric_key="t-essay")
        for number, (reviewer, score) in enumerate(((ann, 2), (bob, 3), (cat, 4)), start=1):
            f.submitted_read(f.assign(e1, reviewer), {"insight": score}, number=number)
        for number, reviewer in enumerate((ann, bob), start=1):
            f.submitted_read(f.assign(e2, reviewer), {"insight": 3}, number=number)
        f.submitted_read(f.assign(e2, cat), {}, number=3)
        db.session.commit()
        wb = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)))

    assert [row[4] for row in sheet_rows(wb, "Items")[1:]] == [3, 3]
    assert [row[:5] for row in sheet_rows(wb, "Scores")[1:]] == [
        ["E1", "ann@example.org", 1, "insight", 2],
        ["E1", "bob@example.org", 2, "insight", 3],
        ["E1", "cat@example.org", 3, "insight", 4],
        ["E2", "ann@example.org", 1, "insight", 3],
        ["E2", "bob@example.org", 2, "insight", 3],
    ]
    # Reads 1 and 2: (2, 3) and (3, 3) → exact 1/2, adjacent 1; kappa: weighted observed 1/9 = expected 1/9 → 0.
    # Alpha over all reads: E1 gives o(2,3) = o(2,4) = o(3,4) = 1/2 each way, E2 o(3,3) = 2; n2 = 1, n3 = 3, n4 = 1.
    #   interval: D_o = 1 + 4 + 1 = 6, D_e = 2·(3·1 + 1·4 + 3·1)/4 = 5 → −0.2;
    #   ordinal: δ(2,3) = δ(3,4) = (4 − 2)² = 4, δ(2,4) = (5 − 1)² = 16 → D_o = 24,
    #   D_e = 2·(12 + 16 + 12)/4 = 20 → −0.2.
    # Clarity has no item with two reads: no row.
    (insight,) = sheet_rows(wb, "Agreement")[1:]
    assert insight[:6] == ["Test essay", "Insight", 2, 0.5, 1, 0]
    assert insight[6] == pytest.approx(-0.2) and insight[7] == pytest.approx(-0.2) and insight[8] == 0
    # Severity: E1 ann 2 − 3.5, bob 3 − 3, cat 4 − 2.5; E2 ann and bob 0 each.
    assert sheet_rows(wb, "Reviewers")[1:] == [
        ["ann@example.org", "Ann", 2, 2, 0, 2.5, -0.75],
        ["bob@example.org", "Bob", 2, 2, 0, 3, 0],
        ["cat@example.org", "Cat", 2, 2, 0, 4, 1.5],
    ]


def test_the_reviewer_oracle_by_hand():
    # Item 1: r1 gives 4, 3; r2 gives 2, 3. Item 2: r1 gives 2; r2 gives 2; r3 gives 5. Item 3: r3 alone.
    rows = [
        ("i1", "a", 1, 4),
        ("i1", "b", 1, 3),
        ("i1", "a", 2, 2),
        ("i1", "b", 2, 3),
        ("i2", "a", 1, 2),
        ("i2", "a", 2, 2),
        ("i2", "a", 3, 5),
        ("i3", "a", 3, 1),
    ]
    figures = reviewer_figures(rows)
    assert figures[1].reads == 2 and figures[1].mean == pytest.approx(3.0)
    # r1: i1a 4-2=2, i1b 0, i2a 2-(2+5)/2=-1.5 → mean 0.5/3
    assert figures[1].severity == pytest.approx((2 + 0 - 1.5) / 3)
    # r2: i1a -2, i1b 0, i2a 2-3.5=-1.5
    assert figures[2].severity == pytest.approx((-2 + 0 - 1.5) / 3)
    # r3: i2a 5-2=3 (i3 has no co-reader)
    assert figures[3].severity == pytest.approx(3.0) and figures[3].mean == pytest.approx(3.0)
    lone = reviewer_figures([("i9", "a", 7, 3)])
    assert lone[7].severity is None and lone[7].reads == 1


def test_the_reviewers_sheet_agrees_with_the_oracle_on_a_random_cycle(app):
    """One to three reads of twelve essays by five reviewers, some domains left unscored."""
    rng = random.Random(20260302)
    given = []  # (item, domain, reviewer e-mail, score) of every submitted score
    with app.app_context():
        cycle = f.make_cycle(name="Random")
        reviewers = [f.make_user(email=f"r{n}@example.org", name=f"R{n}") for n in range(5)]
        applicant = f.make_applicant(cycle, applicant_id="A1", name="One", category="TEST", mc_score=85)
        for n in range(12):
            item = f.make_essay(cycle, applicant, item_id=f"E{n}", rubric_key="t-essay")
            for number, reviewer in enumerate(rng.sample(reviewers, rng.randint(1, 3)), start=1):
                scores = {domain: rng.randint(1, 4) for domain in ("insight", "clarity") if rng.random() < 0.85}
                f.submitted_read(f.assign(item, reviewer), scores, number=number)
                given += [(item.item_id, domain, reviewer.email, score) for domain, score in scores.items()]
        db.session.commit()
        wb = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)))

    expected = reviewer_figures(given)
    sheet = {row[0]: (row[5], row[6]) for row in sheet_rows(wb, "Reviewers")[1:]}
    assert {email for email, (mean, _) in sheet.items() if mean is not None} == set(expected)
    assert any(figures.severity is not None for figures in expected.values())
    for email, figures in expected.items():
        mean, severity = sheet[email]
        assert mean == pytest.approx(figures.mean)
        assert severity == (None if figures.severity is None else pytest.approx(figures.severity))
