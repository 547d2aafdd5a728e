"""``flask demo``: the demo cycle loads through the importers, once, with work for the demo reviewer."""

import re
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from app.assignment.eligibility import check_eligibility
from app.assignment.facts import item_facts, lookups, reviewer_facts
from app.assignment.models import Assignment
from app.audit.models import AuditEntry
from app.cycles.models import (
    Applicant,
    Application,
    Conflict,
    Cycle,
    CycleMember,
    Item,
    ItemKind,
    ItemState,
    MemberRole,
)
from app.demo import content
from app.demo.service import demo_accounts, essay_response, load_demo
from app.extensions import db
from app.people.models import ReviewerProfile, Role, User
from app.people.passwords import verify_password
from app.rubrics.loader import load_rubrics
from app.rubrics.registry import SHIPPED_DIR
from app.scoring.models import Read, ReadStatus, Score
from tests.factories import make_user

TODAY = date(2026, 3, 2)
TABLES = (
    User,
    ReviewerProfile,
    Cycle,
    CycleMember,
    Applicant,
    Application,
    Item,
    Conflict,
    Assignment,
    Read,
    Score,
    AuditEntry,
)


def demo_loaded():
    return load_demo(today=TODAY)


pytestmark = pytest.mark.seeded(seed=demo_loaded)


@pytest.fixture
def loaded(app, seeded):
    with app.app_context():
        yield seeded


def table_counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def demo_cycle() -> Cycle:
    return db.session.scalar(select(Cycle).filter_by(name="Demo 2026 Spring"))


# ---------------------------------------------------------------- loading


def test_demo_loads_the_designed_cycle(loaded):
    cycle = demo_cycle()
    assert loaded.loaded_now and loaded.shortfalls == []
    assert (cycle.readers, cycle.due) == (2, date(2026, 3, 30))
    assert loaded.counts == {
        "applications": 30,
        "essays": 50,
        "reviewers": 15,
        "conflicts": 5,
        "assignments": 164,
        "submitted_reads": 16,
    }
    categories = Counter(db.session.scalars(select(Application.category)))
    assert categories == {"IMHS": 10, "ECMHS": 2, "IMHM-C": 8, "IMHM-P": 4, "ECMHM-P": 2, "IMHM-RF": 4}


def test_every_item_has_its_two_reads_and_the_paper_discrepancies_a_third(loaded):
    per_item = Counter(db.session.scalars(select(Assignment.item_pk)))
    items = db.session.scalars(select(Item)).all()
    states = Counter(item.state for item in items)
    # The paper session read 8 essays twice. By hand: E-0101, E-0201, E-0401, E-0501 agree; E-0102 and E-0402
    # differ by 2 on one domain and E-0202, E-0301 split on pass/fail, so those 4 are discrepant, and each gets a
    # third reader (E-0402, a Clinical essay, goes to Marcus Feld: designated C, from another organization, not
    # conflicted, not on the applicant's portfolio, and with room now that the Research/Faculty reads are shared).
    assert states == {ItemState.ASSIGNED: 72, ItemState.AGREED: 4, ItemState.ADJUDICATING: 4}
    assert all(per_item[item.id] == (3 if item.state == ItemState.ADJUDICATING else 2) for item in items)


def test_items_use_the_rubric_of_their_category(loaded):
    rubric_for = {
        "IMHS": "imhs",
        "ECMHS": "imhs",
        "IMHM-C": "imhm-c",
        "IMHM-P": "imhm-p",
        "ECMHM-P": "imhm-p",
        "IMHM-RF": "imhm-rf",
    }
    for item in db.session.scalars(select(Item)):
        category = item.applicant.application.category
        if item.kind == ItemKind.APPLICATION:
            expected = "ecmhm-p-application" if category == "ECMHM-P" else f"{rubric_for[category]}-application"
            assert (item.item_id, item.rubric_key) == (f"APP-{item.applicant.applicant_id}", expected)
        else:
            assert item.rubric_key == f"{rubric_for[category]}-essay"


def test_every_demo_assignment_respects_the_eligibility_rule(loaded):
    found = lookups(demo_cycle())
    for assignment in db.session.scalars(select(Assignment)):
        # The rule as it stood for this reader: the item's other readers stay, the reader themself is not "already
        # reading"; blindness across items still counts every read of the applicant's other side.
        facts = replace(item_facts(assignment.item, assignment.item.applicant, found), reader_ids=frozenset())
        verdict = check_eligibility(reviewer_facts(assignment.reviewer, in_pool=True), facts)
        assert verdict.eligible, (assignment.item.item_id, assignment.reviewer.email, verdict.reasons)


