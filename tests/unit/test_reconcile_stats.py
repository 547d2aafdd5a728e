"""Agreement statistics: published known answers, scikit-learn and krippendorff as oracles, invariants."""

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from app.reconcile import stats

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders × 12 units, missing values.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
# Wikipedia's "Krippendorff's alpha" example: 3 coders × 15 units.
WIKIPEDIA = [
    [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
    [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
    [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
]


@pytest.mark.parametrize(
    "level, published", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_alpha_reproduces_krippendorffs_published_example(level, published):
    assert round(stats.krippendorff_alpha(KRIPPENDORFF_2011, level), 3) == published


@pytest.mark.parametrize("level, published", [("nominal", 0.691), ("interval", 0.811)])
def test_alpha_reproduces_the_wikipedia_example(level, published):
    assert round(stats.krippendorff_alpha(WIKIPEDIA, level), 3) == published


@pytest.mark.parametrize("level", stats.LEVELS)
@pytest.mark.parametrize("data", [KRIPPENDORFF_2011, WIKIPEDIA])
def test_alpha_matches_the_krippendorff_package(data, level):
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert stats.krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-12)


def test_alpha_accepts_none_for_missing_values():
    with_none = [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in WIKIPEDIA]
    assert stats.krippendorff_alpha(with_none, "interval") == pytest.approx(0.8108, abs=1e-4)


def test_alpha_is_undefined_without_variation_or_pairs():
    assert stats.krippendorff_alpha([[2, 2, 2], [2, 2, 2]], "interval") is None
    assert stats.krippendorff_alpha([[1, nan], [nan, 2]], "interval") is None
    with pytest.raises(ValueError, match="level: must be one of"):
        stats.krippendorff_alpha([[1, 2], [1, 2]], "cardinal")


def test_exact_and_adjacent_agreement_by_hand():
    first, second = [1, 2, 3, 4, 4], [1, 3, 1, 4, 2]
    assert stats.exact_agreement(first, second) == 2 / 5  # units 1 and 4
    assert stats.adjacent_agreement(first, second) == 3 / 5  # plus unit 2 (2 vs 3)
    assert stats.exact_agreement([], []) is None
    with pytest.raises(ValueError, match="2 first reads but 1 second reads"):
        stats.exact_agreement([1, 2], [1])


def test_weighted_kappa_by_hand_over_the_full_scale():
    # Scale 1–4, weights (i-j)²/9. Pairs (1,1), (2,3), (4,4), (3,2): observed disagreement = 2/9 over 4 units.
    # Row/column marginals are both [1,1,1,1]/4 → expected disagreement = Σ w_ij / 16 = (2·(3·1+2·4+9))/9/16.
    first, second = [1, 2, 4, 3], [1, 3, 4, 2]
    observed = (1 / 9 + 1 / 9) / 4
    expected = 2 * (3 * 1 + 2 * 4 + 1 * 9) / 9 / 16
    assert stats.quadratic_weighted_kappa(first, second, range(1, 5)) == pytest.approx(1 - observed / expected)


def test_weighted_kappa_uses_the_full_scale_not_only_observed_values():
    # Levels 1, 2 and 4 are used, 3 is not: on the full scale 4 is two steps from 2, on the observed labels one.
    first, second = [1, 2, 4, 2, 4, 1], [2, 2, 4, 4, 2, 1]
    full = stats.quadratic_weighted_kappa(first, second, range(1, 5))
    assert full == pytest.approx(cohen_kappa_score(first, second, labels=[1, 2, 3, 4], weights="quadratic"))
    assert full != pytest.approx(cohen_kappa_score(first, second, weights="quadratic"))


def test_weighted_kappa_is_undefined_when_both_reads_use_one_level_and_rejects_off_scale_scores():
    assert stats.quadratic_weighted_kappa([3, 3], [3, 3], range(1, 5)) is None
    with pytest.raises(ValueError, match="score 7 lies outside the scale 1–4"):
        stats.quadratic_weighted_kappa([7], [1], range(1, 5))


scores_1_to_6 = st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=2, max_size=60)


@settings(max_examples=150, deadline=None)
@given(scores_1_to_6)
def test_weighted_kappa_matches_scikit_learn(pairs):
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    ours = stats.quadratic_weighted_kappa(first, second, range(1, 7))
    if ours is None:
        assert len(set(first) | set(second)) == 1
        return
    theirs = cohen_kappa_score(first, second, labels=list(range(1, 7)), weights="quadratic")
    assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(scores_1_to_6)
def test_kappa_and_agreement_are_symmetric_in_raters(pairs):
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    forwards = stats.quadratic_weighted_kappa(first, second, range(1, 7))
    backwards = stats.quadratic_weighted_kappa(second, first, range(1, 7))
    assert (forwards is None and backwards is None) or forwards == pytest.approx(backwards, abs=1e-12)
    assert stats.exact_agreement(first, second) == stats.exact_agreement(second, first)
    assert stats.adjacent_agreement(first, second) == stats.adjacent_agreement(second, first)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=40).filter(lambda v: len(set(v)) > 1))
def test_perfect_agreement_scores_one(values):
    assert stats.quadratic_weighted_kappa(values, values, range(1, 7)) == pytest.approx(1.0)
    assert stats.exact_agreement(values, values) == 1.0
    for level in stats.LEVELS:
        assert stats.krippendorff_alpha([values, values, values], level) == pytest.approx(1.0)


coder_tables = st.integers(2, 4).flatmap(
    lambda coders: st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=coders, max_size=coders), min_size=3, max_size=25
    )
)


@settings(max_examples=150, deadline=None)
@given(coder_tables, st.randoms(use_true_random=False))
def test_alpha_is_invariant_to_coder_and_unit_order_and_matches_the_package(units, rnd):
    table = np.array([[nan if v is None else v for v in unit] for unit in units], dtype=float).T  # coders × units
    for level in ("nominal", "ordinal", "interval"):
        ours = stats.krippendorff_alpha(table, level)
        coders, columns = list(range(table.shape[0])), list(range(table.shape[1]))
        rnd.shuffle(coders)
        rnd.shuffle(columns)
        shuffled = stats.krippendorff_alpha(table[coders][:, columns], level)
        if ours is None:
            assert shuffled is None
            continue
        assert shuffled == pytest.approx(ours, abs=1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            theirs = krippendorff.alpha(reliability_data=table, level_of_measurement=level)
        assert ours == pytest.approx(theirs, abs=1e-9)
