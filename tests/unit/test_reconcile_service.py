"""Reconciling a cycle in the database: states, outcomes, audit entries, third readers, the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.assignment.models import Assignment, AssignmentSource
from app.audit.models import AuditEntry
from app.committee.models import CommitteeResolution
from app.cycles.models import Item, ItemState
from app.extensions import db
from app.reconcile.models import ItemOutcome
from app.reconcile.service import ReconcileError, reconcile_cycle
from app.scoring.models import Read, Score
from tests import factories as f
from tests.queries import recorded_statements, selects
from tests.unit.reconcile_fixtures import write_test_rubrics

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def test_rubrics(tmp_path):
    write_test_rubrics(tmp_path / "instance")


def essay_with_reads(cycle, applicant, reviewers, score_maps, item_id=None):
    item = f.make_essay(cycle, applicant, rubric_key="t-essay", item_id=item_id)
    for number, (reviewer, scores) in enumerate(zip(reviewers, score_maps, strict=True), start=1):
        f.submitted_read(f.assign(item, reviewer), scores, number=number)
    return item


def pair(cycle, *extra_pool):
    reviewers = [f.make_user(), f.make_user()]
    for reviewer in [*reviewers, *extra_pool]:
        f.add_member(cycle, reviewer)
    return reviewers


def test_cycle_states_outcomes_and_counts(app):
    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle)
        reviewers = pair(cycle)
        agreed = essay_with_reads(
            cycle, applicant, reviewers, [{"insight": 3, "clarity": 2}, {"insight": 2, "clarity": 3}]
        )
        split = essay_with_reads(
            cycle, applicant, reviewers, [{"insight": 4, "clarity": 3}, {"insight": 2, "clarity": 3}]
        )
        waiting = essay_with_reads(cycle, applicant, reviewers[:1], [{"insight": 3, "clarity": 3}])
        f.assign(waiting, reviewers[1])
        untouched = f.make_essay(cycle, applicant, rubric_key="t-essay")

        counts = reconcile_cycle(cycle)
        db.session.commit()

        assert counts == {
            "unassigned": 1,
            "assigned": 0,
            "in_review": 1,
            "agreed": 1,
            "discrepant": 0,
            "adjudicating": 0,
            "resolved": 0,
            "committee": 1,
            "decided": 0,
        }
        assert agreed.state == ItemState.AGREED and split.state == ItemState.COMMITTEE
        assert waiting.state == ItemState.IN_REVIEW and untouched.state == ItemState.UNASSIGNED
        outcome = db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=agreed.id))
        assert outcome.combined == {"insight": 2.5, "clarity": 2.5}
        assert outcome.mean == 2.5 and outcome.total == 5.0 and outcome.result == "pass"
        flagged = db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=split.id))
        assert flagged.discrepant_domains == ["insight"] and flagged.combined is None
        assert "no eligible reader left" in flagged.reasons
        assert db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=waiting.id)) is None


def test_each_changed_item_gets_one_audit_entry_with_its_state_and_outcome(app):
    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle)
        reviewers = pair(cycle)
        split = essay_with_reads(
            cycle, applicant, reviewers, [{"insight": 4, "clarity": 3}, {"insight": 2, "clarity": 3}]
        )
        reconcile_cycle(cycle, actor_id=reviewers[0].id)
        db.session.commit()
        entries = db.session.scalars(
            db.select(AuditEntry).filter_by(item_key=split.item_id).order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["item.evaluate"]
        (entry,) = entries
        assert entry.before == {"state": "unassigned", "outcome": None}
        assert entry.after["state"] == "committee"
        assert entry.after["outcome"]["discrepant_domains"] == ["insight"]
        assert entry.after["outcome"]["combined"] is None
        assert entry.note == "insight: scores differ by more than 1; no eligible reader left"
        assert entry.actor_id == reviewers[0].id and entry.cycle_id == cycle.id and entry.object_id == split.id

        before = db.session.scalar(db.select(db.func.count()).select_from(AuditEntry))
        reconcile_cycle(cycle)
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == before


def test_raw_reads_are_never_modified(app):
    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle)
        reviewers = pair(cycle)
        essay_with_reads(cycle, applicant, reviewers, [{"insight": 4, "clarity": 3}, {"insight": 2, "clarity": 3}])

        def snapshot():
            return sorted(
                db.session.execute(db.select(Score.read_id, Score.domain_key, Score.score, Score.updated_at)).all()
            )

        reads_before = sorted(db.session.execute(db.select(Read.id, Read.status, Read.number, Read.updated_at)).all())
        scores_before = snapshot()
        reconcile_cycle(cycle)
        db.session.commit()
        assert snapshot() == scores_before
        assert (
            sorted(db.session.execute(db.select(Read.id, Read.status, Read.number, Read.updated_at)).all())
            == reads_before
        )


def test_discrepant_item_gets_a_third_reader_then_resolves(app):
    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle)
        third = f.make_user(email="third@example.org")
        reviewers = pair(cycle, third)
        item = essay_with_reads(
            cycle, applicant, reviewers, [{"insight": 4, "clarity": 3}, {"insight": 2, "clarity": 3}]
        )

        assert reconcile_cycle(cycle)["adjudicating"] == 1
        db.session.commit()
        assert item.state == ItemState.ADJUDICATING
        assignment = db.session.scalar(db.select(Assignment).filter_by(item_pk=item.id, reviewer_id=third.id))
        assert assignment.source == AssignmentSource.THIRD_READER

        assert reconcile_cycle(cycle)["adjudicating"] == 1  # still waiting: no second third reader
        assert db.session.scalar(db.select(db.func.count()).select_from(Assignment).filter_by(item_pk=item.id)) == 3

        f.submitted_read(assignment, {"insight": 1, "clarity": 4}, number=3)
        assert reconcile_cycle(cycle)["resolved"] == 1
        db.session.commit()
        outcome = db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=item.id))
        # insight: third 1 is closer to the second read's 2 → (1 + 2) / 2; clarity agreed at 3.
        assert outcome.combined == {"insight": 1.5, "clarity": 3.0}
        assert outcome.result == "fail" and item.state == ItemState.RESOLVED


def reconciled_in_chunks(cycle, chunk_items):
    """Everything one reconciliation writes, in the order written (ids aside: PostgreSQL's sequences do not roll
    back), then rolled back so that the next run starts from the same database."""
    counts = reconcile_cycle(cycle, chunk_items=chunk_items)
    db.session.flush()
    in_cycle = Item.cycle_id == cycle.id
    pairs = {
        assignment_id: (item_pk, reviewer_id)
        for assignment_id, item_pk, reviewer_id in db.session.execute(
            db.select(Assignment.id, Assignment.item_pk, Assignment.reviewer_id)
        )
    }
    written = (
        counts,
        db.session.execute(db.select(Item.id, Item.state).where(in_cycle).order_by(Item.id)).all(),
        db.session.execute(
            db.select(
                ItemOutcome.item_pk,
                ItemOutcome.combined,
                ItemOutcome.mean,
                ItemOutcome.total,
                ItemOutcome.result,
                ItemOutcome.discrepant_domains,
                ItemOutcome.reasons,
            ).order_by(ItemOutcome.id)
        ).all(),
        db.session.execute(
            db.select(Assignment.item_pk, Assignment.reviewer_id, Assignment.source).order_by(Assignment.id)
        ).all(),
        [
            (
                entry.action,
                pairs[entry.object_id] if entry.object_type == "assignment" else entry.object_id,
                entry.item_key,
                entry.before,
                entry.after,
                entry.note,
            )
            for entry in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))
        ],
    )
    db.session.rollback()
    return written


def test_chunks_smaller_than_the_cycle_write_what_one_chunk_writes(app):
    # Ten items judged three at a time: the further readers are still chosen together (the two capped readers
    # run out, so some items go to the committee), and the outcomes, moves and audit entries come in the same
    # order as when every item is judged at once.
    with app.app_context():
        cycle = f.make_cycle()
        first, second = pair(cycle)
        capped = [f.make_user(), f.make_user()]
        for reviewer in capped:
            f.add_member(cycle, reviewer, max_load=2)
        agree, split = [{"insight": 3, "clarity": 3}] * 2, [{"insight": 4, "clarity": 3}, {"insight": 2, "clarity": 3}]
        applicants = [f.make_applicant(cycle) for _ in range(3)]
        f.make_conflict(capped[1], applicants[1])
        layout = [(0, agree), (0, split), (0, split), (1, split), (1, None), (1, split), (2, split), (2, agree)]
        items = []
        for owner, scores in layout:
            if scores is None:  # one read submitted, the other assigned: in review
                item = essay_with_reads(cycle, applicants[owner], [first], agree[:1])
                f.assign(item, second)
            else:
                item = essay_with_reads(cycle, applicants[owner], [first, second], scores)
            items.append(item)
        f.make_essay(cycle, applicants[2], rubric_key="t-essay")  # nobody reads it yet
        decided = essay_with_reads(cycle, applicants[2], [first, second], split)
        db.session.add(CommitteeResolution(item_pk=decided.id, scores={"insight": 3, "clarity": 3}, rationale="met"))
        db.session.commit()

        in_chunks = reconciled_in_chunks(cycle, 3)
        at_once = reconciled_in_chunks(cycle, 1_000)

        counts = at_once[0]
        assert counts["adjudicating"] == 4 and counts["committee"] == 1 and counts["decided"] == 1
        assert counts["agreed"] == 2 and counts["in_review"] == 1 and counts["unassigned"] == 1
        assert in_chunks == at_once


def test_committee_resolution_makes_the_item_decided(app):
    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle)
        reviewers = pair(cycle)
        item = essay_with_reads(
            cycle, applicant, reviewers, [{"insight": 4, "clarity": 3}, {"insight": 1, "clarity": 3}]
        )
        reconcile_cycle(cycle)
        db.session.add(CommitteeResolution(item_pk=item.id, scores={"insight": 3, "clarity": 3}, rationale="read it"))
        counts = reconcile_cycle(cycle)
        db.session.commit()
        assert counts["decided"] == 1 and item.state == ItemState.DECIDED
        outcome = db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=item.id))
        assert outcome.combined == {"insight": 3.0, "clarity": 3.0} and outcome.result == "pass"


def test_application_item_uses_requirement_marks(app):
    from app.scoring.models import CheckStatus, RequirementCheck

    with app.app_context():
        cycle = f.make_cycle()
        applicant = f.make_applicant(cycle, applicant_id="P1", category="TEST")
        reviewers = pair(cycle)
        item = f.make_application_item(cycle, applicant, rubric_key="t-application")
        for number, (reviewer, hours) in enumerate(zip(reviewers, ("met", "not_met"), strict=True), start=1):
            read = f.submitted_read(f.assign(item, reviewer), {"evidence": 3, "practice": 3}, number=number)
            db.session.add_all(
                [
                    RequirementCheck(read_id=read.id, requirement_key="hours", status=CheckStatus(hours)),
                    RequirementCheck(read_id=read.id, requirement_key="ethics", status=CheckStatus.MET),
                ]
            )
        db.session.flush()
        reconcile_cycle(cycle)
        outcome = db.session.scalar(db.select(ItemOutcome).filter_by(item_pk=item.id))
        assert item.state == ItemState.COMMITTEE
        assert "requirement hours: reviewers' marks differ" in outcome.reasons
        assert "reads disagree on pass/fail" in outcome.reasons


def test_an_item_whose_rubric_is_missing_is_named(app):
    with app.app_context():
        cycle = f.make_cycle()
        f.make_essay(cycle, f.make_applicant(cycle), item_id="E-LOST", rubric_key="no-such-rubric")
        with pytest.raises(ReconcileError, match="item E-LOST: rubric 'no-such-rubric' is not loaded"):
            reconcile_cycle(cycle)


def test_reads_are_loaded_with_a_fixed_number_of_queries(app):
    def selects_for(items):
        with app.app_context():
            cycle = f.make_cycle()
            applicant = f.make_applicant(cycle)
            reviewers = pair(cycle)
            for _ in range(items):
                essay_with_reads(cycle, applicant, reviewers, [{"insight": 3, "clarity": 3}] * 2)
            db.session.commit()
            with recorded_statements(db.engine) as statements:
                reconcile_cycle(cycle)
                db.session.commit()
            return selects(statements)

    assert len(selects_for(3)) == len(selects_for(30)) <= 8


def test_reconcile_command_prints_counts_per_state(app, runner):
    with app.app_context():
        cycle = f.make_cycle(name="Spring")
        applicant = f.make_applicant(cycle)
        reviewers = pair(cycle)
        essay_with_reads(cycle, applicant, reviewers, [{"insight": 3, "clarity": 3}] * 2)
        db.session.commit()
    result = runner.invoke(args=["reconcile", "--cycle", "Spring"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split() for line in result.output.splitlines())
    assert lines["agreed"] == "1" and lines["committee"] == "0" and lines["total"] == "1"
    assert "validity" not in result.output  # a cycle without validity essays prints no line for them
    missing = runner.invoke(args=["reconcile", "--cycle", "Autumn"])
    assert missing.exit_code == 1 and "no cycle called 'Autumn'" in missing.output


@pytest.mark.slow
def test_the_reconcile_command_configures_no_mapper(app):
    # From the command line the first ORM statement would configure every mapper (tens of milliseconds of a
    # 5,000-item run, docs/architecture.md "Batch steps"); reconciliation, its further reader included, reads and
    # writes through the tables. Run in a fresh interpreter: this one's mappers are configured long since.
    with app.app_context():
        cycle = f.make_cycle(name="Spring")
        applicant = f.make_applicant(cycle)
        third = f.make_user(email="third@example.org")
        reviewers = pair(cycle, third)
        item = essay_with_reads(
            cycle, applicant, reviewers, [{"insight": 4, "clarity": 3}, {"insight": 2, "clarity": 3}]
        )
        db.session.commit()
        item_pk = item.id
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the fresh interpreter opens the test's SQLite file")
        database, instance = db.engine.url.database, app.instance_path
        db.engine.dispose()
    script = (
        "from app import create_app\nfrom app.extensions import db\n"
        "app = create_app()\n"
        "result = app.test_cli_runner().invoke(args=['reconcile', '--cycle', 'Spring'])\n"
        "print(result.output.replace(chr(10), ' '))\n"
        "print(sorted(m.class_.__name__ for m in db.Model.registry.mappers if m.configured))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "FLASK_APP")}
    environment.update(
        {"ENDORSEMENT_INSTANCE": instance, "SECRET_KEY": "reconcile-test", "DATABASE_URL": f"sqlite:///{database}"}
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    output, configured = result.stdout.strip().splitlines()[-2:]
    assert "adjudicating  1" in output and configured == "[]"
    with app.app_context():
        readers = db.session.scalars(db.select(Assignment.source).filter_by(item_pk=item_pk)).all()
        assert sorted(readers) == sorted([AssignmentSource.MANUAL] * 2 + [AssignmentSource.THIRD_READER])
