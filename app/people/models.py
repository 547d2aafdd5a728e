"""Users, their roles, and reviewer profiles."""

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import textlimits as limits
from app.extensions import db, enum_column
from app.timeutil import utcnow


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    COMMITTEE = "committee"
    REVIEWER = "reviewer"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person who signs in. The session stores ``session_token``, not the id,
    so rotating the token ends every session of this user server-side."""

    __tablename__ = "users"
    __table_args__ = limits.length_checks(email=limits.EMAIL, name=limits.NAME)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(limits.EMAIL), unique=True)
    name: Mapped[str] = mapped_column(String(limits.NAME))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    profile: Mapped["ReviewerProfile | None"] = relationship(back_populates="user", uselist=False)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def end_sessions(self) -> None:
        self.session_token = new_session_token()


class ReviewerProfile(db.Model):
    """What a reviewer may score and where they work (for conflicts)."""

    __tablename__ = "reviewer_profiles"
    __table_args__ = limits.length_checks(
        endorsements=limits.CODES, designations=limits.DESIGNATIONS, organization=limits.NAME
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    endorsements: Mapped[str] = mapped_column(String(limits.CODES), default="")  # "IMHM-C; IMHS"
    designations: Mapped[str] = mapped_column(String(limits.DESIGNATIONS), default="")  # "C; P; RF"
    organization: Mapped[str | None] = mapped_column(String(limits.NAME))
    max_load: Mapped[int | None]

    user: Mapped[User] = relationship(back_populates="profile")

    @property
    def designation_set(self) -> frozenset[str]:
        return split_codes(self.designations)


def split_codes(text: str | None) -> frozenset[str]:
    """``"C; p ,RF"`` → ``{"C", "P", "RF"}``."""
    if not text:
        return frozenset()
    return frozenset(part.strip().upper() for part in text.replace(",", ";").split(";") if part.strip())


class LoginAttempt(db.Model):
    """A sign-in attempt that failed, or is being checked right now (written before the password is hashed).

    Kept in the database so the limits hold across worker processes. ``device``
    is the known-device id the attempt came with (None: an unknown device);
    failures from unknown devices count against the e-mail and the client
    address, a known device's only against itself. See docs/security-hardening.md.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)  # normalised e-mail
    client: Mapped[str | None] = mapped_column(String(64), index=True)  # the address the attempt came from
    device: Mapped[str | None] = mapped_column(String(32))
    # Set on the failure that started delaying the account's sign-ins, once the holder has been told.
    notified: Mapped[bool] = mapped_column(default=False, server_default=false())
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class PasswordToken(db.Model):
    """A one-time link to set a password: an invitation, or a reset asked for on the sign-in page.

    Only the SHA-256 of the link's secret is stored, so the table alone opens
    no account. A token works once (``used_at``), until ``expires_at``, and
    using it ends every session of the account (docs/mail.md, "Links").
    """

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
