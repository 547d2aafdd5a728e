"""What the coordinator console needs beyond the area services: the cycle dashboard, the
assignment preview's fingerprint, item and audit listings, and account administration.

Every listing runs a fixed number of queries however large the cycle is; the
shaping of rows is done by pure functions over plain tuples so it is tested
without a request. Callers commit; every change adds an audit entry.
"""
import hashlib
import json
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, or_, select

from app.assignment import service as assignment_service
from app.assignment.models import Assignment
from app.audit.models import AuditEntry
from app.audit.service import record
from app.cycles.models import Cycle, CycleMember, Item, ItemState, MemberRole
from app.extensions import db
from app.imports.validate import CATEGORY_CODES
from app.people import service as people_service
from app.people.models import ReviewerProfile, Role, User, split_codes
from app.rubrics.registry import get_rubric
from app.scoring.models import Read, ReadStatus

DESIGNATION_NAMES = {"C": "Clinical (C)", "P": "Policy (P)", "RF": "Research/Faculty (RF)"}
NO_DESIGNATION = "No designation needed"
AUDIT_PAGE_SIZE = 50
ITEM_PAGE_SIZE = 100


class ConsoleError(ValueError):
    """A console action was refused; the message names the field and the reason."""


class StalePlan(ConsoleError):
    """The data changed between the preview and the confirmation; ``plan`` is the plan for the data as it is now."""

    def __init__(self, plan: assignment_service.Plan):
        super().__init__("The assignment data changed since the preview, so nothing was assigned. "
                         "Check the new preview below and confirm again.")
        self.plan = plan


# ---------------------------------------------------------------- dashboard

@dataclass(frozen=True)
class ProgressRow:
    """Reads assigned and submitted for one reviewer or one designation."""
    label: str
    detail: str
    assigned: int
    submitted: int

    @property
    def pending(self) -> int:
        return self.assigned - self.submitted

    @property
    def percent(self) -> int:
        return math.floor(100 * self.submitted / self.assigned) if self.assigned else 0


@dataclass(frozen=True)
class Dashboard:
    cycle: Cycle
    state_counts: dict[str, int]  # every ItemState value, in workflow order
    reviewers: list[ProgressRow]
    designations: list[ProgressRow]

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
    """Item counts per state and read progress per reviewer and per designation, in four queries."""
    states = dict(db.session.execute(select(Item.state, func.count()).where(Item.cycle_id == cycle.id)
                                     .group_by(Item.state)).all())
    submitted = func.coalesce(func.sum(case((Read.status == ReadStatus.SUBMITTED, 1), else_=0)), 0)
    reads = (select(func.count(Assignment.id), submitted).select_from(Assignment)
             .join(Item, Item.id == Assignment.item_pk).outerjoin(Read, Read.assignment_id == Assignment.id)
             .where(Item.cycle_id == cycle.id))
    by_reviewer = db.session.execute(reads.add_columns(Assignment.reviewer_id).group_by(Assignment.reviewer_id)).all()
    by_rubric = db.session.execute(reads.add_columns(Item.rubric_key).group_by(Item.rubric_key)).all()
    reviewer_counts = {reviewer_id: (assigned, done) for assigned, done, reviewer_id in by_reviewer}
    people = db.session.execute(select(User.id, User.email, User.name).where(or_(
        User.id.in_(select(CycleMember.user_id).where(CycleMember.cycle_id == cycle.id,
                                                      CycleMember.role == MemberRole.REVIEWER)),
        User.id.in_(list(reviewer_counts))))).all()
    return Dashboard(cycle=cycle, state_counts=state_counts(states),
                     reviewers=reviewer_progress(people, reviewer_counts),
                     designations=designation_progress({key: (a, s) for a, s, key in by_rubric}, _designation_of))


def state_counts(counts: dict[Any, int]) -> dict[str, int]:
    """Every item state in workflow order with its count (0 when no item is in it)."""
    by_value = {ItemState(state).value: count for state, count in counts.items()}
    return {state.value: by_value.get(state.value, 0) for state in ItemState}


def reviewer_progress(people: Iterable[tuple[int, str, str]],
                      counts: dict[int, tuple[int, int]]) -> list[ProgressRow]:
    """One row per reviewer (pool members without reads included), most pending first, then by e-mail."""
    rows = [ProgressRow(label=name, detail=email, assigned=counts.get(user_id, (0, 0))[0],
                        submitted=counts.get(user_id, (0, 0))[1]) for user_id, email, name in people]
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
    return [ProgressRow(label=DESIGNATION_NAMES.get(code, code) if code else NO_DESIGNATION,
                        detail=", ".join(sorted(rubrics[code])), assigned=totals[code][0], submitted=totals[code][1])
            for code in order]


