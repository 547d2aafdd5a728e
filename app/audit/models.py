"""The append-only audit log."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class AuditEntry(db.Model):
    """One change: who did what to which object, with the values before and after.

    The database refuses UPDATE and DELETE on this table (see migrations).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))  # no index: nothing looks entries up by action
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"), index=True)
    item_key: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
