"""execute_many stores values exactly as the ORM does, shared values once per call, and refuses missing ones;
plain_rows sees what is pending in the session; collector_paused restores the collector."""

import gc
from datetime import datetime

import pytest
from sqlalchemy import bindparam, select, text

from app.audit.models import AuditEntry
from app.audit.service import record, record_at_once
from app.bulk import CHUNK_ROWS, collector_paused, execute_many, plain_rows
from app.cycles.models import Item, ItemKind, ItemState
from app.extensions import db
from tests import factories as f
from tests.queries import recorded_statements


def raw_columns(entry_id: int) -> tuple:
    """The stored text of the JSON and time columns, as the database holds them."""
    return db.session.execute(
        text('SELECT "before", "after", at FROM audit_entries WHERE id = :id'), {"id": entry_id}
    ).one()


def test_rows_are_stored_exactly_as_the_orm_stores_the_same_values(ctx):
    at = datetime(2026, 11, 22, 21, 5, 7, 123456)
    before, after = {"state": "assigned"}, {"state": "agreed", "outcome": {"combined": {"insight": 2.5}}}
    via_orm = record("item.evaluate", "item", 7, before=before, after=after, item_key="E-7")
    via_orm.at = at
    db.session.flush()
    execute_many(
        db.insert(AuditEntry.__table__),
        [{"object_id": 8, "item_key": "E-8", "before": before, "after": after}],
        at=at,
        action="item.evaluate",
        object_type="item",
    )
    bulk_id = db.session.scalar(select(AuditEntry.id).where(AuditEntry.item_key == "E-8"))

    assert raw_columns(bulk_id) == raw_columns(via_orm.id)
    stored = db.session.get(AuditEntry, bulk_id)
    assert (stored.at, stored.before, stored.after, stored.action) == (at, before, after, "item.evaluate")


def test_an_entry_recorded_at_once_is_stored_as_the_orm_stores_it_after_what_the_session_holds(ctx):
    before, after = {"reflection": None}, {"reflection": 3}
    pending = record("item.evaluate", "item", 7, before={"state": "assigned"}, after={"state": "in_review"})
    record_at_once("score.save", "read", 8, before=before, after=after, item_key="E-8", note="why")
    via_orm = record("score.save", "read", 9, before=before, after=after, item_key="E-8", note="why")
    db.session.flush()
    at_once = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == 8)).one()

    assert pending.id < at_once.id < via_orm.id  # in the order of the changes
    assert raw_columns(at_once.id)[:2] == raw_columns(via_orm.id)[:2]
    stored = (at_once.action, at_once.object_type, at_once.before, at_once.after, at_once.item_key, at_once.note)
    assert stored == ("score.save", "read", before, after, "E-8", "why")
    assert abs((via_orm.at - at_once.at).total_seconds()) < 5


def test_every_row_is_written_in_one_statement_with_the_shared_values(ctx):
    rows = [{"object_id": n, "item_key": f"E-{n}", "after": {"n": n}} for n in range(1, 251)]
    with recorded_statements(db.engine) as statements:
        execute_many(
            db.insert(AuditEntry.__table__),
            rows,
            at=datetime(2026, 1, 2, 3, 4, 5),
            action="score.save",
            object_type="read",
            actor_id=None,
        )
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.object_id)).all()
    assert [(e.object_id, e.item_key, e.after) for e in entries] == [(n, f"E-{n}", {"n": n}) for n in range(1, 251)]
    assert {(e.at, e.action, e.object_type, e.actor_id, e.before) for e in entries} == {
        (datetime(2026, 1, 2, 3, 4, 5), "score.save", "read", None, None)
    }


def test_more_rows_than_one_statement_holds_each_keep_their_own_and_the_shared_values(ctx):
    count = CHUNK_ROWS * 2 + 7
    rows = [{"object_id": n, "item_key": f"E-{n}", "after": {"n": n}, "note": None} for n in range(count)]
    with recorded_statements(db.engine) as statements:
        execute_many(
            db.insert(AuditEntry.__table__),
            rows,
            at=datetime(2026, 1, 2, 3, 4, 5),
            action="score.save",
            object_type="read",
            actor_id=None,
            before={"shared": True},
        )
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    if db.engine.dialect.name == "sqlite":  # multi-row VALUES: two full statements and the rest
        assert len(inserts) == 3
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.object_id)).all()
    assert [(e.object_id, e.item_key, e.after) for e in entries] == [(n, f"E-{n}", {"n": n}) for n in range(count)]
    assert {(e.at, e.action, e.object_type, e.actor_id, e.note) for e in entries} == {
        (datetime(2026, 1, 2, 3, 4, 5), "score.save", "read", None, None)
    }
    assert all(e.before == {"shared": True} for e in entries)


def test_a_row_value_named_also_as_shared_takes_the_shared_value(ctx):
    execute_many(
        db.insert(AuditEntry.__table__),
        [{"object_id": 1, "action": "from.row", "object_type": "item"}],
        at=datetime(2026, 1, 2),
        action="from.shared",
    )
    assert db.session.scalar(select(AuditEntry.action)) == "from.shared"


def test_an_update_converts_enum_values_like_the_orm(ctx):
    cycle = f.make_cycle()
    applicant = f.make_applicant(cycle)
    first, second = f.make_essay(cycle, applicant), f.make_essay(cycle, applicant)
    items = Item.__table__
    execute_many(
        items.update().where(items.c.id == bindparam("pk")).values(state=bindparam("new_state")),
        [{"pk": first.id, "new_state": ItemState.AGREED}, {"pk": second.id, "new_state": "committee"}],
    )
    db.session.expire_all()
    assert (first.state, second.state) == (ItemState.AGREED, ItemState.COMMITTEE)
    assert db.session.scalar(text("SELECT state FROM items WHERE id = :id"), {"id": first.id}) == "agreed"


def test_a_parameter_without_a_value_is_refused_before_anything_is_written(ctx):
    with pytest.raises(ValueError, match="no value for at"):
        execute_many(db.insert(AuditEntry.__table__), [{"action": "x", "object_type": "y"}])
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == 0


def test_no_rows_write_nothing(ctx):
    with recorded_statements(db.engine) as statements:
        execute_many(db.insert(AuditEntry.__table__), [])
    assert statements == []


def test_plain_rows_see_changes_still_pending_in_the_session_as_the_orm_would(ctx):
    cycle = f.make_cycle()
    applicant = f.make_applicant(cycle)
    essay = f.make_essay(cycle, applicant)
    db.session.flush()
    essay.state = ItemState.ASSIGNED  # not flushed: a query of the session would flush it first
    db.session.add(
        Item(
            cycle_id=cycle.id,
            item_id="E-pending",
            kind=ItemKind.ESSAY,
            applicant_pk=applicant.id,
            rubric_key=essay.rubric_key,
            state=ItemState.UNASSIGNED,
        )
    )

    rows = plain_rows(select(Item.item_id, Item.state).where(Item.cycle_id == cycle.id).order_by(Item.item_id))

    assert [tuple(row) for row in rows] == [("E-pending", "unassigned"), (essay.item_id, "assigned")]


def test_the_collector_is_paused_inside_and_restored_after_even_on_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the step failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller that had paused it keeps it paused
    finally:
        gc.enable()
