"""What the coordinator console shows beyond the area services: the cycle dashboard, the cycle's items with their
readers, and the audit log.

Every listing runs a fixed number of queries however large the cycle is; the
shaping of rows is done by pure functions over plain data so it is tested
without a request.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from app.assignment.models import Assignment
from app.assignment.service import Candidate, Plan
from app.audit.models import AuditEntry
from app.calibration import service as calibration_service
from app.calibration.qualification import Standing
from app.calibration.service import ReviewerStanding
from app.cycles import states as states_rule
from app.cycles.models import Cycle, Item, ItemState
from app.extensions import db
from app.mail import service as mail_service
from app.people.models import User
from app.reports import (
    DecisionCounts,
    ReadCounts,
    ReviewerReads,
    ValidityReads,
    decision_counts,
    item_state_counts,
    reviewer_reads,
    rubric_reads,
    validity_reads,
)
from app.rubrics.registry import get_rubric
from app.scoring.models import Read, ReadStatus

DESIGNATION_NAMES = {"C": "Clinical (C)", "P": "Policy (P)", "RF": "Research/Faculty (RF)"}
NO_DESIGNATION = "No designation needed"
AUDIT_PAGE_SIZE = 50
ITEM_PAGE_SIZE = 100
PLAN_PAGE_SIZE = 100


# ---------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class ProgressRow(ReadCounts):
    """Reads assigned and submitted for one reviewer or one designation."""

    label: str
    detail: str


@dataclass(frozen=True)
class Dashboard:
    cycle: Cycle
    state_counts: dict[str, int]  # every ItemState value, in workflow order; validity essays apart
    reviewers: list[ProgressRow]
    designations: list[ProgressRow]
    decisions: DecisionCounts
    qualification: list[ReviewerStanding] = field(default_factory=list)  # with a qualification set, by e-mail
    validity: ValidityReads | None = None  # with validity essays: counted apart from the states
    # Reviewer id → when the coordinators were told by e-mail that the reviewer missed the set.
    qualification_told: dict[int, datetime] = field(default_factory=dict)

    @property
    def missed_qualification(self) -> int:
        """Reviewers waiting for the coordinator: the set missed and their items not released by hand."""
        return sum(1 for s in self.qualification if s.qualification.standing == Standing.MISSED)

    @property
    def total_items(self) -> int:
        return sum(self.state_counts.values())

    @property
    def assigned(self) -> int:
        return sum(row.assigned for row in self.reviewers)

    @property
    def submitted(self) -> int:
        return sum(row.submitted for row in self.reviewers)


def dashboard(cycle: Cycle) -> Dashboard:
    """Item counts per state, read progress per reviewer and per designation, and the applications decided
    and ready to decide."""
    validity = validity_reads(cycle)
    qualification = (
        sorted(calibration_service.standings(cycle).values(), key=lambda s: s.email) if cycle.qualify_items else []
    )
    return Dashboard(
        cycle=cycle,
        state_counts=state_counts(item_state_counts(cycle)),
        reviewers=reviewer_progress(reviewer_reads(cycle)),
        designations=designation_progress(rubric_reads(cycle), _designation_of),
        decisions=decision_counts(cycle),
        qualification=qualification,
        qualification_told=mail_service.qualification_notices(cycle) if cycle.qualify_items else {},
        validity=validity if validity.essays else None,
    )


def state_counts(counts: dict[Any, int]) -> dict[str, int]:
    """Every item state in workflow order with its count (0 when no item is in it)."""
    by_value = {ItemState(state).value: count for state, count in counts.items()}
    return {state.value: by_value.get(state.value, 0) for state in ItemState}


def reviewer_progress(reviewers: Iterable[ReviewerReads]) -> list[ProgressRow]:
    """One row per reviewer (pool members without reads included), most pending first, then by e-mail."""
    rows = [ProgressRow(label=r.name, detail=r.email, assigned=r.assigned, submitted=r.submitted) for r in reviewers]
    return sorted(rows, key=lambda row: (-row.pending, row.detail))


def designation_progress(counts: dict[str, tuple[int, int]], designation_of) -> list[ProgressRow]:
    """Reads summed over the rubrics needing each designation (C, P, RF), then those needing none."""
    totals: dict[str | None, list[int]] = {}
    rubrics: dict[str | None, list[str]] = {}
    for rubric_key, (assigned, submitted) in counts.items():
        code = designation_of(rubric_key)
        total = totals.setdefault(code, [0, 0])
        total[0] += assigned
        total[1] += submitted
        rubrics.setdefault(code, []).append(rubric_key)
    order = sorted(totals, key=lambda code: (code is None, code or ""))
    return [
        ProgressRow(
            label=DESIGNATION_NAMES.get(code, code) if code else NO_DESIGNATION,
            detail=", ".join(sorted(rubrics[code])),
            assigned=totals[code][0],
            submitted=totals[code][1],
        )
        for code in order
    ]


def _designation_of(rubric_key: str) -> str | None:
    try:
        return get_rubric(rubric_key).designation
    except KeyError:
        return None


# ---------------------------------------------------------------- the assignment preview's listing


def planned_reads(plan: Plan, *, who: str = "", item: str = "", number: int = 1) -> "Page":
    """One page of the plan's reads (item order), only those whose reviewer e-mail and item id contain the
    given text (ignoring case)."""
    who, item = who.strip().casefold(), item.strip().casefold()
    matching = [
        read for read in plan.reads if who in read.reviewer_email.casefold() and item in read.item_key.casefold()
    ]
    number, pages = page_bounds(len(matching), number, PLAN_PAGE_SIZE)
    start = (number - 1) * PLAN_PAGE_SIZE
    return Page(matching[start : start + PLAN_PAGE_SIZE], number, pages, len(matching))


# ---------------------------------------------------------------- items and their readers


@dataclass(frozen=True)
class ReaderRow:
    assignment_id: int
    email: str
    status: str  # assigned | draft | submitted


@dataclass(frozen=True)
class ItemRow:
    pk: int
    item_id: str
    kind: str
    rubric_key: str
    state: str
    readers: tuple[ReaderRow, ...]


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    pages: int
    total: int


def page_bounds(total: int, number: int, size: int) -> tuple[int, int]:
    """The page number clamped to 1…last page, and the number of pages (at least 1)."""
    pages = max(1, math.ceil(total / size))
    return min(max(1, number), pages), pages


VALIDITY_FILTER = "validity"  # the items page's filter for the validity essays, which no state filter lists


def cycle_items(cycle: Cycle, *, state: str | None = None, search: str = "", number: int = 1) -> Page:
    """One page of the cycle's items in item-id order with their readers and read status (three queries).

    A state lists the live items in it, as the dashboard counts them; ``VALIDITY_FILTER`` the validity essays."""
    where = [Item.cycle_id == cycle.id]
    if state == VALIDITY_FILTER:
        where.append(Item.validity.is_(True))
    elif state:
        where.extend((Item.state == ItemState(state), states_rule.COUNTED))
    if search.strip():
        where.append(func.lower(Item.item_id).contains(search.strip().lower(), autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(Item).where(*where)) or 0
    number, pages = page_bounds(total, number, ITEM_PAGE_SIZE)
    items = db.session.execute(
        select(Item.id, Item.item_id, Item.kind, Item.rubric_key, Item.state)
        .where(*where)
        .order_by(Item.item_id)
        .limit(ITEM_PAGE_SIZE)
        .offset((number - 1) * ITEM_PAGE_SIZE)
    ).all()
    readers: dict[int, list[ReaderRow]] = {}
    if items:
        for item_pk, assignment_id, email, status in db.session.execute(
            select(Assignment.item_pk, Assignment.id, User.email, Read.status)
            .join(User, User.id == Assignment.reviewer_id)
            .outerjoin(Read, Read.assignment_id == Assignment.id)
            .where(Assignment.item_pk.in_([row.id for row in items]))
            .order_by(User.email)
        ):
            readers.setdefault(item_pk, []).append(ReaderRow(assignment_id, email, read_status(status)))
    rows = [
        ItemRow(pk, item_id, kind.value, rubric_key, state.value, tuple(readers.get(pk, ())))
        for pk, item_id, kind, rubric_key, state in items
    ]
    return Page(rows, number, pages, total)


def read_status(status: ReadStatus | str | None) -> str:
    """An assignment's status as the export names it: assigned (no read yet), draft or submitted."""
    return ReadStatus(status).value if status else "assigned"


