"""Background jobs: a long operation (the web export, the letters) asked for on a page and run by a worker thread.

The table is the queue and the record: any worker of the app may pick up a
queued job, the row says how far it has got, and a finished job keeps its
file until a newer job of the same kind replaces it (docs/operations.md,
"Long operations").
"""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.cycles.models import Cycle
from app.extensions import db, enum_column
from app.people.models import User
from app.timeutil import utcnow


class JobKind(enum.StrEnum):
    EXPORT = "export"
    LETTERS = "letters"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("done >= 0", name="done_not_negative"),
        CheckConstraint("total IS NULL OR total >= 0", name="total_not_negative"),
        Index("ix_jobs_cycle_kind", "cycle_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(enum_column(JobKind))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    phase: Mapped[str | None] = mapped_column(String(200))  # what it is doing, in words
    done: Mapped[int] = mapped_column(default=0)  # steps of the phase done …
    total: Mapped[int | None]  # … of this many (None: not counted)
    error: Mapped[str | None] = mapped_column(Text)  # why it failed, in words for the page
    filename: Mapped[str | None] = mapped_column(String(200))
    mimetype: Mapped[str | None] = mapped_column(String(100))
    # The finished file; deferred, so listing jobs never loads megabytes.
    result: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Moved on by every progress report: a running job whose heartbeat stopped lost its worker.
    heartbeat_at: Mapped[datetime | None]

    cycle: Mapped[Cycle] = relationship()
    requested_by: Mapped[User | None] = relationship()
