"""Reading the facts assignment decisions need from the database: the pool, loads, conflicts, readers,
declines, and which items of an applicant are on which side (portfolio or essays)."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Row, func, select, true
from sqlalchemy.orm import joinedload

from app.assignment.eligibility import ESSAYS, PORTFOLIO, ItemFacts, ReviewerFacts
from app.assignment.models import Assignment, AssignmentDecline
from app.bulk import BATCH, plain_rows
from app.cycles.models import Applicant, Application, Conflict, Cycle, CycleMember, Item, ItemKind, MemberRole
from app.errors import InputError
from app.extensions import db
from app.people.models import User, split_codes
from app.rubrics.registry import get_rubric


class AssignmentError(InputError):
    """An assignment change was refused; the message names the item, the reviewer and the reason."""


@dataclass(frozen=True)
class PoolReviewer:
    """A reviewer of a cycle's pool with their current load."""

    user: User
    facts: ReviewerFacts

    @property
    def load(self) -> int:
        return self.facts.load

    @property
    def max_load(self) -> int | None:
        return self.facts.max_load


def reviewer_loads(cycle_id: int) -> dict[int, int]:
    """Reviewer id → assignments they hold in the cycle."""
    rows = plain_rows(
        select(Assignment.reviewer_id, func.count())
        .join(Item, Item.id == Assignment.item_pk)
        .where(Item.cycle_id == cycle_id)
        .group_by(Assignment.reviewer_id)
    )
    return {reviewer_id: count for reviewer_id, count in rows}


def pool(cycle_id: int) -> list[PoolReviewer]:
    """The cycle's reviewer members, in e-mail order."""
    members = db.session.scalars(
        select(CycleMember)
        .where(CycleMember.cycle_id == cycle_id, CycleMember.role == MemberRole.REVIEWER)
        .options(joinedload(CycleMember.user).joinedload(User.profile))
    ).all()
    loads = reviewer_loads(cycle_id)
    reviewers = [
        PoolReviewer(
            user=m.user,
            facts=reviewer_facts(m.user, in_pool=True, load=loads.get(m.user_id, 0), max_load=max_load_of(m)),
        )
        for m in members
    ]
    return sorted(reviewers, key=lambda r: (r.user.email, r.user.id))


def reviewer_facts(user: User, *, in_pool: bool, load: int = 0, max_load: int | None = None) -> ReviewerFacts:
    profile = user.profile
    return ReviewerFacts(
        user_id=user.id,
        email=user.email,
        active=user.active,
        in_pool=in_pool,
        organization=profile.organization if profile else None,
        designations=profile.designation_set if profile else frozenset(),
        endorsements=split_codes(profile.endorsements) if profile else frozenset(),
        load=load,
        max_load=max_load,
    )


def max_load_of(member: CycleMember) -> int | None:
    # The cycle's own cap wins; a reviewer's standing cap from their profile applies otherwise.
    if member.max_load is not None:
        return member.max_load
    profile = member.user.profile
    return profile.max_load if profile else None


def required_designation(item: Item | Row) -> str | None:
    """The designation a reader must hold: only Mentor essays (essay rubrics with a designation) need one."""
    if item.kind != ItemKind.ESSAY:
        return None
    try:
        rubric = get_rubric(item.rubric_key)
    except KeyError:
        raise AssignmentError(f"item {item.item_id}: rubric {item.rubric_key!r} is not loaded") from None
    return rubric.designation


def side_of(kind: ItemKind | str) -> str:
    return PORTFOLIO if kind == ItemKind.APPLICATION else ESSAYS


@dataclass
class Lookups:
    """What eligibility needs beyond an item's own row, for a whole cycle or a few applicants."""

    blind_across_items: bool
    conflicts: dict[int | None, set[int]] = field(default_factory=lambda: defaultdict(set))  # applicant → reviewers
    readers: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # item pk → reviewers
    declines: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # item pk → reviewers
    sides: dict[tuple[int | None, str], list[int]] = field(default_factory=lambda: defaultdict(list))  # → items
    categories: dict[int | None, str] = field(default_factory=dict)  # applicant pk → category

    def other_side_readers(self, applicant_pk: int | None, side: str) -> frozenset[int]:
        if applicant_pk is None:  # a validity essay: no applicant, no other side
            return frozenset()
        other = ESSAYS if side == PORTFOLIO else PORTFOLIO
        return frozenset().union(*(self.readers.get(pk, ()) for pk in self.sides.get((applicant_pk, other), ())))


