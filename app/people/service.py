"""Creating and changing users; signing in under limits kept in the database."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app import textlimits as limits
from app.audit.service import record
from app.errors import InputError
from app.extensions import db
from app.people.models import LoginAttempt, ReviewerProfile, Role, User
from app.people.notices import sign_ins_delayed
from app.people.password_turns import password_turn
from app.people.passwords import hash_password, needs_rehash, verify_password
from app.people.throttle import Limit, describe_wait, wait_seconds
from app.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class UserError(InputError):
    """A user could not be created or changed; ``problems`` names the field and says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError.of("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError.of("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")


def create_user(email: str, name: str, role: str, password: str | None, *, actor_id: int | None = None) -> User:
    """Create a user with a role; reviewers get an empty profile."""
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise UserError.of("email", f"{email!r} is not an e-mail address")
    if not name.strip():
        raise UserError.of("name", "must not be empty")
    limits.bounded(email, limits.EMAIL, "email", UserError.of)
    limits.bounded(name.strip(), limits.NAME, "name", UserError.of)
    try:
        role_value = Role(role)
    except ValueError:
        raise UserError.of("role", f"must be one of {', '.join(r.value for r in Role)}, got {role!r}") from None
    if db.session.scalar(db.select(User).filter_by(email=email)) is not None:
        raise UserError.of("email", f"a user with {email} already exists")
    user = User(email=email, name=name.strip(), role=role_value)
    if password is not None:
        check_password_rules(password)
        user.password_hash = hash_password(password)
    if role_value == Role.REVIEWER:
        user.profile = ReviewerProfile()
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id, actor_id=actor_id, after={"email": email, "role": role_value.value})
    return user


def set_password(user: User, password: str, *, actor_id: int | None = None) -> None:
    """Set a new password and end every existing session of the user."""
    check_password_rules(password)
    _store_password(user, hash_password(password), actor_id=actor_id)


def store_password_hash(user: User, password_hash: str, *, actor_id: int | None) -> None:
    """Keep a password hashed beforehand (outside any transaction) and end every session of the user."""
    _store_password(user, password_hash, actor_id=actor_id)


def _store_password(user: User, password_hash: str, *, actor_id: int | None) -> None:
    user.password_hash = password_hash
    user.end_sessions()
    record("user.password", "user", user.id, actor_id=actor_id)


def change_password(
    user: User,
    current_password: str,
    new_password: str,
    *,
    client: str | None,
    device: str | None,
    limits: "SignInLimits",
) -> None:
    """A user's own password change: the current password must match; other sessions end.

    The current password is checked like a sign-in (``authenticate``), so
    wrong guesses count toward the same limits and a borrowed session cannot
    be used to guess the password either; like it, this commits the attempt
    before hashing. Raises ``UserError``; the caller commits."""
    check_password_rules(new_password)
    with password_turn():  # the check and the new hash in one turn: a busy moment refuses before either
        problem = reauthenticate(user, current_password, client=client, device=device, limits=limits)
        if problem:
            raise UserError.of("current_password", f"{problem}")
        db.session.commit()  # the check's outcome; the new hash is then computed outside any transaction
        new_hash = hash_password(new_password)
    _store_password(user, new_hash, actor_id=user.id)


def reauthenticate(
    user: User, password: str, *, client: str | None, device: str | None, limits: "SignInLimits"
) -> str | None:
    """The signed-in ``user`` types their password again before an account-changing action: None when it is
    theirs, else what to tell them. Checked exactly like a sign-in from this browser (``authenticate``: same
    limits, committed before hashing); a failure is committed here, since the action will not run."""
    result = authenticate(user.email, password, client=client, device=device, limits=limits)
    if result.wait_seconds:
        problem = f"too many wrong attempts; wait {describe_wait(result.wait_seconds)} and try again"
    elif result.user is None or result.user.id != user.id:
        problem = "is not your current password"
    else:
        return None
    db.session.commit()
    return problem


def set_active(user: User, active: bool, *, actor_id: int | None = None) -> None:
    """Enable or disable a sign-in; disabling ends the user's sessions at their next request."""
    if user.active == active:
        return
    before = user.active
    user.active = active
    if not active:
        user.end_sessions()
    record("user.active", "user", user.id, actor_id=actor_id, before={"active": before}, after={"active": active})


@dataclass(frozen=True)
class SignInLimits:
    """Failures per e-mail (from unknown devices, or from one known device) and per client address."""

    account: Limit
    client: Limit


def sign_in_limits(config: Mapping[str, Any]) -> SignInLimits:
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    first, ceiling = (
        timedelta(seconds=config[key]) for key in ("LOGIN_FIRST_DELAY_SECONDS", "LOGIN_MAX_DELAY_SECONDS")
    )
    return SignInLimits(
        account=Limit(config["LOGIN_MAX_FAILURES"], window, first, ceiling),
        client=Limit(config["LOGIN_CLIENT_MAX_FAILURES"], window, first, ceiling),
    )


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    wait_seconds: int = 0  # > 0: not checked at all, because of earlier failures
    limited_by: str | None = None  # "account" (this e-mail) or "client" (this address)


