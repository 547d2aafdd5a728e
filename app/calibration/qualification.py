"""Whether a reviewer's items are released: their qualification set scored against the expert scores.

Pure (docs/calibration.md, "Qualification"): the cycle's set size and threshold, the reviewer's set of
validity reads in assignment order (None for one not yet submitted), and whether a coordinator released them
by hand, in; the reviewer's standing out.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from app.calibration.figures import ScoredRead, against_co_readers


class Standing(enum.StrEnum):
    NOT_REQUIRED = "not_required"  # the cycle asks for no qualification set
    AWAITING_SET = "awaiting_set"  # fewer essays assigned than the set needs: the coordinator must act
    IN_PROGRESS = "in_progress"  # scoring the set
    QUALIFIED = "qualified"
    MISSED = "missed"  # scored the whole set below the threshold
    RELEASED = "released"  # released by hand


RELEASED_STANDINGS = frozenset({Standing.NOT_REQUIRED, Standing.QUALIFIED, Standing.RELEASED})


@dataclass(frozen=True, slots=True)
class Qualification:
    standing: Standing
    required: int
    assigned: int = 0
    submitted: int = 0
    adjacent: float | None = None
    min_adjacent: float = 0.0

    @property
    def released(self) -> bool:
        """Whether the reviewer's other items (live, and seeded validity essays) are open to them."""
        return self.standing in RELEASED_STANDINGS


def qualification(
    required: int, min_adjacent: float, set_reads: Sequence[ScoredRead | None], released_by_hand: bool = False
) -> Qualification:
    """The standing of a reviewer whose first ``required`` validity assignments are ``set_reads``.

    The set is judged once every read of it is submitted: its domain scores pooled, adjacent agreement
    with the expert scores at least ``min_adjacent`` qualifies (so a reviewer qualifies on the set's last
    read, never before it).
    """
    if required <= 0:
        return Qualification(Standing.NOT_REQUIRED, 0)
    reads = list(set_reads[:required])
    submitted = [read for read in reads if read is not None]

    def standing(kind: Standing, adjacent: float | None = None) -> Qualification:
        return Qualification(kind, required, len(reads), len(submitted), adjacent, min_adjacent)

    if released_by_hand:
        return standing(Standing.RELEASED)
    if len(submitted) < required:
        return standing(Standing.AWAITING_SET if len(reads) < required else Standing.IN_PROGRESS)
    adjacent = against_co_readers(submitted).adjacent  # the agreement alone: no kappa (nor numpy) on a page load
    return standing(
        Standing.QUALIFIED if adjacent is not None and adjacent >= min_adjacent else Standing.MISSED, adjacent
    )
