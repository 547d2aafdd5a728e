"""Writing to the audit log. Callers add entries in the same transaction as the change."""
from collections import defaultdict
from typing import Any

from app.audit.models import AuditEntry
from app.extensions import db


def record(action: str, object_type: str, object_id: int | None, *, actor_id: int | None = None,
           before: Any = None, after: Any = None, cycle_id: int | None = None,
           item_key: str | None = None, note: str | None = None) -> AuditEntry:
    """Add one audit entry to the session (flushed with the change it describes)."""
    entry = AuditEntry(action=action, object_type=object_type, object_id=object_id, actor_id=actor_id,
                       before=before, after=after, cycle_id=cycle_id, item_key=item_key, note=note)
    db.session.add(entry)
    return entry


def record_many(entries: list[dict[str, Any]]) -> None:
    """Bulk-insert audit entries (reconciliation and imports touch thousands of rows).

    A Core executemany per set of keys given: the ORM's bulk insert splits the
    rows into many small statements and costs several times more. A column an
    entry leaves out gets its default (``at``: now) or NULL, as with the ORM.
    """
    if not entries:
        return
    db.session.flush()  # the entries may name rows still pending in the session
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_keys[tuple(entry)].append(entry)
    for rows in by_keys.values():
        db.session.execute(db.insert(AuditEntry.__table__), rows)
