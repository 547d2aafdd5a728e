"""Reconciliation rules over plain data: agreement, combining, third reads, committee routing, suggestions."""

import pytest

from app.reconcile import engine
from app.reconcile.engine import CommitteeScores, ReadScores, ReconcileFacts, evaluate_item
from app.rubrics.model import Domain, PassRule, ReconcileRule, Requirement, Rubric
from tests.factories import ESSAY_DOMAINS


def make_rubric(
    domains=("a", "b"),
    *,
    combine="mean",
    tolerance=1,
    third_reader=True,
    margin=0.0,
    pass_rule=PassRule(domain_min=2, mean_min=2.5),
    scale=(1, 4),
    requirements=(),
):
    levels = range(scale[0], scale[1] + 1)
    return Rubric(
        key="test",
        title="Test",
        kind="application" if requirements else "essay",
        categories=("X",),
        designation=None,
        version=1,
        scale_min=scale[0],
        scale_max=scale[1],
        labels={level: str(level) for level in levels},
        pass_rule=pass_rule,
        reconcile=ReconcileRule(
            combine=combine, tolerance=tolerance, third_reader=third_reader, near_cut_margin=margin
        ),
        domains=tuple(Domain(key, key.title(), (), {level: "x" for level in levels}) for key in domains),
        requirements=tuple(Requirement(key, key) for key in requirements),
    )


def reads(*score_maps, third=None, checks=None):
    made = [ReadScores(i, scores, (checks or {}).get(i, {})) for i, scores in enumerate(score_maps)]
    if third is not None:
        made.append(ReadScores(99, third, (checks or {}).get(99, {}), adjudication=True))
    return made


def facts(read_list, required=2, **extra):
    return ReconcileFacts(
        reads=read_list,
        required_reads=required,
        assignments=max(len(read_list), required),
        started_reads=len(read_list),
        **extra,
    )


# --- small rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, tolerance, agrees",
    [
        ([2, 3], 1, True),
        ([1, 3], 1, False),
        ([3, 3], 0, True),
        ([2, 3], 0, False),
        ([1, 2, 2], 1, True),
        ([1, 2, 3], 1, False),
        ([1, 3], 2, True),
    ],
)
def test_a_domain_agrees_when_the_spread_is_within_tolerance(values, tolerance, agrees):
    assert engine.domain_agrees(values, tolerance) is agrees


def test_combine_rules_keep_half_points():
    assert engine.combine([2, 3], "mean") == 2.5
    assert engine.combine([1, 2, 4], "mean") == pytest.approx(7 / 3)
    assert engine.combine([2, 3], "sum") == 5
    assert engine.combine([1, 2, 4], "median") == 2
    assert engine.combine([2, 3], "median") == 2.5
    with pytest.raises(ValueError, match="unknown rule 'mode'"):
        engine.combine([1], "mode")


def test_one_read_passes_by_domain_minimum_and_mean():
    rubric = make_rubric()
    assert engine.read_result(rubric, ReadScores(1, {"a": 3, "b": 2})) == "pass"  # mean 2.5
    assert engine.read_result(rubric, ReadScores(1, {"a": 2, "b": 2})) == "fail"  # mean 2.0
    assert engine.read_result(rubric, ReadScores(1, {"a": 4, "b": 1})) == "fail"  # b below 2


def test_total_min_rule_is_applied_to_the_total():
    rubric = make_rubric(pass_rule=PassRule(total_min=6))
    assert engine.read_result(rubric, ReadScores(1, {"a": 3, "b": 3})) == "pass"
    assert engine.read_result(rubric, ReadScores(1, {"a": 3, "b": 2})) == "fail"
    assert engine.pass_line_mean(rubric) == 3


# --- item states before reconciliation ------------------------------------------------------------


def test_states_before_every_read_is_in():
    rubric = make_rubric()
    assert evaluate_item(rubric, ReconcileFacts(reads=[], required_reads=2)).state == "unassigned"
    assert evaluate_item(rubric, ReconcileFacts(reads=[], required_reads=2, assignments=1)).state == "unassigned"
    assert evaluate_item(rubric, ReconcileFacts(reads=[], required_reads=2, assignments=2)).state == "assigned"
    assert (
        evaluate_item(rubric, ReconcileFacts(reads=[], required_reads=2, assignments=2, started_reads=1)).state
        == "in_review"
    )
    one = reads({"a": 3, "b": 3})
    assert (
        evaluate_item(rubric, ReconcileFacts(reads=one, required_reads=2, assignments=2, started_reads=1)).state
        == "in_review"
    )


