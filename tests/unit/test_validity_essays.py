"""Validity essays: imported with expert scores, scored like any essay, and counted in no live figure.

Expected figures are worked by hand in each test from the scores it imports.
"""

import io

import openpyxl
import pytest

from app.assignment.models import Assignment
from app.assignment.service import auto_assign
from app.cycles.models import Item, ItemKind, ItemState, ReferenceScore
from app.extensions import db
from app.people.models import User
from app.reconcile.models import ItemOutcome
from app.reconcile.service import reconcile_cycle
from app.reports import cycle_figures
from tests import factories as f
from tests.unit.imported_cycle import PAPER_ESSAY, app_with_only, imported, refused

R1, R2, R3 = "r1@example.org", "r2@example.org", "r3@example.org"
ESSAYS = [
    ["item_id", "applicant_id", "rubric", "response", "validity"],
    ["E1", "A1", "paper-essay", "A live answer", ""],
    ["E2", "A1", "paper-essay", "Another live answer", "no"],
    ["V1", "", "paper-essay", "A known answer", "yes"],
    ["V2", "", "paper-essay", "Another known answer", "yes"],
]
REFERENCE = [
    ["item_id", "domain", "score"],
    ["V1", "reflection", 2],
    ["V1", "thinking", 3],
    ["V2", "reflection", 4],
    ["V2", "thinking", 4],
]
HEADER = ["item_id", "reviewer_email", "domain", "score"]


@pytest.fixture
def app(tmp_path):
    yield from app_with_only(tmp_path, {"paper-essay": PAPER_ESSAY})


@pytest.fixture
def cycle(ctx):
    cycle = f.make_cycle("Calibrated")
    f.make_applicant(cycle, applicant_id="A1")
    db.session.commit()
    imported("reviewers", [["email", "name"], [R1, "One"], [R2, "Two"], [R3, "Three"]], cycle)
    imported("essays", ESSAYS, cycle)
    return cycle


def read(item_id, reviewer, reflection, thinking):
    return [[item_id, reviewer, "reflection", reflection], [item_id, reviewer, "thinking", thinking]]


def test_validity_essays_import_without_an_applicant_and_with_expert_scores(cycle):
    items = {item.item_id: item for item in db.session.scalars(db.select(Item))}
    assert {key: (item.kind, item.validity, item.applicant_pk is None) for key, item in items.items()} == {
        "E1": (ItemKind.ESSAY, False, False),
        "E2": (ItemKind.ESSAY, False, False),
        "V1": (ItemKind.ESSAY, True, True),
        "V2": (ItemKind.ESSAY, True, True),
    }
    result = imported("reference_scores", REFERENCE, cycle)
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    stored = {(s.item_pk, s.domain_key): s.score for s in db.session.scalars(db.select(ReferenceScore))}
    assert stored == {
        (items["V1"].id, "reflection"): 2,
        (items["V1"].id, "thinking"): 3,
        (items["V2"].id, "reflection"): 4,
        (items["V2"].id, "thinking"): 4,
    }
    again = imported("reference_scores", [REFERENCE[0], ["V1", "reflection", 1]], cycle)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 0)


def test_essay_rows_say_what_is_wrong_with_an_applicant_and_validity(cycle):
    rows = [
        ESSAYS[0],
        ["V9", "A1", "paper-essay", "x", "yes"],
        ["E9", "", "paper-essay", "x", "no"],
        ["V8", "", "paper-essay", "x", "perhaps"],
    ]
    assert refused("essays", rows, cycle) == [
        "row 2, column applicant_id: a validity essay belongs to no applicant: leave applicant_id blank",
        "row 3, column applicant_id: required value is missing (only a validity essay, validity = yes, has none)",
        "row 4, column applicant_id: required value is missing (only a validity essay, validity = yes, has none)",
        "row 4, column validity: 'perhaps' is not yes or no",
    ]


