"""``flask assign``: the report, --readers, --dry-run, and the import → assign → export contract."""

import csv
import random
from collections import Counter

import openpyxl

from app.assignment.engine import ItemDemand, ReviewerCapacity
from app.assignment.models import Assignment
from app.audit.models import AuditEntry
from app.cycles.models import Cycle, Item, ItemState
from app.extensions import db
from tests.factories import add_member, make_applicant, make_cycle, make_essay, make_user
from tests.unit.assignment_oracle import milp_optimum


def build_cycle(app):
    """Three C reviewers (one capped at 1), one RF reviewer; four C essays and one RF essay."""
    with app.app_context():
        cycle = make_cycle(name="Spring 2025", readers=2)
        for email, designations, cap in [
            ("a@x.org", "C", None),
            ("b@x.org", "C", None),
            ("c@x.org", "C", 1),
            ("rf@x.org", "RF", None),
        ]:
            add_member(cycle, make_user(email=email, designations=designations), max_load=cap)
        applicant = make_applicant(cycle)
        for n in range(4):
            make_essay(cycle, applicant, item_id=f"E{n}")
        make_essay(cycle, make_applicant(cycle, category="IMHM-RF"), item_id="R1", rubric_key="imhm-rf-essay")
        db.session.commit()


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count()).select_from(Assignment)),
            db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)),
        )


