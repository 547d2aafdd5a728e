"""Loading the demo cycle through the same importers and auto-assignment a coordinator uses.

The demo loads once: when its cycle exists, ``load_demo`` changes nothing, so
``make run`` can call it on every start without undoing what someone did in
the browser. Everything is written in the caller's transaction, so a failed
load leaves nothing behind. It refuses a database that holds accounts or
cycles of its own (its passwords are public), unless forced.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app.assignment.models import Assignment
from app.assignment.service import auto_assign
from app.cycles import seating
from app.cycles.models import Applicant, Conflict, Cycle, CycleMember, Item, ItemKind, MemberRole
from app.cycles.service import create_cycle
from app.demo import content
from app.extensions import db
from app.imports.service import import_file
from app.people.models import User
from app.people.passwords import verify_password
from app.people.service import create_user
from app.reconcile.service import reconcile_cycle
from app.rubrics.registry import get_rubric
from app.scoring.models import Read, ReadStatus

DEMO_EMAIL_DOMAIN = "@demo.test"
PAPER_SESSION_START = time(9, 30)


class DemoError(RuntimeError):
    """The demo data did not load; the message says which import refused it and why."""


@dataclass
class DemoResult:
    cycle_name: str
    loaded_now: bool = False
    skipped_reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    shortfalls: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.skipped_reason:
            return [
                f"Demo not loaded: {self.skipped_reason}. Use --force to load it anyway "
                "(its accounts have public passwords)."
            ]
        c = self.counts
        verb = "loaded" if self.loaded_now else "already loaded; nothing changed"
        lines = [
            f"Demo cycle {self.cycle_name!r} {verb}: {c['applications']} applications, {c['essays']} essays, "
            f"{c['reviewers']} reviewers, {c['conflicts']} declared conflicts, "
            f"{c['assignments']} assignments ({c['submitted_reads']} reads already submitted)."
        ]
        lines += [f"  could not be filled: {reason}" for reason in self.shortfalls]
        return lines


def load_demo(*, force: bool = False, today: date | None = None) -> DemoResult:
    """Load the demo cycle unless it is there already; the caller commits."""
    name = content.CYCLE["name"]
    cycle = db.session.scalar(select(Cycle).filter_by(name=name))
    if cycle is not None:
        return DemoResult(name, counts=demo_counts(cycle))
    if not force and (reason := foreign_data()):
        return DemoResult(name, skipped_reason=reason)
    today = today or date.today()
    coordinator = _ensure_accounts()
    cycle = create_cycle(
        name, content.CYCLE["readers"], today + timedelta(days=content.CYCLE["due_in_days"]), actor_id=coordinator.id
    )
    seating.seat(
        cycle,
        [account["email"] for account in content.ACCOUNTS if account["role"] == "committee"],
        actor_id=coordinator.id,
    )
    for kind, rows in (
        ("reviewers", content.REVIEWERS),
        ("applications", application_rows(today)),
        *((kind, record_rows(kind, today)) for kind in RECORD_COLUMNS),
        ("essays", essay_rows()),
        ("conflicts", content.CONFLICTS),
        ("scores", score_rows(today)),
    ):
        _import(kind, rows, cycle, coordinator.id)
    plan = auto_assign(cycle, actor_id=coordinator.id)
    # The paper session's discrepant reads become the committee's first work (third readers or the board).
    reconcile_cycle(cycle, actor_id=coordinator.id)
    return DemoResult(
        name, loaded_now=True, counts=demo_counts(cycle), shortfalls=[shortfall.reason for shortfall in plan.shortfalls]
    )


def foreign_data() -> str | None:
    """Why this database is not the demo's to fill (someone's real accounts or cycles), or None."""
    if db.session.scalar(select(User.email).where(~User.email.endswith(DEMO_EMAIL_DOMAIN)).limit(1)):
        return "this database already has accounts of its own"
    if db.session.scalar(select(Cycle.name).limit(1)):
        return "this database already has cycles of its own"
    return None


def _ensure_accounts() -> User:
    """The demo's sign-in accounts (created when missing); returns the coordinator."""
    users = {}
    for account in content.ACCOUNTS:
        user = db.session.scalar(select(User).filter_by(email=account["email"]))
        if user is None:
            user = create_user(account["email"], account["name"], account["role"], account["password"])
        users[account["role"]] = user
    return users["coordinator"]


# ---------------------------------------------------------------- rows for the importers


def application_rows(today: date) -> list[dict]:
    rows = []
    for application in content.APPLICATIONS:
        row = {key: value for key, value in application.items() if key != "submitted_days_ago"}
        row["submitted_on"] = (today - timedelta(days=application["submitted_days_ago"])).isoformat()
        rows.append(row)
    return rows


