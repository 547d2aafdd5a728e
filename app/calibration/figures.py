"""Calibration figures as pure functions: a reviewer's scores in, agreement, flags and drift out.

Plain numbers only (docs/calibration.md, "Figures"): the service in app/reports.py loads the reads and
the workbook, dashboard and board show what comes out. numpy loads with the kappa, not with the module.
"""

from collections.abc import Sequence
from dataclasses import dataclass

# Flags compare with the expert scores and need at least this many validity reads.
MIN_FLAGGED_READS = 5


@dataclass(frozen=True, slots=True)
class ScoredRead:
    """One submitted read compared with what it is measured against: per domain (its score, the other score).

    Against an expert, the other score is the validity essay's expert score; against co-readers, the
    mean of the other reads of the item in that domain.
    """

    rubric_key: str
    scale: tuple[int, ...]
    pairs: tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a reviewer is flagged (the cycle's settings; defaults as docs/calibration.md gives them)."""

    min_adjacent: float = 0.9
    max_mean_difference: float = 0.5
    min_kappa: float = 0.6
    window: int = 10


@dataclass(frozen=True, slots=True)
class Figures:
    """Agreement of a run of reads with what they are measured against, every domain score pooled."""

    reads: int
    scores: int
    exact: float | None
    adjacent: float | None
    mean_difference: float | None  # the reviewer's score minus the other, averaged
    kappa: float | None = None  # quadratic weighted, per rubric on its full scale, weighted by scores


@dataclass(frozen=True, slots=True)
class Window:
    """The figures over reads ``first``–``last`` (1-based, in submission order) and what they trip."""

    first: int
    last: int
    figures: Figures
    flags: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"reads {self.first}–{self.last}"


def against_expert(reads: Sequence[ScoredRead]) -> Figures:
    """Exact and adjacent agreement and mean difference over every domain score of the reads, and the quadratic
    weighted kappa computed per rubric on its full scale, averaged weighted by each rubric's number of scores
    (rubrics whose kappa is undefined are left out of the average; None when every one is)."""
    pairs = [pair for read in reads for pair in read.pairs]
    if not pairs:
        return Figures(len(reads), 0, None, None, None, None)
    by_rubric: dict[str, tuple[tuple[int, ...], list[tuple[int, float]]]] = {}
    for read in reads:
        by_rubric.setdefault(read.rubric_key, (read.scale, []))[1].extend(read.pairs)
    weighted, weights = 0.0, 0
    for scale, rubric_pairs in by_rubric.values():
        kappa = _kappa(rubric_pairs, scale)
        if kappa is not None:
            weighted += kappa * len(rubric_pairs)
            weights += len(rubric_pairs)
    base = _agreement(len(reads), pairs)
    return Figures(
        base.reads,
        base.scores,
        base.exact,
        base.adjacent,
        base.mean_difference,
        weighted / weights if weights else None,
    )


def against_co_readers(reads: Sequence[ScoredRead]) -> Figures:
    """The same agreement with the co-readers' mean per item and domain (``mean_difference`` is the severity:
    negative is harsher). Exact means equal to that mean, adjacent within one point of it."""
    return _agreement(len(reads), [pair for read in reads for pair in read.pairs])


def _agreement(count: int, pairs: Sequence[tuple[int, float]]) -> Figures:
    if not pairs:
        return Figures(count, 0, None, None, None)
    differences = [own - other for own, other in pairs]
    return Figures(
        count,
        len(pairs),
        sum(d == 0 for d in differences) / len(pairs),
        sum(abs(d) <= 1 for d in differences) / len(pairs),
        sum(differences) / len(pairs),
    )


def _kappa(pairs: Sequence[tuple[int, float]], scale: Sequence[int]) -> float | None:
    from app.reconcile.stats import quadratic_weighted_kappa  # numpy, loaded for the figures only

    return quadratic_weighted_kappa([own for own, _ in pairs], [int(other) for _, other in pairs], scale)


def expert_flags(figures: Figures, thresholds: Thresholds) -> tuple[str, ...]:
    """Why a reviewer's figures against the expert scores are beyond the thresholds, in words; nothing with fewer
    than ``MIN_FLAGGED_READS`` validity reads, and no kappa flag while the kappa is undefined."""
    if figures.reads < MIN_FLAGGED_READS or not figures.scores:
        return ()
    reasons = []
    if figures.adjacent is not None and figures.adjacent < thresholds.min_adjacent:
        reasons.append(f"adjacent agreement {_percent(figures.adjacent)} is below {_percent(thresholds.min_adjacent)}")
    if figures.mean_difference is not None and abs(figures.mean_difference) > thresholds.max_mean_difference:
        leaning = "lenient" if figures.mean_difference > 0 else "severe"
        reasons.append(
            f"mean difference {figures.mean_difference:+.2f} from the expert scores is beyond "
            f"±{thresholds.max_mean_difference:g} ({leaning})"
        )
    if figures.kappa is not None and figures.kappa < thresholds.min_kappa:
        reasons.append(f"weighted kappa {figures.kappa:.2f} is below {thresholds.min_kappa:g}")
    return tuple(reasons)


def drift(reads: Sequence[ScoredRead], thresholds: Thresholds, *, expert: bool = True) -> tuple[Window, ...]:
    """The figures over consecutive windows of ``thresholds.window`` reads in submission order (the last window
    may be shorter), each with the flags it trips on its own (expert windows only, and only windows of at least
    ``MIN_FLAGGED_READS`` reads)."""
    size = max(thresholds.window, 1)
    windows = []
    for start in range(0, len(reads), size):
        chunk = reads[start : start + size]
        figures = against_expert(chunk) if expert else against_co_readers(chunk)
        windows.append(
            Window(start + 1, start + len(chunk), figures, expert_flags(figures, thresholds) if expert else ())
        )
    return tuple(windows)


def drift_words(windows: Sequence[Window]) -> str | None:
    """The windows that trip a flag, in words, e.g. ``reads 11–20: adjacent agreement 60% is below 90%``."""
    tripped = [f"{window.label}: {'; '.join(window.flags)}" for window in windows if window.flags]
    return " | ".join(tripped) or None


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"
