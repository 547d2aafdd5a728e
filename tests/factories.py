"""Small factory functions for tests: each adds rows and flushes, returning the model."""

from app.assignment.models import Assignment, AssignmentSource
from app.cycles.models import Applicant, Application, Conflict, Cycle, CycleMember, Item, ItemKind, MemberRole
from app.extensions import db
from app.people.models import ReviewerProfile, Role, User
from app.scoring import service as scoring
from app.scoring.models import Read, ReadStatus, Score
from app.timeutil import utcnow

_counter = iter(range(1, 10**9))

# The six domains of the shipped Clinical essay rubric (imhm-c-essay, make_essay's default), in the pack's order.
# Written out by hand, never read from the pack: tests/unit/test_rubrics.py checks the pack against them.
ESSAY_DOMAINS = (
    "theoretical_foundations",
    "direct_service_skills",
    "working_with_others",
    "reflection",
    "thinking",
    "communicating",
)

# The workbook's sheets in their order (docs/workbook.md), written out by hand.
WORKBOOK_SHEETS = [
    "Decisions",
    "Items",
    "Scores",
    "Agreement",
    "Reviewers",
    "Assignments",
    "Requirements",
    "Calibration",
    "Summary",
]
# The Requirements sheet's header row (docs/workbook.md), written out by hand.
REQUIREMENTS_HEADER = [
    "Applicant ID",
    "Name",
    "Category",
    "Requirement",
    "Label",
    "Figure",
    "Minimum",
    "Check",
    "Evidence",
    "Reviewer marks",
    "Final",
]


def window(seq: int):
    """One scoring window's save number, as a request carries it (base version 0: the window saw no change)."""
    return scoring.window_save("test-window", seq, 0)


def make_user(
    role: Role | str = Role.REVIEWER,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str | None = None,
    active: bool = True,
    designations: str = "",
    organization: str | None = None,
    endorsements: str = "",
) -> User:
    n = next(_counter)
    user = User(email=email or f"user{n}@example.org", name=name or f"User {n}", role=Role(role), active=active)
    if password is not None:
        from app.people.passwords import hash_password

        user.password_hash = hash_password(password)
    db.session.add(user)
    if Role(role) == Role.REVIEWER or organization is not None:  # anyone's organization is on their profile
        user.profile = ReviewerProfile(designations=designations, organization=organization, endorsements=endorsements)
    db.session.flush()
    return user


def make_cycle(name: str | None = None, readers: int = 2, due=None) -> Cycle:
    cycle = Cycle(name=name or f"Cycle {next(_counter)}", readers=readers, due=due)
    db.session.add(cycle)
    db.session.flush()
    return cycle


def add_member(
    cycle: Cycle, user: User, role: MemberRole | str = MemberRole.REVIEWER, max_load: int | None = None
) -> CycleMember:
    member = CycleMember(cycle_id=cycle.id, user_id=user.id, role=MemberRole(role), max_load=max_load)
    db.session.add(member)
    db.session.flush()
    return member


def make_applicant(
    cycle: Cycle,
    *,
    applicant_id: str | None = None,
    name: str | None = None,
    category: str = "IMHM-C",
    organization: str | None = None,
    advisor_email: str | None = None,
    mc_score: float | None = None,
    figures: dict | None = None,
) -> Applicant:
    n = next(_counter)
    applicant = Applicant(
        cycle_id=cycle.id,
        applicant_id=applicant_id or f"A{n}",
        name=name or f"Applicant {n}",
        organization=organization,
        advisor_email=advisor_email,
    )
    applicant.application = Application(category=category, mc_score=mc_score, figures=figures or {})
    db.session.add(applicant)
    db.session.flush()
    return applicant


def make_essay(
    cycle: Cycle,
    applicant: Applicant,
    *,
    item_id: str | None = None,
    rubric_key: str = "imhm-c-essay",
    prompt: str = "A vignette",
    response: str = "An answer",
) -> Item:
    item = Item(
        cycle_id=cycle.id,
        item_id=item_id or f"E{next(_counter)}",
        kind=ItemKind.ESSAY,
        applicant_pk=applicant.id,
        rubric_key=rubric_key,
        prompt=prompt,
        response=response,
    )
    db.session.add(item)
    db.session.flush()
    return item


def make_application_item(cycle: Cycle, applicant: Applicant, *, rubric_key: str = "imhm-c-application") -> Item:
    """The applicant's application (portfolio) item, named ``APP-<applicant id>`` as the importer names it."""
    item = Item(
        cycle_id=cycle.id,
        item_id=f"APP-{applicant.applicant_id}",
        kind=ItemKind.APPLICATION,
        applicant_pk=applicant.id,
        rubric_key=rubric_key,
    )
    db.session.add(item)
    db.session.flush()
    return item


def make_conflict(reviewer: User, applicant: Applicant, reason: str = "declared") -> Conflict:
    conflict = Conflict(reviewer_id=reviewer.id, applicant_pk=applicant.id, reason=reason)
    db.session.add(conflict)
    db.session.flush()
    return conflict


def assign(item: Item, reviewer: User, source: AssignmentSource = AssignmentSource.MANUAL) -> Assignment:
    assignment = Assignment(item_pk=item.id, reviewer_id=reviewer.id, source=source)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def submitted_read(
    assignment: Assignment, scores: dict[str, int], number: int | None = None, comments: dict[str, str] | None = None
) -> Read:
    """A submitted read with the given domain scores."""
    read = Read(assignment_id=assignment.id, status=ReadStatus.SUBMITTED, number=number, submitted_at=utcnow())
    db.session.add(read)
    db.session.flush()
    for key, value in scores.items():
        db.session.add(Score(read_id=read.id, domain_key=key, score=value, comment=(comments or {}).get(key)))
    db.session.flush()
    return read
