"""Requirement lines checked against an applicant's portfolio: plain data in, one result per line out.

Each line of an application rubric names the figure it counts and carries
its own rules (``app.rubrics.model.Requirement``). With records of the
figure's kind the figure is counted from them under those rules; without,
it comes from the applications import's figure column, and the evidence
says which rules could not be checked. docs/requirements.md states every
rule and edge case; this module is its one implementation.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise
from operator import itemgetter
from typing import Any, NamedTuple

from app.requirements.records import (
    VETTED,
    Portfolio,
    ReferenceEntry,
    RscEntry,
    TrainingEntry,
    WorkPeriod,
    provider_name,
)
from app.rubrics.model import FIGURES, Figure, Requirement
from app.timeutil import format_date

MET, NOT_MET, UNKNOWN, MANUAL = "met", "not_met", "unknown", "manual"
CHECKS = (MET, NOT_MET, UNKNOWN, MANUAL)
DAYS_PER_YEAR = 365.25
FROM_RECORDS, FROM_COLUMN = "records", "column"


class LineResult(NamedTuple):
    """What the product found for one requirement line.

    ``figure`` is the value checked (rounded to two decimals; True/False for
    a yes/no line; None when unknown or manual); ``minimum`` the number it
    must reach, ``"yes"``, or None; ``source`` whether the figure was counted
    from portfolio records or taken from the figure column.

    A NamedTuple rather than a frozen dataclass: as immutable, and built in a
    third of the time (an export evaluates every line of every application).
    """

    key: str
    label: str
    check: str
    figure: float | bool | None
    minimum: float | str | None
    evidence: str
    unit: str | None = None  # hours | years | count | yes
    source: str | None = None  # records | column
    # A column's figure in the applicant's words, with what is needed ("30 h, 50 h needed", "Not a member"): the
    # evidence's notes on the column and on what was not checked are the coordinator's (a letter quotes this).
    stated: str | None = None


def evaluate(requirements: Iterable[Requirement], portfolio: Portfolio, until: date) -> list[LineResult]:
    """Every line's result. ``until`` is where ongoing work stops: the cycle's due date, else today."""
    return [_line(requirement)(portfolio, until) for requirement in requirements]


def evaluate_line(requirement: Requirement, portfolio: Portfolio, until: date) -> LineResult:
    return _line(requirement)(portfolio, until)


class _Line:
    """One requirement line made ready to evaluate: what depends on the line alone (its figure and minimum, the
    words of its evidence, the column it falls back to) is worked out once, not once per application.

    Called with a portfolio: counted from the records of the figure's kind when there are any (``count``, one
    subclass per kind), else taken from the figure column (``_Column``). docs/requirements.md, "Evaluating
    thousands of applications", says why."""

    __slots__ = ("requirement", "figure", "kind", "minimum", "column")

    def __init__(self, requirement: Requirement, figure: Figure):
        self.requirement = requirement
        self.figure = figure
        self.kind = figure.records or ""  # none for a figure only a column gives (``_ColumnOnly``)
        self.minimum = _minimum(requirement)
        self.column = _Column(requirement, figure, self.minimum)

    def __call__(self, portfolio: Portfolio, until: date) -> LineResult:
        records = getattr(portfolio, self.kind)
        if records:
            return self.count(records, until)
        return self.column(portfolio)

    def count(self, records: Sequence, until: date) -> LineResult:
        raise NotImplementedError

    def result(self, check: str, value: float | bool | None, evidence: str) -> LineResult:
        requirement = self.requirement
        return LineResult(
            requirement.key, requirement.label, check, value, self.minimum, evidence, self.figure.unit, FROM_RECORDS
        )


class _Manual:
    """A line without a figure: the reviewer's to judge, the same result for every portfolio."""

    __slots__ = ("outcome",)

    def __init__(self, requirement: Requirement):
        self.outcome = LineResult(requirement.key, requirement.label, MANUAL, None, None, "")

    def __call__(self, portfolio: Portfolio, until: date) -> LineResult:
        return self.outcome


# Lines made ready, by the requirement's identity: a frozen requirement's hash walks every one of its fields, as
# costly as evaluating the line. Each entry keeps its requirement alive, so no other object takes its id.
_LINES: dict[int, tuple[Requirement, "_Line | _Manual"]] = {}
_LINES_KEPT = 4096  # far more than every loaded pack has; past it (a test run loading packs again and again) anew


