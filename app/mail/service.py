"""What the app tells people by e-mail, and when (docs/mail.md, "Messages").

Each function decides who gets which message from the data and queues it in
the outbox (``app.mail.outbox.queue``) in the caller's transaction; the
caller commits, and delivery happens after the response or in
``flask mail send``. Messages name items by their id only (essays stay blind)
and never carry a password or an essay's text.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, update

from app.assignment.models import Assignment, AssignmentDecline, AssignmentSource
from app.assignment.queue import QUEUE_ORDER
from app.audit.models import AuditEntry
from app.calibration import notices as calibration_notices
from app.calibration import service as calibration_service
from app.calibration.service import ReviewerStanding
from app.config import time_zone
from app.cycles import states
from app.cycles.models import Cycle, CycleMember, Item, ItemKind, ItemState, MemberRole
from app.extensions import db
from app.mail.models import OutboxMessage
from app.mail.outbox import queue
from app.people import tokens
from app.people.models import PasswordToken, Role, TokenPurpose, User
from app.people.notices import account_sign_ins_delayed
from app.people.service import normalise_email
from app.reports import ValidityReads, item_state_counts, validity_reads
from app.scoring.models import Read, ReadStatus
from app.timeutil import utcnow

FURTHER_READS = frozenset({AssignmentSource.THIRD_READER, AssignmentSource.EXTRA_READ})
# A reset link is sent at most once per this pause, and this many a day, per account.
RESET_PAUSE = timedelta(minutes=10)
RESETS_PER_DAY = 5
# Items in these states need no more reading: their pending reads are neither reminded nor counted overdue.
NO_LONGER_READ = states.FINAL_STATES | {ItemState.COMMITTEE}


def has_server() -> bool:
    return bool(current_app.config["MAIL_SERVER"])


def association_today() -> date:
    """The association's day (TIMEZONE): what "due", "overdue" and "one reminder a day" count in."""
    return datetime.now(time_zone(current_app.config["TIMEZONE"])).date()


