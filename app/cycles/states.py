"""The item state machine: the one code that writes ``items.state``, and the rule for an item not yet evaluated.

An item goes ``unassigned`` → ``assigned`` → ``in_review`` → ``agreed`` |
``discrepant`` → (``adjudicating``) → ``resolved`` | ``committee`` → ``decided``
(docs/architecture.md, "Item states"). Until the cycle's number of reads is
submitted its state follows from its assignments and reads alone
(``pre_review_state``); from then on the reconciliation engine decides it.
Either way the move is written here, through the ORM for one item or in bulk
for many, and each moved item gets one ``item.evaluate`` audit entry.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from app.audit.service import record, record_many
from app.bulk import BATCH, expire_loaded
from app.cycles.models import Item, ItemState
from app.extensions import db

# States before reconciliation has weighed any read: what the assignments and reads alone say.
PRE_REVIEW_STATES = frozenset({ItemState.UNASSIGNED, ItemState.ASSIGNED, ItemState.IN_REVIEW})
# States with a combined score and result.
FINAL_STATES = frozenset({ItemState.AGREED, ItemState.RESOLVED, ItemState.DECIDED})
# The items whose states are counted wherever counts per state are shown (the dashboard, the board, the workbook,
# the digests, the command line): validity essays stay in review for ever and are counted apart, as validity
# reads (``app.reports.validity_reads``; docs/calibration.md, "They count in no live figure").
COUNTED = Item.validity.is_(False)
# The one audit action of a move (and of an evaluation that changed only the item's outcome).
AUDIT_ACTION = "item.evaluate"


def pre_review_state(*, started_reads: int, assignments: int = 0, required_reads: int = 1) -> ItemState:
    """An item short of its submitted reads: *in review* once any read is started (a started read alone decides),
    else *assigned* when it has all the readers the cycle asks for, else *unassigned*."""
    if started_reads:
        return ItemState.IN_REVIEW
    return ItemState.ASSIGNED if assignments >= max(required_reads, 1) else ItemState.UNASSIGNED


class Move(NamedTuple):
    """One item's move for ``move_many``; ``before``/``after`` hold what changed with the state (the outcome).
    A tuple: reconciliation builds thousands at once, and a frozen dataclass costs twice as much to build."""

    item_pk: int
    item_key: str
    old: str
    new: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    note: str | None = None


def move(
    item: Item,
    new: ItemState,
    *,
    actor_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> bool:
    """Move one item (through the ORM) and audit it; ``before``/``after`` add what changed with it.

    Nothing happens when the state stays and nothing else changed. Returns whether an entry was written.
    """
    old = item.state
    if new == old and not after:
        return False
    record(
        AUDIT_ACTION,
        "item",
        item.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        before=_values(old, before),
        after=_values(new, after),
        note=note,
    )
    if new != old:
        item.state = ItemState(new)
    return True


def derive_pre_review(
    item: Item, *, actor_id: int | None, started_reads: int, assignments: int = 0, required_reads: int = 1
) -> None:
    """After an assignment or a read appeared or went: an item not yet evaluated takes the state its counts give."""
    if item.state in PRE_REVIEW_STATES:
        move(
            item,
            pre_review_state(started_reads=started_reads, assignments=assignments, required_reads=required_reads),
            actor_id=actor_id,
        )


def move_many(moves: Iterable[Move], *, cycle_id: int, actor_id: int | None, at: datetime | None = None) -> None:
    """Move many items of one cycle: one UPDATE per new state and batch of ids, one audit row per item (bulk).

    A move whose state stays (only its outcome changed) is audited and not updated.
    Item objects already in the session are expired so that they show the new state.
    """
    by_state: dict[str, list[int]] = defaultdict(list)
    entries = []
    for item_pk, item_key, old, new, before, after, note in moves:
        if new != old:
            by_state[new].append(item_pk)
        entries.append(
            {
                "object_id": item_pk,
                "item_key": item_key,
                "before": _values(old, before),
                "after": _values(new, after),
                "note": note,
            }
        )
    # SQLite updates a list of rows faster than it runs one statement per row.
    items = Item.__table__
    for state, pks in by_state.items():
        for start in range(0, len(pks), BATCH):
            db.session.execute(
                items.update().where(items.c.id.in_(pks[start : start + BATCH])).values(state=ItemState(state))
            )
    record_many(entries, at=at, action=AUDIT_ACTION, object_type="item", actor_id=actor_id, cycle_id=cycle_id)
    expire_loaded(Item, "id", (pk for pks in by_state.values() for pk in pks), ["state"])


def _values(state: str, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    # The state as a plain value: the entry reads the same however the state came in.
    return {"state": str(state), **extra} if extra else {"state": str(state)}
