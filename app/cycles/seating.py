"""Who sits on a cycle's committee: seating and unseating accounts, from the console, the command line and the
``committee`` import alike (docs/committee.md).

A seat is a committee ``CycleMember`` of the cycle. Only committee and
coordinator accounts can be seated; a seated committee member opens the cycle's
board, items and applications from their next request on (``app.access``).
Every seat and unseat is audited; the caller commits. A refusal is a
``SeatingError`` naming the field, and then nothing was changed.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace

from app import textlimits as limits
from app.audit.service import record
from app.cycles.models import Cycle, CycleMember, MemberRole
from app.errors import InputError
from app.extensions import db
from app.people.models import ReviewerProfile, Role, User
from app.people.service import UserError, create_user, normalise_email

SEATABLE_ROLES = (Role.COMMITTEE, Role.COORDINATOR)


class _Keep(enum.Enum):
    KEEP = "keep"


# ``seat_person``'s organization when none was given at all: the account's stays as it is (None clears it).
KEEP = _Keep.KEEP


class SeatingError(InputError):
    """An account cannot be seated or unseated; ``problems`` says which and why."""


@dataclass(frozen=True)
class Seat:
    """One account's seat after a change: whether this change seated (or unseated) it, whether the account was
    created by it, and whether it still has no password (then it needs an invitation to set one)."""

    user_id: int
    email: str
    name: str
    changed: bool
    created: bool = False
    needs_password: bool = False
    updated: bool = False  # the account's name or organization changed


@dataclass(frozen=True)
class Member:
    """A seated account as the committee page and ``committee list`` show it."""

    user_id: int
    email: str
    name: str
    role: str
    organization: str | None
    active: bool
    has_password: bool


def members(cycle: Cycle) -> list[Member]:
    """The cycle's committee, by name."""
    rows = db.session.execute(
        db.select(User, ReviewerProfile.organization)
        .join(CycleMember, CycleMember.user_id == User.id)
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.COMMITTEE)
        .order_by(User.name, User.email)
    )
    return [
        Member(
            user.id, user.email, user.name, user.role.value, organization, user.active, user.password_hash is not None
        )
        for user, organization in rows
    ]


def seatable_accounts(cycle: Cycle) -> list[User]:
    """Committee and coordinator accounts not seated on the cycle yet, by name: the console's choices."""
    seated = db.select(CycleMember.user_id).where(
        CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.COMMITTEE
    )
    return list(
        db.session.scalars(
            db.select(User).where(User.role.in_(SEATABLE_ROLES), User.id.not_in(seated)).order_by(User.name, User.email)
        )
    )


def seatable_problem(email: str, role: Role | str | None) -> str | None:
    """Why the account with this e-mail and role (None: no such account) cannot sit on a committee, or None.

    Plain data in and out: the ``committee`` import checks its rows with it before anything is written."""
    if role is None:
        return f"no account with e-mail {email}"
    if Role(role) not in SEATABLE_ROLES:
        return (
            f"the account {email} is a {Role(role).value} account; only committee and coordinator accounts can "
            "sit on a committee"
        )
    return None


def seat(cycle: Cycle, emails: Iterable[str], *, actor_id: int | None = None) -> list[Seat]:
    """Seat existing committee or coordinator accounts; all or none (every refusal named at once)."""
    users = _accounts(emails, unseat=False)
    return [_seat(cycle, user, created=False, actor_id=actor_id) for user in users]


def seat_person(
    cycle: Cycle,
    email: str,
    name: str | None = None,
    organization: str | None | _Keep = KEEP,
    *,
    actor_id: int | None = None,
) -> Seat:
    """Seat the account with this e-mail, creating a committee account without a password when there is none
    (then ``name`` is needed); a name or organization given updates the account's (audited)."""
    address = normalise_email(email)
    user = db.session.scalar(db.select(User).filter_by(email=address))
    name = limits.bounded((name or "").strip(), limits.NAME, "name", SeatingError.of) or None
    updated = False
    if user is None:
        if name is None:
            raise SeatingError.of("name", f"no account with e-mail {address}: give a name to create one")
        try:
            user = create_user(address, name, Role.COMMITTEE.value, None, actor_id=actor_id)
        except UserError as exc:
            raise SeatingError(exc.problems) from None
        created = True
    else:
        problem = seatable_problem(address, user.role)
        if problem:
            raise SeatingError.of("email", problem)
        if name is not None and name != user.name:
            record("user.name", "user", user.id, actor_id=actor_id, before={"name": user.name}, after={"name": name})
            user.name = name
            updated = True
        created = False
    if organization is not KEEP:
        updated = set_organization(user, organization, actor_id=actor_id) or updated
    return replace(_seat(cycle, user, created=created, actor_id=actor_id), updated=updated)


