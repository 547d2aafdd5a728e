"""A small cycle for the committee tests: one discrepant essay, one agreed essay, portfolios, members of two cycles."""

from functools import cache

from app.cycles.models import ItemState
from app.extensions import db
from app.people.models import Role
from app.reconcile.models import ItemOutcome
from app.requirements.models import RequirementFinal
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus
from tests import factories as f
from tests.factories import ESSAY_DOMAINS

PASSWORD = "committee test passphrase"
PORTFOLIO_DOMAINS = (
    "theoretical_foundations",
    "law_regulation_policy",
    "systems_expertise",
    "direct_service_skills",
    "working_with_others",
    "leading_people",
    "communicating",
    "thinking",
    "reflection",
)


@cache
def password_hash() -> str:
    """PASSWORD hashed once per test run: argon2 is slow on purpose."""
    from app.people.passwords import hash_password

    return hash_password(PASSWORD)


def essay_scores(default: int, **overrides: int) -> dict[str, int]:
    return {key: overrides.get(key, default) for key in ESSAY_DOMAINS}


def build_with_passwords() -> dict:
    """``build`` for the tests that sign in (a seed: it takes no arguments)."""
    return build(passwords=True)


def build(passwords: bool = False) -> dict:
    """Build the cycle and commit; returns ids and e-mail addresses. With passwords for sign-in tests."""
    cycle = f.make_cycle("Spring 2025")
    other_cycle = f.make_cycle("Autumn 2025")
    ann = f.make_user(Role.REVIEWER, email="ann@example.org", name="Ann Reader")
    ben = f.make_user(Role.REVIEWER, email="ben@example.org", name="Ben Reader")
    maya = f.make_user(Role.COMMITTEE, email="maya@example.org", name="Maya Member")
    noah = f.make_user(Role.COMMITTEE, email="noah@example.org", name="Noah Member")
    olga = f.make_user(Role.COMMITTEE, email="olga@example.org", name="Olga Elsewhere")
    cora = f.make_user(Role.COORDINATOR, email="cora@example.org", name="Cora Coordinator")
    if passwords:
        for user in (ann, ben, maya, noah, olga, cora):
            user.password_hash = password_hash()
    for member in (maya, noah):
        f.add_member(cycle, member, "committee")
    f.add_member(other_cycle, olga, "committee")

    ada = f.make_applicant(cycle, applicant_id="A-1", name="Ada Applicant", category="IMHM-C", mc_score=85)
    bo = f.make_applicant(cycle, applicant_id="A-2", name="Bo Applicant", category="IMHM-C", mc_score=70)

    split = f.make_essay(
        cycle, ada, item_id="E-1", prompt="A toddler bites at child care.", response="I would first meet the family."
    )
    f.submitted_read(
        f.assign(split, ann),
        essay_scores(3, reflection=1),
        number=1,
        comments={"reflection": "Feelings are not examined at all."},
    )
    f.submitted_read(
        f.assign(split, ben), essay_scores(3), number=2, comments={"reflection": "Notices the parallel process."}
    )
    split.state = ItemState.COMMITTEE
    db.session.add(
        ItemOutcome(
            item_pk=split.id,
            discrepant_domains=["reflection"],
            reasons=["reflection: scores differ by more than 1", "no eligible reader left"],
        )
    )

    agreed = f.make_essay(cycle, bo, item_id="E-2")
    f.submitted_read(f.assign(agreed, ann), essay_scores(3), number=1)
    f.submitted_read(f.assign(agreed, ben), essay_scores(4), number=2)
    agreed.state = ItemState.AGREED
    db.session.add(
        ItemOutcome(
            item_pk=agreed.id,
            combined={key: 3.5 for key in ESSAY_DOMAINS},
            mean=3.5,
            total=21.0,
            result="pass",
            discrepant_domains=[],
            reasons=[],
        )
    )

    portfolio = f.make_application_item(cycle, ada)
    portfolio.state = ItemState.AGREED
    db.session.add(
        ItemOutcome(
            item_pk=portfolio.id,
            combined={key: 3.0 for key in PORTFOLIO_DOMAINS},
            mean=3.0,
            total=27.0,
            result="pass",
            discrepant_domains=[],
            reasons=[],
        )
    )
    # Her portfolio's requirement lines are all met (as the committee recorded them).
    db.session.add_all(
        [
            RequirementFinal(application_id=ada.application.id, requirement_key=line.key, status=CheckStatus.MET)
            for line in get_rubric("imhm-c-application").requirements
        ]
    )
    db.session.commit()
    return {
        "cycle": cycle.id,
        "other_cycle": other_cycle.id,
        "split": split.id,
        "agreed": agreed.id,
        "portfolio": portfolio.id,
        "ada": ada.application.id,
        "bo": bo.application.id,
        "ids": {u.email.split("@")[0]: u.id for u in (ann, ben, maya, noah, olga, cora)},
        "emails": {u.email.split("@")[0]: u.email for u in (ann, ben, maya, noah, olga, cora)},
    }