def test_the_demo_goes_through_the_importers_and_auto_assignment(loaded):
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "import.reviewers",
        "import.applications",
        "import.essays",
        "import.conflicts",
        "import.scores",
        "assignment.create",
        "cycle.create",
        "user.create",
    } <= actions


def test_a_second_run_changes_nothing(loaded):
    before = table_counts()
    again = load_demo(today=date(2026, 5, 1))
    db.session.commit()
    assert not again.loaded_now and again.counts == loaded.counts
    assert table_counts() == before


# ---------------------------------------------------------------- accounts


def test_demo_accounts_exist_with_their_roles_and_published_passwords(loaded):
    expected = {
        "coordinator@demo.test": Role.COORDINATOR,
        "committee@demo.test": Role.COMMITTEE,
        "committee2@demo.test": Role.COMMITTEE,
        "reviewer@demo.test": Role.REVIEWER,
    }
    for account in content.ACCOUNTS:
        user = db.session.scalar(select(User).filter_by(email=account["email"]))
        assert user.role == expected[user.email]
        assert verify_password(user.password_hash, account["password"])
    assert all(account.password_works for account in demo_accounts())
    committee = set(
        db.session.scalars(
            select(User.email)
            .join(CycleMember, CycleMember.user_id == User.id)
            .where(CycleMember.role == MemberRole.COMMITTEE)
        )
    )
    assert committee == {"committee@demo.test", "committee2@demo.test"}


def test_only_the_demo_accounts_can_sign_in(loaded):
    with_password = set(db.session.scalars(select(User.email).where(User.password_hash.is_not(None))))
    assert with_password == {account["email"] for account in content.ACCOUNTS}


def test_the_demo_reviewer_has_several_items_to_score(loaded):
    reviewer = db.session.scalar(select(User).filter_by(email="reviewer@demo.test"))
    assignments = db.session.scalars(select(Assignment).filter_by(reviewer_id=reviewer.id)).all()
    kinds = Counter(assignment.item.kind for assignment in assignments)
    assert len(assignments) >= 8 and kinds[ItemKind.ESSAY] >= 3 and kinds[ItemKind.APPLICATION] >= 3
    assert all(assignment.read is None for assignment in assignments)  # fresh work, nothing scored yet


def test_the_research_faculty_pool_is_scarce_but_sufficient(loaded):
    # Each Research/Faculty applicant needs four RF readers at least: two on the portfolio, two others on the
    # essays (a reviewer reads one side of an applicant only). Five of the fifteen hold RF.
    rf_reviewers = [p for p in db.session.scalars(select(ReviewerProfile)) if "RF" in p.designation_set]
    assert len(rf_reviewers) == 5
    rf_essays = db.session.scalars(select(Item).filter_by(rubric_key="imhm-rf-essay")).all()
    assert rf_essays and all(
        len(db.session.scalars(select(Assignment).filter_by(item_pk=item.id)).all()) == 2 for item in rf_essays
    )
    for applicant in {item.applicant for item in rf_essays}:
        sides = {}
        for item in db.session.scalars(select(Item).filter_by(applicant_pk=applicant.id)):
            for reviewer_id in db.session.scalars(select(Assignment.reviewer_id).filter_by(item_pk=item.id)):
                assert sides.setdefault(reviewer_id, item.kind) == item.kind, applicant.applicant_id


def test_paper_session_reads_are_submitted_with_every_domain(loaded):
    reads = db.session.scalars(select(Read)).all()
    assert len(reads) == 16 and all(read.status == ReadStatus.SUBMITTED for read in reads)
    for read in reads:
        assert len(db.session.scalars(select(Score).filter_by(read_id=read.id)).all()) == 6


# ---------------------------------------------------------------- blind essays


def name_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z'’-]+", text.lower()))


def test_blind_essays_contain_no_applicant_names(loaded):
    applicants = db.session.scalars(select(Applicant)).all()
    names = {part for applicant in applicants for part in name_words(applicant.name)}
    ids = {applicant.applicant_id for applicant in applicants}
    for item in db.session.scalars(select(Item).filter_by(kind=ItemKind.ESSAY)):
        words = name_words(item.prompt + " " + item.response)
        assert not names & words, (item.item_id, names & words)
        assert not any(applicant_id in item.item_id or applicant_id in item.response for applicant_id in ids)


