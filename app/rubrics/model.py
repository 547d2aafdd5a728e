"""Rubrics as plain, immutable data."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

COMBINE_RULES = ("mean", "sum", "median")
KINDS = ("essay", "application")
DESIGNATIONS = ("C", "P", "RF")
# The categories of Endorsement, Infant and Early Childhood alike; only some have rubrics.
CATEGORY_CODES = (
    "IFA",
    "ECFA",
    "IFS",
    "ECFS",
    "IMHS",
    "ECMHS",
    "IMHM-C",
    "IMHM-P",
    "IMHM-RF",
    "ECMHM-C",
    "ECMHM-P",
    "ECMHM-RF",
)
# How a requirement line states the figure it checks; the value is the minimum.
MINIMUM_FIELDS = ("min_hours", "min_years", "min_count")


@dataclass(frozen=True)
class Figure:
    """A figure a requirement line may check (docs/requirements.md lists them).

    ``records`` is the portfolio record kind it is counted from (None: the
    applications import's column only); ``column`` the applications-import
    column it falls back to without such records (None: records only);
    ``implies`` the rules its name stands for (``dei_hours`` is training of
    topic ``dei``).
    """

    name: str
    unit: str  # hours | years | count | yes (a yes/no figure)
    records: str | None = None  # training | rsc | references | work
    column: str | None = None
    implies: Mapping[str, object] = field(default_factory=dict)


FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        Figure("training_hours", "hours", "training", "training_hours"),
        Figure("dei_hours", "hours", "training", "dei_hours", {"topic": "dei"}),
        Figure("rsc_training_hours", "hours", "training", "rsc_training_hours", {"topic": "rsc"}),
        Figure("rsc_hours", "hours", "rsc", "rsc_hours"),
        Figure("rsc_hours_about_providing", "hours", "rsc", "rsc_hours_about_providing", {"about_providing": True}),
        Figure("rsc_providers", "count", "rsc"),
        Figure("work_years", "years", "work", "work_years"),
        Figure("leadership_years", "years", None, "leadership_years"),
        Figure("references_received", "count", "references", "references_received"),
        Figure("references_endorsed", "count", "references"),
        Figure("ethics_signed", "yes", None, "ethics_signed"),
        Figure("agreement_signed", "yes", None, "agreement_signed"),
        Figure("member", "yes", None, "member"),
    )
}
# The rule keys a requirement line may carry, by the record kind its figure is counted from.
RULES_BY_RECORDS = {
    "training": ("topic",),
    "rsc": (
        "provider_endorsements",
        "accept_vetted_until",
        "exclude_peer",
        "about_providing",
        "window_years",
        "majority_from_one_source",
    ),
    "references": ("min_endorsed", "endorsements"),
    "work": ("kinds", "internship_max_years", "with_infant_and_parent"),
}
RULE_KEYS = tuple(key for keys in RULES_BY_RECORDS.values() for key in keys)


@dataclass(frozen=True)
class Domain:
    key: str
    name: str
    areas: tuple[str, ...]
    descriptors: dict[int, str]


@dataclass(frozen=True)
class Requirement:
    """One checklist line of an application rubric, and the rules the product checks it by.

    ``figure`` names what the line counts (a key of ``FIGURES``); ``minimum``
    is what it must reach (``unit`` says in what), or ``must_be_yes`` for
    signed/membership lines. A line without a figure is judged by the
    reviewer. The remaining fields are the line's own rules (docs/requirements.md);
    nothing is inherited from another line.
    """

    key: str
    label: str
    figure: str | None = None
    minimum: float | None = None
    unit: str | None = None  # hours | years | count
    must_be_yes: bool = False
    # training
    topic: str | None = None
    # RS/C
    provider_endorsements: tuple[str, ...] = ()
    accept_vetted_until: date | None = None
    exclude_peer: bool = False
    about_providing: bool = False
    window_years: float | None = None
    majority_from_one_source: bool = False
    # references
    min_endorsed: int | None = None
    endorsements: tuple[str, ...] = ()
    # work
    kinds: tuple[str, ...] = ()
    internship_max_years: float | None = None
    with_infant_and_parent: bool = False

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule keys this line sets, in the order docs/requirements.md lists them."""
        return tuple(key for key in RULE_KEYS if getattr(self, key) not in (None, False, ()))


@dataclass(frozen=True)
class PassRule:
    domain_min: float | None = None
    mean_min: float | None = None
    total_min: float | None = None

    def met_by(self, scores: Mapping[str, float]) -> bool:
        """Every threshold the rule sets is met: each domain >= domain_min, mean >= mean_min, total >= total_min."""
        total = sum(scores.values())
        return (
            (self.domain_min is None or min(scores.values()) >= self.domain_min)
            and (self.mean_min is None or total / len(scores) >= self.mean_min)
            and (self.total_min is None or total >= self.total_min)
        )


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
    mc_pass_mark: float | None = None  # Part 1 pass mark for this application pack's categories; None: the default
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
