"""A seeded world for the hostile tests: two cycles, one user per role, canary applicants, and the objects
every URL parameter of ``app.url_map`` can be filled with.

Who may see which object is written out by hand here (``VISIBLE``), from docs/access.md and docs/security.md
(requirements 7–9), and
never computed with the product's own access helpers, so the matrix checks the product against the rules.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.committee.models import CommitteeResolution, Decision, DecisionValue
from app.cycles.models import ItemState
from app.extensions import db
from app.mail.models import OutboxMessage
from app.people.models import Role, User
from app.rubrics.registry import application_rubric_for
from app.scoring.models import CheckStatus, ItemFlag, Read, ReadStatus, RequirementCheck, Score
from tests import factories as f
from tests.factories import ESSAY_DOMAINS

PASSWORD = "a hostile but long enough password"
ESSAY_RUBRIC = "imhm-c-essay"
GUESSED_ID = 987_654
# The window fields every autosave carries (app/scoring/saves.py); one window per test is enough here.
WINDOW = {"tab": "hostile-window", "base_version": "0"}

# Applicant identity that must never reach a reviewer, nor anyone outside the applicant's cycle committee.
CANARIES = {
    "x": ("Xanthe Canarywood", "xanthe.canary@hidden.example", "Canarywood Family Centre"),
    "y": ("Yorick Canaryhill", "yorick.canary@hidden.example", "Canaryhill Home Visiting"),
    "z": ("Zinnia Canarydale", "zinnia.canary@hidden.example", "Canarydale Early Years"),
    "w": ("Wilma Canarybrook", "wilma.canary@hidden.example", "Canarybrook Infant Clinic"),
}
CYCLE_OF_APPLICANT = {"x": "c1", "y": "c2", "z": "c1", "w": "c1"}
# The recused committee member: Z's advisor, and of Z's organization as written differently (case, spaces), so
# that no canary string is theirs.
RECUSED_EMAIL = "advisor.z@hidden.example"
RECUSED_ORGANIZATION = "CANARYDALE   early YEARS"

ROLES = (
    "reviewer_a",
    "reviewer_b",
    "conflicted",
    "committee_c1",
    "committee_c2",
    "committee_unseated",
    "committee_recused",
    "coordinator",
    "disabled",
    "anonymous",
)
SIGNED_OUT = ("disabled", "anonymous")
ROLE_OF = {
    "reviewer_a": Role.REVIEWER,
    "reviewer_b": Role.REVIEWER,
    "conflicted": Role.REVIEWER,
    "committee_c1": Role.COMMITTEE,
    "committee_c2": Role.COMMITTEE,
    "committee_unseated": Role.COMMITTEE,
    "committee_recused": Role.COMMITTEE,
    "coordinator": Role.COORDINATOR,
    "disabled": Role.COORDINATOR,
}

# Object scenarios: what each id-like URL parameter is filled with. Values are object names (see World.ids).
SCENARIOS = {
    # reviewer A's essay of the canary X (cycle 1); the conflicted reviewer also holds X's essay
    "a_essay": {
        "assignment_id": "asg_a_x",
        "item_pk": "e_x",
        "cycle_id": "c1",
        "application_id": "app_x",
        "user_id": "u_reviewer_a",
    },
    # reviewer A's application (portfolio) item of W (cycle 1)
    "a_application": {
        "assignment_id": "asg_a_appw",
        "item_pk": "app_item_w",
        "cycle_id": "c1",
        "application_id": "app_w",
        "user_id": "u_reviewer_a",
    },
    # reviewer B's essay in the other cycle
    "b_other_cycle": {
        "assignment_id": "asg_b_y",
        "item_pk": "e_y",
        "cycle_id": "c2",
        "application_id": "app_y",
        "user_id": "u_reviewer_b",
    },
    # reviewer B's essay of W in cycle 1 (foreign to A in A's own cycle), submitted
    "b_same_cycle": {
        "assignment_id": "asg_b_w",
        "item_pk": "e_w",
        "cycle_id": "c1",
        "application_id": "app_w",
        "user_id": "u_committee_c1",
    },
    # the conflicted reviewer's assignment of X's essay
    "conflicted": {
        "assignment_id": "asg_conf_x",
        "item_pk": "e_x",
        "cycle_id": "c1",
        "application_id": "app_x",
        "user_id": "u_conflicted",
    },
    # an item nobody reads yet, and an application without any assigned item
    "unassigned": {
        "assignment_id": "asg_b_w",
        "item_pk": "e_z",
        "cycle_id": "c1",
        "application_id": "app_z",
        "user_id": "u_disabled",
    },
    # ids nobody has
    "guessed": {
        "assignment_id": "missing",
        "item_pk": "missing",
        "cycle_id": "missing",
        "application_id": "missing",
        "user_id": "missing",
    },
}
ID_PARAMETERS = frozenset(SCENARIOS["guessed"])

_C1 = {
    "c1",
    "e_x",
    "e_w",
    "e_z",
    "app_item_w",
    "asg_a_x",
    "asg_a_appw",
    "asg_b_w",
    "asg_conf_x",
    "app_x",
    "app_w",
    "app_z",
}
_C2 = {"c2", "e_y", "asg_b_y", "app_y"}
_USERS = {"u_reviewer_a", "u_reviewer_b", "u_conflicted", "u_committee_c1", "u_disabled"}
# By hand, from docs/access.md: reviewers their own assignments (not conflicted), committee its cycle, coordinator all.
VISIBLE = {
    "reviewer_a": {"asg_a_x", "e_x", "asg_a_appw", "app_item_w"},
    "reviewer_b": {"asg_b_y", "e_y", "asg_b_w", "e_w"},
    "conflicted": set(),
    "committee_c1": _C1,
    "committee_c2": _C2,
    "committee_unseated": set(),  # a committee account seated on no cycle: every cycle page is a 404
    # Seated on cycle 1 but recused from X (a declared conflict) and from Z (the same organization, written
    # differently, and Z's advisor): of cycle 1 only W's items, reads and decision remain.
    "committee_recused": {"c1", "e_w", "app_item_w", "asg_a_appw", "asg_b_w", "app_w"},
    "coordinator": _C1 | _C2 | _USERS,
    "disabled": set(),
    "anonymous": set(),
}
# Applicant identities each role may receive: none for reviewers (blind essays; portfolio pages show no name).
MAY_SEE_APPLICANTS = {
    "committee_c1": {"x", "z", "w"},
    "committee_recused": {"w"},
    "committee_c2": {"y"},
    "coordinator": {"x", "y", "z", "w"},
}


def forbidden_canaries(role: str) -> list[str]:
    """Every canary string this role must never receive."""
    allowed = MAY_SEE_APPLICANTS.get(role, set())
    return [text for key, texts in CANARIES.items() if key not in allowed for text in texts]


@dataclass
class World:
    ids: dict[str, int]
    emails: dict[str, str]
    domain_key: str = ESSAY_DOMAINS[3]
    requirement_key: str = ""

    def value(self, name: str) -> int:
        return GUESSED_ID if name == "missing" else self.ids[name]


def plain(field_name: str, default: str) -> str:
    return default


def build_world(text: Callable[[str, str], str] = plain) -> World:
    """Seed the world (inside an app context) and commit it.

    ``text(field, default)`` gives every user-written text; the XSS tests pass payloads through it.
    """
    c1, c2 = f.make_cycle(text("cycle_name", "Hostile spring")), f.make_cycle("Hostile autumn")
    users = {}
    for name, role in ROLE_OF.items():
        users[name] = f.make_user(
            role,
            email=RECUSED_EMAIL if name == "committee_recused" else f"{name.replace('_', '.')}@example.org",
            name=text("user_name", f"{name.replace('_', ' ').title()} Person"),
            password=PASSWORD,
            designations="C",
            organization=RECUSED_ORGANIZATION
            if name == "committee_recused"
            else text("user_organization", f"{name} agency"),
        )
    for name in ("reviewer_a", "reviewer_b", "conflicted"):
        f.add_member(c1, users[name])
    f.add_member(c2, users["reviewer_b"])
    f.add_member(c1, users["committee_c1"], "committee")
    f.add_member(c2, users["committee_c2"], "committee")
    f.add_member(c1, users["committee_recused"], "committee")

    applicants = {}
    for key, (name, email, organization) in CANARIES.items():
        cycle = c1 if CYCLE_OF_APPLICANT[key] == "c1" else c2
        applicant = f.make_applicant(
            cycle,
            applicant_id=f"APL-{key.upper()}",
            name=text("applicant_name", name),
            organization=text("applicant_organization", organization),
            advisor_email=f"advisor.{key}@hidden.example",
        )
        applicant.email = email
        applicant.application.portfolio_summary = text("portfolio_summary", "Ten years of home visiting.")
        applicant.application.portfolio_url = text("portfolio_url", "https://portfolio.example.org/docs")
        applicants[key] = applicant

    def essay(key: str, item_id: str):
        return f.make_essay(
            c1 if CYCLE_OF_APPLICANT[key] == "c1" else c2,
            applicants[key],
            item_id=item_id,
            prompt=text("prompt", f"A vignette for {item_id}"),
            response=text("response", f"A thoughtful answer for {item_id}"),
        )

    e_x, e_y, e_w, e_z = essay("x", "HE-1"), essay("y", "HE-2"), essay("w", "HE-3"), essay("z", "HE-4")
    application_rubric = application_rubric_for("IMHM-C")
    app_item_w = f.make_application_item(c1, applicants["w"], rubric_key=application_rubric.key)

    asg_a_x = f.assign(e_x, users["reviewer_a"])
    asg_conf_x = f.assign(e_x, users["conflicted"])
    f.make_conflict(users["conflicted"], applicants["x"], reason=text("conflict_reason", "former colleague"))
    f.make_conflict(users["committee_recused"], applicants["x"], reason=text("conflict_reason", "former colleague"))
    asg_a_appw = f.assign(app_item_w, users["reviewer_a"])
    asg_b_y = f.assign(e_y, users["reviewer_b"])
    asg_b_w = f.assign(e_w, users["reviewer_b"])
    for item in (e_x, e_y, app_item_w):
        item.state = ItemState.ASSIGNED

    # A's drafts carry text of their own; B's read of HE-3 is submitted and the committee has settled it.
    draft = Read(
        assignment_id=asg_a_x.id,
        status=ReadStatus.DRAFT,
        overall_comment=text("overall_comment", "Draft overall view"),
        overall_seq=1,
    )
    app_draft = Read(assignment_id=asg_a_appw.id, status=ReadStatus.DRAFT, overall_seq=0)
    db.session.add_all([draft, app_draft])
    db.session.flush()
    db.session.add(
        Score(
            read_id=draft.id, domain_key="reflection", score=3, comment=text("score_comment", "Shows reflection"), seq=1
        )
    )
    requirement_key = application_rubric.requirements[0].key
    db.session.add(
        RequirementCheck(
            read_id=app_draft.id,
            requirement_key=requirement_key,
            status=CheckStatus.MORE_INFO,
            note=text("requirement_note", "Ask for the transcript"),
            seq=1,
        )
    )
    f.submitted_read(
        asg_b_w,
        {key: 2 for key in ESSAY_DOMAINS},
        number=1,
        comments={key: text("score_comment", f"Comment on {key}") for key in ESSAY_DOMAINS},
    )
    db.session.get(Read, asg_b_w.read.id).overall_comment = text("overall_comment", "Submitted overall view")
    e_w.state = ItemState.DECIDED
    db.session.add(
        CommitteeResolution(
            item_pk=e_w.id,
            scores={key: 2 for key in ESSAY_DOMAINS},
            result="fail",
            rationale=text("rationale", "Committee agreed with the reader"),
            decided_by_id=users["committee_c1"].id,
        )
    )
    db.session.add(
        Decision(
            application_id=applicants["w"].application.id,
            decision=DecisionValue.REVISE,
            rationale=text("decision_rationale", "Please add references"),
            decided_by_id=users["committee_c1"].id,
        )
    )
    message = OutboxMessage(
        kind="invitation",
        recipient=users["reviewer_a"].email,
        key="hostile",
        subject=text("mail_subject", "You are invited"),
        body=text("mail_body", "Choose your password with the link."),
    )
    db.session.add(message)
    # A problem reviewer A reported with X's essay: shown to coordinators on the dashboard and the item's page.
    flag = ItemFlag(assignment_id=asg_a_x.id, note=text("flag_note", "The essay is cut off mid-sentence."))
    db.session.add(flag)
    db.session.commit()

    ids = {
        "c1": c1.id,
        "c2": c2.id,
        "e_x": e_x.id,
        "e_y": e_y.id,
        "e_w": e_w.id,
        "e_z": e_z.id,
        "app_item_w": app_item_w.id,
        "asg_a_x": asg_a_x.id,
        "asg_conf_x": asg_conf_x.id,
        "asg_a_appw": asg_a_appw.id,
        "asg_b_y": asg_b_y.id,
        "asg_b_w": asg_b_w.id,
        "message": message.id,
        "flag": flag.id,
    }
    ids |= {f"app_{key}": applicant.application.id for key, applicant in applicants.items()}
    ids |= {f"u_{name}": user.id for name, user in users.items()}
    return World(ids=ids, emails={name: user.email for name, user in users.items()}, requirement_key=requirement_key)


def disable(world: World, role: str = "disabled") -> None:
    """Switch a user's sign-in off the way the console does: inactive, every session ended."""
    user = db.session.get(User, world.ids[f"u_{role}"])
    user.active = False
    user.end_sessions()
    db.session.commit()


def fingerprint() -> str:
    """A digest of every row of every table: equal before and after means nothing was written."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in db.session.execute(select(table).order_by(*order)):
            digest.update(repr((table.name, tuple(row))).encode())
    return digest.hexdigest()


def counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(db.func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }
