"""Who reads which item."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import textlimits as limits
from app.cycles.models import Item
from app.extensions import db, enum_column
from app.people.models import User
from app.timeutil import utcnow


class AssignmentSource(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"
    THIRD_READER = "third_reader"
    EXTRA_READ = "extra_read"
    IMPORT = "import"
    # A third reader's read recorded by a scores import with ``round = 2`` (a paper session's adjudication).
    IMPORT_THIRD = "import_third"


# Reads given after the first round: the reconciliation rule weighs them as further reads, not as the item's own.
FURTHER_READ_SOURCES = frozenset(
    {AssignmentSource.THIRD_READER, AssignmentSource.EXTRA_READ, AssignmentSource.IMPORT_THIRD}
)
THIRD_READ_SOURCES = frozenset({AssignmentSource.THIRD_READER, AssignmentSource.IMPORT_THIRD})


def appended_position(context: DefaultExecutionContext) -> int:
    """A new assignment that names no position goes to the end of its reviewer's queue (docs/assignment.md,
    "Queue order"). Bulk writers name one (``app.assignment.queue``): this costs a query per row."""
    table = Assignment.__table__
    reviewer_id = context.get_current_parameters()["reviewer_id"]
    last = context.connection.scalar(select(func.max(table.c.position)).where(table.c.reviewer_id == reviewer_id))
    return (last or 0) + 1


class Assignment(db.Model):
    """A reviewer asked to read an item; one read belongs to it."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("item_pk", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[AssignmentSource] = mapped_column(enum_column(AssignmentSource), default=AssignmentSource.AUTO)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When this read is due; None: the cycle's due date (``due_date``).
    due: Mapped[date | None]
    # Where the read stands in its reviewer's queue: the queue, the scoring page's previous and next links and
    # every "next item" follow it (``app.assignment.queue.QUEUE_ORDER``; docs/assignment.md, "Queue order").
    position: Mapped[int] = mapped_column(default=appended_position, server_default="0")
    # When the reviewer was told of it (their digest of new assignments); None: not yet.
    notified_at: Mapped[datetime | None]

    item: Mapped[Item] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    # Deleting an assignment deletes its read, and that its scores and marks, by the database's ON DELETE CASCADE.
    read: Mapped["Read | None"] = relationship(  # noqa: F821
        back_populates="assignment",
        uselist=False,
        cascade="save-update, merge, delete",
        passive_deletes=True,
    )


class AssignmentDecline(db.Model):
    """A reviewer declined an item: their read was withdrawn and they may not be given the item again.

    Kept apart from ``assignments`` so that every query over assignments (loads,
    readers, the workbook) goes on counting only reads that stand.
    """

    __tablename__ = "assignment_declines"
    __table_args__ = (UniqueConstraint("item_pk", "reviewer_id"), *limits.length_checks(reason=limits.REASON))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(limits.REASON))
    source: Mapped[AssignmentSource] = mapped_column(enum_column(AssignmentSource))  # of the declined assignment
    assigned_at: Mapped[datetime]  # when the declined assignment was made
    declined_at: Mapped[datetime] = mapped_column(default=utcnow)
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the reviewer, or a coordinator

    item: Mapped[Item] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
