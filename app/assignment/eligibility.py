"""Who may read an item: the one rule used by auto-assignment, manual changes, third readers and the UI.

Every reason a reviewer may not read an item is given in words; docs/assignment.md lists them and says why
each exists. The rule is pure: the facts it looks at are gathered by ``facts.py``.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property

# The two sides of an applicant: the portfolio shows who they are, the essays are read blind. A reviewer reads
# one side of an applicant only (unless the cycle relaxes blindness across items).
PORTFOLIO = "portfolio"
ESSAYS = "essays"
ALREADY_READING = "already reading this item"
DECLINED = "declined this item"
MENTOR_PREFIXES = ("IMHM-", "ECMHM-")
# Endorsement levels below Mentor (level IV); a portfolio needs a reviewer endorsed at its level or above.
LEVELS = {"IFA": 1, "ECFA": 1, "IFS": 2, "ECFS": 2, "IMHS": 3, "ECMHS": 3}
MENTOR_LEVEL = 4


@dataclass(frozen=True)
class ReviewerFacts:
    """What the rule needs to know about a reviewer."""

    user_id: int
    email: str
    active: bool = True
    in_pool: bool = True  # a reviewer member of the item's cycle
    organization: str | None = None
    designations: frozenset[str] = frozenset()  # "C", "P", "RF" they may score
    endorsements: frozenset[str] = frozenset()  # category codes they hold, e.g. "IMHM-C", "IMHS"
    load: int = 0  # reads they hold in the cycle
    max_load: int | None = None  # None = no limit

    # Normalised once per reviewer: auto-assignment checks every reviewer against thousands of items.
    @cached_property
    def organization_key(self) -> str:
        return organization_key(self.organization)

    @cached_property
    def email_key(self) -> str:
        return email_key(self.email)

    @property
    def at_capacity(self) -> bool:
        return self.max_load is not None and self.load >= self.max_load


@dataclass(frozen=True)
class ItemFacts:
    """What the rule needs to know about an item and its applicant."""

    item_key: str
    applicant_organization: str | None = None
    advisor_email: str | None = None
    designation: str | None = None  # required designation (Mentor essays only)
    portfolio_category: str | None = None  # the application's category (portfolios only)
    conflicted_reviewer_ids: frozenset[int] = frozenset()  # declared conflicts with the applicant
    reader_ids: frozenset[int] = frozenset()  # reviewers already assigned to the item
    declined_reviewer_ids: frozenset[int] = frozenset()
    side: str = ESSAYS  # PORTFOLIO or ESSAYS
    other_side_reader_ids: frozenset[int] = frozenset()  # readers of the applicant's items on the other side
    blind_across_items: bool = True  # the cycle's setting

    @cached_property
    def organization_key(self) -> str:
        return organization_key(self.applicant_organization)

    @cached_property
    def advisor_key(self) -> str:
        return email_key(self.advisor_email)

    @cached_property
    def designation_code(self) -> str | None:
        return self.designation.upper() if self.designation else None

    @property
    def other_side(self) -> str:
        return ESSAYS if self.side == PORTFOLIO else PORTFOLIO


@dataclass(frozen=True)
class Eligibility:
    reasons: tuple[str, ...]  # empty when eligible

    @property
    def eligible(self) -> bool:
        return not self.reasons

    def __bool__(self) -> bool:
        return self.eligible


def check_eligibility(reviewer: ReviewerFacts, item: ItemFacts) -> Eligibility:
    """Every reason the reviewer may not take a new read of the item, in words (none means eligible)."""
    reasons = standing_reasons(reviewer, item)
    if reviewer.at_capacity and ALREADY_READING not in reasons:
        reasons += (capacity_reason(reviewer.load, reviewer.max_load),)
    return Eligibility(reasons)


class QualifiedPool:
    """The reviewers qualified for one kind of item (``qualification_reason`` is None for each), prepared once for
    many items: ``eligible_ids`` gives, in the pool's order, the ones ``check_eligibility`` finds eligible for a new
    read of an item.

    The same rule without the reasons: reconciliation checks hundreds of items against the pool at once and only
    needs who is left. What depends on the reviewer alone (active, in the pool, below the maximum load) is decided
    here once, and each item's exclusions (conflicts, declines, readers, the other side, the organization, the
    advisor) become one set of ids.
    """

    def __init__(self, qualified: Iterable[ReviewerFacts]):
        available = [r for r in qualified if r.active and r.in_pool and not r.at_capacity]
        self.user_ids = [r.user_id for r in available]
        self.by_organization: dict[str, set[int]] = defaultdict(set)
        self.by_email: dict[str, set[int]] = defaultdict(set)
        for reviewer in available:
            if reviewer.organization_key:  # a blank organization matches nobody's
                self.by_organization[reviewer.organization_key].add(reviewer.user_id)
            self.by_email[reviewer.email_key].add(reviewer.user_id)

    def eligible_ids(self, item: ItemFacts) -> list[int]:
        excluded = item.conflicted_reviewer_ids | item.declined_reviewer_ids | item.reader_ids
        if item.blind_across_items:
            excluded |= item.other_side_reader_ids
        if item.organization_key:
            excluded |= self.by_organization.get(item.organization_key, frozenset())
        if item.advisor_key:
            excluded |= self.by_email.get(item.advisor_key, frozenset())
        return [user_id for user_id in self.user_ids if user_id not in excluded]


def standing_reasons(reviewer: ReviewerFacts, item: ItemFacts) -> tuple[str, ...]:
    """Every reason but the reviewer's load: auto-assignment weighs loads itself while it places reads."""
    reasons = []
    if not reviewer.active:
        reasons.append("account is not active")
    if not reviewer.in_pool:
        reasons.append("not a reviewer in this cycle")
    reasons += interest_reasons(
        reviewer.user_id in item.conflicted_reviewer_ids,
        reviewer.organization_key,
        reviewer.email_key,
        item.organization_key,
        item.advisor_key,
    )
    qualification = qualification_reason(reviewer, item)
    if qualification:
        reasons.append(qualification)
    if item.blind_across_items and reviewer.user_id in item.other_side_reader_ids:
        reasons.append(f"reads this applicant's {item.other_side}")
    if reviewer.user_id in item.declined_reviewer_ids:
        reasons.append(DECLINED)
    if reviewer.user_id in item.reader_ids:
        reasons.append(ALREADY_READING)
    return tuple(reasons)