def test_reference_score_rows_are_checked_against_the_essay_and_its_rubric(cycle):
    rows = [
        REFERENCE[0],
        ["E1", "reflection", 3],
        ["V1", "insight", 3],
        ["V1", "reflection", 7],
        ["V2", "reflection", 4],
        ["V404", "thinking", 2],
    ]
    assert refused("reference_scores", rows, cycle) == [
        "row 2, column item_id: E1 is not a validity essay: only a validity essay (essays imported with "
        "validity = yes) has expert scores",
        "row 3, column domain: unknown domain 'insight' for rubric paper-essay (expected reflection, thinking)",
        "row 3, column domain: validity essay V1 would have no expert score for thinking (every domain needs one)",
        "row 4, column score: 7 is outside the paper-essay scale 1–4",
        "row 5, column domain: validity essay V2 would have no expert score for thinking (every domain needs one)",
        "row 6, column item_id: no item 'V404' in this cycle (import essays first)",
    ]
    assert db.session.scalar(db.select(db.func.count()).select_from(ReferenceScore)) == 0


def test_stored_expert_scores_complete_a_later_file(cycle):
    imported("reference_scores", [REFERENCE[0], ["V1", "reflection", 2], ["V1", "thinking", 3]], cycle)
    imported("reference_scores", [REFERENCE[0], ["V1", "thinking", 4]], cycle)
    assert {s.domain_key: s.score for s in db.session.scalars(db.select(ReferenceScore))} == {
        "reflection": 2,
        "thinking": 4,
    }


def test_validity_essays_are_assigned_like_essays_but_never_reconciled_nor_given_a_third_reader(cycle):
    plan = auto_assign(cycle)
    db.session.commit()
    readers = {item.item_id: len(item_readers) for item, item_readers in _readers().items()}
    assert readers == {"E1": 2, "E2": 2, "V1": 2, "V2": 2} and not plan.shortfalls
    # V1's two reads disagree by 3 on reflection: a live essay would be discrepant and get a third reader.
    pairs = {item.item_id: sorted(reviewers) for item, reviewers in _readers().items()}
    rows = [
        row
        for item_id, (first, second) in pairs.items()
        for row in read(item_id, first, 1, 3) + read(item_id, second, 4, 3)
    ]
    imported("scores", [HEADER, *rows], cycle)
    counts = reconcile_cycle(cycle)
    db.session.commit()
    states = {item.item_id: item.state for item in db.session.scalars(db.select(Item))}
    assert states == {
        "E1": ItemState.ADJUDICATING,
        "E2": ItemState.ADJUDICATING,
        "V1": ItemState.IN_REVIEW,
        "V2": ItemState.IN_REVIEW,
    }
    # V1 and V2 stay in review, counted apart: reconciliation's counts are the live items'.
    assert counts["adjudicating"] == 2 and counts["in_review"] == 0 and sum(counts.values()) == 2
    assert {item.item_id: len(reviewers) for item, reviewers in _readers().items()} == {
        "E1": 3,
        "E2": 3,
        "V1": 2,
        "V2": 2,
    }
    validity_pks = [item.id for item in db.session.scalars(db.select(Item).where(Item.validity))]
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(ItemOutcome).where(ItemOutcome.item_pk.in_(validity_pks))
        )
        == 0
    )


def test_the_reconcile_command_prints_the_validity_essays_apart_from_the_counts(cycle, runner):
    auto_assign(cycle)  # two readers for each of E1, E2, V1, V2
    db.session.commit()
    readers = {item.item_id: sorted(emails) for item, emails in _readers().items()}
    e1, v1 = readers["E1"], readers["V1"]
    # E1's reads agree (3,3 and 3,3); V1's are far apart, which would send a live essay to a third reader.
    imported("scores", [HEADER, *read("E1", e1[0], 3, 3), *read("E1", e1[1], 3, 3)], cycle)
    imported("scores", [HEADER, *read("V1", v1[0], 1, 1), *read("V1", v1[1], 4, 4)], cycle)
    result = runner.invoke(args=["reconcile", "--cycle", "Calibrated"])
    assert result.exit_code == 0, result.output
    *states, total, validity = result.output.splitlines()
    # The live items alone: E1 agreed, E2 assigned; V1 (in review) and V2 (assigned) on their own line.
    assert {name: int(n) for name, n in map(str.split, states) if n != "0"} == {"agreed": 1, "assigned": 1}
    assert total.split() == ["total", "2"]
    assert validity == "validity essays  2 (not counted)"