# --- agreement ------------------------------------------------------------------------------------


def test_adjacent_reads_agree_and_combine_by_mean():
    verdict = evaluate_item(make_rubric(), facts(reads({"a": 3, "b": 2}, {"a": 2, "b": 3})))
    assert verdict.state == "agreed"
    assert verdict.combined == {"a": 2.5, "b": 2.5}
    assert verdict.mean == 2.5 and verdict.total == 5.0 and verdict.result == "pass"
    assert verdict.discrepant_domains == () and not verdict.needs_reader


def test_identical_reads_agree_on_their_own_scores():
    identical = reads(dict.fromkeys(ESSAY_DOMAINS, 3), dict.fromkeys(ESSAY_DOMAINS, 3))
    verdict = evaluate_item(make_rubric(ESSAY_DOMAINS), facts(identical))
    assert verdict.state == "agreed"
    assert verdict.combined == dict.fromkeys(ESSAY_DOMAINS, 3.0)
    assert verdict.result == "pass"


def test_half_points_are_not_rounded_before_the_pass_rule():
    # Both reads fail; combined a = 1.5 and c = 1.5 stay below domain_min 2 (rounding up would pass: 2, 4, 2).
    rubric = make_rubric(("a", "b", "c"))
    verdict = evaluate_item(rubric, facts(reads({"a": 1, "b": 4, "c": 2}, {"a": 2, "b": 3, "c": 1})))
    assert verdict.state == "agreed"
    assert verdict.combined == {"a": 1.5, "b": 3.5, "c": 1.5}
    assert verdict.result == "fail"


def test_sum_rule_adds_the_reads_and_applies_the_pass_line_per_read():
    rubric = make_rubric(("holistic",), combine="sum", scale=(1, 6), pass_rule=PassRule(domain_min=4))
    verdict = evaluate_item(rubric, facts(reads({"holistic": 4}, {"holistic": 5})))
    assert verdict.combined == {"holistic": 9.0}
    assert verdict.mean == 9.0 and verdict.result == "pass"  # 9 / 2 reads = 4.5 ≥ 4
    below = evaluate_item(rubric, facts(reads({"holistic": 3}, {"holistic": 3})))
    assert below.combined == {"holistic": 6.0} and below.result == "fail"


def test_median_rule_over_three_reads():
    rubric = make_rubric(combine="median")
    verdict = evaluate_item(rubric, facts(reads({"a": 2, "b": 3}, {"a": 3, "b": 3}, {"a": 3, "b": 4}), required=3))
    assert verdict.state == "agreed"
    assert verdict.combined == {"a": 3.0, "b": 3.0}


def test_sum_mean_and_median_differ_on_the_same_reads():
    three = reads({"a": 2, "b": 3}, {"a": 2, "b": 4}, {"a": 3, "b": 4})
    by_rule = {
        rule: evaluate_item(make_rubric(combine=rule), facts(three, required=3)).combined
        for rule in ("mean", "sum", "median")
    }
    assert by_rule["mean"] == {"a": pytest.approx(7 / 3), "b": pytest.approx(11 / 3)}
    assert by_rule["sum"] == {"a": 7.0, "b": 11.0}
    assert by_rule["median"] == {"a": 2.0, "b": 4.0}


# --- discrepancies --------------------------------------------------------------------------------


def test_one_non_adjacent_domain_among_six_makes_the_item_discrepant():
    first = dict.fromkeys(ESSAY_DOMAINS, 3) | {"reflection": 4}
    second = dict.fromkeys(ESSAY_DOMAINS, 3) | {"reflection": 2}
    verdict = evaluate_item(make_rubric(ESSAY_DOMAINS), facts(reads(first, second)))
    assert verdict.state == "discrepant"
    assert verdict.discrepant_domains == ("reflection",)
    assert verdict.needs_reader == "third_reader"
    assert verdict.combined is None and verdict.result is None
    assert verdict.reasons == ("reflection: scores differ by more than 1",)


def test_pass_fail_disagreement_with_adjacent_scores_is_discrepant():
    verdict = evaluate_item(make_rubric(), facts(reads({"a": 3, "b": 2}, {"a": 2, "b": 2})))
    assert verdict.state == "discrepant"
    assert verdict.discrepant_domains == ()
    assert verdict.reasons == ("reads disagree on pass/fail",)


