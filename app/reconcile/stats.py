"""Agreement statistics between reviewers, implemented here with numpy.

Every function takes plain numbers and returns a float, or None when the
figure is undefined (no pairs, or no variation to measure agreement against).
"""

from collections.abc import Sequence

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def exact_agreement(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Share of paired reads with the same score."""
    a, b = _pairs(first, second)
    return None if a.size == 0 else float(np.mean(a == b))


def adjacent_agreement(first: Sequence[float], second: Sequence[float], within: float = 1) -> float | None:
    """Share of paired reads whose scores differ by at most ``within`` (exact agreement included)."""
    a, b = _pairs(first, second)
    return None if a.size == 0 else float(np.mean(np.abs(a - b) <= within))


def quadratic_weighted_kappa(first: Sequence[int], second: Sequence[int], scale: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights over the rubric's full scale.

    Weights are ``(i - j)² / (k - 1)²`` for the k levels of the scale, whether
    or not every level was used. None when chance disagreement is zero (both
    reads always gave the same single level).
    """
    a, b = _pairs(first, second)
    levels = np.asarray(sorted(scale))
    if a.size == 0 or levels.size < 2:
        return None
    index = {int(level): position for position, level in enumerate(levels)}
    try:
        rows = np.fromiter((index[int(v)] for v in a), dtype=np.intp, count=a.size)
        cols = np.fromiter((index[int(v)] for v in b), dtype=np.intp, count=b.size)
    except KeyError as exc:
        raise ValueError(f"score {exc.args[0]} lies outside the scale {levels[0]}–{levels[-1]}") from None
    k = levels.size
    observed = np.zeros((k, k))
    np.add.at(observed, (rows, cols), 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / a.size
    positions = np.arange(k)
    weights = (positions[:, None] - positions[None, :]) ** 2 / (k - 1) ** 2
    chance = float((weights * expected).sum())
    if chance == 0:
        return None
    return 1.0 - float((weights * observed).sum()) / chance


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[float | None]] | np.ndarray, level: str = "interval"
) -> float | None:
    """Krippendorff's alpha over a coders × units table; None or NaN marks a missing value.

    Built from the coincidence matrix (Krippendorff 2011, "Computing
    Krippendorff's Alpha-Reliability"): units coded by fewer than two coders
    are left out; the metric is nominal, ordinal, interval or ratio. None when
    there is no variation at all among the pairable values.
    """
    if level not in LEVELS:
        raise ValueError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")
    data = np.array(reliability_data, dtype=float)
    if data.ndim != 2:
        raise ValueError("reliability_data: needs a coders × units table")
    values = np.unique(data[~np.isnan(data)])
    if values.size == 0:
        return None
    # counts[u, v]: how many coders gave value v to unit u
    counts = np.stack([(data == value).sum(axis=0) for value in values], axis=1).astype(float)
    per_unit = counts.sum(axis=1)
    pairable = per_unit >= 2
    counts, per_unit = counts[pairable], per_unit[pairable]
    if counts.size == 0:
        return None
    weighted = counts / (per_unit - 1)[:, None]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    marginals = coincidence.sum(axis=1)
    total = marginals.sum()
    distance = _squared_distance(values, marginals, level)
    disagreement_observed = float((coincidence * distance).sum())
    disagreement_expected = float((np.outer(marginals, marginals) * distance).sum()) / (total - 1)
    if disagreement_expected == 0:
        return None
    return 1.0 - disagreement_observed / disagreement_expected


def _squared_distance(values: np.ndarray, marginals: np.ndarray, level: str) -> np.ndarray:
    c, k = values[:, None], values[None, :]
    if level == "nominal":
        return (c != k).astype(float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        sums = c + k
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(sums == 0, 0.0, (c - k) / np.where(sums == 0, 1, sums))
        return ratio**2
    # ordinal: the marginal mass between two ranks, counting each end half
    cumulative = np.concatenate(([0.0], np.cumsum(marginals)))
    lo = np.minimum(np.arange(values.size)[:, None], np.arange(values.size)[None, :])
    hi = np.maximum(np.arange(values.size)[:, None], np.arange(values.size)[None, :])
    between = cumulative[hi + 1] - cumulative[lo]
    return (between - (marginals[lo] + marginals[hi]) / 2) ** 2


def _pairs(first: Sequence[float], second: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired scores: {a.size} first reads but {b.size} second reads")
    return a, b