def _designation_of(rubric_key: str) -> str | None:
    try:
        return get_rubric(rubric_key).designation
    except KeyError:
        return None


# ---------------------------------------------------------------- auto-assignment preview and confirm

def plan_fingerprint(plan: assignment_service.Plan) -> str:
    """A digest of everything the preview shows: the reads, shortfalls with reasons, and each reviewer's
    load before and after. Any change to the data that would change what the coordinator saw changes it."""
    payload = {
        "cycle": plan.cycle_id, "readers": plan.readers, "considered": plan.items_considered,
        "reads": sorted([read.item_pk, read.reviewer_id] for read in plan.reads),
        "shortfalls": sorted([s.item_key, s.wanted, s.planned, s.reason] for s in plan.shortfalls),
        "loads": sorted([r.reviewer_id, r.max_load, r.before, r.after] for r in plan.reviewers),
        "completed": sorted(plan.items_completed),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def preview_assignment(cycle: Cycle, readers: int) -> tuple[assignment_service.Plan, str]:
    """The auto-assignment plan (nothing written) and its fingerprint."""
    plan = assignment_service.plan_assignment(cycle, readers)
    return plan, plan_fingerprint(plan)


def confirm_assignment(cycle: Cycle, readers: int, fingerprint: str, *, actor_id: int) -> assignment_service.Plan:
    """Write the auto-assignment plan, but only if it is exactly the one previewed.

    The plan written is checked against the preview's fingerprint before the
    transaction can commit; on any difference everything is rolled back and
    StalePlan carries the plan for the data as it is now.
    """
    written = assignment_service.auto_assign(cycle, readers, actor_id=actor_id)
    if plan_fingerprint(written) != fingerprint:
        db.session.rollback()
        raise StalePlan(replace(written, written=False))
    return written


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


def cycle_items(cycle: Cycle, *, state: str | None = None, search: str = "", number: int = 1) -> Page:
    """One page of the cycle's items in item-id order with their readers and read status (three queries)."""
    where = [Item.cycle_id == cycle.id]
    if state:
        where.append(Item.state == ItemState(state))
    if search.strip():
        where.append(func.lower(Item.item_id).contains(search.strip().lower(), autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(Item).where(*where)) or 0
    number, pages = page_bounds(total, number, ITEM_PAGE_SIZE)
    items = db.session.execute(select(Item.id, Item.item_id, Item.kind, Item.rubric_key, Item.state).where(*where)
                               .order_by(Item.item_id).limit(ITEM_PAGE_SIZE)
                               .offset((number - 1) * ITEM_PAGE_SIZE)).all()
    readers: dict[int, list[ReaderRow]] = {}
    if items:
        for item_pk, assignment_id, email, status in db.session.execute(
                select(Assignment.item_pk, Assignment.id, User.email, Read.status)
                .join(User, User.id == Assignment.reviewer_id).outerjoin(Read, Read.assignment_id == Assignment.id)
                .where(Assignment.item_pk.in_([row.id for row in items])).order_by(User.email)):
            readers.setdefault(item_pk, []).append(ReaderRow(assignment_id, email, read_status(status)))
    rows = [ItemRow(pk, item_id, kind.value, rubric_key, state.value, tuple(readers.get(pk, ())))
            for pk, item_id, kind, rubric_key, state in items]
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


def item_assignments(item: Item, candidates: list[assignment_service.Candidate]) -> list[ItemAssignment]:
    """The item's assignments with their read, and whom each could be swapped to."""
    assignments = db.session.scalars(select(Assignment).where(Assignment.item_pk == item.id)
                                     .options(db.joinedload(Assignment.reviewer), db.joinedload(Assignment.read))
                                     .order_by(Assignment.assigned_at, Assignment.id)).unique().all()
    eligible = tuple(candidate.user for candidate in candidates if not candidate.reasons)
    return [ItemAssignment(a, read_status(a.read.status if a.read else None), a.read, eligible)
            for a in assignments]


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
    every_line = tuple(ChangeLine(name, readable(old.get(name)), readable(new.get(name)))
                       for name in dict.fromkeys([*old, *new]))
    return tuple(line for line in every_line if line.before != line.after) or every_line


def audit_page(*, item_key: str = "", user: User | None = None, number: int = 1) -> Page:
    """Audit entries newest first, optionally only those of one item or by or about one user."""
    where = []
    if item_key.strip():
        where.append(AuditEntry.item_key == item_key.strip())
    if user is not None:
        where.append(or_(AuditEntry.actor_id == user.id,
                         (AuditEntry.object_type == "user") & (AuditEntry.object_id == user.id)))
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    number, pages = page_bounds(total, number, AUDIT_PAGE_SIZE)
    entries = db.session.scalars(select(AuditEntry).where(*where).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                 .limit(AUDIT_PAGE_SIZE).offset((number - 1) * AUDIT_PAGE_SIZE)).all()
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    actors = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(actor_ids))).all()) \
        if actor_ids else {}
    rows = [AuditRow(entry, actors.get(entry.actor_id, "system") if entry.actor_id else "system",
                     describe_change(entry.before, entry.after)) for entry in entries]
    return Page(rows, number, pages, total)


