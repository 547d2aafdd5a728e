"""Third reads imported with ``round = 2``: the reconciliation rule's third read, never a reason for a fourth reader.

Expected combined scores are worked by hand from the rule (docs/imports.md, "Third reads"): a discrepant
domain takes the mean of the third score and the closer original, the third alone on a tie; a domain that
agreed keeps the mean of the first two.
"""

import pytest

from app.assignment.models import Assignment, AssignmentSource
from app.audit.models import AuditEntry
from app.cycles.models import Item, ItemState
from app.extensions import db
from app.people.models import User
from app.reconcile.models import ItemOutcome
from app.reconcile.service import reconcile_cycle
from app.scoring.models import Read, ReadStatus
from tests import factories as f
from tests.unit.imported_cycle import PAPER_ESSAY, app_with_only, imported, refused

REVIEWERS = ["r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org"]
HEADER = ["item_id", "reviewer_email", "domain", "score", "round"]


@pytest.fixture
def app(tmp_path):
    yield from app_with_only(tmp_path, {"paper-essay": PAPER_ESSAY})


@pytest.fixture
def cycle(ctx):
    cycle = f.make_cycle("Paper session")
    db.session.commit()
    imported("reviewers", [["email", "name"], *([address, address.split("@")[0]] for address in REVIEWERS)], cycle)
    f.make_applicant(cycle, applicant_id="A1")
    db.session.commit()
    imported(
        "essays", [["item_id", "applicant_id", "rubric"], *([f"E{n}", "A1", "paper-essay"] for n in range(1, 6))], cycle
    )
    return cycle


def refused_scores(rows, cycle):
    return refused("scores", [HEADER, *rows], cycle)


def read(item_id, reviewer, reflection, thinking, round_=""):
    return [[item_id, reviewer, "reflection", reflection, round_], [item_id, reviewer, "thinking", thinking, round_]]


def outcome(item_id):
    item = db.session.scalar(db.select(Item).filter_by(item_id=item_id))
    stored = db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=item.id))
    return item.state, stored.combined if stored else None, stored.result if stored else None


def readers(item_id):
    return {
        (a.reviewer.email, a.source)
        for a in db.session.scalars(db.select(Assignment).join(Item).where(Item.item_id == item_id))
    }


R1, R2, R3, R4 = REVIEWERS


@pytest.mark.parametrize(
    ("third", "combined", "result"),
    [
        ((2, 3), {"reflection": 1.5, "thinking": 3.0}, "fail"),  # closer to the first read's 1
        ((4, 3), {"reflection": 4.0, "thinking": 3.0}, "pass"),  # closer to the second read's 4
        ((3, 4), {"reflection": 3.5, "thinking": 3.0}, "pass"),  # closer to 4; thinking agreed and keeps its mean
    ],
)
def test_an_imported_third_read_resolves_by_the_rule_without_a_fourth_reader(cycle, third, combined, result):
    imported("scores", [HEADER, *read("E1", R1, 1, 3, 1), *read("E1", R2, 4, 3), *read("E1", R3, *third, 2)], cycle)
    counts = reconcile_cycle(cycle)
    db.session.commit()
    assert outcome("E1") == (ItemState.RESOLVED, combined, result)
    assert readers("E1") == {
        (R1, AssignmentSource.IMPORT),
        (R2, AssignmentSource.IMPORT),
        (R3, AssignmentSource.IMPORT_THIRD),
    }
    assert counts["resolved"] == 1 and counts["adjudicating"] == 0


def test_a_third_score_halfway_between_the_originals_settles_the_domain_alone(cycle):
    imported("scores", [HEADER, *read("E1", R1, 1, 3), *read("E1", R2, 3, 3), *read("E1", R3, 2, 3, 2)], cycle)
    reconcile_cycle(cycle)
    assert outcome("E1") == (ItemState.RESOLVED, {"reflection": 2.0, "thinking": 3.0}, "fail")


def test_a_pass_fail_split_with_every_domain_adjacent_is_settled_on_every_domain(cycle):
    # 3,3 passes (mean 3) and 2,3 fails (2.5): the third read 3,3 settles both domains with the closer original.
    imported("scores", [HEADER, *read("E1", R1, 3, 3), *read("E1", R2, 2, 3), *read("E1", R3, 3, 3, 2)], cycle)
    reconcile_cycle(cycle)
    assert outcome("E1") == (ItemState.RESOLVED, {"reflection": 3.0, "thinking": 3.0}, "pass")


def test_first_round_reads_imported_earlier_count_and_read_numbers_continue(cycle):
    imported("scores", [HEADER, *read("E1", R1, 1, 3), *read("E1", R2, 4, 3)], cycle)
    imported("scores", [HEADER, *read("E1", R3, 4, 4, 2)], cycle)
    reconcile_cycle(cycle)
    assert outcome("E1") == (ItemState.RESOLVED, {"reflection": 4.0, "thinking": 3.0}, "pass")
    numbers = {
        r.assignment.reviewer.email: r.number
        for r in db.session.scalars(db.select(Read).join(Assignment).join(Item).where(Item.item_id == "E1"))
    }
    assert numbers == {R1: 1, R2: 2, R3: 3}