def _line(requirement: Requirement) -> "_Line | _Manual":
    found = _LINES.get(id(requirement))
    if found is None:
        if len(_LINES) >= _LINES_KEPT:
            _LINES.clear()
        found = _LINES[id(requirement)] = (requirement, _made_ready(requirement))
    return found[1]


def _made_ready(requirement: Requirement) -> "_Line | _Manual":
    if requirement.figure is None:
        return _Manual(requirement)
    figure = FIGURES[requirement.figure]
    return LINE_KINDS.get(figure.records or "", _ColumnOnly)(requirement, figure)


# --- figures from the applications import's columns -------------------------------------------------


class _Column:
    """A line's figure taken from the applications import's column: for portfolios without records of its kind."""

    __slots__ = ("requirement", "figure", "name", "minimum", "unknown", "yes", "no", "needed", "middle", "tail", "noun")

    def __init__(self, requirement: Requirement, figure: Figure, minimum: float | str | None):
        self.requirement, self.figure, self.minimum = requirement, figure, minimum
        column, covered = _fallback_column(requirement, figure)
        self.name = column
        record_kind = RECORD_NAMES.get(figure.records or "")
        missing = f"no {record_kind} and " if record_kind else ""
        what = f"no {column} figure" if column else f"nothing to count {figure.name} from"
        self.unknown = self.result(UNKNOWN, None, f"{(missing + what).capitalize()}: cannot be checked.")
        if figure.unit == "yes":
            self.yes, self.no = (
                self.result(
                    (MET if value else NOT_MET) if requirement.must_be_yes else MANUAL,
                    value,
                    f"{yes_no_text(figure.name, value).capitalize()} (from the {column} column).",
                    yes_no_text(figure.name, value).capitalize(),
                )
                for value in (True, False)
            )
            return
        unchecked = [
            RULE_WORDS[name](getattr(requirement, name), requirement)
            for name in requirement.rules
            if name not in covered and not (name == "endorsements" and requirement.min_endorsed)
        ]
        self.noun = COUNT_NOUNS[figure.name] if figure.unit == "count" else None
        self.needed = _needed(minimum, figure)
        self.middle = f" from the {column} column{self.needed}"
        self.tail = (f" (no {record_kind})" if record_kind else "") + (
            f"; {_and(unchecked)} not checked without them" if unchecked else ""
        )

    def __call__(self, portfolio: Portfolio) -> LineResult:
        value = portfolio.figures.get(self.name) if self.name else None
        if value is None:
            return self.unknown
        if self.figure.unit == "yes":
            return self.yes if value else self.no
        number = _rounded(value)
        shown = f"{number:g} {self.noun}" if self.noun else quantity(number, self.figure.unit)
        return self.result(
            _against(number, self.minimum), number, f"{shown}{self.middle}{self.tail}.", f"{shown}{self.needed}"
        )

    def result(self, check: str, value: float | bool | None, evidence: str, stated: str | None = None) -> LineResult:
        requirement = self.requirement
        return LineResult(
            requirement.key,
            requirement.label,
            check,
            value,
            self.minimum,
            evidence,
            self.figure.unit,
            FROM_COLUMN,
            stated,
        )


class _ColumnOnly(_Line):
    """A figure no record kind counts (leadership years, the signed forms): always the column."""

    __slots__ = ()

    def __call__(self, portfolio: Portfolio, until: date) -> LineResult:
        return self.column(portfolio)


def _fallback_column(requirement: Requirement, figure: Figure) -> tuple[str | None, frozenset[str]]:
    """The figure column a line falls back to, and the rules that column already stands for."""
    if figure.records == "training" and requirement.topic in TOPIC_COLUMNS:
        return TOPIC_COLUMNS[requirement.topic], frozenset({"topic"})
    if figure.name in ("rsc_hours", "rsc_hours_about_providing"):
        if requirement.about_providing:
            return "rsc_hours_about_providing", frozenset({"about_providing"})
        return "rsc_hours", frozenset()
    return figure.column, frozenset()


TOPIC_COLUMNS = {"dei": "dei_hours", "rsc": "rsc_training_hours"}
COUNT_NOUNS = {
    "references_received": "references received",
    "references_endorsed": "endorsed references",
    "rsc_providers": "RS/C providers",
}
RECORD_NAMES = {
    "training": "training records",
    "rsc": "RS/C log entries",
    "references": "reference records",
    "work": "work records",
}


# --- training ----------------------------------------------------------------------------------------

TOPIC_WORDS = {"general": "general", "dei": "DEI", "rsc": "RS/C-provision"}


