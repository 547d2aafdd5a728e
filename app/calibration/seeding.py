"""Seeding validity essays into reviewers' queues, as a pure function: loads in, (reviewer, essay) picks out.

A cycle's ``validity_rate`` is the share of validity reads in each reviewer's queue (docs/calibration.md,
"Seeding"): a reviewer with ``live`` live reads gets ``rate · live / (1 − rate)`` validity reads, rounded to
the nearest whole read, so that validity reads make up ``rate`` of everything they read. Each pick is an
essay the reviewer may read and is not reading yet, the least read one first, so the essays' reads stay even.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import floor

MAX_RATE = 0.5


@dataclass(frozen=True, slots=True)
class SeedReviewer:
    key: int
    live_reads: int
    validity_reads: int
    room: int | None  # reads left under their maximum load; None without one
    eligible: tuple[str, ...]  # validity essays they may read and are not reading yet


def seeded_reads(live_reads: int, rate: float) -> int:
    """How many validity reads a queue of ``live_reads`` live reads should hold at ``rate`` (half up)."""
    if not 0 <= rate <= MAX_RATE:
        raise ValueError(f"validity rate: must be between 0 and {MAX_RATE:g}, got {rate:g}")
    return floor(rate * live_reads / (1 - rate) + 0.5)


def seed(
    reviewers: Sequence[SeedReviewer], rate: float, reads_per_essay: Mapping[str, int], minimum: int = 0
) -> list[tuple[int, str]]:
    """The validity reads to add: for each reviewer (in the order given) what their queue lacks at ``rate``, and
    at least ``minimum`` in all (a qualification set), within their maximum load, each essay the least read of
    those they may read (then by key)."""
    counts = dict(reads_per_essay)
    picks = []
    for reviewer in reviewers:
        wanted = max(seeded_reads(reviewer.live_reads, rate), minimum) - reviewer.validity_reads
        if reviewer.room is not None:
            wanted = min(wanted, reviewer.room)
        if wanted <= 0:
            continue
        for essay in sorted(reviewer.eligible, key=lambda key: (counts.get(key, 0), key))[:wanted]:
            counts[essay] = counts.get(essay, 0) + 1
            picks.append((reviewer.key, essay))
    return picks