def interest_reasons(
    declared: bool,
    person_organization_key: str,
    person_email_key: str,
    applicant_organization_key: str,
    advisor_key: str,
) -> list[str]:
    """The three grounds of a conflict of interest with an applicant, in words (none: no conflict): a declared
    conflict, the same organization, being the applicant's advisor. The one rule for a reviewer (then not
    eligible) and a committee member (then recused, ``app.access``); keys as ``organization_key`` and
    ``email_key`` make them."""
    reasons = []
    if declared:
        reasons.append("declared conflict with the applicant")
    if person_organization_key and person_organization_key == applicant_organization_key:
        reasons.append("same organization as the applicant")
    if advisor_key and advisor_key == person_email_key:
        reasons.append("advisor of the applicant")
    return reasons


def qualification_reason(reviewer: ReviewerFacts, item: ItemFacts) -> str | None:
    """Why the reviewer is not qualified for this kind of item: a Mentor essay's designation, a portfolio's
    endorsement; None when qualified. Depends only on the item's designation and category."""
    if item.designation_code and item.designation_code not in reviewer.designations:
        return f"not designated to score {item.designation_code} essays"
    if item.portfolio_category is not None and not endorsed_for(item.portfolio_category, reviewer.endorsements):
        category = item.portfolio_category
        return f"not endorsed for {category} portfolios (needs {portfolio_need(category)})"
    return None


@cache  # a pool holds a few distinct sets of endorsements, checked against thousands of portfolios
def endorsed_for(category: str, endorsements: frozenset[str]) -> bool:
    """Whether these endorsements qualify a reviewer for a portfolio of this category.

    A Mentor portfolio needs a Mentor endorsement in its designation (an
    IMHM-C portfolio: IMHM-C or ECMHM-C); any other portfolio an endorsement at
    its level or above (a Specialist portfolio: IMHS, ECMHS or any Mentor).
    """
    category = category.upper()
    designation = mentor_designation(category)
    if designation is not None:
        return any(mentor_designation(code) == designation for code in endorsements)
    level = LEVELS.get(category)
    return level is not None and any((endorsement_level(code) or 0) >= level for code in endorsements)


def portfolio_need(category: str) -> str:
    """The endorsements that qualify a portfolio's reviewer, in words."""
    category = category.upper()
    designation = mentor_designation(category)
    if designation is not None:
        return " or ".join(prefix + designation for prefix in MENTOR_PREFIXES)
    level = LEVELS.get(category)
    if level is None:
        return "a category this product does not know"
    if level == 1:
        return "any endorsement"
    same_or_above = [code for code, at in LEVELS.items() if at >= level]
    return ", ".join(same_or_above) + " or a Mentor endorsement"


def mentor_designation(code: str) -> str | None:
    """``IMHM-C`` and ``ECMHM-C`` → ``C``; None for a code below Mentor level."""
    for prefix in MENTOR_PREFIXES:
        if code.startswith(prefix):
            return code[len(prefix) :]
    return None


def endorsement_level(code: str) -> int | None:
    return MENTOR_LEVEL if mentor_designation(code) is not None else LEVELS.get(code)


def capacity_reason(load: int, max_load: int | None) -> str:
    return f"at maximum load ({load} of {max_load})"


def organization_key(name: str | None) -> str:
    """Organizations compare ignoring case and all whitespace; a blank one (key "") never matches."""
    # Whitespace is dropped entirely: "Mercy  Hospital" and "mercyhospital" are one employer,
    # and a missed conflict costs more than a needless one.
    return "".join((name or "").split()).casefold()


def email_key(email: str | None) -> str:
    return (email or "").strip().casefold()