def _readers():
    found = {}
    for assignment in db.session.scalars(db.select(Assignment).order_by(Assignment.id)):
        found.setdefault(assignment.item, set()).add(assignment.reviewer.email)
    return found


def test_validity_reads_count_in_no_live_figure_of_the_workbook_or_the_pages(cycle):
    from app.exports.service import export_cycle_bytes

    imported("reference_scores", REFERENCE, cycle)
    # Live: E1 read 3,3 by r1 and 2,2 by r2; E2 read 4,4 by r1 and 4,3 by r2.
    # Validity: V1 read 1,1 by r1 and 4,4 by r2 (far apart: it would drag every live figure if it counted).
    imported(
        "scores",
        [
            HEADER,
            *read("E1", R1, 3, 3),
            *read("E1", R2, 2, 2),
            *read("E2", R1, 4, 4),
            *read("E2", R2, 4, 3),
            *read("V1", R1, 1, 1),
            *read("V1", R2, 4, 4),
        ],
        cycle,
    )
    reconcile_cycle(cycle)
    db.session.commit()
    book = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)), read_only=True)

    def rows(title):
        header, *body = book[title].iter_rows(values_only=True)
        return [dict(zip(header, row, strict=True)) for row in body]

    kinds = {row["Item ID"]: (row["Kind"], row["Applicant ID"]) for row in rows("Items")}
    assert kinds == {"E1": ("Essay", "A1"), "E2": ("Essay", "A1"), "V1": ("Validity", None), "V2": ("Validity", None)}
    assert {row["Item ID"] for row in rows("Scores")} == {"E1", "E2", "V1"}
    agreement = {
        row["Domain"]: (row["Items"], row["Exact agreement"], row["Adjacent agreement"]) for row in rows("Agreement")
    }
    # reflection: 3 v 2 and 4 v 4 -> exact 1/2, adjacent 2/2; thinking: 3 v 2 and 4 v 3 -> exact 0, adjacent 1.
    assert agreement == {"Reflection": (2, 0.5, 1.0), "Thinking": (2, 0.0, 1.0)}
    reviewers = {row["Reviewer"]: (row["Submitted"], row["Mean score"], row["Severity"]) for row in rows("Reviewers")}
    # r1's live scores 3,3,4,4 (mean 3.5), each minus r2's: +1 +1 0 +1 -> severity 0.75; r2 the opposite.
    assert reviewers[R1] == (3, 3.5, 0.75)
    assert reviewers[R2] == (3, 2.75, -0.75)
    figures = {
        domain.key: (domain.pairs, domain.exact, domain.adjacent, sum(domain.distribution.values()))
        for rubric in cycle_figures(cycle)
        for domain in rubric.domains
    }
    assert figures == {"reflection": (2, 0.5, 1.0, 4), "thinking": (2, 0.0, 1.0, 4)}
    assert [row["Applicant ID"] for row in rows("Decisions")] == ["A1"]