class _Training(_Line):
    __slots__ = ("topic", "noun")

    def __init__(self, requirement: Requirement, figure: Figure):
        super().__init__(requirement, figure)
        self.topic = topic = requirement.topic
        self.noun = f"{TOPIC_WORDS[topic]} training hours" if topic else "training hours"

    def count(self, records: Sequence[TrainingEntry], until: date) -> LineResult:
        topic = self.topic
        counted = [entry.hours for entry in records if topic is None or entry.topic == topic]
        hours = _rounded(sum(counted))
        sentence = f"{_counted(hours, self.minimum, self.noun)} from {_entries(len(counted))}"
        if topic:
            other = sum(entry.hours for entry in records) - hours
            if round(other, 2):
                sentence += f"; {_h(other)} on other topics not counted"
        return self.result(_against(hours, self.minimum), hours, sentence + ".")


# --- RS/C ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    entries: tuple[RscEntry, ...]
    first: date | None
    last: date | None


FROM_A_PEER = "from a peer"
VETTED_WITHOUT_END = "from a vetted provider without an end date"
NOT_ABOUT_PROVIDING = "not about the RS/C the applicant provides"
WITHOUT_BOTH_DATES = "without both dates"
OUTSIDE_THE_SPAN = "outside the best span"


class _Rsc(_Line):
    """RS/C hours (or providers) after the peer, provider, topic and window rules, then the sources rule."""

    __slots__ = (
        "exclude_peer",
        "accepted",
        "vetted_until",
        "about_providing",
        "without_endorsement",
        "vetted_too_late",
        "window",
        "limit_days",
        "too_long",
        "noun",
        "providers",
        "sources",
    )

    def __init__(self, requirement: Requirement, figure: Figure):
        super().__init__(requirement, figure)
        self.exclude_peer = requirement.exclude_peer
        self.accepted = accepted = requirement.provider_endorsements
        self.vetted_until = vetted_until = requirement.accept_vetted_until
        self.about_providing = requirement.about_providing
        self.without_endorsement = f"from a provider without {_or(accepted)}" if accepted else ""
        self.vetted_too_late = f"from a vetted provider ending after {_day(vetted_until)}" if vetted_until else ""
        self.window = window = requirement.window_years
        self.limit_days = math.floor(window * DAYS_PER_YEAR) if window else 0  # days an inclusive span may cover
        self.too_long = f"in entries longer than the {_years_span(window)} span" if window else ""
        self.noun = "RS/C hours about providing RS/C" if requirement.about_providing else "RS/C hours"
        self.providers = figure.name == "rsc_providers"
        self.sources = requirement.majority_from_one_source

    def count(self, records: Sequence[RscEntry], until: date) -> LineResult:
        not_counted: dict[str, float] = defaultdict(float)  # reason → hours
        kept = []
        for entry in records:
            reason = self.exclusion(entry)
            if reason:
                not_counted[reason] += entry.hours
            else:
                kept.append(entry)
        window = self.window
        span = None
        if window:
            kept, span = self.windowed(kept, not_counted)
        hours = _rounded(sum(entry.hours for entry in kept))
        by_provider = _hours_by_provider(kept)
        minimum = self.minimum
        value: float
        if self.providers:
            value = len(by_provider)
            parts = [f"{_counted(value, minimum, 'RS/C providers')} ({hours:g} {self.noun} counted)"]
        else:
            value = hours
            parts = [_counted(hours, minimum, self.noun)]
        if not_counted:
            parts.append(_and([f"{_h(h)} {reason}" for reason, h in not_counted.items()]) + " not counted")
        if window and span is not None:
            parts.append(_span_words(window, span))
        check = _against(value, minimum)
        if self.sources:
            sources_ok, words = _sources(by_provider, hours)
            parts.append(words)
            if not sources_ok:
                check = NOT_MET
        return self.result(check, value, "; ".join(parts) + ".")

    def exclusion(self, entry: RscEntry) -> str | None:
        """Why an entry does not count under the line's peer, provider and topic rules, or None when it counts."""
        if self.exclude_peer and entry.peer:
            return FROM_A_PEER
        accepted = self.accepted
        if accepted:
            code = _endorsement(entry.provider_endorsement)
            if code == VETTED and self.vetted_until is not None:
                if entry.ended_on is None:
                    return VETTED_WITHOUT_END
                if entry.ended_on > self.vetted_until:
                    return self.vetted_too_late
            elif code not in accepted:
                return self.without_endorsement
        if self.about_providing and not entry.about_providing:
            return NOT_ABOUT_PROVIDING
        return None

    def windowed(self, entries: list[RscEntry], not_counted: dict[str, float]) -> tuple[list[RscEntry], _Span]:
        """The entries of the best span of at most the line's years (the most hours; the earliest of equal
        spans)."""
        limit = self.limit_days
        dated: list[Dated] = []
        for entry in entries:
            started, ended = entry.started_on, entry.ended_on
            if started is None or ended is None:
                not_counted[WITHOUT_BOTH_DATES] += entry.hours
            elif (ended - started).days + 1 > limit:
                not_counted[self.too_long] += entry.hours
            else:
                dated.append((started, ended, entry))
        span = best_span(dated, limit)
        chosen = set(map(id, span.entries))
        outside = sum(entry.hours for _, _, entry in dated if id(entry) not in chosen)
        if outside:
            not_counted[OUTSIDE_THE_SPAN] += outside
        return list(span.entries), span