def attempt_key(email: str) -> str:
    """The rate-limit key: the normalised e-mail, whether or not such an account exists."""
    return normalise_email(email)[:300]


def authenticate(
    email: str, password: str, *, client: str | None, device: str | None, limits: SignInLimits
) -> SignInResult:
    """Check a sign-in under the limits; unknown, wrong-password and disabled accounts fail alike.

    The attempt is written and **committed before the password is hashed**: the
    count a parallel attempt sees already includes this one, so the limit
    cannot be raced, and no transaction (on SQLite: no write lock) is open
    during the slow hash. A failure stays counted; a success removes it and the
    earlier failures of its bucket. ``device`` is the known-device id for this
    e-mail, if the browser has one (see ``app.people.devices``). The caller
    commits the second transaction (the outcome).

    The whole check holds one password turn (``password_turns``), taken before anything is counted: when the
    deployment is too busy hashing, ``PasswordChecksBusy`` is raised and the attempt leaves no trace."""
    with password_turn():
        return _authenticate(email, password, client=client, device=device, limits=limits)


def _authenticate(
    email: str, password: str, *, client: str | None, device: str | None, limits: SignInLimits
) -> SignInResult:
    key = attempt_key(email)
    _serialise_attempts(key, client)
    _forget_expired(key, client, utcnow() - limits.account.window)
    now = utcnow()  # read once this transaction holds the lock: no attempt counted below is later than it
    wait = _wait(limits.account, _account_bucket(key, device), now)
    if wait:
        db.session.commit()
        return SignInResult(None, wait_seconds=wait, limited_by="account")
    if device is None and client is not None:
        wait = _wait(limits.client, _client_bucket(client), now)
        if wait:
            db.session.commit()
            return SignInResult(None, wait_seconds=wait, limited_by="client")
    account = db.session.execute(db.select(User.id, User.password_hash, User.active).filter_by(email=key)).first()
    attempt = LoginAttempt(key=key, client=client, device=device, at=now)
    db.session.add(attempt)
    db.session.flush()
    attempt_id = attempt.id  # read before the commit: afterwards it would be reloaded, in a new transaction
    db.session.commit()
    # verify_password hashes against a dummy when the account is unknown: same work, same timing.
    password_ok = verify_password(account.password_hash if account else None, password)
    if account is None or not password_ok or not account.active:
        _after_failure(key, device, client, attempt_id, account.id if account and account.active else None, limits)
        return SignInResult(None)
    # Hashing costs settings changed since this hash was made: the new one is made before the next transaction.
    rehashed = hash_password(password) if needs_rehash(account.password_hash) else None
    user = db.session.get_one(User, account.id)
    if rehashed is not None:
        user.password_hash = rehashed
    db.session.execute(db.delete(LoginAttempt).where(*_account_bucket(key, device)))
    return SignInResult(user)


def _serialise_attempts(key: str, client: str | None) -> None:
    """Count-then-insert must not interleave for one e-mail or one address: SQLite's BEGIN IMMEDIATE already
    serialises writers; on PostgreSQL a transaction-scoped advisory lock per e-mail and per address does."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in (f"sign-in:{key}", f"sign-in-client:{client}" if client else None):
        if name:  # always the e-mail first, then the address: two attempts never wait on each other in a cycle
            lock_id = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            db.session.execute(db.text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def _account_bucket(key: str, device: str | None) -> tuple:
    device_is = LoginAttempt.device.is_(None) if device is None else LoginAttempt.device == device
    return LoginAttempt.key == key, device_is


def _client_bucket(client: str) -> tuple:
    return LoginAttempt.client == client, LoginAttempt.device.is_(None)


def _wait(limit: Limit, bucket: tuple, now: datetime) -> int:
    failures, last = db.session.execute(
        db.select(db.func.count(), db.func.max(LoginAttempt.at)).where(*bucket, LoginAttempt.at >= now - limit.window)
    ).one()
    return wait_seconds(limit, failures, last, now)


def _forget_expired(key: str, client: str | None, expired: datetime) -> None:
    mine = LoginAttempt.key == key if client is None else db.or_(LoginAttempt.key == key, LoginAttempt.client == client)
    db.session.execute(db.delete(LoginAttempt).where(mine, LoginAttempt.at < expired))


def _after_failure(
    key: str, device: str | None, client: str | None, attempt_id: int, user_id: int | None, limits: SignInLimits
) -> None:
    """Tell the holder of a real, active account once, when unknown devices' failures start delaying it."""
    if user_id is None or device is not None:
        return  # nobody to tell; a known device's own typing errors delay only that device
    user = db.session.scalars(db.select(User).where(User.id == user_id).with_for_update()).one()
    since = utcnow() - limits.account.window
    failures, notified = db.session.execute(
        db.select(db.func.count(), db.func.max(db.case((LoginAttempt.notified, 1), else_=0))).where(
            *_account_bucket(key, None), LoginAttempt.at >= since
        )
    ).one()
    if failures >= limits.account.free and not notified:
        db.session.execute(db.update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(notified=True))
        sign_ins_delayed(user, failures=failures, client=client)
