"""A coordinator's account administration: new accounts, password resets, sign-in on or
off, role changes and reviewer profiles.

Every change is audited in the caller's transaction; the caller commits. A
refusal is a ``UserError`` naming the field, as for every change to a user.
"""

import secrets
from collections.abc import Iterable

from app import textlimits as limits
from app.audit.service import record
from app.extensions import db
from app.people import service
from app.people.models import ReviewerProfile, Role, User, split_codes
from app.people.service import UserError
from app.rubrics.model import CATEGORY_CODES, DESIGNATIONS


def generate_password() -> str:
    """A random password to hand over once (24 URL-safe characters, about 144 bits)."""
    return secrets.token_urlsafe(18)


def create_account(email: str, name: str, role: str, password: str | None, *, actor_id: int) -> User:
    """Create a user; without a password the account waits for its holder to choose one through an invitation
    (``app.mail.service.invite``), so no password ever passes through the coordinator."""
    return service.create_user(email, name, role, password, actor_id=actor_id)


def reset_password(user: User, password: str | None, *, actor_id: int) -> str | None:
    """Set a new password (generated when none is given, and returned); the user's sessions end."""
    chosen = password or generate_password()
    service.set_password(user, chosen, actor_id=actor_id)
    return None if password else chosen


def set_account_active(user: User, active: bool, *, actor_id: int) -> None:
    """Enable or disable a sign-in; disabling ends every session of the user at once."""
    if user.id == actor_id and not active:
        raise UserError.of("active", "you cannot disable your own account")
    service.set_active(user, active, actor_id=actor_id)


def change_role(user: User, role: str, *, actor_id: int) -> None:
    """Give a user another role (reviewers get a profile); takes effect on their next request."""
    try:
        new_role = Role(role)
    except ValueError:
        raise UserError.of("role", f"must be one of {', '.join(r.value for r in Role)}") from None
    if user.id == actor_id and new_role != Role.COORDINATOR:
        raise UserError.of("role", "you cannot take the coordinator role away from yourself")
    if new_role == user.role:
        return
    record(
        "user.role",
        "user",
        user.id,
        actor_id=actor_id,
        before={"role": user.role.value},
        after={"role": new_role.value},
    )
    user.role = new_role
    if new_role == Role.REVIEWER and user.profile is None:
        user.profile = ReviewerProfile()
    db.session.flush()


def normalise_codes(text: str | None, allowed: Iterable[str], field: str) -> str:
    """``"c, rf"`` → ``"C; RF"`` in the allowed order; an unknown code is an error naming it."""
    allowed = tuple(allowed)
    codes = split_codes(text)
    unknown = sorted(codes - set(allowed))
    if unknown:
        raise UserError.of(
            field, f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not known (use {', '.join(allowed)})"
        )
    return "; ".join(code for code in allowed if code in codes)


def update_profile(
    user: User,
    *,
    designations: str | None,
    endorsements: str | None,
    organization: str | None,
    max_load: int | None,
    actor_id: int,
) -> None:
    """Change a reviewer's designations, endorsements, organization and standing load cap (audited)."""
    if user.role != Role.REVIEWER:
        raise UserError.of("profile", "only reviewers have a reviewer profile")
    if max_load is not None and max_load < 0:
        raise UserError.of("max_load", "must be 0 or more (leave it blank for no limit)")
    texts = {
        "designations": normalise_codes(designations, DESIGNATIONS, "designations"),
        "endorsements": normalise_codes(endorsements, CATEGORY_CODES, "endorsements"),
        "organization": (organization or "").strip() or None,
    }
    for name, limit in (
        ("designations", limits.DESIGNATIONS),
        ("endorsements", limits.CODES),
        ("organization", limits.NAME),
    ):
        limits.bounded(texts[name], limit, name, UserError.of)
    wanted: dict[str, str | int | None] = {**texts, "max_load": max_load}
    profile = user.profile or ReviewerProfile(user=user)
    before = {name: getattr(profile, name) for name in wanted}
    changed = {name: value for name, value in wanted.items() if before[name] != value}
    if not changed:
        return
    for name, value in changed.items():
        setattr(profile, name, value)
    record("user.profile", "user", user.id, actor_id=actor_id, before={k: before[k] for k in changed}, after=changed)
    db.session.flush()
