"""Who may see which object: one lookup per kind of object, used by every blueprint, and the rules behind them.

Roles are checked on the view (``app.people.access.role_required``); the
objects are checked here, in domain words:

- a **coordinator** opens every cycle and sees everything in it;
- a **committee** member opens the cycles they sit on as a committee
  ``CycleMember``, and there every item, every reviewer's read and every
  decision;
- a **reviewer** opens no cycle page; they see only the items assigned to them;
- inside what a user may open, ``applicant_visible`` leaves out the applicants
  the user must not see: for a reviewer those with a recorded conflict, for a
  committee member those they are recused from (``recusals``: a declared
  conflict, the same organization, the applicant's advisor). Either takes effect
  on the very next request. It is the one place such a rule lives: the lookups
  below and the listings (the reviewer's queue, the committee's board, counts,
  pictures and applications page) all apply it.

An object the user may not see answers 404, exactly like one that does not
exist, so IDs cannot be probed. docs/access.md has the table, and how to add a
rule (committee recusal) in ``_hidden_condition`` alone.
"""

from typing import Any, TypeGuard

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, literal, or_, select, true
from sqlalchemy.orm import QueryableAttribute, contains_eager

from app.assignment.eligibility import email_key, interest_reasons, organization_key
from app.assignment.models import Assignment
from app.calibration import service as calibration_service
from app.cycles.models import Applicant, Application, Conflict, Cycle, CycleMember, Item, MemberRole
from app.database import built_once
from app.extensions import db
from app.people.models import ReviewerProfile, Role, User
from app.scoring.models import ItemFlag

# The bound parameters naming the viewer in statements that apply ``applicant_visible``: their id, and for a
# committee member the applicants they are recused from.
VIEWER = "viewer_id"
RECUSED = "recused_applicant_pks"
# An applicant's key as a rule takes it: a column of a statement, or a value.
# None, or a NULL column: a validity essay, of no applicant, which nobody is conflicted with.
ApplicantKey = ColumnElement[int] | QueryableAttribute[int] | QueryableAttribute[int | None] | int | None


def viewer_params(user: User) -> dict[str, Any]:
    """The bound values a statement built with ``applicant_visible`` needs for this user (read afresh: a new
    conflict, organization or seat counts from the next statement on)."""
    params: dict[str, Any] = {VIEWER: user.id}
    if user.role == Role.COMMITTEE:
        params[RECUSED] = sorted(recusals(user))
    return params


def _hidden_condition(role: Role, applicant_pk: ApplicantKey) -> ColumnElement[bool] | None:
    """The one rule: whether the applicant is hidden from a viewer of this role (the viewer bound as ``VIEWER``,
    a committee member's recusals as ``RECUSED``); None when the role has nothing hidden."""
    if role == Role.REVIEWER:
        return exists().where(Conflict.reviewer_id == bindparam(VIEWER), Conflict.applicant_pk == applicant_pk)
    if role == Role.COMMITTEE:
        # The grounds compare normalised organizations and e-mails (assignment's rule), so they are worked out
        # in Python (``recusals``) and bound as a list; a member is recused from a handful of applicants.
        # A validity essay has no applicant (NULL): nobody is recused from it.
        if applicant_pk is None:
            return None
        key = literal(applicant_pk) if isinstance(applicant_pk, int) else applicant_pk
        return and_(key.is_not(None), key.in_(bindparam(RECUSED, expanding=True)))
    return None


def recusals(user: User, *, cycle_id: int | None = None, applicant_pk: int | None = None) -> dict[int, list[str]]:
    """The applicants a committee member is recused from, in the cycles they sit on (or one cycle, or one
    applicant), each with the grounds in words; empty for any other role. Coordinators are never recused:
    they administer the cycle and see everything.

    One query whatever the cycle's size: the applicants with their organization and advisor, whether the member
    declared a conflict with each, and the member's own organization."""
    if user.role != Role.COMMITTEE:
        return {}
    scope: list[ColumnElement[bool]] = [Applicant.cycle_id.in_(committee_cycles(user))]
    if cycle_id is not None:
        scope.append(Applicant.cycle_id == cycle_id)
    if applicant_pk is not None:
        scope.append(Applicant.id == applicant_pk)
    declared = exists().where(Conflict.reviewer_id == user.id, Conflict.applicant_pk == Applicant.id)
    own_organization = select(ReviewerProfile.organization).where(ReviewerProfile.user_id == user.id).scalar_subquery()
    found: dict[int, list[str]] = {}
    person_email = email_key(user.email)
    for pk, organization, advisor, conflict, person_organization in db.session.execute(
        select(Applicant.id, Applicant.organization, Applicant.advisor_email, declared, own_organization).where(*scope)
    ):
        reasons = interest_reasons(
            bool(conflict),
            organization_key(person_organization),
            person_email,
            organization_key(organization),
            email_key(advisor),
        )
        if reasons:
            found[pk] = reasons
    return found


