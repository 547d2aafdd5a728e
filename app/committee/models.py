"""What the committee recorded: final domain scores for an item, and the decision on an application.

Both rows are guarded by their ``version`` (SQLAlchemy ``version_id_col``) so
a save over a colleague's newer one is refused, not silently overwritten.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app import textlimits as limits
from app.cycles.models import Application, Item
from app.extensions import db, enum_column
from app.people.models import User
from app.timeutil import utcnow


class _Recorded:
    """What every committee record carries: the rationale, who recorded it and when, and its version."""

    rationale: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr
    def decided_by(cls) -> Mapped[User | None]:
        return relationship(User)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class CommitteeResolution(_Recorded, db.Model):
    """Final domain scores the committee recorded for an item, with its rationale."""

    __tablename__ = "committee_resolutions"
    __table_args__ = limits.length_checks(rationale=limits.RATIONALE)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[str | None] = mapped_column(String(8))

    item: Mapped[Item] = relationship()


class DecisionValue(enum.StrEnum):
    ENDORSE = "endorse"
    NOT_ENDORSED = "not_endorsed"
    REVISE = "revise"


class Decision(_Recorded, db.Model):
    """The committee's decision on an application, with its rationale."""

    __tablename__ = "decisions"
    __table_args__ = limits.length_checks(rationale=limits.RATIONALE)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[DecisionValue] = mapped_column(enum_column(DecisionValue))

    application: Mapped[Application] = relationship()
