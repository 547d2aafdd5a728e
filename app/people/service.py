"""Creating and changing users; signing in with a brute-force limit kept in the database."""
from dataclasses import dataclass
from datetime import timedelta

from app.audit.service import record
from app.extensions import db
from app.people.models import LoginAttempt, ReviewerProfile, Role, User
from app.people.passwords import hash_password, needs_rehash, verify_password
from app.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password: must be at most {MAX_PASSWORD_LENGTH} characters")


def create_user(email: str, name: str, role: str, password: str | None, *, actor_id: int | None = None) -> User:
    """Create a user with a role; reviewers get an empty profile."""
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise UserError(f"email: {email!r} is not an e-mail address")
    if not name.strip():
        raise UserError("name: must not be empty")
    try:
        role_value = Role(role)
    except ValueError:
        raise UserError(f"role: must be one of {', '.join(r.value for r in Role)}, got {role!r}") from None
    if db.session.scalar(db.select(User).filter_by(email=email)) is not None:
        raise UserError(f"email: a user with {email} already exists")
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
    user.password_hash = hash_password(password)
    user.end_sessions()
    record("user.password", "user", user.id, actor_id=actor_id)


def change_password(user: User, current_password: str, new_password: str, *, max_failures: int,
                    window_seconds: int) -> None:
    """A user's own password change: the current password must match; other sessions end.

    Wrong current passwords count toward the same sign-in limit, so a borrowed session
    cannot be used to guess the password either. Raises ``UserError``; a wrong guess is
    recorded in the session, so the caller commits even when this raises."""
    key = attempt_key(user.email)
    if recent_failures(key, window_seconds) >= max_failures:
        raise UserError("current_password: too many wrong attempts; wait and try again")
    if not verify_password(user.password_hash, current_password):
        _record_failure(key, window_seconds)
        raise UserError("current_password: is not your current password")
    set_password(user, new_password, actor_id=user.id)


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
class SignInResult:
    user: User | None
    locked_out: bool = False


def attempt_key(email: str) -> str:
    """The rate-limit key: the normalised e-mail, whether or not such an account exists."""
    return normalise_email(email)[:300]


def recent_failures(key: str, window_seconds: int) -> int:
    since = utcnow() - timedelta(seconds=window_seconds)
    return db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt)
                             .where(LoginAttempt.key == key, LoginAttempt.at >= since)) or 0


def authenticate(email: str, password: str, *, max_failures: int, window_seconds: int) -> SignInResult:
    """Check a sign-in. Unknown, wrong-password and disabled accounts fail alike and are counted;
    after ``max_failures`` failures for an e-mail within the window every attempt is refused,
    even with the right password. The counters live in the database so every worker shares them."""
    key = attempt_key(email)
    if recent_failures(key, window_seconds) >= max_failures:
        return SignInResult(None, locked_out=True)
    user = db.session.scalar(db.select(User).filter_by(email=key))
    # verify_password hashes against a dummy when the account is unknown: same work, same timing.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        _record_failure(key, window_seconds)
        return SignInResult(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.key == key))
    return SignInResult(user)


def _record_failure(key: str, window_seconds: int) -> None:
    expired = utcnow() - timedelta(seconds=window_seconds)
    db.session.execute(db.delete(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at < expired))
    db.session.add(LoginAttempt(key=key))
