"""The `decisions` import: a committee meeting's decisions recorded in bulk through the committee's own service."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.committee import decisions
from app.committee.models import Decision
from app.cycles.models import Applicant, Application, Cycle, Item
from app.extensions import db
from app.imports.service import import_file
from app.people.models import Role, User
from app.reports import applicant_rows
from tests import committee_world
from tests import factories as f
from tests.committee_world import essay_scores
from tests.unit.import_files import spreadsheet

pytestmark = pytest.mark.seeded(seed=committee_world.build)

HEADER = ["Applicant_ID", "Decision", "Rationale", "Decided_By"]


@pytest.fixture
def world(app, seeded):
    with app.app_context():
        yield seeded


def _cycle(world) -> Cycle:
    return db.session.get(Cycle, world["cycle"])


def _resolve_ada_essay(world) -> None:
    """Ada's only essay is with the committee; deciding it makes every part of her application known."""
    decisions.resolve_item(
        db.session.get(Item, world["split"]),
        {k: "3" for k in essay_scores(3)},
        "Pass on all.",
        actor_id=None,
        expected_version=None,
    )
    db.session.commit()


def _import(world, rows, file_format="csv", actor_id=None):
    data, name = spreadsheet(file_format, [HEADER, *rows])
    return import_file("decisions", data, name, _cycle(world), actor_id=actor_id)


def _decisions() -> dict[str, tuple[str, str, str | None]]:
    return {
        application.applicant.applicant_id: (
            decision.decision.value,
            decision.rationale,
            decision.decided_by.email if decision.decided_by else None,
        )
        for decision, application in db.session.execute(
            select(Decision, Application).join(Application, Decision.application_id == Application.id)
        )
    }