Dated = tuple[date, date, RscEntry]  # an entry with both its dates
_BY_DATES = itemgetter(0, 1)


def best_span(entries: Sequence[Dated], limit_days: int) -> _Span:
    """The dated entries that fit in one span of ``limit_days`` days (both ends inclusive) with the most hours.

    The best span can always start on some entry's first day, so each start is
    tried; a later span replaces the best only with strictly more hours, so the
    earliest of equal spans wins.
    """
    ordered = sorted(entries, key=_BY_DATES)
    starts = [start.toordinal() for start, _, _ in ordered]
    ends = [end.toordinal() for _, end, _ in ordered]
    best: tuple[float, int, int] | None = None  # hours, index of first start, index of the start after
    for i, start in enumerate(starts):
        if i and start == starts[i - 1]:
            continue  # the same span as the previous start
        last_day = start + limit_days - 1
        hours, j = 0.0, i
        while j < len(ordered) and starts[j] <= last_day:
            if ends[j] <= last_day:
                hours += ordered[j][2].hours
            j += 1
        if best is None or round(hours, 6) > round(best[0], 6):
            best = (hours, i, j)
    if best is None:
        return _Span((), None, None)
    _, i, j = best
    last_day = starts[i] + limit_days - 1
    chosen = [ordered[k] for k in range(i, j) if ends[k] <= last_day]
    return _Span(
        tuple(entry for _, _, entry in chosen), min(start for start, _, _ in chosen), max(end for _, end, _ in chosen)
    )


def _hours_by_provider(entries: Iterable[RscEntry]) -> dict[str, tuple[str, float]]:
    """Provider (compared by name, trimmed and case-insensitive) → (name as first written, hours), hours > 0 only."""
    hours: dict[str, float] = defaultdict(float)
    shown: dict[str, str] = {}
    for entry in entries:
        key = _provider_key(entry.provider)
        if key not in shown:
            shown[key] = entry.provider.strip()
        hours[key] += entry.hours
    return {key: (shown[key], value) for key, value in hours.items() if value > 0}


def _sources(by_provider: dict[str, tuple[str, float]], hours: float) -> tuple[bool, str]:
    """More than half of the counted hours from one provider, the rest from at most one other."""
    if not by_provider:
        return False, "no hours counted, so no provider gave more than half"
    ranked = sorted(by_provider.values(), key=lambda pair: -pair[1])
    name, top = ranked[0]
    listing = ", ".join(f"{n} {_h(h)}" for n, h in ranked)
    if top * 2 <= hours:
        return False, f"no provider gave more than half of the hours ({listing})"
    if len(ranked) > 2:
        return False, f"the hours come from {len(ranked)} providers, more than one besides {name} ({listing})"
    rest = "the rest from one other" if len(ranked) == 2 else "all of them"
    return True, f"{name} gave {_h(top)} of {hours:g}, more than half, {rest}"


def _span_words(years: float, span: _Span) -> str:
    if span.first is None or span.last is None:
        return f"no entry fits a {_years_span(years)} span"
    return f"best {_years_span(years)} span {_day(span.first)} to {_day(span.last)}"


# --- references ------------------------------------------------------------------------------------------