def lookups(cycle: Cycle, applicant_pks: Collection[int | None] | None = None) -> Lookups:
    """The cycle's conflicts, readers, declines, applicants' items by side and categories: every applicant's,
    or only those of ``applicant_pks`` (a few queries per thousand applicants)."""
    found = Lookups(blind_across_items=cycle.blind_across_items)
    for where in _applicant_filters(cycle.id, applicant_pks):
        of_applicants = (Applicant.cycle_id == cycle.id, where(Applicant.id))
        of_items = (Item.cycle_id == cycle.id, where(Item.applicant_pk))
        for applicant_pk, reviewer_id in plain_rows(
            select(Conflict.applicant_pk, Conflict.reviewer_id)
            .join(Applicant, Applicant.id == Conflict.applicant_pk)
            .where(*of_applicants)
        ):
            found.conflicts[applicant_pk].add(reviewer_id)
        for item_pk, owner_pk, kind in plain_rows(select(Item.id, Item.applicant_pk, Item.kind).where(*of_items)):
            found.sides[owner_pk, side_of(kind)].append(item_pk)
        for item_pk, reviewer_id in plain_rows(
            select(Assignment.item_pk, Assignment.reviewer_id)
            .join(Item, Item.id == Assignment.item_pk)
            .where(*of_items)
        ):
            found.readers[item_pk].add(reviewer_id)
        for item_pk, reviewer_id in plain_rows(
            select(AssignmentDecline.item_pk, AssignmentDecline.reviewer_id)
            .join(Item, Item.id == AssignmentDecline.item_pk)
            .where(*of_items)
        ):
            found.declines[item_pk].add(reviewer_id)
        found.categories.update(
            plain_rows(
                select(Application.applicant_pk, Application.category)
                .join(Applicant, Applicant.id == Application.applicant_pk)
                .where(*of_applicants)
            )
        )
    return found


def _applicant_filters(cycle_id: int, applicant_pks: Collection[int | None] | None):
    """One condition on an applicant-pk column per batch of ``applicant_pks``; with none, one that holds for
    the whole cycle (every query also names the cycle)."""
    if applicant_pks is None:
        yield lambda column: true()
        return
    if None in applicant_pks:  # validity essays, of no applicant: their readers and declines
        yield lambda column: column.is_(None)
    ordered = sorted(pk for pk in applicant_pks if pk is not None)
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        yield lambda column, batch=batch: column.in_(batch)


def item_facts(item: Item | Row, applicant: Applicant | Row | None, found: Lookups) -> ItemFacts:
    """The eligibility facts of an item (a model or a row with ``id``, ``item_id``, ``kind``, ``rubric_key``
    and ``applicant_pk``) and its applicant (with ``organization`` and ``advisor_email``; None for a validity
    essay, which nobody can be conflicted with)."""
    side = side_of(item.kind)
    return ItemFacts(
        item_key=item.item_id,
        applicant_organization=applicant.organization if applicant else None,
        advisor_email=applicant.advisor_email if applicant else None,
        designation=required_designation(item),
        portfolio_category=found.categories.get(item.applicant_pk) if side == PORTFOLIO else None,
        conflicted_reviewer_ids=frozenset(found.conflicts.get(item.applicant_pk, ())),
        reader_ids=frozenset(found.readers.get(item.id, ())),
        declined_reviewer_ids=frozenset(found.declines.get(item.id, ())),
        side=side,
        other_side_reader_ids=found.other_side_readers(item.applicant_pk, side),
        blind_across_items=found.blind_across_items,
    )


def applicants_by_pk(pks: Iterable[int | None]) -> dict[int | None, Row]:
    """Applicant pk → a row with the ``id``, ``organization`` and ``advisor_email`` eligibility looks at (a validity
    essay's None has none)."""
    ordered = sorted({pk for pk in pks if pk is not None})
    applicants: dict[int | None, Row] = {}
    for start in range(0, len(ordered), BATCH):
        applicants.update(
            (a.id, a)
            for a in plain_rows(
                select(Applicant.id, Applicant.organization, Applicant.advisor_email).where(
                    Applicant.id.in_(ordered[start : start + BATCH])
                )
            )
        )
    return applicants


def membership(cycle_id: int, reviewer: User) -> CycleMember | None:
    return db.session.scalar(
        select(CycleMember).where(
            CycleMember.cycle_id == cycle_id,
            CycleMember.user_id == reviewer.id,
            CycleMember.role == MemberRole.REVIEWER,
        )
    )
