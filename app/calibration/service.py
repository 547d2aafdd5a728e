"""A cycle's qualification standings from the database, and releasing a reviewer by hand (audited).

The pure rule is ``qualification.qualification``; this module loads each reviewer's qualification set (their
first ``qualify_items`` validity assignments in the order they were made) with the scores and expert scores.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from app import textlimits as limits
from app.assignment.models import Assignment
from app.audit.service import record
from app.calibration.figures import ScoredRead
from app.calibration.qualification import Qualification, Standing, qualification
from app.cycles.models import Cycle, CycleMember, Item, MemberRole, QualificationRelease, ReferenceScore
from app.errors import InputError
from app.extensions import db
from app.people.models import User
from app.scoring.models import Read, ReadStatus, Score


class QualificationError(InputError):
    """A release by hand that cannot be made; ``problems`` says why."""


@dataclass(frozen=True)
class ReviewerStanding:
    user_id: int
    email: str
    name: str
    qualification: Qualification
    set_assignments: frozenset[int]  # the assignments of their qualification set: open while the rest waits
    release: QualificationRelease | None = None

    def opens(self, assignment_id: int) -> bool:
        """Whether this reviewer's assignment is released to them: all once they pass, else only the set's."""
        return self.qualification.released or assignment_id in self.set_assignments


def standings(cycle: Cycle, reviewer_ids: Collection[int] | None = None) -> dict[int, ReviewerStanding]:
    """Reviewer id → their standing, for the cycle's pool (or the reviewers named); three queries."""
    people_query = (
        db.select(User.id, User.email, User.name)
        .join(CycleMember, CycleMember.user_id == User.id)
        .where(CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.REVIEWER)
    )
    if reviewer_ids is not None:
        people_query = people_query.where(User.id.in_(list(reviewer_ids)))
    people = db.session.execute(people_query).all()
    wanted = [person.id for person in people]
    releases = {
        release.reviewer_id: release
        for release in db.session.scalars(
            db.select(QualificationRelease).where(
                QualificationRelease.cycle_id == cycle.id, QualificationRelease.reviewer_id.in_(wanted)
            )
        )
    }
    sets = _qualification_sets(cycle, wanted)
    result = {}
    for person in people:
        reads = sets.get(person.id, [])
        result[person.id] = ReviewerStanding(
            person.id,
            person.email,
            person.name,
            qualification(
                cycle.qualify_items, cycle.qualify_min_adjacent, [read for _, read in reads], person.id in releases
            ),
            frozenset(assignment_id for assignment_id, _ in reads),
            releases.get(person.id),
        )
    return result


def standing_of(cycle: Cycle, reviewer_id: int) -> ReviewerStanding | None:
    """The reviewer's standing in the cycle, or None when they are not in its pool."""
    return standings(cycle, [reviewer_id]).get(reviewer_id)


def _qualification_sets(cycle: Cycle, reviewer_ids: list[int]) -> dict[int, list[tuple[int, ScoredRead | None]]]:
    """Reviewer → their first ``qualify_items`` validity assignments: (assignment id, the read against the expert
    scores once submitted, else None)."""
    if cycle.qualify_items <= 0 or not reviewer_ids:
        return {}
    rows = db.session.execute(
        db.select(
            Assignment.reviewer_id, Assignment.id, Item.rubric_key, Read.status, Score.score, ReferenceScore.score
        )
        .join(Item, Assignment.item_pk == Item.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .outerjoin(Score, Score.read_id == Read.id)
        .outerjoin(
            ReferenceScore, (ReferenceScore.item_pk == Item.id) & (ReferenceScore.domain_key == Score.domain_key)
        )
        .where(Item.cycle_id == cycle.id, Item.validity.is_(True), Assignment.reviewer_id.in_(reviewer_ids))
        .order_by(Assignment.reviewer_id, Assignment.id)
    )
    pairs: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    order: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    for reviewer_id, assignment_id, rubric_key, status, own, expert in rows:
        entries = order[reviewer_id]
        if not entries or entries[-1][0] != assignment_id:
            entries.append((assignment_id, rubric_key, status == ReadStatus.SUBMITTED))
        if own is not None and expert is not None:
            pairs[(reviewer_id, assignment_id)].append((own, float(expert)))
    return {
        reviewer_id: [
            (
                assignment_id,
                ScoredRead(rubric_key, (), tuple(pairs[(reviewer_id, assignment_id)])) if submitted else None,
            )
            for assignment_id, rubric_key, submitted in entries[: cycle.qualify_items]
        ]
        for reviewer_id, entries in order.items()
    }


def release(cycle: Cycle, reviewer: User, reason: str | None, *, actor_id: int | None) -> QualificationRelease:
    """Release a reviewer's items although they have not passed the qualification set (audited). The caller
    commits."""
    reason = (reason or "").strip()
    if not reason:
        raise QualificationError.of("reason", "say why the reviewer's items are released without the set passed")
    reason = limits.bounded(reason, limits.REASON, "reason", QualificationError.of)
    standing = standing_of(cycle, reviewer.id)
    if standing is None:
        raise QualificationError.of("reviewer", f"{reviewer.email} is not a reviewer of {cycle.name}")
    if standing.qualification.released:
        raise QualificationError.of(
            "reviewer",
            f"{reviewer.email}'s items are already released "
            f"({standing.qualification.standing.value.replace('_', ' ')})",
        )
    entry = QualificationRelease(cycle_id=cycle.id, reviewer_id=reviewer.id, reason=reason, released_by_id=actor_id)
    db.session.add(entry)
    db.session.flush()
    record(
        "qualification.release",
        "user",
        reviewer.id,
        actor_id=actor_id,
        cycle_id=cycle.id,
        note=reason,
        before={
            "standing": standing.qualification.standing.value,
            "submitted": standing.qualification.submitted,
            "adjacent": standing.qualification.adjacent,
        },
        after={"standing": Standing.RELEASED.value},
    )
    return entry
