"""The item state machine's one home: the pre-review rule, and moves of one item or many with their audit rows."""

import pytest

from app.audit.models import AuditEntry
from app.cycles import states
from app.cycles.models import ItemState
from app.extensions import db
from tests import factories as f
from tests.queries import recorded_statements

UNASSIGNED, ASSIGNED, IN_REVIEW = ItemState.UNASSIGNED, ItemState.ASSIGNED, ItemState.IN_REVIEW


@pytest.mark.parametrize(
    ("started", "assignments", "required", "expected"),
    [
        (0, 0, 2, UNASSIGNED),
        (0, 1, 2, UNASSIGNED),  # one of the two readers the cycle asks for
        (0, 2, 2, ASSIGNED),
        (0, 3, 2, ASSIGNED),  # a further reader is still assigned
        (1, 1, 2, IN_REVIEW),  # a started read decides, even short of readers
        (2, 2, 2, IN_REVIEW),
        (0, 0, 0, UNASSIGNED),  # a cycle always asks for at least one read
        (0, 1, 0, ASSIGNED),
    ],
)
def test_pre_review_state(started, assignments, required, expected):
    assert states.pre_review_state(started_reads=started, assignments=assignments, required_reads=required) == expected


def entries():
    return db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()


def test_move_one_item_audits_it_and_nothing_when_nothing_changes(ctx):
    cycle = f.make_cycle()
    item = f.make_essay(cycle, f.make_applicant(cycle), item_id="E-1")
    assert not states.move(item, UNASSIGNED, actor_id=None)
    assert states.move(item, ASSIGNED, actor_id=None, note="two readers")
    db.session.flush()
    (entry,) = entries()
    assert (entry.action, entry.object_id, entry.item_key, entry.cycle_id) == (
        "item.evaluate",
        item.id,
        "E-1",
        cycle.id,
    )
    assert (entry.before, entry.after, entry.note) == ({"state": "unassigned"}, {"state": "assigned"}, "two readers")
    assert item.state == ASSIGNED


def test_move_many_writes_one_update_per_new_state_and_one_audit_row_per_item(ctx):
    cycle = f.make_cycle()
    applicant = f.make_applicant(cycle)
    items = [f.make_essay(cycle, applicant, item_id=f"E-{n}") for n in range(5)]
    reviewer = f.make_user()
    moves = [
        states.Move(items[0].id, "E-0", UNASSIGNED, ASSIGNED),
        states.Move(items[1].id, "E-1", UNASSIGNED, ASSIGNED),
        states.Move(items[2].id, "E-2", UNASSIGNED, IN_REVIEW, note="read started"),
        # Only what came with the state changed: audited, not updated.
        states.Move(items[3].id, "E-3", "unassigned", "unassigned", {"outcome": None}, {"outcome": {"mean": 3}}),
    ]
    with recorded_statements(db.engine) as statements:
        states.move_many(moves, cycle_id=cycle.id, actor_id=reviewer.id)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE ITEMS")]
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO AUDIT")]
    assert len(updates) == 2 and len(inserts) == 1

    assert [item.state for item in items] == [ASSIGNED, ASSIGNED, IN_REVIEW, UNASSIGNED, UNASSIGNED]
    rows = [(e.item_key, e.object_id, e.before, e.after, e.note, e.action, e.actor_id, e.cycle_id) for e in entries()]
    assert rows == [
        (
            "E-0",
            items[0].id,
            {"state": "unassigned"},
            {"state": "assigned"},
            None,
            "item.evaluate",
            reviewer.id,
            cycle.id,
        ),
        (
            "E-1",
            items[1].id,
            {"state": "unassigned"},
            {"state": "assigned"},
            None,
            "item.evaluate",
            reviewer.id,
            cycle.id,
        ),
        (
            "E-2",
            items[2].id,
            {"state": "unassigned"},
            {"state": "in_review"},
            "read started",
            "item.evaluate",
            reviewer.id,
            cycle.id,
        ),
        (
            "E-3",
            items[3].id,
            {"state": "unassigned", "outcome": None},
            {"state": "unassigned", "outcome": {"mean": 3}},
            None,
            "item.evaluate",
            reviewer.id,
            cycle.id,
        ),
    ]


def test_move_many_splits_long_lists_into_batches(ctx, monkeypatch):
    monkeypatch.setattr(states, "BATCH", 2)
    cycle = f.make_cycle()
    applicant = f.make_applicant(cycle)
    items = [f.make_essay(cycle, applicant) for _ in range(5)]
    with recorded_statements(db.engine) as statements:
        states.move_many(
            [states.Move(item.id, item.item_id, UNASSIGNED, ASSIGNED) for item in items],
            cycle_id=cycle.id,
            actor_id=None,
        )
    assert sum(s.lstrip().upper().startswith("UPDATE ITEMS") for s in statements) == 3  # 2 + 2 + 1
    assert {item.state for item in items} == {ASSIGNED} and len(entries()) == 5


def test_derive_pre_review_leaves_evaluated_items_to_reconciliation(ctx):
    cycle = f.make_cycle()
    item = f.make_essay(cycle, f.make_applicant(cycle))
    item.state = ItemState.AGREED
    states.derive_pre_review(item, started_reads=0, assignments=0, required_reads=2, actor_id=None)
    assert item.state == ItemState.AGREED and entries() == []
    item.state = IN_REVIEW
    states.derive_pre_review(item, started_reads=0, assignments=2, required_reads=2, actor_id=None)
    assert item.state == ASSIGNED
