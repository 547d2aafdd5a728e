"""The order of a reviewer's queue: its one home (docs/assignment.md, "Queue order").

Every assignment has a ``position``; a reviewer's queue lists their reads by position (then by id, so reads
placed together without a position of their own keep the order they were made in). The queue page, the
scoring page's previous and next links, the "next item to score" and the e-mails that list reads all sort
with ``QUEUE_ORDER``.

A read given on its own (by hand, a third reader, a refill, an import) goes to the end of the queue.
Auto-assignment lays out each reviewer's new reads at once (``lay_out``): in a cycle with validity essays
the live reads in a random order and the validity reads spread evenly among them, so that neither their
place nor the item ids' order tells a validity essay apart (docs/calibration.md, "Seeding").
"""

import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import TypeVar

from sqlalchemy import func, select, update

from app.assignment.models import Assignment
from app.bulk import BATCH, plain_rows
from app.cycles.models import Cycle, Item
from app.extensions import db

QUEUE_ORDER = (Assignment.position, Assignment.id)

Key = TypeVar("Key")

# The layout must not be reproducible from what a reviewer can know (the code is public, their queue's
# length and ids are on the page): the random order comes from the operating system, not from a seed.
_ORDERING = random.SystemRandom()


def lay_out(live: Sequence[Key], validity: Sequence[Key], rng: random.Random) -> list[Key]:
    """One queue of ``live`` and ``validity`` reads: the live reads shuffled, one validity read in each of
    ``len(validity)`` equal stretches of the queue at a random place in it, never in a stretch's last place.

    So two validity reads are never next to each other while a stretch is at least two reads long (a
    validity rate of at most one half), and at most ``2 · ⌈n / v⌉ − 3`` live reads lie between two of them
    (n reads, v of them validity). Pure; ``rng`` decides the order.
    """
    shuffled_live = list(live)
    rng.shuffle(shuffled_live)
    shuffled_validity = list(validity)
    rng.shuffle(shuffled_validity)
    total, count = len(shuffled_live) + len(shuffled_validity), len(shuffled_validity)
    slots = set()
    for stretch in range(count):
        start, end = stretch * total // count, (stretch + 1) * total // count
        slots.add(rng.randrange(start, max(start + 1, end - 1)))
    live_reads, validity_reads = iter(shuffled_live), iter(shuffled_validity)
    return [next(validity_reads) if place in slots else next(live_reads) for place in range(total)]


def next_positions(reviewer_ids: Collection[int]) -> dict[int, int]:
    """Reviewer → the first position after everything in their queue (1 for an empty one); one query."""
    if not reviewer_ids:
        return {}
    assignments = Assignment.__table__.c  # no ORM statement: reconciliation runs this (docs/architecture.md)
    last = dict(
        plain_rows(
            select(assignments.reviewer_id, func.max(assignments.position))
            .where(assignments.reviewer_id.in_(sorted(reviewer_ids)))
            .group_by(assignments.reviewer_id)
        )
    )
    return {reviewer_id: (last.get(reviewer_id) or 0) + 1 for reviewer_id in reviewer_ids}


def appended(rows: Iterable[dict]) -> list[dict]:
    """Assignment rows (with ``reviewer_id``) given positions at the end of their reviewers' queues, in the
    rows' order."""
    rows = list(rows)
    following = next_positions({row["reviewer_id"] for row in rows})
    placed = []
    for row in rows:
        placed.append({**row, "position": following[row["reviewer_id"]]})
        following[row["reviewer_id"]] += 1
    return placed


def place_new_reads(cycle: Cycle, assignment_ids: Collection[int], *, rng: random.Random = _ORDERING) -> None:
    """Lay out the reads just given in ``cycle`` (assignment ids, made at the ends of their reviewers' queues),
    each reviewer's among the positions they were given.

    A reviewer's qualification set (their first ``qualify_items`` validity assignments) goes first, in the
    order made: it is all their queue shows until they pass it (docs/calibration.md, "Qualification"). The
    rest follow: ``lay_out`` in a cycle with validity essays, else in the order made (item ids).
    """
    shuffle = _has_validity_essays(cycle)
    if not assignment_ids or not (shuffle or cycle.qualify_items):
        return  # made in item id order, and so they stay
    ids = sorted(assignment_ids)
    rows: list[tuple[int, int, int, bool]] = []
    for start in range(0, len(ids), BATCH):
        rows.extend(
            db.session.execute(
                select(Assignment.reviewer_id, Assignment.id, Assignment.position, Item.validity)
                .join(Item, Assignment.item_pk == Item.id)
                .where(Assignment.id.in_(ids[start : start + BATCH]))
            ).all()
        )
    new_reads: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for reviewer_id, assignment_id, position, validity in sorted(rows):
        new_reads[reviewer_id].append((assignment_id, position, validity))
    in_set = _qualification_sets(cycle, new_reads) if cycle.qualify_items else set()
    changes: list[dict[str, int]] = []
    for reads in new_reads.values():
        head = [assignment_id for assignment_id, _, _ in reads if assignment_id in in_set]
        others = [(assignment_id, validity) for assignment_id, _, validity in reads if assignment_id not in in_set]
        if shuffle:
            rest = lay_out(
                [assignment_id for assignment_id, validity in others if not validity],
                [assignment_id for assignment_id, validity in others if validity],
                rng,
            )
        else:
            rest = [assignment_id for assignment_id, _ in others]
        positions = sorted(position for _, position, _ in reads)
        given = {assignment_id: position for assignment_id, position, _ in reads}
        changes.extend(
            {"id": assignment_id, "position": position}
            for assignment_id, position in zip(head + rest, positions, strict=True)
            if given[assignment_id] != position
        )
    if changes:
        db.session.execute(update(Assignment), changes)


def _has_validity_essays(cycle: Cycle) -> bool:
    return (
        db.session.scalar(select(Item.id).where(Item.cycle_id == cycle.id, Item.validity.is_(True)).limit(1))
        is not None
    )


def _qualification_sets(cycle: Cycle, reviewer_ids: Iterable[int]) -> set[int]:
    """The assignment ids of these reviewers' qualification sets: each one's first ``qualify_items`` validity
    assignments in the order made (as ``app.calibration.service`` reads them)."""
    rows = db.session.execute(
        select(Assignment.reviewer_id, Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .where(Item.cycle_id == cycle.id, Item.validity.is_(True), Assignment.reviewer_id.in_(sorted(reviewer_ids)))
        .order_by(Assignment.reviewer_id, Assignment.id)
    ).all()
    firsts: dict[int, list[int]] = defaultdict(list)
    for reviewer_id, assignment_id in rows:
        if len(firsts[reviewer_id]) < cycle.qualify_items:
            firsts[reviewer_id].append(assignment_id)
    return {assignment_id for ids in firsts.values() for assignment_id in ids}