def test_a_pending_third_reader_means_adjudicating():
    verdict = evaluate_item(make_rubric(), facts(reads({"a": 4, "b": 3}, {"a": 2, "b": 3}), pending_adjudication=1))
    assert verdict.state == "adjudicating" and verdict.discrepant_domains == ("a",)


def test_rubric_without_third_reader_sends_discrepancies_to_the_committee():
    verdict = evaluate_item(make_rubric(third_reader=False), facts(reads({"a": 4, "b": 3}, {"a": 2, "b": 3})))
    assert verdict.state == "committee" and not verdict.needs_reader


def test_no_eligible_reader_left_routes_to_the_committee_and_a_new_reader_means_adjudicating():
    verdict = evaluate_item(make_rubric(), facts(reads({"a": 4, "b": 3}, {"a": 2, "b": 3})))
    routed = engine.no_reader_left(verdict)
    assert routed.state == "committee" and routed.discrepant_domains == ("a",)
    assert routed.reasons[-1] == "no eligible reader left"
    assert engine.reader_assigned(verdict).state == "adjudicating"


# --- third reader ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "third, expected",
    [
        (4, 4.0),  # closer to the first read's 4: mean of 4 and 4
        (1, 1.5),  # closer to the second read's 2: mean of 1 and 2
        (2, 2.0),  # equal to the second read
        (3, 3.0),  # exactly between 4 and 2: the third score alone
    ],
)
def test_third_read_settles_the_domain_with_the_closer_original(third, expected):
    verdict = evaluate_item(
        make_rubric(pass_rule=PassRule(domain_min=1)),
        facts(reads({"a": 4, "b": 3}, {"a": 2, "b": 3}, third={"a": third, "b": 1})),
    )
    assert verdict.state == "resolved"
    assert verdict.combined == {"a": expected, "b": 3.0}  # b agreed: the third read does not touch it
    assert verdict.discrepant_domains == ("a",)


def test_third_read_settles_a_pass_fail_split_on_every_domain():
    verdict = evaluate_item(make_rubric(), facts(reads({"a": 3, "b": 2}, {"a": 2, "b": 2}, third={"a": 3, "b": 3})))
    assert verdict.state == "resolved"
    assert verdict.combined == {"a": 3.0, "b": 2.5}  # a: 3 with the closer 3; b: 3 with the (only) 2
    assert verdict.result == "pass"


def test_third_read_beyond_tolerance_of_both_originals_goes_to_the_committee():
    rubric = make_rubric(("holistic",), scale=(1, 6), pass_rule=PassRule(domain_min=4))
    verdict = evaluate_item(rubric, facts(reads({"holistic": 1}, {"holistic": 6}, third={"holistic": 3})))
    assert verdict.state == "committee"
    assert verdict.combined is None
    assert "holistic: the third score 3 is beyond tolerance of every original" in verdict.reasons


def test_sum_rule_third_read_adds_the_third_and_the_closer_original():
    rubric = make_rubric(("holistic",), combine="sum", scale=(1, 6), pass_rule=PassRule(domain_min=4))
    verdict = evaluate_item(rubric, facts(reads({"holistic": 2}, {"holistic": 5}, third={"holistic": 4})))
    assert verdict.state == "resolved"
    assert verdict.combined == {"holistic": 9.0} and verdict.result == "pass"


def test_raw_reads_are_not_changed():
    first, second = {"a": 4, "b": 3}, {"a": 2, "b": 3}
    evaluate_item(make_rubric(), facts(reads(first, second, third={"a": 3, "b": 3})))
    assert first == {"a": 4, "b": 3} and second == {"a": 2, "b": 3}


# --- near the cut ---------------------------------------------------------------------------------


def test_near_cut_asks_for_an_extra_read_and_then_combines_all_reads():
    rubric = make_rubric(margin=0.25)
    near = facts(reads({"a": 3, "b": 2}, {"a": 3, "b": 2}))
    verdict = evaluate_item(rubric, near)
    assert verdict.state == "discrepant" and verdict.needs_reader == "extra_read"
    resolved = evaluate_item(rubric, facts(reads({"a": 3, "b": 2}, {"a": 3, "b": 2}, third={"a": 3, "b": 3})))
    assert resolved.state == "resolved"
    assert resolved.combined == {"a": 3.0, "b": pytest.approx(7 / 3)}
    assert resolved.result == "pass"


