"""Who may read an item: the one rule used by auto-assignment, manual changes, third readers and the UI."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewerFacts:
    """What the rule needs to know about a reviewer."""
    user_id: int
    email: str
    active: bool = True
    in_pool: bool = True                       # a reviewer member of the item's cycle
    organization: str | None = None
    designations: frozenset[str] = frozenset()  # "C", "P", "RF" they may score


@dataclass(frozen=True)
class ItemFacts:
    """What the rule needs to know about an item and its applicant."""
    item_key: str
    applicant_organization: str | None = None
    advisor_email: str | None = None
    designation: str | None = None             # required designation (Mentor essays only)
    conflicted_reviewer_ids: frozenset[int] = frozenset()  # declared conflicts with the applicant
    reader_ids: frozenset[int] = frozenset()   # reviewers already assigned to the item


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
    if same_organization(reviewer.organization, item.applicant_organization):
        reasons.append("same organization as the applicant")
    if item.advisor_email and _email_key(item.advisor_email) == _email_key(reviewer.email):
        reasons.append("advisor of the applicant")
    if item.designation and item.designation.upper() not in reviewer.designations:
        reasons.append(f"not designated to score {item.designation.upper()} essays")
    if reviewer.user_id in item.reader_ids:
        reasons.append("already reading this item")
    return Eligibility(tuple(reasons))


def same_organization(first: str | None, second: str | None) -> bool:
    """Equal ignoring case and all whitespace; a blank organization never matches anything."""
    first_key, second_key = organization_key(first), organization_key(second)
    return bool(first_key) and first_key == second_key


def organization_key(name: str | None) -> str:
    # Whitespace is dropped entirely: "Mercy  Hospital" and "mercyhospital" are one employer,
    # and a missed conflict costs more than a needless one.
    return "".join((name or "").split()).casefold()


def _email_key(email: str) -> str:
    return email.strip().casefold()