def test_assign_prints_the_summary_and_shortfalls(app, runner):
    build_cycle(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025"])
    assert result.exit_code == 3, result.output  # written, but R1 could not be filled
    # C essays: 8 reads, c@x.org capped at 1 → a and b take the other 7 as evenly as possible: 4 / 3 / 1.
    # R1 has one RF reader: 1 read, short by 1.
    lines = result.output.splitlines()
    assert lines[0] == "Cycle 'Spring 2025': 2 reads per item, 5 items open for assignment"
    assert lines[1] == "Made: 9 assignments"
    assert "  all reviewers (4): min 1 / median 2 / max 4" in lines
    assert "  designation C (3): min 1 / median 3 / max 4" in lines
    assert "  designation RF (1): min 1 / median 1 / max 1" in lines
    assert "Maximum load 4: the least possible." in lines
    assert "Items that could not be filled (1):" in lines
    assert (
        "  R1: needs 1 more read: only 1 eligible reviewer holds designation RF; "
        "not eligible: 3 not designated to score RF essays"
    ) in lines
    assert counts(app)[0] == 9
    with app.app_context():
        states = {row.item_id: row.state for row in db.session.execute(db.select(Item.item_id, Item.state))}
    assert states == {
        "E0": ItemState.ASSIGNED,
        "E1": ItemState.ASSIGNED,
        "E2": ItemState.ASSIGNED,
        "E3": ItemState.ASSIGNED,
        "R1": ItemState.UNASSIGNED,
    }


def test_dry_run_writes_nothing(app, runner):
    build_cycle(app)
    before = counts(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--readers", "1", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would make (dry run, nothing written): 5 assignments" in result.output
    assert "Every item has its reads." in result.output
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(db.select(Cycle.readers)) == 2


def test_readers_option_becomes_the_cycles_number(app, runner):
    build_cycle(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--readers", "1"])
    assert result.exit_code == 0, result.output
    assert "1 read per item" in result.output and "Made: 5 assignments" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(Cycle.readers)) == 1
    again = runner.invoke(args=["assign", "--cycle", "Spring 2025"])
    assert "Made: 0 assignments" in again.output and counts(app)[0] == 5


def test_unknown_cycle_is_an_error(app, runner):
    result = runner.invoke(args=["assign", "--cycle", "Nope"])
    assert result.exit_code == 1
    assert "no cycle called 'Nope'" in result.output


def test_a_dry_run_with_shortfalls_exits_0_and_a_full_assignment_too(app, runner):
    build_cycle(app)
    assert runner.invoke(args=["assign", "--cycle", "Spring 2025", "--dry-run"]).exit_code == 0
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--readers", "1"])
    assert result.exit_code == 0 and "Every item has its reads." in result.output


def test_refill_named_items_only(app, runner):
    build_cycle(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--item", "E1", "--item", "E2"])
    assert result.exit_code == 0, result.output
    assert "refilling 2 items" in result.output and "Made: 4 assignments" in result.output
    with app.app_context():
        assigned = set(db.session.scalars(db.select(Item.item_id).join(Assignment, Assignment.item_pk == Item.id)))
    assert assigned == {"E1", "E2"}
    unknown = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--item", "E1", "--item", "NOPE"])
    assert unknown.exit_code == 1 and "cycle 'Spring 2025' has no item NOPE" in unknown.output
    assert "Traceback" not in unknown.output


def test_a_relaxed_cycle_says_so(app, runner):
    build_cycle(app)
    relaxed = runner.invoke(args=["cycles", "set", "Spring 2025", "--not-blind-across-items"])
    assert relaxed.exit_code == 0, relaxed.output
    assert "blindness across items relaxed" in relaxed.output
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--dry-run"])
    assert "Blindness across items is relaxed for this cycle" in result.output
    again = runner.invoke(args=["cycles", "set", "Spring 2025", "--not-blind-across-items"])
    assert "(unchanged)" in again.output
    assert runner.invoke(args=["cycles", "set", "Spring 2025"]).exit_code == 2
    with app.app_context():
        entries = db.session.scalars(db.select(AuditEntry).filter_by(action="cycle.blind_across_items")).all()
        assert [(e.before, e.after) for e in entries] == [({"blind_across_items": True}, {"blind_across_items": False})]


def test_readers_must_be_positive(app, runner):
    build_cycle(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--readers", "0"])
    assert result.exit_code == 2 and counts(app)[0] == 0


def test_contract_import_assign_export_is_eligible_blind_complete_and_optimal(app, runner, tmp_path):
    """The contract's path end to end: CSV imports, ``flask assign``, then the export's Assignments sheet checked
    against rules re-implemented here (conflicts, organization, advisor, designation, endorsement, blindness
    across items, loads) and against an optimum computed independently (a HiGHS integer program)."""
    rng = random.Random(2024)
    orgs = ["Mercy Hospital", "Riverside Clinic", "Early Start", "State University"]
    # The three RF reviewers work alone, so every RF essay keeps at least two eligible readers.
    reviewers = [
        {
            "email": f"rev{k}@x.org",
            "name": f"Rev {k}",
            "organization": f"Private practice {k}" if k < 3 else rng.choice(orgs),
            "designations": "RF; C" if k < 3 else rng.choice(["C", "C; P", "P"]),
            "endorsements": "IMHM-RF" if k < 3 else rng.choice(["IMHM-C", "IMHM-C; ECMHM-P", "IMHS", "IMHM-P"]),
            "max_load": rng.choice(["", "", "9"]),
        }
        for k in range(14)
    ]
    categories = {"IMHM-C": "imhm-c-essay", "IMHM-P": "imhm-p-essay", "IMHM-RF": "imhm-rf-essay", "IMHS": "imhs-essay"}
    # Research/Faculty applicants are many and their readers few, so the optimum is above the naive average.
    applicants = [
        {
            "applicant_id": f"A{n:02}",
            "name": f"Applicant {n}",
            "category": rng.choices(list(categories), weights=[2, 1, 2, 1])[0],
            "organization": rng.choice(orgs + ["  mercy   HOSPITAL ", ""]),
            "advisor_email": rng.choice(["", "", f"REV{rng.randrange(14)}@X.org"]),
        }
        for n in range(16)
    ]
    essays = [
        {"item_id": f"E{n:02}", "applicant_id": a["applicant_id"], "rubric": categories[a["category"]]}
        for n, a in enumerate(applicants)
    ]
    conflicts = [
        {"reviewer_email": f"rev{rng.randrange(3, 14)}@x.org", "applicant_id": f"A{rng.randrange(16):02}"}
        for _ in range(6)
    ]
    for kind, rows in [
        ("reviewers", reviewers),
        ("applications", applicants),
        ("essays", essays),
        ("conflicts", conflicts),
    ]:
        path = tmp_path / f"{kind}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    out = tmp_path / "out.xlsx"
    with app.app_context():  # the import and export commands expect the context the flask CLI pushes
        assert runner.invoke(args=["cycles", "create", "Held out"]).exit_code == 0
        for kind in ("reviewers", "applications", "essays", "conflicts"):
            result = runner.invoke(args=["import", kind, str(tmp_path / f"{kind}.csv"), "--cycle", "Held out"])
            assert result.exit_code == 0, result.output
        result = runner.invoke(args=["assign", "--cycle", "Held out"])
        assert result.exit_code in (0, 3), result.output
        exported = runner.invoke(args=["export", "--cycle", "Held out", "--out", str(out)])
        assert exported.exit_code == 0, exported.output
    workbook = openpyxl.load_workbook(out, read_only=True)
    header, *rows = list(workbook["Assignments"].iter_rows(values_only=True))
    workbook.close()
    assert header[:2] == ("Item ID", "Reviewer")
    pairs = [(row[0], row[1]) for row in rows]

    by_email = {r["email"]: r for r in reviewers}
    by_id = {a["applicant_id"]: a for a in applicants}
    declared = {(c["reviewer_email"], c["applicant_id"]) for c in conflicts}
    designation = {"imhm-c-essay": "C", "imhm-p-essay": "P", "imhm-rf-essay": "RF", "imhs-essay": None}
    items = {f"APP-{a['applicant_id']}": (a["applicant_id"], "portfolio") for a in applicants}
    items.update({e["item_id"]: (e["applicant_id"], "essays") for e in essays})

    def squash(text):
        return "".join(text.split()).lower()

    def codes(text):
        return {code.strip() for code in text.split(";") if code.strip()}

    def qualified(reviewer, item_id):
        applicant_id, side = items[item_id]
        category = by_id[applicant_id]["category"]
        if side == "essays":
            needed = designation[categories[category]]
            return needed is None or needed in codes(reviewer["designations"])
        held = codes(reviewer["endorsements"])
        if category.startswith("IMHM-"):
            return bool(held & {category, "EC" + category[1:]})
        return bool(held & {"IMHS", "ECMHS"}) or any(code.startswith(("IMHM-", "ECMHM-")) for code in held)

    def may_read(email, item_id):
        applicant_id, _ = items[item_id]
        reviewer, applicant = by_email[email], by_id[applicant_id]
        return (
            (email, applicant_id) not in declared
            and not (squash(reviewer["organization"]) == squash(applicant["organization"]) != "")
            and applicant["advisor_email"].lower() != email
            and qualified(reviewer, item_id)
        )

    assert all(may_read(email, item_id) for item_id, email in pairs)
    assert len(set(pairs)) == len(pairs)
    sides = {}
    for item_id, email in pairs:
        applicant_id, side = items[item_id]
        assert sides.setdefault((applicant_id, email), side) == side, f"{email} reads both sides of {applicant_id}"
    per_item = Counter(item_id for item_id, _ in pairs)
    assert all(per_item[item_id] <= 2 for item_id in items)
    loads = Counter(email for _, email in pairs)
    assert all(not r["max_load"] or loads[r["email"]] <= int(r["max_load"]) for r in reviewers)
    keys = {email: k for k, email in enumerate(by_email)}
    placed, optimum, squares = milp_optimum(
        [ReviewerCapacity(keys[e], e, 0, int(r["max_load"]) if r["max_load"] else None) for e, r in by_email.items()],
        [
            ItemDemand(
                item_id, 2, tuple(keys[e] for e in by_email if may_read(e, item_id)), applicant=applicant_id, side=side
            )
            for item_id, (applicant_id, side) in items.items()
        ],
    )
    assert len(pairs) == placed
    assert max(loads.values()) == optimum
    assert sum(v * v for v in loads.values()) == squares
    unfilled = [item_id for item_id in items if per_item[item_id] < 2]
    assert (result.exit_code == 3) == bool(unfilled)
    for item_id in unfilled:
        assert f"  {item_id}: needs {2 - per_item[item_id]} more read" in result.output
    assert optimum > -(-len(pairs) // len(reviewers))  # the instance is not solved by spreading evenly


def test_the_load_summary_says_it_comes_before_the_validity_reads_mixed_in():
    from app.assignment.cli import report_lines
    from app.assignment.service import Plan, PlannedRead, ReviewerLoad

    ann = ReviewerLoad(1, "ann@x.org", frozenset(), frozenset(), None, before=0, after=2)
    live = PlannedRead(1, "E1", "essay", 1, "ann@x.org")
    plan = Plan(1, "Spring", 2, (live, live), (), (ann,), 1, (), lower_bound=2, validity_reads=(live,))
    lines = report_lines(plan)
    # Ann ends with 3 reads in all, 2 of them live: the summary's "max 2" is the plan's, before the validity read.
    assert "Would mix 1 validity read into the reviewers' queues" in lines[2]
    assert "Load per reviewer (assignments in the cycle, before the validity reads mixed in):" in lines
    assert "  all reviewers (1): min 2 / median 2 / max 2" in lines
    without = report_lines(Plan(1, "Spring", 2, (live, live), (), (ann,), 1, (), lower_bound=2))
    assert "Load per reviewer (assignments in the cycle):" in without