def _audit(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_decisions_are_recorded_and_audited_as_on_the_committee_page(world, file_format):
    _resolve_ada_essay(world)
    result = _import(
        world,
        [
            ["A-1", "endorse", "Every part passed.", "maya@example.org"],
            ["A-2", "Not endorsed", "Part 1 below the mark.", ""],
        ],
        file_format,
        actor_id=world["ids"]["cora"],
    )
    assert result.ok, result.report()
    db.session.commit()
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    # A blank decided_by is the importing user (Cora); the word "Not endorsed" is the code not_endorsed.
    assert _decisions() == {
        "A-1": ("endorse", "Every part passed.", "maya@example.org"),
        "A-2": ("not_endorsed", "Part 1 below the mark.", "cora@example.org"),
    }
    ada, bo = _audit("decision.record")
    assert (ada.item_key, ada.actor_id, ada.before, ada.note) == (
        "APP-A-1",
        world["ids"]["maya"],
        None,
        "decisions import",
    )
    assert ada.after == {"decision": "endorse", "rationale": "Every part passed.", "version": 1}
    assert (bo.item_key, bo.actor_id) == ("APP-A-2", world["ids"]["cora"])
    (summary,) = _audit("import.decisions")
    assert summary.after["created"] == 2 and summary.actor_id == world["ids"]["cora"]


def test_reimporting_changes_nothing_and_a_changed_row_updates_the_decision_in_place(world):
    _resolve_ada_essay(world)
    rows = [
        ["A-1", "endorse", "Every part passed.", "maya@example.org"],
        ["A-2", "not_endorsed", "Part 1 below the mark.", "noah@example.org"],
    ]
    assert _import(world, rows).ok
    db.session.commit()
    again = _import(world, rows)
    db.session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert len(_audit("decision.record")) == 2  # nothing new to audit

    changed = _import(world, [["A-1", "revise", "A reference is missing after all.", "noah@example.org"]])
    db.session.commit()
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    assert db.session.scalar(select(func.count(Decision.id))) == 2
    assert _decisions()["A-1"] == ("revise", "A reference is missing after all.", "noah@example.org")
    last = _audit("decision.record")[-1]
    assert last.before == {"decision": "endorse", "rationale": "Every part passed.", "version": 1}
    assert last.after == {"decision": "revise", "rationale": "A reference is missing after all.", "version": 2}


def test_every_bad_row_is_reported_and_nothing_is_written(world):
    f.make_user(Role.REVIEWER, email="rita@example.org", name="Rita Reviewer")
    db.session.commit()
    result = _import(
        world,
        [
            ["A-2", "approve", "Because.", ""],  # 2: not a decision
            ["A-2", "not_endorsed", "  ", ""],  # 3: blank rationale (and a duplicate)
            ["Z-9", "endorse", "Unknown applicant.", ""],  # 4
            ["A-1", "endorse", "Her essay is still with the committee.", ""],  # 5: a part not known yet
            ["", "endorse", "No applicant.", ""],  # 6
        ],
    )
    assert not result.ok
    assert result.report() == [
        "row 2, column decision: 'approve' is not a decision (expected one of endorse, not_endorsed, revise)",
        "row 3, column applicant_id: duplicate of row 2 (same applicant_id)",
        "row 3, column rationale: required value is missing",
        "row 4, column applicant_id: no application of 'Z-9' in this cycle (import applications first)",
        "row 5, column decision: A-1 cannot be decided yet: Part 2 essay E-1 (committee) not final",
        "row 6, column applicant_id: required value is missing",
    ]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert _audit("import.decisions") == []


def test_only_the_cycles_committee_or_a_coordinator_may_be_named_as_deciding(world):
    f.make_user(Role.REVIEWER, email="rita@example.org", name="Rita Reviewer")
    gone = f.make_user(Role.COMMITTEE, email="gone@example.org", name="Gone Member")
    gone.active = False
    f.add_member(_cycle(world), gone, "committee")
    db.session.commit()
    suffix = ": decisions are recorded for the cycle's committee members or a coordinator"
    result = _import(
        world,
        [
            ["A-2", "not_endorsed", "Part 1 below the mark.", address]
            for address in ("rita@example.org", "olga@example.org", "gone@example.org", "nobody@example.org")
        ],
    )
    assert result.report() == [
        "row 2, column decided_by: rita@example.org belongs to a reviewer account" + suffix,
        "row 3, column applicant_id: duplicate of row 2 (same applicant_id)",
        # Olga sits on another cycle's committee only; Gone's account is disabled.
        "row 3, column decided_by: olga@example.org is not an active member of this cycle's committee" + suffix,
        "row 4, column applicant_id: duplicate of row 2 (same applicant_id)",
        "row 4, column decided_by: gone@example.org is not an active member of this cycle's committee" + suffix,
        "row 5, column applicant_id: duplicate of row 2 (same applicant_id)",
        "row 5, column decided_by: no account with e-mail nobody@example.org" + suffix,
    ]


def test_the_unknown_parts_are_named_in_words(world):
    """What the import says for an application the product cannot suggest a decision on yet."""
    cycle = _cycle(world)
    extra = f.make_applicant(cycle, applicant_id="A-3", name="Cy Applicant", category="IMHM-C", mc_score=None)
    f.make_essay(cycle, extra, item_id="E-3")
    db.session.commit()
    rows = {row.applicant_id: row for row in applicant_rows(cycle)}
    assert decisions.unknown_parts(rows["A-3"]) == [
        "the portfolio has no review item",
        "Part 1 has no multiple-choice score",
        "Part 2 essay E-3 (unassigned) not final",
    ]
    f.make_application_item(cycle, extra)  # Cy's portfolio, APP-A-3, not read yet
    db.session.commit()
    rows = {row.applicant_id: row for row in applicant_rows(cycle)}
    assert decisions.unknown_parts(rows["A-3"])[0] == "the portfolio APP-A-3 (unassigned) not final"
    # Bo's Part 1 failed: not endorsed whatever else, so nothing is missing for a decision.
    assert decisions.unknown_parts(rows["A-2"]) == []


def test_the_cli_imports_decisions_and_prints_the_row_report(world, runner, tmp_path):
    good, bad = tmp_path / "meeting.csv", tmp_path / "bad.csv"
    good.write_bytes(
        spreadsheet("csv", [HEADER, ["A-2", "not_endorsed", "Part 1 below the mark.", "noah@example.org"]])[0]
    )
    bad.write_bytes(spreadsheet("csv", [HEADER, ["A-1", "endorse", "Too early.", "noah@example.org"]])[0])
    done = runner.invoke(args=["import", "decisions", str(good), "--cycle", "Spring 2025"])
    assert done.exit_code == 0, done.output
    assert "decisions from meeting.csv: 1 created, 0 updated, 0 unchanged" in done.output
    refused = runner.invoke(args=["import", "decisions", str(bad), "--cycle", "Spring 2025"])
    assert refused.exit_code == 1
    assert "row 2, column decision: A-1 cannot be decided yet" in refused.output
    assert "Traceback" not in refused.output
    db.session.expire_all()
    assert _decisions() == {"A-2": ("not_endorsed", "Part 1 below the mark.", "noah@example.org")}


def test_a_member_recused_from_the_applicant_may_not_be_named_as_deciding(world):
    maya = db.session.get(User, world["ids"]["maya"])
    bo = db.session.scalar(select(Applicant).filter_by(applicant_id="A-2"))
    f.make_conflict(maya, bo)
    db.session.commit()
    result = _import(world, [["A-2", "not_endorsed", "Part 1 below the mark.", "maya@example.org"]])
    assert result.report() == [
        "row 2, column decided_by: maya@example.org may not decide on A-2 (recused from this applicant)"
    ]
    assert _import(world, [["A-2", "not_endorsed", "Part 1 below the mark.", "noah@example.org"]]).ok
