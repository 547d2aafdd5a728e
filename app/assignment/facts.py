"""Reading the facts assignment decisions need from the database: the pool, loads, conflicts, readers."""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Row, func, select
from sqlalchemy.orm import joinedload

from app.assignment.eligibility import ItemFacts, ReviewerFacts
from app.assignment.models import Assignment
from app.cycles.models import Applicant, Conflict, CycleMember, Item, ItemKind, MemberRole
from app.extensions import db
from app.people.models import User
from app.rubrics.registry import get_rubric


class AssignmentError(ValueError):
    """An assignment change was refused; the message names the item, the reviewer and the reason."""


@dataclass(frozen=True)
class PoolReviewer:
    """A reviewer of a cycle's pool with their current load."""
    user: User
    facts: ReviewerFacts
    load: int
    max_load: int | None

    @property
    def at_capacity(self) -> bool:
        return self.max_load is not None and self.load >= self.max_load

    def capacity_reason(self) -> str:
        return f"at maximum load ({self.load} of {self.max_load})"


def reviewer_loads(cycle_id: int) -> dict[int, int]:
    """Reviewer id → assignments they hold in the cycle."""
    rows = db.session.execute(select(Assignment.reviewer_id, func.count()).join(Item, Item.id == Assignment.item_pk)
                              .where(Item.cycle_id == cycle_id).group_by(Assignment.reviewer_id))
    return {reviewer_id: count for reviewer_id, count in rows}


def pool(cycle_id: int) -> list[PoolReviewer]:
    """The cycle's reviewer members, in e-mail order."""
    members = db.session.scalars(
        select(CycleMember).where(CycleMember.cycle_id == cycle_id, CycleMember.role == MemberRole.REVIEWER)
        .options(joinedload(CycleMember.user).joinedload(User.profile))).all()
    loads = reviewer_loads(cycle_id)
    reviewers = [PoolReviewer(user=m.user, facts=reviewer_facts(m.user, in_pool=True), load=loads.get(m.user_id, 0),
                              max_load=max_load_of(m)) for m in members]
    return sorted(reviewers, key=lambda r: (r.user.email, r.user.id))


def reviewer_facts(user: User, *, in_pool: bool) -> ReviewerFacts:
    profile = user.profile
    return ReviewerFacts(user_id=user.id, email=user.email, active=user.active, in_pool=in_pool,
                         organization=profile.organization if profile else None,
                         designations=profile.designation_set if profile else frozenset())


def max_load_of(member: CycleMember) -> int | None:
    # The cycle's own cap wins; a reviewer's standing cap from their profile applies otherwise.
    if member.max_load is not None:
        return member.max_load
    profile = member.user.profile
    return profile.max_load if profile else None


def required_designation(item: Item) -> str | None:
    """The designation a reader must hold: only Mentor essays (essay rubrics with a designation) need one."""
    if item.kind != ItemKind.ESSAY:
        return None
    try:
        rubric = get_rubric(item.rubric_key)
    except KeyError:
        raise AssignmentError(f"item {item.item_id}: rubric {item.rubric_key!r} is not loaded") from None
    return rubric.designation


def item_facts(item: Item, *, applicant: Applicant | Row | None = None, conflicted: Iterable[int] | None = None,
               readers: Iterable[int] | None = None) -> ItemFacts:
    """The eligibility facts of an item; its applicant (a model or a row with ``id``, ``organization`` and
    ``advisor_email``), conflicts and readers are queried unless given (bulk callers)."""
    applicant = applicant or item.applicant
    if conflicted is None:
        conflicted = db.session.scalars(select(Conflict.reviewer_id).where(Conflict.applicant_pk == applicant.id))
    if readers is None:
        readers = db.session.scalars(select(Assignment.reviewer_id).where(Assignment.item_pk == item.id))
    return ItemFacts(item_key=item.item_id, applicant_organization=applicant.organization,
                     advisor_email=applicant.advisor_email, designation=required_designation(item),
                     conflicted_reviewer_ids=frozenset(conflicted), reader_ids=frozenset(readers))


def readers_by_item(cycle_id: int) -> dict[int, set[int]]:
    rows = db.session.execute(select(Assignment.item_pk, Assignment.reviewer_id)
                              .join(Item, Item.id == Assignment.item_pk).where(Item.cycle_id == cycle_id))
    readers: dict[int, set[int]] = defaultdict(set)
    for item_pk, reviewer_id in rows:
        readers[item_pk].add(reviewer_id)
    return readers


def conflicts_by_applicant(cycle_id: int) -> dict[int, set[int]]:
    rows = db.session.execute(select(Conflict.applicant_pk, Conflict.reviewer_id)
                              .join(Applicant, Applicant.id == Conflict.applicant_pk)
                              .where(Applicant.cycle_id == cycle_id))
    conflicts: dict[int, set[int]] = defaultdict(set)
    for applicant_pk, reviewer_id in rows:
        conflicts[applicant_pk].add(reviewer_id)
    return conflicts


def membership(cycle_id: int, reviewer: User) -> CycleMember | None:
    return db.session.scalar(select(CycleMember).where(CycleMember.cycle_id == cycle_id,
                                                       CycleMember.user_id == reviewer.id,
                                                       CycleMember.role == MemberRole.REVIEWER))