def test_validity_essays_are_counted_apart_wherever_items_are_counted_per_state(cycle, app):
    from app.committee.board import BoardFilters, board_page
    from app.console.service import cycle_items, dashboard
    from app.exports.service import export_cycle_bytes
    from app.mail.messages import render
    from app.mail.service import cycle_digest
    from app.people.models import Role

    imported("reference_scores", REFERENCE, cycle)
    auto_assign(cycle)  # two readers for each of E1, E2, V1, V2 (no validity rate: assigned like any essay)
    db.session.commit()
    readers = {item.item_id: sorted(emails) for item, emails in _readers().items()}
    e1, v1 = readers["E1"], readers["V1"]
    # E1's two reads agree; V1's two are submitted; E2 and V2 are not started.
    imported("scores", [HEADER, *read("E1", e1[0], 3, 3), *read("E1", e1[1], 3, 3)], cycle)
    imported("scores", [HEADER, *read("V1", v1[0], 1, 1), *read("V1", v1[1], 4, 4)], cycle)
    counts = reconcile_cycle(cycle)
    db.session.commit()
    # By hand: live E1 agreed, E2 assigned; V1 in review and V2 assigned, counted apart: 2 essays, 4 reads, 2 in.
    live = {"agreed": 1, "assigned": 1}
    assert {state: n for state, n in counts.items() if n} == live

    board = dashboard(cycle)
    assert {state: n for state, n in board.state_counts.items() if n} == live and board.total_items == 2
    assert board.validity is not None
    assert (board.validity.essays, board.validity.assigned, board.validity.submitted) == (2, 4, 2)
    assert board.validity.describe() == "validity reads: 2 submitted of 4"
    assert board.submitted == 4 and board.assigned == 8  # reads are work done: validity reads among them

    coordinator = f.make_user(Role.COORDINATOR)
    committee = board_page(cycle, BoardFilters(state=None), coordinator)  # every item
    assert {state: n for state, n in committee.counts.items() if n} == live
    assert sorted(row.item_id for row in committee.rows) == ["E1", "E2"] and committee.total == 2
    assert committee.validity is not None and committee.validity.describe() == "validity reads: 2 submitted of 4"

    assert [row.item_id for row in cycle_items(cycle, state="in_review").rows] == []
    assert [row.item_id for row in cycle_items(cycle, state="assigned").rows] == ["E2"]
    assert [row.item_id for row in cycle_items(cycle, state="validity").rows] == ["V1", "V2"]

    digest = cycle_digest(cycle)
    assert digest.states == [("assigned", 1), ("agreed", 1)]  # workflow order
    body = render("coordinator_digest", name="C", digest=digest, today=digest.due, dashboard="d", overdue_page="o")
    assert "Validity essays: 2, not counted in the items above; validity reads: 2 submitted of 4." in body.body

    book = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)), read_only=True)
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0] is not None}
    assert "Items per state (2 items)" in summary
    assert [summary[state][0] for state in ("Agreed", "In review", "Assigned")] == [1, 0, 1]
    assert "2 validity essays, not counted in the items per state: validity reads: 2 submitted of 4." in summary

    listed = app.test_cli_runner().invoke(args=["cycles", "list"])
    header, row = listed.output.splitlines()[:2]
    cells = dict(zip(header.split(), row.split(), strict=True))
    assert (cells["items"], cells["in_review"], cells["agreed"], cells["validity"]) == ("2", "0", "1", "2")


def test_a_qualification_set_missed_in_a_scores_import_tells_the_coordinators_once(cycle):
    from app.mail.models import OutboxMessage
    from app.people.models import Role

    f.make_user(Role.COORDINATOR, email="coord@example.org")
    cycle.qualify_items, cycle.qualify_min_adjacent = 2, 0.8
    imported("reference_scores", REFERENCE, cycle)
    for item_id in ("V1", "V2"):
        for email in (R1, R2):
            f.assign(
                db.session.scalar(db.select(Item).filter_by(item_id=item_id)),
                db.session.scalar(db.select(User).filter_by(email=email)),
            )
    db.session.commit()

    def told():
        return db.session.execute(
            db.select(OutboxMessage.recipient, OutboxMessage.subject).filter_by(kind="qualification_missed")
        ).all()

    # r1: V1 first only (the set not complete: nobody told); r2 passes on both (2,3 and 4,4 against 2,3 and 4,4).
    imported("scores", [HEADER, *read("V1", R1, 4, 1), *read("V1", R2, 2, 3), *read("V2", R2, 4, 4)], cycle)
    assert told() == []
    # r1's second read completes the set: V1 two and two points off, V2 three and one: 1 of 4 adjacent, 25 %.
    imported("scores", [HEADER, *read("V2", R1, 1, 3)], cycle)
    assert told() == [("coord@example.org", "Calibrated: One did not pass the qualification set")]
    imported("scores", [HEADER, *read("V1", R1, 4, 1), *read("V2", R1, 1, 3)], cycle)  # the same file again
    assert len(told()) == 1