@dataclass(frozen=True)
class ItemAssignment:
    assignment: Assignment
    status: str
    read: Read | None
    swap_choices: tuple[User, ...]  # eligible reviewers who could take this read instead


def behind_qualification_set(cycle: Cycle, reviewer_ids: list[int]) -> set[int]:
    """The reviewers whose reads stay closed until they pass the cycle's qualification set or are released: the
    item page marks them, eligible as they are (docs/calibration.md)."""
    if not cycle.qualify_items:
        return set()
    standings = calibration_service.standings(cycle, reviewer_ids)
    return {reviewer_id for reviewer_id, standing in standings.items() if not standing.qualification.released}


def item_assignments(item: Item, candidates: list[Candidate]) -> list[ItemAssignment]:
    """The item's assignments with their read, and whom each could be swapped to."""
    assignments = (
        db.session.scalars(
            select(Assignment)
            .where(Assignment.item_pk == item.id)
            .options(db.joinedload(Assignment.reviewer), db.joinedload(Assignment.read))
            .order_by(Assignment.assigned_at, Assignment.id)
        )
        .unique()
        .all()
    )
    eligible = tuple(candidate.user for candidate in candidates if not candidate.reasons)
    return [ItemAssignment(a, read_status(a.read.status if a.read else None), a.read, eligible) for a in assignments]


