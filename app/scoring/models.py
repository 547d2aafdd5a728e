"""Reads: one reviewer's scores for one item, drafted then submitted."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, nulls_first
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import textlimits as limits
from app.assignment.models import Assignment
from app.extensions import db, enum_column
from app.timeutil import utcnow


class ReadStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


def submission_key(number: int | None, submitted_at: datetime | None, read_id: int) -> tuple:
    """Sort key for an item's submitted reads: the read number (reads without one after those with one), then
    the submission time (reads without one first), then the row id. ``Read.submission_order`` is the same in SQL."""
    return (number is None, number or 0, submitted_at or datetime.min, read_id)


class Read(db.Model):
    """One reviewer's read of one item. ``number`` is its place in submission order (1, 2, 3…)."""

    __tablename__ = "reads"
    __table_args__ = limits.length_checks(overall_comment=limits.COMMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ReadStatus] = mapped_column(enum_column(ReadStatus), default=ReadStatus.DRAFT)
    number: Mapped[int | None]
    overall_comment: Mapped[str | None] = mapped_column(Text)
    # The overall comment's save state, as Score keeps it per domain (app/scoring/saves.py).
    overall_seq: Mapped[int] = mapped_column(default=0)
    overall_version: Mapped[int] = mapped_column(default=0, server_default="0")
    overall_tab: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]

    assignment: Mapped[Assignment] = relationship(back_populates="read")
    # Deleting a read leaves its scores and marks to the database's ON DELETE CASCADE: none is loaded to go.
    scores: Mapped[list["Score"]] = relationship(
        back_populates="read", order_by="Score.id", cascade="save-update, merge, delete", passive_deletes=True
    )
    checks: Mapped[list["RequirementCheck"]] = relationship(
        back_populates="read",
        order_by="RequirementCheck.id",
        cascade="save-update, merge, delete",
        passive_deletes=True,
    )

    @classmethod
    def submission_order(cls) -> tuple:
        """An item's reads in submission order, as ORDER BY terms: ``submission_key`` in SQL. On the table's
        columns, so that a Core select (reconciliation's) stays free of ORM statements."""
        reads = cls.__table__.c
        return reads.number.is_(None), reads.number, nulls_first(reads.submitted_at), reads.id

    @property
    def submitted(self) -> bool:
        return self.status == ReadStatus.SUBMITTED

    @property
    def is_empty(self) -> bool:
        """A draft in which nothing has been saved: no score, comment, requirement mark or note."""
        if self.submitted or (self.overall_comment or "").strip():
            return False
        return not any(score.score is not None or (score.comment or "").strip() for score in self.scores) and not any(
            check.status is not None or (check.note or "").strip() for check in self.checks
        )

    def summary(self) -> dict:
        """The read as plain data, for an audit entry that records its removal."""
        return {
            "status": self.status.value,
            "number": self.number,
            "scores": {score.domain_key: score.score for score in self.scores},
            "checks": {check.requirement_key: check.status.value if check.status else None for check in self.checks},
        }


class Score(db.Model):
    """The score and comment for one competency domain in one read.

    ``version`` goes up with every stored change; ``tab`` is the scoring window
    that stored it last and ``seq`` that window's save number. Together they
    decide whether a save is stored (app/scoring/saves.py): a window's late,
    older save never wins, and a window that has not seen another window's
    change is told instead of overwriting it.
    """

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("read_id", "domain_key"), *limits.length_checks(comment=limits.COMMENT))

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (read_id, domain_key) index starts with it and serves every lookup by read
    # (a second one cost each imported score a fifth more to insert, bench/README.md).
    read_id: Mapped[int] = mapped_column(ForeignKey("reads.id", ondelete="CASCADE"))
    domain_key: Mapped[str] = mapped_column(String(64))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    tab: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    read: Mapped[Read] = relationship(back_populates="scores")


class CheckStatus(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    MORE_INFO = "more_info"


class RequirementCheck(db.Model):
    """An application reviewer's mark on one requirement line (met / not met / more information).

    ``computed`` is the product's check of the line when the mark was settled
    (prefilled from it, or the read submitted): met, not_met, unknown or manual.
    A mark other than a met or not_met check overrides it, and
    ``override_reason`` says why (docs/requirements.md, "Reviewers confirm").
    """

    __tablename__ = "requirement_checks"
    __table_args__ = (
        UniqueConstraint("read_id", "requirement_key"),
        CheckConstraint(
            "computed IS NULL OR computed IN ('met', 'not_met', 'unknown', 'manual')", name="computed_is_a_check"
        ),
        *limits.length_checks(note=limits.COMMENT, override_reason=limits.REASON),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("reads.id", ondelete="CASCADE"), index=True)
    requirement_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[CheckStatus | None] = mapped_column(enum_column(CheckStatus))
    note: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(default=0)  # version, tab and seq as in Score
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    tab: Mapped[str | None] = mapped_column(String(32))
    computed: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str | None] = mapped_column(Text)

    read: Mapped[Read] = relationship(back_populates="checks")


class ItemFlag(db.Model):
    """A problem a reviewer reported with an item they were assigned (an essay that names its applicant, a
    missing attachment…), for the coordinator, who marks it handled (docs/pages.md, "Reporting a problem")."""

    __tablename__ = "item_flags"
    __table_args__ = (
        CheckConstraint("(resolved_at IS NULL) = (resolved_by_id IS NULL)", name="resolved_by_someone"),
        *limits.length_checks(note=limits.REASON),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The reviewer's assignment: its item and reviewer, and gone with it when a coordinator removes it.
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assignment: Mapped[Assignment] = relationship()
