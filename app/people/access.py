"""Who may see what. Every route uses these; the rules, in domain words:

- Every view needs a signed-in, active user unless it is marked ``@public``
  (checked before each request in ``app.people.security``, so a forgotten
  decorator fails closed).
- ``@role_required(*roles)`` on a view: anonymous users are sent to sign in
  (htmx and JSON requests get 401 instead of a redirect), other roles get 403.
- Objects are checked too, not just roles:
  * a **reviewer** sees only items assigned to them, and not those of an
    applicant they have a recorded conflict with (a conflict or unassignment
    takes effect on the very next request);
  * a **committee** member sees every item, and every reviewer's assignment,
    in the cycles they sit on as a committee ``CycleMember``;
  * a **coordinator** sees everything.
- An object the user may not see answers 404, exactly like one that does not
  exist, so IDs cannot be probed (``item_or_404``, ``assignment_or_404``).
"""
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from app.assignment.models import Assignment
from app.cycles.models import Conflict, CycleMember, Item, MemberRole
from app.extensions import db, login_manager
from app.people.models import Role, User


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (the sign-in page itself)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def role_required(*roles: Role | str) -> Callable[[Callable], Callable]:
    """Allow the view only to signed-in, active users holding one of ``roles``."""
    allowed = frozenset(Role(r) for r in roles)
    if not allowed:
        raise ValueError("role_required needs at least one role")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the access-matrix tests
        return wrapped

    return decorator


def _signed_in(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def committee_cycle_ids(user: User) -> set[int]:
    """The cycles a committee member sits on."""
    return set(db.session.scalars(db.select(CycleMember.cycle_id).where(
        CycleMember.user_id == user.id, CycleMember.role == MemberRole.COMMITTEE)))


def _sits_on_committee(user: User, cycle_id: int) -> bool:
    return db.session.scalar(db.select(CycleMember.id).where(
        CycleMember.user_id == user.id, CycleMember.cycle_id == cycle_id,
        CycleMember.role == MemberRole.COMMITTEE).limit(1)) is not None


def _conflicted(user: User, applicant_pk: int) -> bool:
    return db.session.scalar(db.select(Conflict.id).where(
        Conflict.reviewer_id == user.id, Conflict.applicant_pk == applicant_pk).limit(1)) is not None


def can_view_item(user: User | None, item: Item) -> bool:
    """Whether the user may see this item at all (see the module docstring)."""
    if not _signed_in(user):
        return False
    if user.role == Role.COORDINATOR:
        return True
    if user.role == Role.COMMITTEE:
        return _sits_on_committee(user, item.cycle_id)
    if user.role == Role.REVIEWER:
        assigned = db.session.scalar(db.select(Assignment.id).where(
            Assignment.item_pk == item.id, Assignment.reviewer_id == user.id).limit(1)) is not None
        return assigned and not _conflicted(user, item.applicant_pk)
    return False


def can_read_assignment(user: User | None, assignment: Assignment) -> bool:
    """Whether the user may see this assignment and its read: a reviewer only their own."""
    if not _signed_in(user):
        return False
    if user.role == Role.COORDINATOR:
        return True
    if user.role == Role.COMMITTEE:
        return _sits_on_committee(user, assignment.item.cycle_id)
    if user.role == Role.REVIEWER:
        return assignment.reviewer_id == user.id and not _conflicted(user, assignment.item.applicant_pk)
    return False


def item_or_404(item_pk: int, user: User | None = None) -> Item:
    """The item, if it exists and the user (default: the current one) may see it; else 404."""
    item = db.session.get(Item, item_pk)
    if item is None or not can_view_item(user or current_user, item):
        abort(404)
    return item


def assignment_or_404(assignment_id: int, user: User | None = None) -> Assignment:
    """The assignment, if it exists and the user (default: the current one) may read it; else 404.

    The assignment comes with its item, and for a reviewer with the conflict
    check, in one query: every scoring page and every autosave starts here.
    """
    user = user or current_user
    if not _signed_in(user):
        abort(404)
    statement = (db.select(Assignment).join(Assignment.item).options(contains_eager(Assignment.item))
                 .where(Assignment.id == assignment_id))
    if user.role == Role.REVIEWER:
        conflicted = db.select(Conflict.id).where(Conflict.reviewer_id == user.id,
                                                  Conflict.applicant_pk == Item.applicant_pk).exists()
        row = db.session.execute(statement.add_columns(conflicted)).first()
        # The reviewer rule of can_read_assignment, with the conflict already answered by the query.
        allowed = row is not None and row[0].reviewer_id == user.id and not row[1]
    else:
        row = db.session.execute(statement).first()
        allowed = row is not None and can_read_assignment(user, row[0])
    if not allowed:
        abort(404)
    return row[0]