def test_zero_margin_means_no_extra_read_even_on_the_line():
    verdict = evaluate_item(make_rubric(margin=0.0), facts(reads({"a": 3, "b": 2}, {"a": 3, "b": 2})))
    assert verdict.state == "agreed" and verdict.mean == 2.5


def test_far_from_the_cut_needs_no_extra_read():
    verdict = evaluate_item(make_rubric(margin=0.25), facts(reads({"a": 4, "b": 3}, {"a": 4, "b": 3})))
    assert verdict.state == "agreed"


# --- committee ------------------------------------------------------------------------------------


def test_a_committee_resolution_decides_the_item():
    verdict = evaluate_item(
        make_rubric(), facts(reads({"a": 4, "b": 3}, {"a": 1, "b": 3}), committee=CommitteeScores({"a": 2, "b": 3}))
    )
    assert verdict.state == "decided"
    assert verdict.combined == {"a": 2.0, "b": 3.0} and verdict.result == "pass"
    overridden = evaluate_item(make_rubric(), facts([], committee=CommitteeScores({"a": 4, "b": 4}, "fail")))
    assert overridden.state == "decided" and overridden.result == "fail"


# --- application requirement checklist ------------------------------------------------------------

APP = make_rubric(requirements=("hours", "ethics"))
GOOD = {"a": 3, "b": 3}


def test_application_passes_when_every_line_is_met_by_all_reviewers():
    checks = {0: {"hours": "met", "ethics": "met"}, 1: {"hours": "met", "ethics": "met"}}
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, checks=checks)))
    assert verdict.state == "agreed" and verdict.result == "pass"


def test_application_fails_when_reviewers_agree_a_line_is_not_met():
    checks = {0: {"hours": "not_met", "ethics": "met"}, 1: {"hours": "not_met", "ethics": "met"}}
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, checks=checks)))
    assert verdict.state == "agreed" and verdict.result == "fail"


def test_application_with_a_disputed_line_is_discrepant():
    checks = {0: {"hours": "met", "ethics": "met"}, 1: {"hours": "not_met", "ethics": "met"}}
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, checks=checks)))
    assert verdict.state == "discrepant"
    assert "requirement hours: reviewers' marks differ" in verdict.reasons


def test_application_more_information_agreed_goes_to_the_committee():
    checks = {0: {"hours": "more_info", "ethics": "met"}, 1: {"hours": "more_info", "ethics": "met"}}
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, checks=checks)))
    assert verdict.state == "committee"
    assert verdict.reasons == ("requirement hours: more information needed",)


def test_unmarked_line_counts_as_more_information():
    checks = {0: {"hours": "met"}, 1: {"hours": "met", "ethics": None}}
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, checks=checks)))
    assert verdict.state == "committee"


def test_third_read_settles_a_disputed_line_by_majority():
    checks = {
        0: {"hours": "met", "ethics": "met"},
        1: {"hours": "not_met", "ethics": "met"},
        99: {"hours": "met", "ethics": "met"},
    }
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, third=GOOD, checks=checks)))
    assert verdict.state == "resolved" and verdict.result == "pass"
    assert verdict.combined == {"a": 3.0, "b": 3.0}


def test_three_different_marks_leave_the_line_to_the_committee():
    checks = {
        0: {"hours": "met", "ethics": "met"},
        1: {"hours": "not_met", "ethics": "met"},
        99: {"hours": "more_info", "ethics": "met"},
    }
    verdict = evaluate_item(APP, facts(reads(GOOD, GOOD, third=GOOD, checks=checks)))
    assert verdict.state == "committee"
    assert "requirement hours: no majority among the marks" in verdict.reasons


# --- suggested decision ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "portfolio, mc, essays, expected",
    [
        ("pass", 85, ["pass", "pass"], "endorse"),
        ("pass", 80, ["pass"], "endorse"),  # the pass mark itself passes
        ("pass", 79.9, ["pass"], "not_endorsed"),
        ("pass", 90, ["pass", "fail"], "not_endorsed"),
        (None, 70, [None], "not_endorsed"),  # a failed exam part decides whatever is pending
        ("fail", 90, ["pass"], "revise"),
        (None, 90, ["pass"], None),
        ("pass", None, ["pass"], None),
        ("pass", 90, ["pass", None], None),
        ("pass", 90, [], None),
    ],
)
def test_suggested_decision(portfolio, mc, essays, expected):
    assert engine.suggest_decision(portfolio, mc, essays, pass_mark=80.0) == expected