class _References(_Line):
    __slots__ = ("accepted", "holding", "endorsed_only", "min_endorsed")

    def __init__(self, requirement: Requirement, figure: Figure):
        super().__init__(requirement, figure)
        self.accepted = requirement.endorsements
        self.holding = _or(self.accepted) if self.accepted else ""
        self.endorsed_only = figure.name == "references_endorsed"
        self.min_endorsed = requirement.min_endorsed

    def count(self, records: Sequence[ReferenceEntry], until: date) -> LineResult:
        received = len(records)
        accepted = self.accepted
        endorsed = sum(1 for entry in records if _endorsement(entry.rater_endorsement) in accepted) if accepted else 0
        minimum = self.minimum
        if self.endorsed_only:
            counted = _counted(endorsed, minimum, "references from raters")
            sentence = f"{counted} holding {self.holding}, of {received} received"
            return self.result(_against(endorsed, minimum), endorsed, sentence + ".")
        check = _against(received, minimum)
        sentence = (
            f"{received} of {minimum:g} references received"
            if minimum is not None
            else f"{received} references received"
        )
        if self.min_endorsed is not None:
            sentence += f"; {endorsed} from a rater holding {self.holding}, {self.min_endorsed} needed"
            if endorsed < self.min_endorsed:
                check = NOT_MET
        return self.result(check, received, sentence + ".")


# --- work ----------------------------------------------------------------------------------------------------

KIND_WORDS = {
    "direct_service": "direct service",
    "internship": "internship",
    "rsc_providing": "providing RS/C",
    "leadership": "leadership",
    "policy": "policy",
    "university": "university",
}
OF_ANOTHER_KIND = {kind: f"of another kind ({words})" for kind, words in KIND_WORDS.items()}
NOT_WITH_BOTH = "not with both the child and the parent"


class _Work(_Line):
    """Years of qualifying work: overlaps once, an internship overlapping other work counted as that work."""

    __slots__ = ("kinds", "with_both", "cap")

    def __init__(self, requirement: Requirement, figure: Figure):
        super().__init__(requirement, figure)
        self.kinds = requirement.kinds
        self.with_both = requirement.with_infant_and_parent
        self.cap = requirement.internship_max_years

    def count(self, records: Sequence[WorkPeriod], until: date) -> LineResult:
        kinds = self.kinds
        internships: list[tuple[int, int]] = []
        others: list[tuple[int, int]] = []
        left_out: Counter[str] = Counter()  # reason → periods
        ongoing = False
        for period in records:
            if kinds and period.kind not in kinds:
                left_out[OF_ANOTHER_KIND[period.kind]] += 1
                continue
            if self.with_both and not period.with_infant_and_parent:
                left_out[NOT_WITH_BOTH] += 1
                continue
            ongoing = ongoing or period.ended_on is None
            interval = (period.started_on.toordinal(), (period.ended_on or until).toordinal())
            (internships if period.kind == "internship" else others).append(interval)
        other_runs = _merged(others)
        other_days = sum(end - start + 1 for start, end in other_runs)
        internship_days = sum(_days_outside(run, other_runs) for run in _merged(internships)) if internships else 0
        counted_internship: float = internship_days
        cap = self.cap
        limit_words = ""
        if cap is not None and internship_days > cap * DAYS_PER_YEAR:
            counted_internship = cap * DAYS_PER_YEAR
            limit_words = f" (of {_years(internship_days / DAYS_PER_YEAR)} served, at most {_years(cap)} counts)"
        years = _rounded((other_days + counted_internship) / DAYS_PER_YEAR)
        minimum = self.minimum
        parts = [_counted(years, minimum, "years of qualifying work")]
        if internship_days:
            parts.append(
                f"{_years(other_days / DAYS_PER_YEAR)} of other work and "
                f"{_years(counted_internship / DAYS_PER_YEAR)} from internships{limit_words}"
            )
        if left_out:
            parts.append(_and([f"{_periods(n)} {reason}" for reason, n in left_out.items()]) + " not counted")
        if _overlapping(others + internships):
            parts.append("overlapping periods counted once")
        if ongoing:
            parts.append(f"ongoing work counted to {_day(until)}")
        return self.result(_against(years, minimum), years, "; ".join(parts) + ".")


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Inclusive day intervals merged where they overlap or touch; empty ones (ending before they start) dropped."""
    runs: list[list[int]] = []
    for start, end in sorted(interval for interval in intervals if interval[1] >= interval[0]):
        if runs and start <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return [(start, end) for start, end in runs]


def _days_outside(run: tuple[int, int], covered: list[tuple[int, int]]) -> int:
    """Days of ``run`` that no interval of ``covered`` (merged) already counts."""
    start, end = run
    days = end - start + 1
    for other_start, other_end in covered:
        overlap = min(end, other_end) - max(start, other_start) + 1
        if overlap > 0:
            days -= overlap
    return days


def _overlapping(intervals: list[tuple[int, int]]) -> bool:
    ordered = sorted(interval for interval in intervals if interval[1] >= interval[0])
    return any(later[0] <= earlier[1] for earlier, later in pairwise(ordered))


LINE_KINDS: dict[str, type[_Line]] = {
    "training": _Training,
    "rsc": _Rsc,
    "references": _References,
    "work": _Work,
}


# --- rules named in evidence when a column stands in for records -------------------------------------------

RULE_WORDS: dict[str, Callable[[Any, Requirement], str]] = {  # (the rule's value, its line) → words
    "topic": lambda topic, r: f"the topic ({TOPIC_WORDS[topic]})",
    "provider_endorsements": lambda codes, r: f"the provider's endorsement ({_or(codes)})",
    "accept_vetted_until": lambda day, r: f"vetted providers' end dates (until {format_date(day)})",
    "exclude_peer": lambda _, r: "peer supervision",
    "about_providing": lambda _, r: "whether the RS/C was about providing RS/C",
    "window_years": lambda years, r: f"the {_years_span(years)} span",
    "majority_from_one_source": lambda _, r: "the majority from one provider",
    "min_endorsed": lambda _, r: f"endorsed raters ({_or(r.endorsements)})",
    "endorsements": lambda codes, r: f"the raters' endorsements ({_or(codes)})",
    "kinds": lambda kinds, r: f"the kinds of work ({_or([KIND_WORDS[k] for k in kinds])})",
    "internship_max_years": lambda years, r: f"the internship limit ({_years(years)})",
    "with_infant_and_parent": lambda _, r: "work with both the child and the parent",
}


# --- small pieces ------------------------------------------------------------------------------------------


def _minimum(requirement: Requirement) -> float | str | None:
    if requirement.must_be_yes:
        return "yes"
    return requirement.minimum


def _rounded(value: float) -> float:
    """Figures are compared and shown to two decimals; whole numbers stay whole."""
    number = round(float(value), 2)
    return int(number) if number.is_integer() else number


def _against(value: float, minimum: float | str | None) -> str:
    """A figure against its minimum; a figure without one is the reviewer's to judge."""
    if minimum is None or isinstance(minimum, str):
        return MANUAL
    return MET if value >= minimum else NOT_MET


