"""Reading the facts assignment decisions need from the database: the pool, loads, conflicts, readers,
declines, and which items of an applicant are on which side (portfolio or essays)."""

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Row, func, select, true
from sqlalchemy.orm import joinedload

from app.assignment.eligibility import ESSAYS, PORTFOLIO, ItemFacts, ReviewerFacts
from app.assignment.models import Assignment, AssignmentDecline
from app.bulk import BATCH, plain_rows
from app.cycles.models import Applicant, Application, Conflict, Cycle, CycleMember, Item, ItemKind, MemberRole
from app.errors import InputError
from app.extensions import db
from app.people.models import ReviewerProfile, User, split_codes
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


# Batch paths (reconciliation's further readers) read through the tables, never an ORM statement: the first ORM
# query of a process configures every mapper, which a ``flask reconcile`` would pay for (docs/architecture.md).
_assignments = Assignment.__table__.c
_declines = AssignmentDecline.__table__.c
_applicants = Applicant.__table__.c
_applications = Application.__table__.c
_conflicts = Conflict.__table__.c
_items = Item.__table__.c
_members = CycleMember.__table__.c
_users = User.__table__.c
_profiles = ReviewerProfile.__table__.c


def reviewer_loads(cycle_id: int) -> dict[int, int]:
    """Reviewer id → assignments they hold in the cycle."""
    rows = plain_rows(
        select(_assignments.reviewer_id, func.count())
        .join(Item.__table__, _items.id == _assignments.item_pk)
        .where(_items.cycle_id == cycle_id)
        .group_by(_assignments.reviewer_id)
    )
    return {reviewer_id: count for reviewer_id, count in rows}


def pool(cycle_id: int) -> list[PoolReviewer]:
    """The cycle's reviewer members with their users, in e-mail order."""
    reviewers = pool_facts(cycle_id)
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User)
            .join(CycleMember, CycleMember.user_id == User.id)
            .where(CycleMember.cycle_id == cycle_id, CycleMember.role == MemberRole.REVIEWER)
            .options(joinedload(User.profile))
        )
    }
    return [PoolReviewer(user=users[facts.user_id], facts=facts) for facts in reviewers]


def pool_facts(cycle_id: int, loads: Mapping[int, int] | None = None) -> list[ReviewerFacts]:
    """The facts of the cycle's reviewer members with their loads, in e-mail order, from plain rows (no entity);
    ``loads`` as ``reviewer_loads`` gives them, when the caller has counted them already (reconciliation)."""
    if loads is None:
        loads = reviewer_loads(cycle_id)
    rows = plain_rows(
        select(
            _users.id,
            _users.email,
            _users.active,
            _profiles.user_id.is_not(None).label("has_profile"),
            _profiles.organization,
            _profiles.designations,
            _profiles.endorsements,
            _profiles.max_load.label("profile_cap"),
            _members.max_load.label("member_cap"),
        )
        .select_from(CycleMember.__table__)
        .join(User.__table__, _users.id == _members.user_id)
        .outerjoin(ReviewerProfile.__table__, _profiles.user_id == _users.id)
        .where(_members.cycle_id == cycle_id, _members.role == MemberRole.REVIEWER)
    )
    rows = sorted(rows, key=lambda row: (row.email, row.id))  # Python's order: a PostgreSQL collation may differ
    return [
        _facts_of(
            row.id,
            row.email,
            row.active,
            (row.organization, row.designations, row.endorsements) if row.has_profile else None,
            in_pool=True,
            load=loads.get(row.id, 0),
            max_load=max_load_of(row.member_cap, row.profile_cap),
        )
        for row in rows
    ]


def reviewer_facts(user: User, *, in_pool: bool, load: int = 0, max_load: int | None = None) -> ReviewerFacts:
    profile = user.profile
    values = None if profile is None else (profile.organization, profile.designations, profile.endorsements)
    return _facts_of(user.id, user.email, user.active, values, in_pool=in_pool, load=load, max_load=max_load)


def _facts_of(
    user_id: int, email: str, active: bool, profile: tuple | None, *, in_pool: bool, load: int, max_load: int | None
) -> ReviewerFacts:
    """A reviewer's facts from plain values; ``profile`` is (organization, designations, endorsements) or None."""
    organization, designations, endorsements = profile or (None, None, None)
    return ReviewerFacts(
        user_id=user_id,
        email=email,
        active=active,
        in_pool=in_pool,
        organization=organization,
        designations=split_codes(designations),
        endorsements=split_codes(endorsements),
        load=load,
        max_load=max_load,
    )


def member_max_load(member: CycleMember) -> int | None:
    profile = member.user.profile
    return max_load_of(member.max_load, profile.max_load if profile else None)


def max_load_of(member_cap: int | None, profile_cap: int | None) -> int | None:
    # The cycle's own cap wins; a reviewer's standing cap from their profile applies otherwise.
    return member_cap if member_cap is not None else profile_cap


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


def lookups(cycle: Cycle | Row, applicant_pks: Collection[int | None] | None = None) -> Lookups:
    """The cycle's conflicts, readers, declines, applicants' items by side and categories: every applicant's,
    or only those of ``applicant_pks`` (a few queries per thousand applicants). ``cycle`` may be a row with its
    ``id`` and ``blind_across_items``."""
    found = Lookups(blind_across_items=cycle.blind_across_items)
    for where in _applicant_filters(cycle.id, applicant_pks):
        of_applicants = (_applicants.cycle_id == cycle.id, where(_applicants.id))
        of_items = (_items.cycle_id == cycle.id, where(_items.applicant_pk))
        for applicant_pk, reviewer_id in plain_rows(
            select(_conflicts.applicant_pk, _conflicts.reviewer_id)
            .join(Applicant.__table__, _applicants.id == _conflicts.applicant_pk)
            .where(*of_applicants)
        ):
            found.conflicts[applicant_pk].add(reviewer_id)
        for item_pk, owner_pk, kind in plain_rows(select(_items.id, _items.applicant_pk, _items.kind).where(*of_items)):
            found.sides[owner_pk, side_of(kind)].append(item_pk)
        for item_pk, reviewer_id in plain_rows(
            select(_assignments.item_pk, _assignments.reviewer_id)
            .join(Item.__table__, _items.id == _assignments.item_pk)
            .where(*of_items)
        ):
            found.readers[item_pk].add(reviewer_id)
        for item_pk, reviewer_id in plain_rows(
            select(_declines.item_pk, _declines.reviewer_id)
            .join(Item.__table__, _items.id == _declines.item_pk)
            .where(*of_items)
        ):
            found.declines[item_pk].add(reviewer_id)
        found.categories.update(
            plain_rows(
                select(_applications.applicant_pk, _applications.category)
                .join(Applicant.__table__, _applicants.id == _applications.applicant_pk)
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
                select(_applicants.id, _applicants.organization, _applicants.advisor_email).where(
                    _applicants.id.in_(ordered[start : start + BATCH])
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