# ---------------------------------------------------------------- accounts

def generate_password() -> str:
    """A random password to hand over once (24 URL-safe characters, about 144 bits)."""
    return secrets.token_urlsafe(18)


def create_account(email: str, name: str, role: str, password: str | None, *,
                   actor_id: int) -> tuple[User, str | None]:
    """Create a user; without a password one is generated and returned (to be shown once)."""
    generated = None if password else generate_password()
    try:
        user = people_service.create_user(email, name, role, password or generated, actor_id=actor_id)
    except people_service.UserError as exc:
        raise ConsoleError(str(exc)) from None
    return user, generated


def reset_password(user: User, password: str | None, *, actor_id: int) -> str | None:
    """Set a new password (generated when none is given, and returned); the user's sessions end."""
    generated = None if password else generate_password()
    try:
        people_service.set_password(user, password or generated, actor_id=actor_id)
    except people_service.UserError as exc:
        raise ConsoleError(str(exc)) from None
    return generated


def set_account_active(user: User, active: bool, *, actor_id: int) -> None:
    """Enable or disable a sign-in; disabling ends every session of the user at once."""
    if user.id == actor_id and not active:
        raise ConsoleError("active: you cannot disable your own account")
    people_service.set_active(user, active, actor_id=actor_id)


def change_role(user: User, role: str, *, actor_id: int) -> None:
    """Give a user another role (reviewers get a profile); takes effect on their next request."""
    try:
        new_role = Role(role)
    except ValueError:
        raise ConsoleError(f"role: must be one of {', '.join(r.value for r in Role)}") from None
    if user.id == actor_id and new_role != Role.COORDINATOR:
        raise ConsoleError("role: you cannot take the coordinator role away from yourself")
    if new_role == user.role:
        return
    record("user.role", "user", user.id, actor_id=actor_id, before={"role": user.role.value},
           after={"role": new_role.value})
    user.role = new_role
    if new_role == Role.REVIEWER and user.profile is None:
        user.profile = ReviewerProfile()
    db.session.flush()


DESIGNATION_CODES = tuple(DESIGNATION_NAMES)


def normalise_codes(text: str | None, allowed: Iterable[str], field: str) -> str:
    """``"c, rf"`` → ``"C; RF"`` in the allowed order; an unknown code is an error naming it."""
    allowed = tuple(allowed)
    codes = split_codes(text)
    unknown = sorted(codes - set(allowed))
    if unknown:
        raise ConsoleError(f"{field}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not known "
                           f"(use {', '.join(allowed)})")
    return "; ".join(code for code in allowed if code in codes)


def update_profile(user: User, *, designations: str | None, endorsements: str | None, organization: str | None,
                   max_load: int | None, actor_id: int) -> None:
    """Change a reviewer's designations, endorsements, organization and standing load cap (audited)."""
    if user.role != Role.REVIEWER:
        raise ConsoleError("profile: only reviewers have a reviewer profile")
    if max_load is not None and max_load < 0:
        raise ConsoleError("max_load: must be 0 or more (leave it blank for no limit)")
    wanted = {"designations": normalise_codes(designations, DESIGNATION_CODES, "designations"),
              "endorsements": normalise_codes(endorsements, CATEGORY_CODES, "endorsements"),
              "organization": (organization or "").strip() or None, "max_load": max_load}
    profile = user.profile or ReviewerProfile(user=user)
    before = {name: getattr(profile, name) for name in wanted}
    changed = {name: value for name, value in wanted.items() if before[name] != value}
    if not changed:
        return
    for name, value in changed.items():
        setattr(profile, name, value)
    record("user.profile", "user", user.id, actor_id=actor_id, before={k: before[k] for k in changed}, after=changed)
    db.session.flush()


# ---------------------------------------------------------------- export

def export_filename(cycle_name: str, today: date | datetime) -> str:
    """``endorsement-<cycle-slug>-<YYYY-MM-DD>.xlsx``: ASCII letters, digits and hyphens only."""
    slug = re.sub(r"[^a-z0-9]+", "-", cycle_name.lower()).strip("-")[:60].strip("-") or "cycle"
    return f"endorsement-{slug}-{today.strftime('%Y-%m-%d')}.xlsx"
