"""Rubrics as plain, immutable data."""
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

COMBINE_RULES = ("mean", "sum", "median")
KINDS = ("essay", "application")
DESIGNATIONS = ("C", "P", "RF")
# How a requirement line states the figure it checks; the value is the minimum.
MINIMUM_FIELDS = ("min_hours", "min_years", "min_count")
# The portfolio figures an application carries (SPEC §3 columns); a requirement line names one.
FIGURES = ("training_hours", "dei_hours", "rsc_training_hours", "rsc_hours", "rsc_hours_about_providing",
           "work_years", "leadership_years", "references_received", "ethics_signed", "agreement_signed", "member")


@dataclass(frozen=True)
class Domain:
    key: str
    name: str
    areas: tuple[str, ...]
    descriptors: dict[int, str]


@dataclass(frozen=True)
class Requirement:
    """One checklist line of an application rubric.

    ``figure`` names the application's portfolio column shown beside the line
    (e.g. ``rsc_hours``); ``minimum`` is the figure it must reach, or
    ``must_be_yes`` for signed/membership lines.
    """
    key: str
    label: str
    figure: str | None = None
    minimum: float | None = None
    unit: str | None = None  # hours | years | count
    must_be_yes: bool = False


@dataclass(frozen=True)
class PassRule:
    domain_min: float | None = None
    mean_min: float | None = None
    total_min: float | None = None

    def met_by(self, scores: Mapping[str, float]) -> bool:
        """Every threshold the rule sets is met: each domain >= domain_min, mean >= mean_min, total >= total_min."""
        total = sum(scores.values())
        return ((self.domain_min is None or min(scores.values()) >= self.domain_min)
                and (self.mean_min is None or total / len(scores) >= self.mean_min)
                and (self.total_min is None or total >= self.total_min))


@dataclass(frozen=True)
class ReconcileRule:
    combine: str = "mean"
    tolerance: float = 1
    third_reader: bool = True
    near_cut_margin: float = 0.0


@dataclass(frozen=True)
class Rubric:
    key: str
    title: str
    kind: str
    categories: tuple[str, ...]
    designation: str | None
    version: int
    scale_min: int
    scale_max: int
    labels: dict[int, str]
    pass_rule: PassRule
    reconcile: ReconcileRule
    domains: tuple[Domain, ...]
    requirements: tuple[Requirement, ...] = ()
    source: Path | None = field(default=None, compare=False)

    @cached_property  # reconciliation asks for it several times per item, thousands of items per cycle
    def domain_keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.domains)

    @property
    def scale(self) -> tuple[int, ...]:
        return tuple(range(self.scale_min, self.scale_max + 1))

    def domain(self, key: str) -> Domain:
        for d in self.domains:
            if d.key == key:
                return d
        raise KeyError(key)