def cycle_recusals(cycle: Cycle) -> list[tuple[User, Applicant, list[str]]]:
    """Who of the cycle's seated committee members is recused from which applicant, and why (the coordinator's
    view), by member name and applicant id."""
    members = list(
        db.session.scalars(
            select(User)
            .join(CycleMember, CycleMember.user_id == User.id)
            .where(
                CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.COMMITTEE, User.role == Role.COMMITTEE
            )
            .order_by(User.name, User.email)
        )
    )
    found = {member.id: recusals(member, cycle_id=cycle.id) for member in members}
    wanted = {pk for by_applicant in found.values() for pk in by_applicant}
    applicants = (
        {applicant.id: applicant for applicant in db.session.scalars(select(Applicant).where(Applicant.id.in_(wanted)))}
        if wanted
        else {}
    )
    return [
        (member, applicant, found[member.id][applicant.id])
        for member in members
        for applicant in sorted((applicants[pk] for pk in found[member.id]), key=lambda a: a.applicant_id)
    ]


def applicant_visible(role: Role, applicant_pk: ApplicantKey) -> ColumnElement[bool]:
    """Whether a viewer of this role (bound as ``VIEWER``, see ``viewer_params``) may see the applicant, as a
    condition for a listing; ``true()``, which SQLAlchemy leaves out of a WHERE, when the role has nothing hidden.

    The condition depends on the role only and the viewer is a bound value, so a
    statement built once per role (the committee board caches its statements)
    stays right for every viewer. A statement holding it fails loudly when run
    without ``viewer_params``.
    """
    hidden = _hidden_condition(role, applicant_pk)
    return true() if hidden is None else ~hidden


def committee_cycles(user: User) -> Select:
    """The ids of the cycles a committee member sits on, as a subquery."""
    return select(CycleMember.cycle_id).where(CycleMember.user_id == user.id, CycleMember.role == MemberRole.COMMITTEE)


def cycles_condition(user: User) -> ColumnElement[bool] | None:
    """Which cycles the user may open, as a condition on ``Cycle.id``; None for a coordinator (every cycle)."""
    if user.role == Role.COORDINATOR:
        return None
    if user.role == Role.COMMITTEE:
        return Cycle.id.in_(committee_cycles(user))
    return Cycle.id.in_([])


def _signed_in(user: User | None) -> TypeGuard[User]:
    return user is not None and user.is_authenticated and user.is_active


def may_open_cycle(user: User | None, cycle_id: int) -> bool:
    """Whether the user may open the cycle's pages: a coordinator any, a committee member those they sit on."""
    if not _signed_in(user):
        return False
    if user.role == Role.COORDINATOR:
        return True
    if user.role == Role.COMMITTEE:
        return db.session.scalar(committee_cycles(user).where(CycleMember.cycle_id == cycle_id).limit(1)) is not None
    return False


def _hidden(user: User, applicant_pk: int | None) -> bool:
    if applicant_pk is None:
        return False
    if user.role == Role.COMMITTEE:
        return bool(recusals(user, applicant_pk=applicant_pk))  # the one applicant, not every recusal
    condition = _hidden_condition(user.role, applicant_pk)
    return condition is not None and bool(db.session.scalar(select(condition), viewer_params(user)))


def deciders(cycle_id: int) -> dict[str, tuple[User, frozenset[int]]]:
    """Everyone who may decide on the cycle's applications (an active coordinator, or an active committee member
    sitting on it), by e-mail, with the applicants hidden from them (``applicant_visible``'s rule): a bulk
    decision names who decided, and may name only them. One query per role that hides applicants."""
    seated = cycle_committee(cycle_id)
    people = db.session.scalars(
        db.select(User).where(
            User.active.is_(True),
            or_(User.role == Role.COORDINATOR, (User.role == Role.COMMITTEE) & User.id.in_(seated)),
        )
    )
    found = {}
    for person in people:
        condition = _hidden_condition(person.role, Applicant.id)
        hidden = (
            frozenset()
            if condition is None
            else frozenset(
                db.session.scalars(
                    select(Applicant.id).where(Applicant.cycle_id == cycle_id, condition), viewer_params(person)
                )
            )
        )
        found[person.email] = (person, hidden)
    return found


def cycle_committee(cycle_id: int) -> Select:
    """The ids of the committee members sitting on a cycle, as a subquery."""
    return select(CycleMember.user_id).where(CycleMember.cycle_id == cycle_id, CycleMember.role == MemberRole.COMMITTEE)


