"""The eligibility rule, one rule at a time, both ways."""

import random
from dataclasses import replace

import pytest

from app.assignment.eligibility import (
    ESSAYS,
    PORTFOLIO,
    ItemFacts,
    QualifiedPool,
    ReviewerFacts,
    check_eligibility,
    endorsed_for,
    organization_key,
    standing_reasons,
)

REVIEWER = ReviewerFacts(
    user_id=7,
    email="Pat.Lee@Example.org",
    active=True,
    in_pool=True,
    organization="Mercy Hospital",
    designations=frozenset({"C", "P"}),
)
ITEM = ItemFacts(
    item_key="E17",
    applicant_organization="Riverside Clinic",
    advisor_email="someone@else.org",
    designation="C",
    conflicted_reviewer_ids=frozenset({99}),
    reader_ids=frozenset({98}),
)


def reasons(reviewer=REVIEWER, item=ITEM):
    return check_eligibility(reviewer, item).reasons


def test_baseline_is_eligible():
    result = check_eligibility(REVIEWER, ITEM)
    assert result.eligible and bool(result) and result.reasons == ()


def test_inactive_reviewer():
    assert reasons(replace(REVIEWER, active=False)) == ("account is not active",)


def test_not_in_pool():
    assert reasons(replace(REVIEWER, in_pool=False)) == ("not a reviewer in this cycle",)


def test_declared_conflict_both_ways():
    assert reasons(item=replace(ITEM, conflicted_reviewer_ids=frozenset({7}))) == (
        "declared conflict with the applicant",
    )
    assert reasons(item=replace(ITEM, conflicted_reviewer_ids=frozenset({8}))) == ()


@pytest.mark.parametrize(
    "reviewer_org, applicant_org, conflicted",
    [
        ("Mercy Hospital", "Mercy Hospital", True),
        ("Mercy Hospital", "  mercy   HOSPITAL ", True),
        ("Mercy Hospital", "MercyHospital", True),
        ("Mercy\tHospital", "mercy hospital\n", True),
        ("Mercy Hospital", "Mercy Hospitals", False),
        ("Mercy Hospital", "Riverside Clinic", False),
        ("", "", False),
        ("   ", "   ", False),
        (None, None, False),
        (None, "Mercy Hospital", False),
        ("Mercy Hospital", None, False),
    ],
)
def test_same_organization(reviewer_org, applicant_org, conflicted):
    result = reasons(replace(REVIEWER, organization=reviewer_org), replace(ITEM, applicant_organization=applicant_org))
    assert result == (("same organization as the applicant",) if conflicted else ())


def test_organization_key_ignores_case_and_whitespace():
    assert organization_key(" Ärzte  Haus ") == organization_key("ärztehaus")


