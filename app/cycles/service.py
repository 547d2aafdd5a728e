"""Creating and finding review cycles."""

from datetime import date

from sqlalchemy import ColumnElement, Row, func, select

from app import textlimits as limits
from app.audit.service import record
from app.bulk import plain_rows
from app.cycles.models import Cycle, Item, ItemState
from app.errors import InputError
from app.extensions import db

_cycles = Cycle.__table__.c
_items = Item.__table__.c


class CycleError(InputError):
    """A cycle could not be created or found; ``problems`` names the field and says why."""


def create_cycle(
    name: str,
    readers: int = 2,
    due: date | None = None,
    *,
    blind_across_items: bool = True,
    actor_id: int | None = None,
) -> Cycle:
    name = name.strip()
    if not name:
        raise CycleError.of("name", "must not be empty")
    limits.bounded(name, limits.CYCLE_NAME, "name", CycleError.of)
    if readers < 1:
        raise CycleError.of("readers", f"must be at least 1, got {readers}")
    if db.session.scalar(db.select(Cycle).filter_by(name=name)) is not None:
        raise CycleError.of("name", f"a cycle called {name!r} already exists")
    cycle = Cycle(name=name, readers=readers, due=due, blind_across_items=blind_across_items)
    db.session.add(cycle)
    db.session.flush()
    record(
        "cycle.create",
        "cycle",
        cycle.id,
        actor_id=actor_id,
        cycle_id=cycle.id,
        after={
            "name": name,
            "readers": readers,
            "due": due.isoformat() if due else None,
            "blind_across_items": blind_across_items,
        },
    )
    return cycle


def set_blind_across_items(cycle: Cycle, blind: bool, *, actor_id: int | None = None) -> bool:
    """Keep (True) or relax (False) blindness across items; whether anything changed (audited when it did).

    Relaxed, a reviewer may read an applicant's portfolio and their essays:
    for a pool too small to keep the two apart. Assignments already made stay.
    """
    if cycle.blind_across_items == blind:
        return False
    record(
        "cycle.blind_across_items",
        "cycle",
        cycle.id,
        actor_id=actor_id,
        cycle_id=cycle.id,
        before={"blind_across_items": cycle.blind_across_items},
        after={"blind_across_items": blind},
    )
    cycle.blind_across_items = blind
    db.session.flush()
    return True


# The calibration settings (docs/calibration.md, "Flags and drift"): name → (lowest, highest) allowed.
CALIBRATION_SETTINGS = {
    "flag_min_adjacent": (0.0, 1.0),
    "flag_max_mean_difference": (0.0, 10.0),
    "flag_min_kappa": (-1.0, 1.0),
    "drift_window": (2, 1000),
    "validity_rate": (0.0, 0.5),
    "qualify_items": (0, 50),
    "qualify_min_adjacent": (0.0, 1.0),
}
WHOLE_NUMBER_SETTINGS = frozenset({"drift_window", "qualify_items"})


def set_calibration(cycle: Cycle, values: dict[str, float | int], *, actor_id: int | None = None) -> dict:
    """Change the cycle's calibration thresholds and drift window; the values that changed (audited together).

    Every value is checked before any is set: a refused one changes nothing.
    """
    problems = {}
    for name, value in values.items():
        low, high = CALIBRATION_SETTINGS[name]
        if name in WHOLE_NUMBER_SETTINGS and value != int(value):
            problems[name] = f"must be a whole number of reads, got {value}"
        elif not low <= value <= high:
            problems[name] = f"must be between {low:g} and {high:g}, got {value:g}"
    if problems:
        raise CycleError(problems)
    changed = {name: value for name, value in values.items() if getattr(cycle, name) != value}
    if changed:
        record(
            "cycle.calibration",
            "cycle",
            cycle.id,
            actor_id=actor_id,
            cycle_id=cycle.id,
            before={name: getattr(cycle, name) for name in changed},
            after=changed,
        )
        for name, value in changed.items():
            setattr(cycle, name, int(value) if name in WHOLE_NUMBER_SETTINGS else float(value))
        db.session.flush()
    return changed


def cycle_by_name(name: str) -> Cycle:
    cycle = db.session.scalar(select(Cycle).where(Cycle.name == name.strip()))
    if cycle is None:
        raise CycleError.of("cycle", _no_cycle_called(name))
    return cycle


def cycle_row_by_name(name: str) -> Row:
    """A cycle's ``id``, ``name``, ``readers``, ``blind_across_items`` and ``qualify_items`` as a plain row, for
    batch steps run from the command line: no ORM statement, so no mapper configuration (docs/architecture.md,
    "Batch steps")."""
    return _cycle_row(_cycles.name == name.strip(), _no_cycle_called(name))


def _no_cycle_called(name: str) -> str:
    return f"no cycle called {name!r}"


def cycle_row(cycle_id: int) -> Row:
    """``cycle_row_by_name``'s row of the cycle with this id."""
    return _cycle_row(_cycles.id == cycle_id, f"no cycle with id {cycle_id}")


def _cycle_row(condition: ColumnElement[bool], missing: str) -> Row:
    row = plain_rows(
        select(_cycles.id, _cycles.name, _cycles.readers, _cycles.blind_across_items, _cycles.qualify_items).where(
            condition
        )
    )
    if not row:
        raise CycleError.of("cycle", missing)
    return row[0]


def validity_essay_count(cycle_id: int) -> int:
    """How many validity essays a cycle holds: counted apart from the states (``states.COUNTED``,
    docs/calibration.md). Through the table, so a batch command configures no mapper."""
    return db.session.execute(
        select(func.count()).select_from(Item.__table__).where(_items.cycle_id == cycle_id, _items.validity)
    ).scalar_one()


def cycles_with_counts() -> list[tuple[Cycle, dict[ItemState, int], int]]:
    """Every cycle, newest first, with its number of items in each state (every state, zeros included) and its
    number of validity essays, counted apart from the states (``states.COUNTED``, docs/calibration.md)."""
    counts: dict[int, dict[ItemState, int]] = {}
    validity: dict[int, int] = {}
    for cycle_id, is_validity, state, count in db.session.execute(
        db.select(Item.cycle_id, Item.validity, Item.state, db.func.count()).group_by(
            Item.cycle_id, Item.validity, Item.state
        )
    ):
        if is_validity:
            validity[cycle_id] = validity.get(cycle_id, 0) + count
        else:
            counts.setdefault(cycle_id, {})[ItemState(state)] = count
    cycles = db.session.scalars(db.select(Cycle).order_by(Cycle.created_at.desc(), Cycle.id.desc()))
    return [
        (cycle, {state: counts.get(cycle.id, {}).get(state, 0) for state in ItemState}, validity.get(cycle.id, 0))
        for cycle in cycles
    ]
