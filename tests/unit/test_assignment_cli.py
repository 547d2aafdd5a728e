"""``flask assign``: the report, --readers, --dry-run."""
from app.assignment.models import Assignment
from app.audit.models import AuditEntry
from app.cycles.models import Cycle, Item, ItemState
from app.extensions import db
from tests.factories import add_member, make_applicant, make_cycle, make_essay, make_user


def build_cycle(app):
    """Three C reviewers (one capped at 1), one RF reviewer; four C essays and one RF essay."""
    with app.app_context():
        cycle = make_cycle(name="Spring 2025", readers=2)
        for email, designations, cap in [("a@x.org", "C", None), ("b@x.org", "C", None), ("c@x.org", "C", 1),
                                         ("rf@x.org", "RF", None)]:
            add_member(cycle, make_user(email=email, designations=designations), max_load=cap)
        applicant = make_applicant(cycle)
        for n in range(4):
            make_essay(cycle, applicant, item_id=f"E{n}")
        make_essay(cycle, make_applicant(cycle, category="IMHM-RF"), item_id="R1", rubric_key="imhm-rf-essay")
        db.session.commit()


def counts(app):
    with app.app_context():
        return (db.session.scalar(db.select(db.func.count()).select_from(Assignment)),
                db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)))


def test_assign_prints_the_summary_and_shortfalls(app, runner):
    build_cycle(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025"])
    assert result.exit_code == 0, result.output
    # C essays: 8 reads, c@x.org capped at 1 → a and b take the other 7 as evenly as possible: 4 / 3 / 1.
    # R1 has one RF reader: 1 read, short by 1.
    lines = result.output.splitlines()
    assert lines[0] == "Cycle 'Spring 2025': 2 reads per item, 5 items open for assignment"
    assert lines[1] == "Made: 9 assignments"
    assert "  all reviewers (4): min 1 / median 2 / max 4" in lines
    assert "  designation C (3): min 1 / median 3 / max 4" in lines
    assert "  designation RF (1): min 1 / median 1 / max 1" in lines
    assert "Maximum load: 4" in lines
    assert "Items that could not be filled (1):" in lines
    assert ("  R1: only 1 eligible reviewer for designation RF (needs 2 more reads); "
            "not eligible: 3 not designated to score RF essays") in lines
    assert counts(app)[0] == 9
    with app.app_context():
        states = {row.item_id: row.state for row in db.session.execute(db.select(Item.item_id, Item.state))}
    assert states == {"E0": ItemState.ASSIGNED, "E1": ItemState.ASSIGNED, "E2": ItemState.ASSIGNED,
                      "E3": ItemState.ASSIGNED, "R1": ItemState.UNASSIGNED}


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


def test_readers_must_be_positive(app, runner):
    build_cycle(app)
    result = runner.invoke(args=["assign", "--cycle", "Spring 2025", "--readers", "0"])
    assert result.exit_code == 2 and counts(app)[0] == 0