# The columns of each kind of portfolio record in content.PORTFOLIO_RECORDS; "*_on" columns hold days ago.
RECORD_COLUMNS = {
    "training": ("applicant_id", "hours", "title", "topic", "completed_on"),
    "rsc": (
        "applicant_id",
        "hours",
        "provider",
        "provider_endorsement",
        "format",
        "about_providing",
        "peer",
        "started_on",
        "ended_on",
    ),
    "references": ("applicant_id", "rater", "rater_role", "rater_endorsement", "received_on"),
    "work": ("applicant_id", "started_on", "ended_on", "role", "kind", "with_infant_and_parent"),
}


def record_rows(kind: str, today: date) -> list[dict]:
    """The demo's portfolio records of one kind, with their dates counted back from ``today``."""
    rows = []
    for record in content.PORTFOLIO_RECORDS[kind]:
        row = dict(zip(RECORD_COLUMNS[kind], record, strict=True))
        for column in RECORD_COLUMNS[kind]:
            if column.endswith("_on"):
                row[column] = "" if row[column] is None else (today - timedelta(days=row[column])).isoformat()
        rows.append(row)
    return rows


def essay_response(prompt_key: str, levels: Iterable[int]) -> str:
    """The essay text: one version of each paragraph of the prompt's response, by quality level."""
    return "\n\n".join(
        versions[level - 1] for versions, level in zip(content.RESPONSE_PARTS[prompt_key], levels, strict=True)
    )


def essay_rows() -> list[dict]:
    rows = []
    for item_id, applicant_id, prompt_key, levels in content.ESSAYS:
        rubric_key, prompt = content.PROMPTS[prompt_key]
        rows.append(
            {
                "item_id": item_id,
                "applicant_id": applicant_id,
                "rubric": rubric_key,
                "prompt": prompt,
                "response": essay_response(prompt_key, levels),
            }
        )
    return rows


def score_rows(today: date) -> list[dict]:
    """One row per domain of each read scored at the paper session, in the rubric's domain order."""
    rubric_of = {item_id: content.PROMPTS[prompt_key][0] for item_id, _, prompt_key, _ in content.ESSAYS}
    session = datetime.combine(today - timedelta(days=content.PAPER_SESSION_DAYS_AGO), PAPER_SESSION_START)
    rows = []
    for number, (item_id, reviewer, scores) in enumerate(content.SCORED_READS):
        domains = get_rubric(rubric_of[item_id]).domain_keys
        if len(domains) != len(scores):
            raise DemoError(
                f"demo content: read of {item_id} by {reviewer} has {len(scores)} scores for {len(domains)} domains"
            )
        submitted_at = (session + timedelta(minutes=20 * number)).isoformat(sep=" ")
        rows += [
            {
                "item_id": item_id,
                "reviewer_email": reviewer,
                "domain": domain,
                "score": score,
                "submitted_at": submitted_at,
            }
            for domain, score in zip(domains, scores, strict=True)
        ]
    return rows


def _import(kind: str, rows: list[dict], cycle: Cycle, actor_id: int) -> None:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    result = import_file(kind, buffer.getvalue().encode("utf-8"), f"demo-{kind}.csv", cycle, actor_id=actor_id)
    if not result.ok:
        raise DemoError(f"the demo {kind} did not import:\n" + "\n".join(result.report()))


# ---------------------------------------------------------------- what is there


def demo_counts(cycle: Cycle) -> dict[str, int]:
    def count(statement) -> int:
        return db.session.scalar(statement) or 0

    items = select(func.count()).select_from(Item).where(Item.cycle_id == cycle.id)
    assignments = (
        select(func.count())
        .select_from(Assignment)
        .join(Item, Item.id == Assignment.item_pk)
        .where(Item.cycle_id == cycle.id)
    )
    return {
        "applications": count(items.where(Item.kind == ItemKind.APPLICATION)),
        "essays": count(items.where(Item.kind == ItemKind.ESSAY)),
        "reviewers": count(
            select(func.count())
            .select_from(CycleMember)
            .where(CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.REVIEWER)
        ),
        "conflicts": count(
            select(func.count()).select_from(Conflict).join(Applicant).where(Applicant.cycle_id == cycle.id)
        ),
        "assignments": count(assignments),
        "submitted_reads": count(
            select(func.count())
            .select_from(Read)
            .join(Assignment)
            .join(Item, Item.id == Assignment.item_pk)
            .where(Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED)
        ),
    }


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    name: str
    password: str
    password_works: bool


def demo_accounts() -> list[DemoAccount]:
    """The demo's sign-in accounts that exist, and whether the published password still opens each."""
    accounts = []
    for account in content.ACCOUNTS:
        user = db.session.scalar(select(User).filter_by(email=account["email"]))
        if user is not None:
            accounts.append(
                DemoAccount(
                    user.role.value,
                    user.email,
                    user.name,
                    account["password"],
                    verify_password(user.password_hash, account["password"]),
                )
            )
    return accounts