def can_view_item(user: User | None, item: Item) -> bool:
    """Whether the user may see this item at all (see the module docstring)."""
    if not _signed_in(user):
        return False
    if user.role == Role.REVIEWER:
        assigned = (
            db.session.scalar(
                db.select(Assignment.id)
                .where(Assignment.item_pk == item.id, Assignment.reviewer_id == user.id)
                .limit(1)
            )
            is not None
        )
        return assigned and not _hidden(user, item.applicant_pk)
    return may_open_cycle(user, item.cycle_id) and not _hidden(user, item.applicant_pk)


def can_read_assignment(user: User | None, assignment: Assignment) -> bool:
    """Whether the user may see this assignment and its read: a reviewer only their own."""
    if not _signed_in(user):
        return False
    item = assignment.item
    if user.role == Role.REVIEWER:
        return assignment.reviewer_id == user.id and not _hidden(user, item.applicant_pk)
    return may_open_cycle(user, item.cycle_id) and not _hidden(user, item.applicant_pk)


def cycle_or_404(cycle_id: int, user: User | None = None) -> Cycle:
    """The cycle, if it exists and the user (default: the current one) may open it; else 404."""
    user = user or current_user
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None or not may_open_cycle(user, cycle.id):
        abort(404)
    return cycle


def item_or_404(item_pk: int, user: User | None = None) -> Item:
    """The item, if it exists and the user (default: the current one) may see it; else 404."""
    item = db.session.get(Item, item_pk)
    if item is None or not can_view_item(user or current_user, item):
        abort(404)
    return item


# Every scoring page and autosave runs one of these (``built_once``: app/database.py says why).
@built_once
def _assignment() -> Select:
    return (
        db.select(Assignment)
        .join(Assignment.item)
        .options(contains_eager(Assignment.item))
        .where(Assignment.id == bindparam("assignment_id"))
    )


# The reviewer rule of can_read_assignment, the hidden-applicant check answered by the same query, with the item's
# cycle: its qualification set size (items are released once it is passed: released_to_reviewer), and what the
# scoring page shows of it without a query of its own.
@built_once
def _reviewer_assignment() -> Select:
    return (
        _assignment()
        .join(Item.cycle)
        .options(contains_eager(Assignment.item).contains_eager(Item.cycle))
        .where(Assignment.reviewer_id == bindparam(VIEWER), applicant_visible(Role.REVIEWER, Item.applicant_pk))
    )


def assignment_or_404(assignment_id: int, user: User | None = None) -> Assignment:
    """The assignment, if it exists and the user (default: the current one) may read it; else 404.

    The assignment comes with its item, and for a reviewer with the item's cycle and the
    hidden-applicant check, in one query: every scoring page and every autosave starts here.
    """
    user = user or current_user
    if not _signed_in(user):
        abort(404)
    if user.role == Role.REVIEWER:
        assignment = db.session.scalar(_reviewer_assignment(), {"assignment_id": assignment_id, **viewer_params(user)})
        if assignment is not None and assignment.item.cycle.qualify_items and not released_to_reviewer(assignment):
            assignment = None
    else:
        assignment = db.session.scalar(_assignment(), {"assignment_id": assignment_id})
        if assignment is not None and not can_read_assignment(user, assignment):
            assignment = None
    if assignment is None:
        abort(404)
    return assignment


def released_to_reviewer(assignment: Assignment) -> bool:
    """Whether the assignment is open to its reviewer: in a cycle with a qualification set, only the set's
    assignments are, until the reviewer passes it or is released by hand (docs/calibration.md)."""
    cycle = db.session.get_one(Cycle, assignment.item.cycle_id)
    if not cycle.qualify_items:
        return True
    standing = calibration_service.standing_of(cycle, assignment.reviewer_id)
    return standing is None or standing.opens(assignment.id)


def application_or_404(application_id: int, user: User | None = None) -> Application:
    """The application, if it exists and the user (default: the current one) may see its applicant; else 404."""
    user = user or current_user
    application = db.session.scalar(
        db.select(Application)
        .join(Application.applicant)
        .options(contains_eager(Application.applicant))
        .where(Application.id == application_id)
    )
    if (
        application is None
        or not may_open_cycle(user, application.applicant.cycle_id)
        or _hidden(user, application.applicant_pk)
    ):
        abort(404)
    return application


def account_or_404(user_id: int, user: User | None = None) -> User:
    """The account, if it exists and the user (default: the current one) administers accounts (a coordinator)."""
    user = user or current_user
    account = db.session.get(User, user_id)
    if account is None or not _signed_in(user) or user.role != Role.COORDINATOR:
        abort(404)
    return account


def flag_or_404(flag_id: int, user: User | None = None) -> ItemFlag:
    """A reported problem, if it exists and the user may open its item; else 404."""
    flag = db.session.get(ItemFlag, flag_id)
    if flag is None:
        abort(404)
    item_or_404(flag.assignment.item_pk, user)
    return flag
