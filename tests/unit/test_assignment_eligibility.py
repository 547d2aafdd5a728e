"""The eligibility rule, one rule at a time, both ways."""
from dataclasses import replace

import pytest

from app.assignment.eligibility import ItemFacts, ReviewerFacts, check_eligibility, organization_key

REVIEWER = ReviewerFacts(user_id=7, email="Pat.Lee@Example.org", active=True, in_pool=True,
                         organization="Mercy Hospital", designations=frozenset({"C", "P"}))
ITEM = ItemFacts(item_key="E17", applicant_organization="Riverside Clinic", advisor_email="someone@else.org",
                 designation="C", conflicted_reviewer_ids=frozenset({99}), reader_ids=frozenset({98}))


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
        "declared conflict with the applicant",)
    assert reasons(item=replace(ITEM, conflicted_reviewer_ids=frozenset({8}))) == ()


@pytest.mark.parametrize("reviewer_org, applicant_org, conflicted", [
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
])
def test_same_organization(reviewer_org, applicant_org, conflicted):
    result = reasons(replace(REVIEWER, organization=reviewer_org), replace(ITEM, applicant_organization=applicant_org))
    assert result == (("same organization as the applicant",) if conflicted else ())


def test_organization_key_ignores_case_and_whitespace():
    assert organization_key(" Ärzte  Haus ") == organization_key("ärztehaus")


@pytest.mark.parametrize("advisor, conflicted", [
    ("pat.lee@example.org", True),
    ("  PAT.LEE@EXAMPLE.ORG ", True),
    ("pat.lee@example.com", False),
    ("", False),
    (None, False),
])
def test_advisor_of_the_applicant(advisor, conflicted):
    result = reasons(item=replace(ITEM, advisor_email=advisor))
    assert result == (("advisor of the applicant",) if conflicted else ())


@pytest.mark.parametrize("designation, held, eligible", [
    ("C", {"C"}, True),
    ("RF", {"C", "P"}, False),
    ("RF", {"RF"}, True),
    ("rf", {"RF"}, True),
    ("P", set(), False),
    (None, set(), True),
])
def test_designation_of_mentor_essays(designation, held, eligible):
    result = reasons(replace(REVIEWER, designations=frozenset(held)), replace(ITEM, designation=designation))
    assert result == (() if eligible else (f"not designated to score {designation.upper()} essays",))


def test_already_reading_both_ways():
    assert reasons(item=replace(ITEM, reader_ids=frozenset({7}))) == ("already reading this item",)
    assert reasons(item=replace(ITEM, reader_ids=frozenset())) == ()


def test_every_reason_is_reported_together():
    reviewer = ReviewerFacts(user_id=5, email="a@b.org", active=False, in_pool=False, organization="Org",
                             designations=frozenset())
    item = ItemFacts(item_key="E1", applicant_organization="org", advisor_email="A@B.org", designation="RF",
                     conflicted_reviewer_ids=frozenset({5}), reader_ids=frozenset({5}))
    assert set(check_eligibility(reviewer, item).reasons) == {
        "account is not active", "not a reviewer in this cycle", "declared conflict with the applicant",
        "same organization as the applicant", "advisor of the applicant", "not designated to score RF essays",
        "already reading this item"}
    assert not check_eligibility(reviewer, item)
