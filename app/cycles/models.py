"""Review cycles and what they hold: members, applicants, applications, items, conflicts."""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import textlimits as limits
from app.extensions import db, enum_column
from app.people.models import User
from app.timeutil import utcnow


class Cycle(db.Model):
    """One review round, e.g. the spring exam sitting."""

    __tablename__ = "cycles"
    __table_args__ = limits.length_checks(name=limits.CYCLE_NAME)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.CYCLE_NAME), unique=True)
    readers: Mapped[int] = mapped_column(default=2)
    due: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A reviewer reads an applicant's portfolio or their essays, never both; a small pool may relax this.
    blind_across_items: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Calibration (docs/calibration.md): when a reviewer is flagged against the expert scores of validity essays,
    # and the reads per drift window.
    flag_min_adjacent: Mapped[float] = mapped_column(Float, default=0.9, server_default="0.9")
    flag_max_mean_difference: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    flag_min_kappa: Mapped[float] = mapped_column(Float, default=0.6, server_default="0.6")
    drift_window: Mapped[int] = mapped_column(default=10, server_default="10")
    # The share of validity reads auto-assignment mixes into each reviewer's queue (0: none).
    validity_rate: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # A qualification set: the validity essays each reviewer scores before any other item is released to them
    # (0: none), and the adjacent agreement with the expert scores it needs.
    qualify_items: Mapped[int] = mapped_column(default=0, server_default="0")
    qualify_min_adjacent: Mapped[float] = mapped_column(Float, default=0.8, server_default="0.8")


class MemberRole(enum.StrEnum):
    REVIEWER = "reviewer"
    COMMITTEE = "committee"


