"""Creating and changing users."""
from app.audit.service import record
from app.extensions import db
from app.people.models import ReviewerProfile, Role, User
from app.people.passwords import hash_password

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