# ---------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class ChangeLine:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor: str
    changes: tuple[ChangeLine, ...]


def readable(value: Any) -> str:
    """A stored audit value as a person would write it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(readable(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {readable(v)}" for key, v in value.items()) or "—"
    return str(value)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix or "value": value} if value is not None else {}


def describe_change(before: Any, after: Any) -> tuple[ChangeLine, ...]:
    """Before/after as one line per field (nested values as ``scores.reflection``); fields that read the same
    before and after (unchanged, or nothing then an empty list) are left out, except when nothing at all changed."""
    old, new = _flatten(before), _flatten(after)
    every_line = tuple(
        ChangeLine(name, readable(old.get(name)), readable(new.get(name))) for name in dict.fromkeys([*old, *new])
    )
    return tuple(line for line in every_line if line.before != line.after) or every_line


def audit_page(*, item_key: str = "", user: User | None = None, number: int = 1) -> Page:
    """Audit entries newest first, optionally only those of one item or by or about one user."""
    where = []
    if item_key.strip():
        where.append(AuditEntry.item_key == item_key.strip())
    if user is not None:
        where.append(
            or_(AuditEntry.actor_id == user.id, (AuditEntry.object_type == "user") & (AuditEntry.object_id == user.id))
        )
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    number, pages = page_bounds(total, number, AUDIT_PAGE_SIZE)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(*where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((number - 1) * AUDIT_PAGE_SIZE)
    ).all()
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    actors = (
        dict(db.session.execute(select(User.id, User.email).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    )
    rows = [
        AuditRow(
            entry,
            actors.get(entry.actor_id, "system") if entry.actor_id else "system",
            describe_change(entry.before, entry.after),
        )
        for entry in entries
    ]
    return Page(rows, number, pages, total)