@lru_cache(maxsize=1024)  # a portfolio names a handful of codes, read again for every line and entry
def _endorsement(code: str | None) -> str:
    word = (code or "").strip()
    return VETTED if word.lower() == VETTED else word.upper()


@lru_cache(maxsize=1024)  # providers' names come back for every RS/C line of a portfolio
def _provider_key(name: str) -> str:
    return provider_name(name)


@lru_cache(maxsize=4096)  # the same few dates (a cycle's due date, the best spans' ends) come back line after line
def _day(value: date) -> str:
    return format_date(value)


def _counted(value: float, minimum: float | str | None, noun: str) -> str:
    """ "46.5 of 50 RS/C hours counted" short of the minimum, "52 RS/C hours counted (50 needed)" when it is met."""
    if minimum is None or isinstance(minimum, str):
        return f"{value:g} {noun} counted"
    if value < minimum:
        return f"{value:g} of {minimum:g} {noun} counted"
    return f"{value:g} {noun} counted ({minimum:g} needed)"


def _needed(minimum: float | str | None, figure: Figure) -> str:
    return f", {quantity(minimum, figure.unit)} needed" if isinstance(minimum, int | float) else ""


def _h(hours: float) -> str:
    return f"{round(hours, 2):g} h"


def _years(value: float) -> str:
    value = round(value, 2)
    return f"{value:g} year" + ("" if value == 1 else "s")


def _years_span(years: float) -> str:
    return f"{years:g}-year"


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _periods(n: int) -> str:
    return f"{n} period" + ("" if n == 1 else "s")


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _or(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def quantity(value: float, unit: str | None) -> str:
    """A figure for people: "46.5 h", "2 years", "3"."""
    if unit == "hours":
        return _h(value)
    if unit == "years":
        return _years(value)
    return f"{value:g}"


YES_NO_WORDS = {
    "ethics_signed": ("signed", "not signed"),
    "agreement_signed": ("signed", "not signed"),
    "member": ("member", "not a member"),
}


def yes_no_text(figure: str, value: bool) -> str:
    yes, no = YES_NO_WORDS.get(figure, ("yes", "no"))
    return yes if value else no
