"""Who may read an item: the one rule used by auto-assignment, manual changes, third readers and the UI."""
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class ReviewerFacts:
    """What the rule needs to know about a reviewer."""
    user_id: int
    email: str
    active: bool = True
    in_pool: bool = True                       # a reviewer member of the item's cycle
    organization: str | None = None
    designations: frozenset[str] = frozenset()  # "C", "P", "RF" they may score

    # Normalised once per reviewer: auto-assignment checks every reviewer against thousands of items.
    @cached_property
    def organization_key(self) -> str:
        return organization_key(self.organization)

    @cached_property
    def email_key(self) -> str:
        return email_key(self.email)


@dataclass(frozen=True)
class ItemFacts:
    """What the rule needs to know about an item and its applicant."""
    item_key: str
    applicant_organization: str | None = None
    advisor_email: str | None = None
    designation: str | None = None             # required designation (Mentor essays only)
    conflicted_reviewer_ids: frozenset[int] = frozenset()  # declared conflicts with the applicant
    reader_ids: frozenset[int] = frozenset()   # reviewers already assigned to the item

    @cached_property
    def organization_key(self) -> str:
        return organization_key(self.applicant_organization)

    @cached_property
    def advisor_key(self) -> str:
        return email_key(self.advisor_email)

    @cached_property
    def designation_code(self) -> str | None:
        return self.designation.upper() if self.designation else None


@dataclass(frozen=True)
class Eligibility:
    reasons: tuple[str, ...]  # empty when eligible

    @property
    def eligible(self) -> bool:
        return not self.reasons

    def __bool__(self) -> bool:
        return self.eligible


def check_eligibility(reviewer: ReviewerFacts, item: ItemFacts) -> Eligibility:
    """Every reason the reviewer may not read the item, in words (none means eligible)."""
    reasons = []
    if not reviewer.active:
        reasons.append("account is not active")
    if not reviewer.in_pool:
        reasons.append("not a reviewer in this cycle")
    if reviewer.user_id in item.conflicted_reviewer_ids:
        reasons.append("declared conflict with the applicant")
    if reviewer.organization_key and reviewer.organization_key == item.organization_key:
        reasons.append("same organization as the applicant")
    if item.advisor_key and item.advisor_key == reviewer.email_key:
        reasons.append("advisor of the applicant")
    if item.designation_code and item.designation_code not in reviewer.designations:
        reasons.append(f"not designated to score {item.designation_code} essays")
    if reviewer.user_id in item.reader_ids:
        reasons.append("already reading this item")
    return Eligibility(tuple(reasons))


def organization_key(name: str | None) -> str:
    """Organizations compare ignoring case and all whitespace; a blank one (key "") never matches."""
    # Whitespace is dropped entirely: "Mercy  Hospital" and "mercyhospital" are one employer,
    # and a missed conflict costs more than a needless one.
    return "".join((name or "").split()).casefold()


def email_key(email: str | None) -> str:
    return (email or "").strip().casefold()
