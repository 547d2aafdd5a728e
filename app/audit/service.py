"""Writing to the audit log. Callers add entries in the same transaction as the change."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, insert

from app.audit.models import AuditEntry
from app.bulk import execute_many
from app.database import built_once
from app.extensions import db
from app.timeutil import utcnow


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor_id: int | None = None,
    before: Any = None,
    after: Any = None,
    cycle_id: int | None = None,
    item_key: str | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Add one audit entry to the session (flushed with the change it describes)."""
    entry = AuditEntry(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
        before=before,
        after=after,
        cycle_id=cycle_id,
        item_key=item_key,
        note=note,
    )
    db.session.add(entry)
    return entry


# Built once (app/database.py says why): an autosave inserts one entry per stored score change.
@built_once
def _insert_entry() -> Insert:
    return insert(AuditEntry.__table__)


def record_at_once(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor_id: int | None = None,
    before: Any = None,
    after: Any = None,
    cycle_id: int | None = None,
    item_key: str | None = None,
    note: str | None = None,
) -> None:
    """Insert one audit entry now, in the session's transaction, without adding it to the session.

    For a request that changes one row with a plain statement (an autosave): an entry added to the session
    would cost an ORM flush, and ``record_many``'s statement, compiled afresh for thousands of rows, costs more
    than the one row it writes."""
    db.session.flush()  # entries stay in the order of the changes: one the session holds goes in first
    db.session.execute(
        _insert_entry(),
        {
            "at": utcnow(),
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "actor_id": actor_id,
            "before": before,
            "after": after,
            "cycle_id": cycle_id,
            "item_key": item_key,
            "note": note,
        },
    )


def record_many(entries: list[dict[str, Any]], *, at: datetime | None = None, **shared: Any) -> None:
    """Bulk-insert audit entries (reconciliation and imports touch thousands of rows).

    ``at`` (default: now) and the ``shared`` fields (e.g. ``action``,
    ``actor_id``) are the same for every entry: one bulk change happens at one
    moment. One executemany per set of keys the entries give; a column no
    entry names is NULL.
    """
    if not entries:
        return
    db.session.flush()  # the entries may name rows still pending in the session
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_keys[tuple(entry)].append(entry)
    for rows in by_keys.values():
        execute_many(db.insert(AuditEntry.__table__), rows, at=at or utcnow(), **shared)
