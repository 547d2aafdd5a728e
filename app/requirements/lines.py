"""What becomes of each requirement line after the product checked it: the reviewers' marks, their overrides,
the final result, and the count of lines met. Plain data in, plain data out (docs/requirements.md, "Results").

Marks are the reviewers' words (met, not_met, more_info); checks the
product's (met, not_met, unknown, manual).
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.requirements.rules import MANUAL, MET, NOT_MET, UNKNOWN, LineResult

MORE_INFO = "more_info"
MARKS = (MET, NOT_MET, MORE_INFO)
# The checks a reviewer confirms: the product could decide them from the data.
DECIDED_CHECKS = frozenset({MET, NOT_MET})


def prefilled_mark(check: str) -> str | None:
    """The mark a reviewer starts from: the product's result when it could decide, else none (they judge)."""
    return check if check in DECIDED_CHECKS else None


def overrides(check: str | None, mark: str | None) -> bool:
    """A mark overrides the computed result when the product decided the line and the reviewer marked otherwise."""
    return check in DECIDED_CHECKS and mark is not None and mark != check


def imported_mark(check: str) -> str:
    """The mark of a read imported with the scores kind (a paper session): it confirms the computed result,
    judges manual lines met (the session judged them), and asks for more information where data was missing."""
    return {MET: MET, NOT_MET: NOT_MET, UNKNOWN: MORE_INFO, MANUAL: MET}[check]


def settled_mark(marks: Sequence[str | None]) -> str | None:
    """The reviewers' mark of a line once their reads settle it: all alike, or more than half after a further read.

    An unmarked line counts as more information needed, as reconciliation counts it.
    """
    if not marks:
        return None
    ((mark, count),) = Counter(m or MORE_INFO for m in marks).most_common(1)
    return mark if count * 2 > len(marks) else None


def final_result(committee_final: str | None, reviewer_marks: Sequence[str | None], settled: bool) -> str | None:
    """A line's final result: the committee's when it recorded one; else, once the item is settled
    (agreed, resolved or decided), the mark its reads settle on; blank while open."""
    if committee_final is not None:
        return committee_final
    return settled_mark(reviewer_marks) if settled else None


@dataclass(frozen=True)
class LineCount:
    met: int
    total: int

    def __str__(self) -> str:
        return f"{self.met} of {self.total}"

    @property
    def all_met(self) -> bool:
        return self.met == self.total


def lines_met(checks: Sequence[str], finals: Sequence[str | None]) -> LineCount:
    """Lines whose final result is met, or, while a line has no final result yet, whose check is met."""
    met = sum(1 for check, final in zip(checks, finals, strict=True) if (final if final is not None else check) == MET)
    return LineCount(met, len(checks))


def sheet_rows(
    applicant: Sequence[object],
    results: Sequence[LineResult],
    marks: Mapping[str, Sequence[str | None]],
    finals: Mapping[str, str | None],
) -> list[list[object]]:
    """The Requirements sheet's rows of one application: Applicant ID, Name, Category, Requirement, Label, Figure,
    Minimum, Check, Evidence, Reviewer marks, Final."""
    rows = []
    for result in results:
        line_marks = marks.get(result.key, ())
        rows.append(
            [
                *applicant,
                result.key,
                result.label,
                _cell(result.figure),
                _cell(result.minimum),
                result.check,
                result.evidence or None,
                "; ".join(m or "unmarked" for m in line_marks) or None,
                finals.get(result.key),
            ]
        )
    return rows


def _cell(value: object) -> object:
    """Numbers stay numbers, yes/no figures read yes or no, nothing stays blank."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