@pytest.mark.parametrize(
    "advisor, conflicted",
    [
        ("pat.lee@example.org", True),
        ("  PAT.LEE@EXAMPLE.ORG ", True),
        ("pat.lee@example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_advisor_of_the_applicant(advisor, conflicted):
    result = reasons(item=replace(ITEM, advisor_email=advisor))
    assert result == (("advisor of the applicant",) if conflicted else ())


@pytest.mark.parametrize(
    "designation, held, eligible",
    [
        ("C", {"C"}, True),
        ("RF", {"C", "P"}, False),
        ("RF", {"RF"}, True),
        ("rf", {"RF"}, True),
        ("P", set(), False),
        (None, set(), True),
    ],
)
def test_designation_of_mentor_essays(designation, held, eligible):
    result = reasons(replace(REVIEWER, designations=frozenset(held)), replace(ITEM, designation=designation))
    assert result == (() if eligible else (f"not designated to score {designation.upper()} essays",))


def test_already_reading_both_ways():
    assert reasons(item=replace(ITEM, reader_ids=frozenset({7}))) == ("already reading this item",)
    assert reasons(item=replace(ITEM, reader_ids=frozenset())) == ()


PORTFOLIO_ITEM = replace(ITEM, item_key="APP-1", designation=None, portfolio_category="IMHM-C", side=PORTFOLIO)


@pytest.mark.parametrize(
    "category, held, eligible",
    [
        # A Mentor portfolio: a Mentor endorsement in its designation, Infant or Early Childhood.
        ("IMHM-C", {"IMHM-C"}, True),
        ("IMHM-C", {"ECMHM-C"}, True),
        ("ECMHM-P", {"IMHM-P"}, True),
        ("IMHM-C", {"IMHS"}, False),
        ("IMHM-C", {"IMHM-P"}, False),
        ("IMHM-C", {"IMHM-RF", "ECMHS"}, False),
        ("IMHM-RF", set(), False),
        # A Specialist portfolio: IMHS / ECMHS or a Mentor endorsement of any designation.
        ("IMHS", {"IMHS"}, True),
        ("IMHS", {"ECMHS"}, True),
        ("ECMHS", {"IMHM-P"}, True),
        ("IMHS", {"IFS"}, False),
        ("IMHS", set(), False),
        # Below Specialist: an endorsement at the portfolio's level or above.
        ("IFS", {"ECFS"}, True),
        ("IFS", {"IFA"}, False),
        ("IFA", {"ECFA"}, True),
        ("ECFA", {"IMHM-RF"}, True),
    ],
)
def test_endorsement_for_portfolios(category, held, eligible):
    reviewer = replace(REVIEWER, endorsements=frozenset(held))
    result = reasons(reviewer, replace(PORTFOLIO_ITEM, portfolio_category=category))
    assert endorsed_for(category, frozenset(held)) == eligible
    if eligible:
        assert result == ()
    else:
        assert len(result) == 1 and result[0].startswith(f"not endorsed for {category} portfolios (needs ")


def test_endorsement_reasons_name_what_would_qualify():
    none = replace(REVIEWER, endorsements=frozenset())
    assert reasons(none, PORTFOLIO_ITEM) == ("not endorsed for IMHM-C portfolios (needs IMHM-C or ECMHM-C)",)
    assert reasons(none, replace(PORTFOLIO_ITEM, portfolio_category="ECMHS")) == (
        "not endorsed for ECMHS portfolios (needs IMHS, ECMHS or a Mentor endorsement)",
    )
    assert reasons(none, replace(PORTFOLIO_ITEM, portfolio_category="IFS")) == (
        "not endorsed for IFS portfolios (needs IFS, ECFS, IMHS, ECMHS or a Mentor endorsement)",
    )


def test_essays_need_only_the_designation_not_an_endorsement():
    # A Policy-only reviewer with no endorsement may score P essays, but not a P portfolio.
    policy = replace(REVIEWER, designations=frozenset({"P"}), endorsements=frozenset())
    assert reasons(policy, replace(ITEM, designation="P")) == ()
    assert reasons(policy, replace(PORTFOLIO_ITEM, portfolio_category="IMHM-P")) == (
        "not endorsed for IMHM-P portfolios (needs IMHM-P or ECMHM-P)",
    )


def test_portfolios_need_no_designation():
    reviewer = replace(REVIEWER, designations=frozenset(), endorsements=frozenset({"IMHM-C"}))
    assert reasons(reviewer, PORTFOLIO_ITEM) == ()


def test_blindness_across_items_both_ways():
    endorsed = replace(REVIEWER, endorsements=frozenset({"IMHM-C"}))
    essay_of_a_portfolio_reader = replace(ITEM, side=ESSAYS, other_side_reader_ids=frozenset({7}))
    portfolio_of_an_essay_reader = replace(PORTFOLIO_ITEM, other_side_reader_ids=frozenset({7}))
    assert reasons(endorsed, essay_of_a_portfolio_reader) == ("reads this applicant's portfolio",)
    assert reasons(endorsed, portfolio_of_an_essay_reader) == ("reads this applicant's essays",)
    assert reasons(endorsed, replace(ITEM, other_side_reader_ids=frozenset({8}))) == ()


def test_a_relaxed_cycle_lets_one_reviewer_read_both_sides():
    endorsed = replace(REVIEWER, endorsements=frozenset({"IMHM-C"}))
    for item in (
        replace(ITEM, other_side_reader_ids=frozenset({7})),
        replace(PORTFOLIO_ITEM, other_side_reader_ids=frozenset({7})),
    ):
        assert reasons(endorsed, replace(item, blind_across_items=False)) == ()


def test_declined():
    assert reasons(item=replace(ITEM, declined_reviewer_ids=frozenset({7}))) == ("declined this item",)
    assert reasons(item=replace(ITEM, declined_reviewer_ids=frozenset({8}))) == ()


@pytest.mark.parametrize(
    "load, max_load, full", [(3, 3, True), (4, 3, True), (2, 3, False), (9, None, False), (0, 0, True)]
)
def test_at_maximum_load(load, max_load, full):
    reviewer = replace(REVIEWER, load=load, max_load=max_load)
    assert reasons(reviewer) == ((f"at maximum load ({load} of {max_load})",) if full else ())
    assert standing_reasons(reviewer, ITEM) == ()  # auto-assignment weighs loads itself


def test_a_reader_at_capacity_is_reported_as_reading_not_as_full():
    reviewer = replace(REVIEWER, load=3, max_load=3)
    assert reasons(reviewer, replace(ITEM, reader_ids=frozenset({7}))) == ("already reading this item",)


def test_every_reason_is_reported_together():
    reviewer = ReviewerFacts(
        user_id=5,
        email="a@b.org",
        active=False,
        in_pool=False,
        organization="Org",
        designations=frozenset(),
        load=2,
        max_load=2,
    )
    item = ItemFacts(
        item_key="E1",
        applicant_organization="org",
        advisor_email="A@B.org",
        designation="RF",
        conflicted_reviewer_ids=frozenset({5}),
        declined_reviewer_ids=frozenset({5}),
        other_side_reader_ids=frozenset({5}),
    )
    assert check_eligibility(reviewer, item).reasons == (
        "account is not active",
        "not a reviewer in this cycle",
        "declared conflict with the applicant",
        "same organization as the applicant",
        "advisor of the applicant",
        "not designated to score RF essays",
        "reads this applicant's portfolio",
        "declined this item",
        "at maximum load (2 of 2)",
    )
    assert not check_eligibility(reviewer, item)
    portfolio = replace(item, designation=None, portfolio_category="IMHM-RF", side=PORTFOLIO, reader_ids=frozenset({5}))
    assert set(check_eligibility(reviewer, portfolio).reasons) == {
        "account is not active",
        "not a reviewer in this cycle",
        "declared conflict with the applicant",
        "same organization as the applicant",
        "advisor of the applicant",
        "not endorsed for IMHM-RF portfolios (needs IMHM-RF or ECMHM-RF)",
        "reads this applicant's essays",
        "declined this item",
        "already reading this item",
    }


@pytest.mark.parametrize("seed", range(20))
def test_a_qualified_pool_leaves_the_reviewers_the_rule_finds_eligible(seed):
    # The batch form reconciliation uses (prepared once, then item by item) must leave exactly the reviewers
    # check_eligibility finds eligible, in the pool's order.
    rng = random.Random(seed)
    organizations = ["Mercy Hospital", " mercy  hospital", "Riverside Clinic", None, ""]
    emails = ["pat@x.org", "PAT@x.org ", "lee@x.org", "kim@x.org"]
    reviewers = [
        ReviewerFacts(
            user_id=n,
            email=rng.choice(emails),
            active=rng.random() > 0.1,
            in_pool=rng.random() > 0.1,
            organization=rng.choice(organizations),
            designations=frozenset({"C"}),
            load=rng.randint(0, 4),
            max_load=rng.choice([None, 2, 3, 5]),
        )
        for n in range(40)
    ]
    ids = range(40)
    pool = QualifiedPool(reviewers)
    for _ in range(30):
        item = ItemFacts(
            item_key="E1",
            applicant_organization=rng.choice(organizations),
            advisor_email=rng.choice([None, *emails]),
            designation="c",
            conflicted_reviewer_ids=frozenset(rng.sample(ids, 3)),
            reader_ids=frozenset(rng.sample(ids, 2)),
            declined_reviewer_ids=frozenset(rng.sample(ids, 2)),
            side=rng.choice([ESSAYS, PORTFOLIO]),
            other_side_reader_ids=frozenset(rng.sample(ids, 4)),
            blind_across_items=rng.random() > 0.3,
        )
        expected = [r.user_id for r in reviewers if check_eligibility(r, item).eligible]
        assert pool.eligible_ids(item) == expected
