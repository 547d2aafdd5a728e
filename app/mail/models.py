"""The outbox: every e-mail the app sends is a row here first (docs/mail.md)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class OutboxMessage(db.Model):
    """One e-mail to one person: queued in the transaction that caused it, delivered after the response.

    ``key`` names what the message is about (an account's invitation link, a
    day, a read): (kind, recipient, key) is unique, so a cause queued twice —
    a retried request, a second ``remind`` the same day — is one message, and
    one message is delivered at most once (``sent_at``). A delivery run claims
    a message by setting ``claimed_until`` before talking to the mail server,
    so two processes never send the same row. A failure is kept in
    ``last_error`` and retried from ``next_attempt_at`` with a growing delay.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("kind", "recipient", "key"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The delivery run's question: unsent messages whose time has come.
        Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]

    @property
    def status(self) -> str:
        """sent, waiting (not tried yet, or due again), or failed (the last attempt failed)."""
        if self.sent_at is not None:
            return "sent"
        return "failed" if self.last_error else "waiting"
