"""An independent reference for the workbook's Reviewers sheet: each reviewer's mean score and severity from the
plain list of submitted scores, written the obvious way (the export streams running sums instead)."""

from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean


@dataclass(frozen=True)
class ReviewerFigures:
    reads: int  # items with at least one submitted score
    mean: float  # mean of every domain score they gave
    severity: float | None  # mean of (their score − the co-readers' mean) on the same item and domain


def reviewer_figures(scores) -> dict[object, ReviewerFigures]:
    """Per reviewer, from ``(item, domain, reviewer, score)`` for every submitted domain score.

    Severity is negative for a reviewer who scores below the others reading the same items (harsher), positive
    above (more lenient); None when they never shared a domain of an item with anyone.
    """
    by_cell = defaultdict(list)
    given, items_read, differences = defaultdict(list), defaultdict(set), defaultdict(list)
    for item, domain, reviewer, score in scores:
        by_cell[(item, domain)].append((reviewer, score))
        given[reviewer].append(score)
        items_read[reviewer].add(item)
    for cell in by_cell.values():
        for reviewer, score in cell:
            others = [other for who, other in cell if who != reviewer]
            if others:
                differences[reviewer].append(score - fmean(others))
    return {
        reviewer: ReviewerFigures(
            reads=len(items_read[reviewer]),
            mean=fmean(values),
            severity=fmean(differences[reviewer]) if differences[reviewer] else None,
        )
        for reviewer, values in given.items()
    }