class CycleMember(db.Model):
    """A reviewer in a cycle's pool (with their load cap) or a committee member sitting on it."""

    __tablename__ = "cycle_members"
    __table_args__ = (UniqueConstraint("cycle_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))
    max_load: Mapped[int | None]

    user: Mapped[User] = relationship()
    cycle: Mapped[Cycle] = relationship()


class Applicant(db.Model):
    """A person applying in a cycle; identity that blind essay reviewers never see."""

    __tablename__ = "applicants"
    __table_args__ = (
        UniqueConstraint("cycle_id", "applicant_id"),
        *limits.length_checks(
            applicant_id=limits.APPLICANT_ID,
            name=limits.NAME,
            email=limits.EMAIL,
            organization=limits.NAME,
            advisor_email=limits.EMAIL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    applicant_id: Mapped[str] = mapped_column(String(limits.ID))  # the association's own id (APPLICANT_ID long)
    name: Mapped[str] = mapped_column(String(limits.NAME))
    email: Mapped[str | None] = mapped_column(String(limits.EMAIL))
    organization: Mapped[str | None] = mapped_column(String(limits.NAME))
    advisor_email: Mapped[str | None] = mapped_column(String(limits.EMAIL))

    cycle: Mapped[Cycle] = relationship()
    application: Mapped["Application | None"] = relationship(back_populates="applicant", uselist=False)


class Application(db.Model):
    """An applicant's Endorsement application: category, Part 1 score and portfolio figures."""

    __tablename__ = "applications"
    __table_args__ = limits.length_checks(
        category=limits.CODE, portfolio_summary=limits.PORTFOLIO_SUMMARY, portfolio_url=limits.URL
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="CASCADE"), unique=True)
    category: Mapped[str] = mapped_column(String(limits.CODE))
    submitted_on: Mapped[date | None]
    mc_score: Mapped[float | None] = mapped_column(Float)
    portfolio_summary: Mapped[str | None] = mapped_column(Text)
    portfolio_url: Mapped[str | None] = mapped_column(String(limits.URL))
    # training_hours, rsc_hours, … (the applications import's columns, README "Spreadsheet formats"); the names
    # match the rubric requirement figures
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    applicant: Mapped[Applicant] = relationship(back_populates="application")


class ItemKind(enum.StrEnum):
    APPLICATION = "application"
    ESSAY = "essay"


class ItemState(enum.StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    IN_REVIEW = "in_review"
    AGREED = "agreed"
    DISCREPANT = "discrepant"
    ADJUDICATING = "adjudicating"
    RESOLVED = "resolved"
    COMMITTEE = "committee"
    DECIDED = "decided"


class Item(db.Model):
    """What a reviewer scores: an application portfolio or one essay response."""

    __tablename__ = "items"
    # (cycle, state, item_id) covers the committee board's counts and page order;
    # (cycle, rubric_key, state) its counts per state and list of the cycle's rubrics, in one pass. Both end in
    # validity: the board and every count per state leave validity essays out (``states.COUNTED``), and read
    # the flag from the index instead of from each item's row (migration 0019).
    __table_args__ = (
        UniqueConstraint("cycle_id", "item_id"),
        Index("ix_items_cycle_state", "cycle_id", "state", "item_id", "validity"),
        Index("ix_items_cycle_rubric", "cycle_id", "rubric_key", "state", "validity"),
        CheckConstraint(
            "(validity AND applicant_pk IS NULL AND kind = 'essay') OR (NOT validity AND applicant_pk IS NOT NULL)",
            name="an_applicant_unless_validity",
        ),
        *limits.length_checks(item_id=limits.ID, rubric_key=limits.ID),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(limits.ID))  # APP-<applicant_id> or the essay's id
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    # None only for a validity essay: an essay with expert scores, part of no applicant's result
    # (docs/calibration.md). To its reviewers it is an essay like any other.
    applicant_pk: Mapped[int | None] = mapped_column(ForeignKey("applicants.id", ondelete="CASCADE"), index=True)
    validity: Mapped[bool] = mapped_column(default=False, server_default=false())
    rubric_key: Mapped[str] = mapped_column(String(limits.ID))
    # No index of its own: every query on the state also names the cycle (ix_items_cycle_state).
    state: Mapped[ItemState] = mapped_column(enum_column(ItemState), default=ItemState.UNASSIGNED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship()
    applicant: Mapped[Applicant | None] = relationship()
    text: Mapped["ItemText | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    # An essay's prompt and response, read and written as if they were the item's own columns.
    prompt: AssociationProxy[str | None] = association_proxy("text", "prompt", creator=lambda v: ItemText(prompt=v))
    response: AssociationProxy[str | None] = association_proxy(
        "text", "response", creator=lambda v: ItemText(response=v)
    )


class ItemText(db.Model):
    """An essay's prompt and response, kept apart from its item.

    Items are read and updated in bulk (states, counts, the board) while the
    text of an essay (a few kilobytes) is read one item at a time; in the
    item's own row the text made SQLite read and rewrite a page per item.
    """

    __tablename__ = "item_texts"
    __table_args__ = limits.length_checks(prompt=limits.PROMPT, response=limits.ESSAY)

    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    prompt: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)


class Conflict(db.Model):
    """A conflict of interest a reviewer declared (or the coordinator recorded) with an applicant."""

    __tablename__ = "conflicts"
    __table_args__ = (
        UniqueConstraint("reviewer_id", "applicant_pk"),
        *limits.length_checks(reason=limits.CONFLICT_REASON),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    applicant_pk: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(String(limits.CONFLICT_REASON))

    reviewer: Mapped[User] = relationship()
    applicant: Mapped[Applicant] = relationship()


class ReferenceScore(db.Model):
    """The expert score of a validity essay in one domain: what its reviewers' scores are compared with."""

    __tablename__ = "reference_scores"
    __table_args__ = (UniqueConstraint("item_pk", "domain_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    domain_key: Mapped[str] = mapped_column(String(64))
    score: Mapped[int]


class QualificationRelease(db.Model):
    """A coordinator released a reviewer's items by hand although the qualification set was not passed."""

    __tablename__ = "qualification_releases"
    __table_args__ = (UniqueConstraint("cycle_id", "reviewer_id"), *limits.length_checks(reason=limits.REASON))

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(2000))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