def set_organization(user: User, organization: str | None, *, actor_id: int | None = None) -> bool:
    """Where the account's holder works (blank: nowhere on record), kept on their profile; audited when changed.

    A committee member is recused from the applicants of the same organization
    (compared as assignment compares a reviewer's: ``organization_key``)."""
    value = limits.bounded((organization or "").strip(), limits.NAME, "organization", SeatingError.of) or None
    profile = user.profile
    if profile is None:
        if value is None:
            return False
        profile = user.profile = ReviewerProfile()
    if profile.organization == value:
        return False
    record(
        "user.profile",
        "user",
        user.id,
        actor_id=actor_id,
        before={"organization": profile.organization},
        after={"organization": value},
    )
    profile.organization = value
    db.session.flush()
    return True


def unseat(cycle: Cycle, emails: Iterable[str], *, actor_id: int | None = None) -> list[Seat]:
    """Take accounts off the cycle's committee; all or none. Their past resolutions and decisions stay."""
    users = _accounts(emails, unseat=True)
    seats = _seats(cycle)
    changes = []
    for user in users:
        member = seats.get(user.id)
        if member is not None:
            db.session.delete(member)
            record(
                "committee.unseat",
                "user",
                user.id,
                actor_id=actor_id,
                cycle_id=cycle.id,
                before={"cycle": cycle.name, "seated": True},
                after={"cycle": cycle.name, "seated": False},
            )
        changes.append(Seat(user.id, user.email, user.name, changed=member is not None))
    db.session.flush()
    return changes


def _accounts(emails: Iterable[str], *, unseat: bool) -> list[User]:
    """The accounts of ``emails`` in the order given (each once), or a refusal naming every bad e-mail."""
    addresses = list(dict.fromkeys(normalise_email(email) for email in emails if email.strip()))
    if not addresses:
        raise SeatingError.of("email", "name at least one account by e-mail")
    users = {user.email: user for user in db.session.scalars(db.select(User).where(User.email.in_(addresses)))}
    problems = []
    for address in addresses:
        user = users.get(address)
        if user is None:
            problems.append(f"no account with e-mail {address}")
        elif not unseat:  # anyone seated can be unseated, even after a role change
            problem = seatable_problem(address, user.role)
            if problem:
                problems.append(problem)
    if problems:
        raise SeatingError.of("email", "; ".join(problems))
    return [users[address] for address in addresses]


def _seats(cycle: Cycle) -> dict[int, CycleMember]:
    return {
        member.user_id: member
        for member in db.session.scalars(db.select(CycleMember).filter_by(cycle_id=cycle.id, role=MemberRole.COMMITTEE))
    }


def _seat(cycle: Cycle, user: User, *, created: bool, actor_id: int | None) -> Seat:
    seated = db.session.scalar(
        db.select(CycleMember.id).filter_by(cycle_id=cycle.id, user_id=user.id, role=MemberRole.COMMITTEE)
    )
    if seated is None:
        db.session.add(CycleMember(cycle_id=cycle.id, user_id=user.id, role=MemberRole.COMMITTEE))
        record(
            "committee.seat",
            "user",
            user.id,
            actor_id=actor_id,
            cycle_id=cycle.id,
            before={"cycle": cycle.name, "seated": False},
            after={"cycle": cycle.name, "seated": True},
        )
        db.session.flush()
    return Seat(
        user.id,
        user.email,
        user.name,
        changed=seated is None,
        created=created,
        needs_password=user.password_hash is None,
    )