def test_the_third_reader_reconciliation_assigned_takes_the_imported_read(cycle):
    imported("scores", [HEADER, *read("E1", R1, 1, 3), *read("E1", R2, 4, 3)], cycle)
    reconcile_cycle(cycle)
    db.session.commit()
    [(third, source)] = readers("E1") - {(R1, AssignmentSource.IMPORT), (R2, AssignmentSource.IMPORT)}
    assert source == AssignmentSource.THIRD_READER
    imported("scores", [HEADER, *read("E1", third, 2, 3, 2)], cycle)
    assert (third, AssignmentSource.THIRD_READER) in readers("E1")
    reconcile_cycle(cycle)
    assert outcome("E1") == (ItemState.RESOLVED, {"reflection": 1.5, "thinking": 3.0}, "fail")
    assert db.session.scalar(db.select(db.func.count()).where(AuditEntry.action == "assignment.withdraw")) == 0


def test_another_imported_third_reader_replaces_the_open_assignment_audited(cycle):
    imported("scores", [HEADER, *read("E1", R1, 1, 3), *read("E1", R2, 4, 3)], cycle)
    reconcile_cycle(cycle)
    db.session.commit()
    [(assigned, _)] = readers("E1") - {(R1, AssignmentSource.IMPORT), (R2, AssignmentSource.IMPORT)}
    imported_reader = R4 if assigned == R3 else R3
    imported("scores", [HEADER, *read("E1", imported_reader, 4, 3, 2)], cycle)
    assert readers("E1") == {
        (R1, AssignmentSource.IMPORT),
        (R2, AssignmentSource.IMPORT),
        (imported_reader, AssignmentSource.IMPORT_THIRD),
    }
    [entry] = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "assignment.withdraw")).all()
    assigned_id = db.session.scalar(db.select(User.id).filter_by(email=assigned))
    assert (entry.item_key, entry.before["reviewer_id"], entry.before["source"]) == ("E1", assigned_id, "third_reader")
    counts = reconcile_cycle(cycle)
    assert outcome("E1") == (ItemState.RESOLVED, {"reflection": 4.0, "thinking": 3.0}, "pass")
    assert counts["adjudicating"] == 0 and len(readers("E1")) == 3


def test_a_third_read_without_a_discrepancy_is_a_row_error(cycle):
    # 3,3 and 3,4: every domain within 1, both pass.
    errors = refused_scores([*read("E1", R1, 3, 3), *read("E1", R2, 3, 4), *read("E1", R3, 4, 4, 2)], cycle)
    assert errors == [
        "row 6, column round: the first-round reads of E1 agree (every domain within 1, the same "
        "pass/fail): there is no discrepancy for a round-2 read to settle"
    ]
    assert db.session.scalar(db.select(db.func.count()).select_from(Read)) == 0


def test_a_third_read_before_the_first_round_is_complete_is_a_row_error(cycle):
    errors = refused_scores([*read("E1", R1, 1, 3), *read("E1", R3, 4, 4, 2)], cycle)
    assert errors == [
        "row 4, column round: E1 has 1 of its 2 first-round reads; a round-2 read settles a "
        "disagreement between them (import them first, or in the same file)"
    ]


def test_a_second_third_read_is_a_row_error_in_the_file_and_against_the_database(cycle):
    first_round = [*read("E1", R1, 1, 3), *read("E1", R2, 4, 3)]
    errors = refused_scores([*first_round, *read("E1", R3, 4, 4, 2), *read("E1", R4, 4, 4, 2)], cycle)
    assert errors == [
        "row 8, column round: E1 already has a round-2 read in this file, by r3@example.org in row 6 "
        "(one third read per item)"
    ]
    imported("scores", [HEADER, *first_round, *read("E1", R3, 4, 4, 2)], cycle)
    assert refused_scores(read("E1", R4, 4, 4, 2), cycle) == [
        "row 2, column round: E1 already has a third read, by r3@example.org"
    ]


def test_a_first_round_reader_cannot_give_the_third_read(cycle):
    imported("scores", [HEADER, *read("E1", R1, 1, 3), *read("E1", R2, 4, 3)], cycle)
    assert refused_scores(read("E1", R2, 2, 3, 2), cycle) == [
        "row 2, column round: r2@example.org is one of the first-round readers of E1; a round-2 read is a "
        "further reader's"
    ]


def test_one_read_has_one_round(cycle):
    rows = [*read("E1", R1, 1, 3), *read("E1", R2, 4, 3), ["E1", R3, "reflection", 2, 2], ["E1", R3, "thinking", 3, 1]]
    assert refused_scores(rows, cycle) == [
        "row 7, column round: the read of E1 by r3@example.org is in round 2 in row 6: one read has one round"
    ]


def test_a_round_outside_1_and_2_is_a_row_error(cycle):
    assert refused_scores([["E1", R1, "reflection", 3, 3], ["E1", R1, "thinking", 3, 1]], cycle) == [
        "row 2, column round: 3 is above the maximum of 2"
    ]


def test_the_workbook_shows_the_imported_third_read_in_round_2(cycle):
    from io import BytesIO

    from openpyxl import load_workbook

    from app.exports.service import export_cycle_bytes

    imported("scores", [HEADER, *read("E1", R1, 1, 3), *read("E1", R2, 4, 3), *read("E1", R3, 2, 3, 2)], cycle)
    reconcile_cycle(cycle)
    db.session.commit()
    book = load_workbook(BytesIO(export_cycle_bytes(cycle)), read_only=True)
    rows = list(book["Assignments"].iter_rows(values_only=True))
    header = rows[0]
    rounds = {(row[0], row[1]): row[header.index("Round")] for row in rows[1:]}
    assert rounds == {("E1", R1): 1, ("E1", R2): 1, ("E1", R3): 2}
    assert (
        db.session.scalar(db.select(db.func.count()).select_from(Read).where(Read.status == ReadStatus.SUBMITTED)) == 3
    )
