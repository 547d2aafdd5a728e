"""One-time set-password links: issuing, checking and using them (docs/mail.md, "Links").

The link carries 32 random bytes; the database keeps only their SHA-256, so
neither a copy of the table nor the logs open an account. A link works once
and until it expires; using it sets the password, ends every session of the
account and kills the account's other open links. A link that is unknown,
tampered with, used or expired is refused with the same words.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, func, select, update

from app.audit.service import record
from app.extensions import db
from app.people import service
from app.people.models import PasswordToken, TokenPurpose, User
from app.people.passwords import hash_password
from app.timeutil import utcnow

DEAD_LINK = "This link has expired or has already been used."
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 64  # what a link's token may be at most; anything longer is refused unread


class TokenError(ValueError):
    """The link cannot be used; the message is ``DEAD_LINK`` whatever the reason."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue(
    user: User, purpose: TokenPurpose, lifetime: timedelta, *, actor_id: int | None = None
) -> tuple[str, PasswordToken]:
    """A new link's secret (to put in the message, never stored) and its row; the caller commits."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    row = PasswordToken(
        user_id=user.id, purpose=purpose, token_hash=digest(token), created_at=now, expires_at=now + lifetime
    )
    db.session.add(row)
    db.session.flush()
    record(
        f"user.{purpose.value}_link",
        "user",
        user.id,
        actor_id=actor_id,
        after={"expires_at": row.expires_at.isoformat(timespec="seconds")},
    )
    return token, row


def open_token(user: User, purpose: TokenPurpose, now: datetime | None = None) -> PasswordToken | None:
    """The account's newest link of this purpose that still works, if any."""
    now = now or utcnow()
    return db.session.scalar(
        select(PasswordToken)
        .where(
            PasswordToken.user_id == user.id,
            PasswordToken.purpose == purpose,
            PasswordToken.used_at.is_(None),
            PasswordToken.expires_at > now,
        )
        .order_by(PasswordToken.created_at.desc(), PasswordToken.id.desc())
        .limit(1)
    )


def issued_since(user: User, purpose: TokenPurpose, since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(PasswordToken)
            .where(
                PasswordToken.user_id == user.id, PasswordToken.purpose == purpose, PasswordToken.created_at >= since
            )
        )
        or 0
    )


def check(token: str) -> PasswordToken:
    """The live link ``token`` names (its account active), or ``TokenError``."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(DEAD_LINK)
    row = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.active:
        raise TokenError(DEAD_LINK)
    return row


def use(token: str, password: str) -> User:
    """Set the account's password through the link, once. Raises ``TokenError`` or ``UserError``; commits.

    The password is hashed before the write transaction starts (no lock held
    during the slow hash); the link is then taken by one UPDATE that only one
    request can win, so two clicks cannot both use it.
    """
    service.check_password_rules(password)
    row = check(token)
    user_id, token_id, purpose = row.user_id, row.id, row.purpose
    db.session.commit()  # end the read; the hash is computed outside any transaction
    password_hash = hash_password(password)
    now = utcnow()
    result = db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.id == token_id, PasswordToken.used_at.is_(None), PasswordToken.expires_at > now)
        .values(used_at=now)
    )
    taken = cast(CursorResult, result).rowcount
    user = db.session.get_one(User, user_id)
    if not taken or not user.active:
        db.session.rollback()
        raise TokenError(DEAD_LINK)
    # The account's other open links die with this one: whoever holds an older message can no longer use it.
    db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
    service.store_password_hash(user, password_hash, actor_id=user_id)
    record(f"user.{purpose.value}_used", "user", user_id, actor_id=user_id)
    db.session.commit()
    return user