# ---------------------------------------------------------------- refusing a real database


def test_demo_is_not_loaded_into_a_database_with_accounts_of_its_own(app):
    with app.app_context():
        make_user(Role.COORDINATOR, email="staff@association.example")
        db.session.commit()
        result = load_demo(today=TODAY)
        assert result.skipped_reason == "this database already has accounts of its own"
        assert demo_cycle() is None
        assert db.session.scalar(select(User).filter_by(email="coordinator@demo.test")) is None
        forced = load_demo(today=TODAY, force=True)
        assert forced.loaded_now and forced.counts["essays"] == 50


# ---------------------------------------------------------------- the command


def test_flask_demo_prints_the_counts_and_the_demo_only_accounts(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--show-users"])
    assert first.exit_code == 0, first.output
    assert "Demo cycle 'Demo 2026 Spring' loaded: 30 applications, 50 essays" in first.output
    assert "DEMO ONLY" in first.output
    for account in content.ACCOUNTS:
        assert re.search(rf"{account['role']}\s+{re.escape(account['email'])}\s+{account['password']}", first.output)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "already loaded; nothing changed" in second.output
    assert "demo-reviewer-2026" not in second.output


def test_show_users_does_not_claim_a_changed_password_still_works(app):
    from app.people.service import set_password

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        set_password(db.session.scalar(select(User).filter_by(email="reviewer@demo.test")), "a private passphrase")
        db.session.commit()
    output = runner.invoke(args=["demo", "--show-users"]).output
    assert re.search(r"reviewer@demo\.test\s+\(password changed\)", output)
    assert "demo-reviewer-2026" not in output


def test_flask_demo_skips_a_database_with_real_accounts_and_still_exits_0(app):
    with app.app_context():
        make_user(Role.COORDINATOR, email="staff@association.example")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "--show-users"])
    assert result.exit_code == 0
    assert "Demo not loaded" in result.output and "--force" in result.output and "DEMO ONLY" not in result.output


# ---------------------------------------------------------------- the content itself


def test_every_essay_is_a_distinct_response_of_150_to_400_words():
    responses = [essay_response(prompt, levels) for _, _, prompt, levels in content.ESSAYS]
    assert len(set(responses)) == len(responses) == 50
    assert all(150 <= len(response.split()) <= 400 for response in responses)
    assert len({item_id for item_id, *_ in content.ESSAYS}) == 50


def test_essays_vary_in_quality_within_each_prompt():
    for prompt in content.PROMPTS:
        totals = [sum(levels) for _, _, key, levels in content.ESSAYS if key == prompt]
        assert max(totals) - min(totals) >= 2, prompt


def test_each_essay_rubric_covers_its_applicants_category():
    rubrics = load_rubrics([SHIPPED_DIR])
    category = {row["applicant_id"]: row["category"] for row in content.APPLICATIONS}
    for item_id, applicant_id, prompt, _ in content.ESSAYS:
        assert category[applicant_id] in rubrics[content.PROMPTS[prompt][0]].categories, item_id


def test_specialists_answer_two_vignettes_and_mentors_one_or_two():
    essays = Counter(applicant_id for _, applicant_id, _, _ in content.ESSAYS)
    for row in content.APPLICATIONS:
        expected = {2} if row["category"] in ("IMHS", "ECMHS", "IMHM-C") else {1, 2}
        assert essays[row["applicant_id"]] in expected, row["applicant_id"]


def test_paper_session_includes_discrepant_and_agreeing_pairs():
    reads: dict[str, list[tuple[int, ...]]] = {}
    for item_id, _, scores in content.SCORED_READS:
        reads.setdefault(item_id, []).append(scores)
    spreads = {item_id: max(abs(a - b) for a, b in zip(*pair, strict=True)) for item_id, pair in reads.items()}
    assert all(len(pair) == 2 for pair in reads.values())
    assert sum(spread > 1 for spread in spreads.values()) >= 2
    assert sum(spread <= 1 for spread in spreads.values()) >= 4


def test_demo_uses_reserved_addresses_only():
    addresses = (
        [a["email"] for a in content.ACCOUNTS]
        + [r["email"] for r in content.REVIEWERS]
        + [row[key] for row in content.APPLICATIONS for key in ("email", "advisor_email")]
    )
    assert all(address.endswith(".test") for address in addresses)
