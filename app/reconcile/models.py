"""What reconciliation concluded, what the committee decided."""
import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cycles.models import Application, Item
from app.extensions import db, enum_column
from app.people.models import User
from app.timeutil import utcnow


class ItemOutcome(db.Model):
    """The latest reconciliation of an item's submitted reads. Raw reads are never changed."""

    __tablename__ = "item_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    combined: Mapped[dict[str, float] | None] = mapped_column(JSON)  # domain key → combined score
    mean: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)
    result: Mapped[str | None] = mapped_column(String(8))  # pass | fail
    discrepant_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    item: Mapped[Item] = relationship()


class CommitteeResolution(db.Model):
    """Final domain scores the committee recorded for an item, with its rationale."""

    __tablename__ = "committee_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[str | None] = mapped_column(String(8))
    rationale: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    item: Mapped[Item] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class DecisionValue(enum.StrEnum):
    ENDORSE = "endorse"
    NOT_ENDORSED = "not_endorsed"
    REVISE = "revise"


class Decision(db.Model):
    """The committee's decision on an application, with its rationale."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[DecisionValue] = mapped_column(
        enum_column(DecisionValue))
    rationale: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
