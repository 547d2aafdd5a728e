"""What reconciliation concluded about an item (what the committee recorded is in ``app.committee.models``)."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cycles.models import Item
from app.extensions import db
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