def link(endpoint: str, **values) -> str:
    """An absolute link for a message: ``PUBLIC_URL`` and the route's path (never the request's Host header)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def effective_due():
    """An assignment's due date in SQL: its own, else its cycle's."""
    return func.coalesce(Assignment.due, Cycle.due)


# ---------------------------------------------------------------- invitations and password resets

ROLE_WORDS = {
    Role.REVIEWER: "a reviewer",
    Role.COMMITTEE: "a member of the Endorsement Committee",
    Role.COORDINATOR: "a coordinator",
}


def invite(user: User, *, actor_id: int | None = None, cycle: Cycle | None = None) -> bool:
    """Queue an invitation with a fresh set-password link, unless the account already has a password or a
    link that still works (then nobody is sent a second one). True when one was queued."""
    if user.password_hash is not None or not user.active:
        return False
    if tokens.open_token(user, TokenPurpose.INVITATION) is not None:
        return False
    days = current_app.config["INVITATION_DAYS"]
    secret, row = tokens.issue(user, TokenPurpose.INVITATION, timedelta(days=days), actor_id=actor_id)
    queue(
        "invitation",
        user.email,
        f"token:{row.id}",
        name=user.name,
        role=ROLE_WORDS[user.role],
        link=link("mail.set_password", token=secret),
        expires=row.expires_at,
        days=days,
        cycle=cycle.name if cycle else None,
        sign_in=link("people.login"),
    )
    return True


def invite_seated(cycle: Cycle, seats: Iterable, *, actor_id: int | None = None) -> list[str]:
    """Invite the accounts a seating change seated without a password (``app.cycles.seating.Seat`` rows);
    their e-mails."""
    invited = []
    for seat in seats:
        if (
            seat.changed
            and seat.needs_password
            and invite(db.session.get_one(User, seat.user_id), actor_id=actor_id, cycle=cycle)
        ):
            invited.append(seat.email)
    return invited


@dataclass
class InviteReport:
    invited: list[str] = field(default_factory=list)
    still_valid: list[str] = field(default_factory=list)  # a link sent earlier still works
    have_password: int = 0

    def describe(self) -> str:
        line = f"invited {len(self.invited)}"
        if self.still_valid:
            holds = "holds" if len(self.still_valid) == 1 else "hold"
            line += (
                f"; {len(self.still_valid)} still {holds} a valid invitation ({', '.join(self.still_valid[:5])}"
                f"{' …' if len(self.still_valid) > 5 else ''})"
            )
        return line + f"; {self.have_password} already {'has' if self.have_password == 1 else 'have'} a password"


def invite_cycle(
    cycle: Cycle, *, actor_id: int | None = None, roles: Iterable[MemberRole] = tuple(MemberRole)
) -> InviteReport:
    """Invite every active reviewer and committee member of the cycle (or those of ``roles``) who has no password
    yet."""
    members = db.session.scalars(
        select(User)
        .join(CycleMember, CycleMember.user_id == User.id)
        .where(CycleMember.cycle_id == cycle.id, CycleMember.role.in_(list(roles)), User.active)
        .distinct()
        .order_by(User.email)
    ).all()
    report = InviteReport()
    for user in members:
        if user.password_hash is not None:
            report.have_password += 1
        elif invite(user, actor_id=actor_id, cycle=cycle):
            report.invited.append(user.email)
        else:
            report.still_valid.append(user.email)
    return report


def request_password_reset(email: str) -> None:
    """Queue a reset link for the account with this address, if there is one that may sign in.

    The caller answers the same whatever happens here (an unknown address, a
    disabled account, a reset asked for a minute ago), so the page tells
    nobody which addresses have accounts.
    """
    user = db.session.scalar(select(User).filter_by(email=normalise_email(email)[:254]))
    if user is None or not user.active:
        return
    now = utcnow()
    if (
        tokens.issued_since(user, TokenPurpose.RESET, now - RESET_PAUSE)
        or tokens.issued_since(user, TokenPurpose.RESET, now - timedelta(days=1)) >= RESETS_PER_DAY
    ):
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    secret, row = tokens.issue(user, TokenPurpose.RESET, timedelta(minutes=minutes), actor_id=None)
    queue(
        "password_reset",
        user.email,
        f"token:{row.id}",
        name=user.name,
        link=link("mail.set_password", token=secret),
        expires=row.expires_at,
        minutes=minutes,
    )


def sign_ins_delayed(_app: Flask, *, user: User, failures: int, client: str | None) -> None:
    """The account holder is told once per episode that sign-ins to their account are being delayed
    (connected to ``app.people.notices.account_sign_ins_delayed``; runs in the failure's transaction)."""
    now = utcnow()
    queue(
        "sign_ins_delayed",
        user.email,
        f"at:{now.isoformat(timespec='seconds')}",
        name=user.name,
        failures=failures,
        client=client or "an unknown address",
        when=now,
        reset=link("mail.forgot_password"),
    )


def qualification_missed(_app: Flask, *, cycle: Cycle, standing: ReviewerStanding) -> None:
    """Every active coordinator is told that a reviewer missed the cycle's qualification set, once per reviewer
    and cycle (connected to ``app.calibration.notices.qualification_missed``; runs in the submit's transaction).
    The dashboard's *Qualification set* shows when they were told (``qualification_notices``)."""
    result = standing.qualification
    for coordinator in db.session.scalars(
        select(User).where(User.role == Role.COORDINATOR, User.active).order_by(User.email)
    ):
        queue(
            "qualification_missed",
            coordinator.email,
            _qualification_key(cycle.id, standing.user_id),
            name=coordinator.name,
            cycle=cycle.name,
            reviewer=standing.name,
            reviewer_email=standing.email,
            scored=result.submitted,
            adjacent=round(100 * (result.adjacent or 0)),
            threshold=round(100 * result.min_adjacent),
            dashboard=link("console.dashboard", cycle_id=cycle.id) + "#qualification-title",
        )


def _qualification_key(cycle_id: int, reviewer_id: int) -> str:
    return f"cycle:{cycle_id}:reviewer:{reviewer_id}"


def qualification_notices(cycle: Cycle) -> dict[int, datetime]:
    """Reviewer id → when the coordinators were first told that they missed the cycle's qualification set."""
    prefix = f"cycle:{cycle.id}:reviewer:"
    told: dict[int, datetime] = {}
    for key, created_at in db.session.execute(
        select(OutboxMessage.key, OutboxMessage.created_at).where(
            OutboxMessage.kind == "qualification_missed", OutboxMessage.key.startswith(prefix, autoescape=True)
        )
    ):
        reviewer_id = int(key[len(prefix) :])
        told[reviewer_id] = min(created_at, told.get(reviewer_id, created_at))
    return told


def connect_signals() -> None:
    account_sign_ins_delayed.connect(sign_ins_delayed)
    calibration_notices.qualification_missed.connect(qualification_missed)


# ---------------------------------------------------------------- new assignments and third reads


@dataclass(frozen=True)
class Entry:
    """One read in a message: the item's id, what it is, its cycle and when it is due."""

    item_id: str
    what: str
    cycle: str
    due: date | None
    link: str


@dataclass
class NoticeReport:
    digests: int = 0
    further: int = 0
    reads: int = 0


def _what(kind: ItemKind) -> str:
    return "application portfolio" if kind == ItemKind.APPLICATION else "essay"


def queue_assignment_notices(cycle: Cycle | None = None) -> NoticeReport:
    """One digest per reviewer of the reads given to them since they were last told, and one message for
    further (third) reads; each read is told once. Imported reads, reads already submitted and reads of items that
    need no more reading (agreed, resolved, decided, with the committee) are only marked.
    """
    query = (
        select(
            Assignment.id,
            Assignment.reviewer_id,
            Assignment.source,
            Item.item_id,
            Item.kind,
            Cycle.name,
            effective_due(),
            Read.status,
            User.email,
            User.name,
            User.active,
            Item.state,
            Cycle.id,
        )
        .join(Item, Assignment.item_pk == Item.id)
        .join(Cycle, Item.cycle_id == Cycle.id)
        .join(User, Assignment.reviewer_id == User.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .where(Assignment.notified_at.is_(None))
        .order_by(User.email, Cycle.name, *QUEUE_ORDER)
    )
    if cycle is not None:
        query = query.where(Item.cycle_id == cycle.id)
    rows = db.session.execute(query).all()
    # A read still closed behind its reviewer's qualification set is neither told nor marked: the digest after
    # they pass (or are released) names it, when it opens.
    opens = {
        cycle_id: released_to_reviewer(db.session.get_one(Cycle, cycle_id)) for cycle_id in {row[-1] for row in rows}
    }
    rows = [row for row in rows if opens[row[-1]](row[0], row[1])]
    if not rows:
        return NoticeReport()
    told: dict[tuple[str, str], list] = defaultdict(list)
    people: dict[str, str] = {}
    for assignment_id, _reviewer, source, item_id, kind, cycle_name, due, status, email, name, active, state, _ in rows:
        if not active or source == AssignmentSource.IMPORT or status == ReadStatus.SUBMITTED:
            continue
        if state in NO_LONGER_READ:
            # Settled (or with the committee) before anyone was told, e.g. a third read `flask reconcile` gave
            # that the committee decided first: asking for it now would send the reviewer to a decided item.
            continue
        group = "third_read" if source in FURTHER_READS else "new_assignments"
        told[email, group].append(
            (
                assignment_id,
                Entry(item_id, _what(kind), cycle_name, due, link("scoring.score_page", assignment_id=assignment_id)),
            )
        )
        people[email] = name
    report = NoticeReport(reads=len(rows))
    for (email, group), entries in told.items():
        first = min(assignment_id for assignment_id, _ in entries)
        queue(
            group,
            email,
            f"assignments:{first}",
            name=people[email],
            entries=[entry for _, entry in entries],
            queue=link("scoring.queue"),
        )
        if group == "third_read":
            report.further += 1
        else:
            report.digests += 1
    db.session.execute(
        update(Assignment)
        .where(Assignment.id.in_([row[0] for row in rows]), Assignment.notified_at.is_(None))
        .values(notified_at=utcnow())
    )
    return report


# ---------------------------------------------------------------- reminders


@dataclass
class RemindReport:
    reminded: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    already_today: list[str] = field(default_factory=list)
    not_yet: int = 0  # reviewers with pending reads none of which is due within the days asked
    no_due_date: int = 0  # pending reads with no due date at all (neither their own nor the cycle's)

    def describe(self, days_before: int) -> str:
        line = (
            f"reminded {len(self.reminded)} reviewer{'s' if len(self.reminded) != 1 else ''} "
            f"({len(self.overdue)} overdue)"
        )
        if self.already_today:
            line += f"; {len(self.already_today)} already had a reminder today"
        if self.not_yet:
            line += (
                f"; {self.not_yet} {'has' if self.not_yet == 1 else 'have'} nothing due within {days_before} "
                f"day{'s' if days_before != 1 else ''}"
            )
        if self.no_due_date:
            one = self.no_due_date == 1
            reads = "read has" if one else "reads have"
            line += f"; {self.no_due_date} pending {reads} no due date (set one for the cycle)"
        return line


def pending_reads(cycle: Cycle):
    """(assignment id, reviewer id, e-mail, name, item id, kind, due) of the cycle's reads still to be
    submitted by active reviewers, on items that still need them; in a cycle with a qualification set, only
    the reads released to their reviewer (docs/calibration.md)."""
    rows = db.session.execute(
        select(Assignment.id, User.id, User.email, User.name, Item.item_id, Item.kind, effective_due())
        .join(Item, Assignment.item_pk == Item.id)
        .join(Cycle, Item.cycle_id == Cycle.id)
        .join(User, Assignment.reviewer_id == User.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .where(
            Item.cycle_id == cycle.id,
            User.active,
            Item.state.not_in(NO_LONGER_READ),
            (Read.id.is_(None)) | (Read.status == ReadStatus.DRAFT),
        )
        .order_by(User.email, effective_due(), *QUEUE_ORDER)
    ).all()
    opens = released_to_reviewer(cycle)
    return [row for row in rows if opens(row[0], row[1])]


def released_to_reviewer(cycle: Cycle) -> Callable[[int, int], bool]:
    """(assignment id, reviewer id) → whether the read is open to its reviewer: every read, or in a cycle with
    a qualification set only the set's until the reviewer passes it or is released (docs/calibration.md)."""
    if not cycle.qualify_items:
        return lambda _assignment_id, _reviewer_id: True
    standings = calibration_service.standings(cycle)
    return lambda assignment_id, reviewer_id: (
        (standing := standings.get(reviewer_id)) is None or standing.opens(assignment_id)
    )


def remind(cycle: Cycle, *, days_before: int, today: date | None = None) -> RemindReport:
    """A reminder to each reviewer of the cycle whose pending reads are due within ``days_before`` days, and
    an overdue reminder to those with a read past its due date; at most one a day per reviewer, whatever the
    cycle (the outbox's key is the day)."""
    today = today or association_today()
    by_reviewer: dict[str, list] = defaultdict(list)
    names: dict[str, str] = {}
    report = RemindReport()
    for assignment_id, _user_id, email, name, item_id, kind, due in pending_reads(cycle):
        if due is None:
            report.no_due_date += 1
            continue
        by_reviewer[email].append(
            Entry(item_id, _what(kind), cycle.name, due, link("scoring.score_page", assignment_id=assignment_id))
        )
        names[email] = name
    for email, entries in by_reviewer.items():
        late = [entry for entry in entries if entry.due < today]
        soon = [entry for entry in entries if entry.due >= today and (entry.due - today).days <= days_before]
        if not late and not soon:
            report.not_yet += 1
            continue
        template = "overdue" if late else "reminder"
        queued = queue(
            "reminder",
            email,
            f"day:{today.isoformat()}",
            template=template,
            name=names[email],
            cycle=cycle.name,
            late=late,
            soon=soon,
            pending=entries,
            today=today,
            queue=link("scoring.queue"),
        )
        if queued is None:
            report.already_today.append(email)
            continue
        report.reminded.append(email)
        if late:
            report.overdue.append(email)
    return report


# ---------------------------------------------------------------- reopened reads


def read_reopened(read: Read, reason: str) -> None:
    """Tell the reviewer their submitted read is open again, with the coordinator's reason."""
    assignment = read.assignment
    reviewer = assignment.reviewer
    if not reviewer.active:
        return
    reopenings = (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "read.reopen", AuditEntry.object_id == read.id)
        )
        or 0
    )
    queue(
        "read_reopened",
        reviewer.email,
        f"read:{read.id}:{reopenings}",
        name=reviewer.name,
        item_id=assignment.item.item_id,
        what=_what(assignment.item.kind),
        cycle=assignment.item.cycle.name,
        reason=reason.strip(),
        link=link("scoring.score_page", assignment_id=assignment.id),
    )


# ---------------------------------------------------------------- the coordinator's digest


@dataclass(frozen=True)
class OverdueRow:
    email: str
    name: str
    reads: int
    oldest: date


@dataclass(frozen=True)
class CycleDigest:
    cycle: str
    due: date | None
    states: list[tuple[str, int]]
    assigned: int
    submitted: int
    declines: list[tuple[str, str, str, datetime]]  # item id, reviewer, reason, when (the last 7 days)
    declines_open: int  # declined items still short of readers
    overdue: list[OverdueRow]
    validity: ValidityReads | None = None  # with validity essays: counted apart from the states

    @property
    def pending(self) -> int:
        return self.assigned - self.submitted


def overdue_reads(cycle: Cycle, today: date | None = None) -> list[tuple]:
    """The cycle's pending reads past their due date: (assignment id, e-mail, name, item id, kind, due)."""
    today = today or association_today()
    return [
        (assignment_id, email, name, item_id, kind, due)
        for assignment_id, _user_id, email, name, item_id, kind, due in pending_reads(cycle)
        if due is not None and due < today
    ]


def cycle_digest(cycle: Cycle, today: date | None = None) -> CycleDigest:
    today = today or association_today()
    counts = item_state_counts(cycle)  # validity essays apart (docs/calibration.md)
    validity = validity_reads(cycle)
    assigned, submitted = db.session.execute(
        select(func.count(Assignment.id), func.count(Read.id).filter(Read.status == ReadStatus.SUBMITTED))
        .join(Item, Assignment.item_pk == Item.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .where(Item.cycle_id == cycle.id)
    ).one()
    since = utcnow() - timedelta(days=7)
    declines = db.session.execute(
        select(Item.item_id, User.email, AssignmentDecline.reason, AssignmentDecline.declined_at)
        .join(Item, AssignmentDecline.item_pk == Item.id)
        .join(User, AssignmentDecline.reviewer_id == User.id)
        .where(Item.cycle_id == cycle.id, AssignmentDecline.declined_at >= since)
        .order_by(AssignmentDecline.declined_at)
    ).all()
    open_declines = (
        db.session.scalar(
            select(func.count(func.distinct(AssignmentDecline.item_pk)))
            .join(Item, AssignmentDecline.item_pk == Item.id)
            .where(Item.cycle_id == cycle.id, Item.state == ItemState.UNASSIGNED)
        )
        or 0
    )
    late: dict[str, list] = defaultdict(list)
    for _id, email, name, _item, _kind, due in overdue_reads(cycle, today):
        late[email].append((name, due))
    overdue = [
        OverdueRow(email, rows[0][0], len(rows), min(due for _, due in rows))
        for email, rows in sorted(late.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    ]
    return CycleDigest(
        cycle=cycle.name,
        due=cycle.due,
        states=[(state.value.replace("_", " "), counts.get(state, 0)) for state in ItemState if counts.get(state)],
        assigned=assigned,
        submitted=submitted,
        declines=[(item_id, email, reason, when) for item_id, email, reason, when in declines],
        declines_open=open_declines,
        overdue=overdue,
        validity=validity if validity.essays else None,
    )


def coordinator_digest(cycle: Cycle, today: date | None = None) -> int:
    """The cycle's progress, declines and overdue reads to every active coordinator, once a day; how many were
    queued."""
    today = today or association_today()
    digest = cycle_digest(cycle, today)
    queued = 0
    for coordinator in db.session.scalars(
        select(User).where(User.role == Role.COORDINATOR, User.active).order_by(User.email)
    ):
        if (
            queue(
                "coordinator_digest",
                coordinator.email,
                f"cycle:{cycle.id}:day:{today.isoformat()}",
                name=coordinator.name,
                digest=digest,
                today=today,
                dashboard=link("console.dashboard", cycle_id=cycle.id),
                overdue_page=link("mail.overdue", cycle_id=cycle.id),
            )
            is not None
        ):
            queued += 1
    return queued


def open_invitations(users: Iterable[User]) -> dict[int, PasswordToken]:
    """Account id → its invitation link that still works, for the console's user lists."""
    ids = [user.id for user in users]
    if not ids:
        return {}
    now = utcnow()
    rows = db.session.scalars(
        select(PasswordToken).where(
            PasswordToken.user_id.in_(ids),
            PasswordToken.purpose == TokenPurpose.INVITATION,
            PasswordToken.used_at.is_(None),
            PasswordToken.expires_at > now,
        )
    )
    return {row.user_id: row for row in rows}
