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
from itertools import pairwise
from typing import Any

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


@dataclass(frozen=True, slots=True)
class LineResult:
    """What the product found for one requirement line.

    ``figure`` is the value checked (rounded to two decimals; True/False for
    a yes/no line; None when unknown or manual); ``minimum`` the number it
    must reach, ``"yes"``, or None; ``source`` whether the figure was counted
    from portfolio records or taken from the figure column.
    """

    key: str
    label: str
    check: str
    figure: float | bool | None
    minimum: float | str | None
    evidence: str
    unit: str | None = None  # hours | years | count | yes
    source: str | None = None  # records | column


def evaluate(requirements: Iterable[Requirement], portfolio: Portfolio, until: date) -> list[LineResult]:
    """Every line's result. ``until`` is where ongoing work stops: the cycle's due date, else today."""
    return [evaluate_line(requirement, portfolio, until) for requirement in requirements]


def evaluate_line(requirement: Requirement, portfolio: Portfolio, until: date) -> LineResult:
    if requirement.figure is None:
        return LineResult(requirement.key, requirement.label, MANUAL, None, None, "")
    figure = FIGURES[requirement.figure]
    kind = figure.records
    records = getattr(portfolio, kind) if kind else ()
    if kind and records:
        return COUNTERS[kind](requirement, figure, records, until)
    return _from_column(requirement, figure, portfolio)


# --- figures from the applications import's columns -------------------------------------------------


def _from_column(requirement: Requirement, figure: Figure, portfolio: Portfolio) -> LineResult:
    column, covered = _fallback_column(requirement, figure)
    value = portfolio.figures.get(column) if column else None
    minimum = _minimum(requirement)
    record_kind = RECORD_NAMES.get(figure.records or "")
    if value is None:
        missing = f"no {record_kind} and " if record_kind else ""
        what = f"no {column} figure" if column else f"nothing to count {figure.name} from"
        return _result(
            requirement, figure, UNKNOWN, None, f"{(missing + what).capitalize()}: cannot be checked.", FROM_COLUMN
        )
    if figure.unit == "yes":
        shown = yes_no_text(figure.name, bool(value))
        check = (MET if value else NOT_MET) if requirement.must_be_yes else MANUAL
        return _result(
            requirement, figure, check, bool(value), f"{shown.capitalize()} (from the {column} column).", FROM_COLUMN
        )
    number = _rounded(value)
    unchecked = [
        RULE_WORDS[name](getattr(requirement, name), requirement)
        for name in requirement.rules
        if name not in covered and not (name == "endorsements" and requirement.min_endorsed)
    ]
    shown = f"{number:g} {COUNT_NOUNS[figure.name]}" if figure.unit == "count" else quantity(number, figure.unit)
    sentence = f"{shown} from the {column} column{_needed(minimum, figure)}"
    if record_kind:
        sentence += f" (no {record_kind})"
    if unchecked:
        sentence += f"; {_and(unchecked)} not checked without them"
    return _result(requirement, figure, _against(number, minimum), number, sentence + ".", FROM_COLUMN)


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


def _training(requirement: Requirement, figure: Figure, entries: Sequence[TrainingEntry], until: date) -> LineResult:
    topic = requirement.topic
    counted = [entry for entry in entries if topic is None or entry.topic == topic]
    hours = _rounded(sum(entry.hours for entry in counted))
    noun = f"{TOPIC_WORDS[topic]} training hours" if topic else "training hours"
    minimum = _minimum(requirement)
    sentence = f"{_counted(hours, minimum, noun)} from {_entries(len(counted))}"
    other = sum(entry.hours for entry in entries) - hours
    if topic and round(other, 2):
        sentence += f"; {_h(other)} on other topics not counted"
    return _result(requirement, figure, _against(hours, minimum), hours, sentence + ".", FROM_RECORDS)


# --- RS/C ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    entries: tuple[RscEntry, ...]
    first: date | None
    last: date | None


def _rsc(requirement: Requirement, figure: Figure, entries: Sequence[RscEntry], until: date) -> LineResult:
    """RS/C hours (or providers) after the peer, provider, topic and window rules, then the sources rule."""
    not_counted: dict[str, float] = defaultdict(float)  # reason → hours
    kept = []
    for entry in entries:
        reason = _rsc_exclusion(requirement, entry)
        if reason:
            not_counted[reason] += entry.hours
        else:
            kept.append(entry)
    window = requirement.window_years
    span = None
    if window:
        kept, span = _windowed(window, kept, not_counted)
    hours = _rounded(sum(entry.hours for entry in kept))
    by_provider = _hours_by_provider(kept)
    minimum = _minimum(requirement)
    noun = "RS/C hours about providing RS/C" if requirement.about_providing else "RS/C hours"
    value: float
    if figure.name == "rsc_providers":
        value = len(by_provider)
        parts = [f"{_counted(value, minimum, 'RS/C providers')} ({hours:g} {noun} counted)"]
    else:
        value = hours
        parts = [_counted(hours, minimum, noun)]
    if not_counted:
        parts.append(_and([f"{_h(h)} {reason}" for reason, h in not_counted.items()]) + " not counted")
    if window and span is not None:
        parts.append(_span_words(window, span))
    check = _against(value, minimum)
    if requirement.majority_from_one_source:
        sources_ok, words = _sources(by_provider, hours)
        parts.append(words)
        if not sources_ok:
            check = NOT_MET
    return _result(requirement, figure, check, value, "; ".join(parts) + ".", FROM_RECORDS)


def _rsc_exclusion(requirement: Requirement, entry: RscEntry) -> str | None:
    """Why an entry does not count under the line's peer, provider and topic rules, or None when it counts."""
    if requirement.exclude_peer and entry.peer:
        return "from a peer"
    accepted = requirement.provider_endorsements
    if accepted:
        code = _endorsement(entry.provider_endorsement)
        if code == VETTED and requirement.accept_vetted_until is not None:
            if entry.ended_on is None:
                return "from a vetted provider without an end date"
            if entry.ended_on > requirement.accept_vetted_until:
                return f"from a vetted provider ending after {format_date(requirement.accept_vetted_until)}"
        elif code not in accepted:
            return f"from a provider without {_or(accepted)}"
    if requirement.about_providing and not entry.about_providing:
        return "not about the RS/C the applicant provides"
    return None


Dated = tuple[date, date, RscEntry]  # an entry with both its dates


def _windowed(years: float, entries: list[RscEntry], not_counted: dict[str, float]) -> tuple[list[RscEntry], _Span]:
    """The entries of the best span of at most ``years`` (the most hours; the earliest of equal spans)."""
    limit = math.floor(years * DAYS_PER_YEAR)  # days an inclusive span may cover
    dated: list[Dated] = []
    for entry in entries:
        if entry.started_on is None or entry.ended_on is None:
            not_counted["without both dates"] += entry.hours
        elif (entry.ended_on - entry.started_on).days + 1 > limit:
            not_counted[f"in entries longer than the {_years_span(years)} span"] += entry.hours
        else:
            dated.append((entry.started_on, entry.ended_on, entry))
    span = best_span(dated, limit)
    chosen = set(map(id, span.entries))
    outside = sum(entry.hours for _, _, entry in dated if id(entry) not in chosen)
    if outside:
        not_counted["outside the best span"] += outside
    return list(span.entries), span


def best_span(entries: Sequence[Dated], limit_days: int) -> _Span:
    """The dated entries that fit in one span of ``limit_days`` days (both ends inclusive) with the most hours.

    The best span can always start on some entry's first day, so each start is
    tried; a later span replaces the best only with strictly more hours, so the
    earliest of equal spans wins.
    """
    ordered = sorted(entries, key=lambda dated: (dated[0], dated[1]))
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
        key = provider_name(entry.provider)
        shown.setdefault(key, entry.provider.strip())
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
    return f"best {_years_span(years)} span {format_date(span.first)} to {format_date(span.last)}"


# --- references ------------------------------------------------------------------------------------------


def _references(requirement: Requirement, figure: Figure, entries: Sequence[ReferenceEntry], until: date) -> LineResult:
    received = len(entries)
    accepted = requirement.endorsements
    endorsed = sum(1 for entry in entries if _endorsement(entry.rater_endorsement) in accepted) if accepted else 0
    minimum = _minimum(requirement)
    if figure.name == "references_endorsed":
        sentence = (
            f"{_counted(endorsed, minimum, 'references from raters')} holding {_or(accepted)}, of {received} received"
        )
        return _result(requirement, figure, _against(endorsed, minimum), endorsed, sentence + ".", FROM_RECORDS)
    check = _against(received, minimum)
    sentence = (
        f"{received} of {minimum:g} references received" if minimum is not None else f"{received} references received"
    )
    if requirement.min_endorsed is not None:
        sentence += f"; {endorsed} from a rater holding {_or(accepted)}, {requirement.min_endorsed} needed"
        if endorsed < requirement.min_endorsed:
            check = NOT_MET
    return _result(requirement, figure, check, received, sentence + ".", FROM_RECORDS)


# --- work ----------------------------------------------------------------------------------------------------

KIND_WORDS = {
    "direct_service": "direct service",
    "internship": "internship",
    "rsc_providing": "providing RS/C",
    "leadership": "leadership",
    "policy": "policy",
    "university": "university",
}


def _work(requirement: Requirement, figure: Figure, periods: Sequence[WorkPeriod], until: date) -> LineResult:
    """Years of qualifying work: overlaps once, an internship overlapping other work counted as that work."""
    kinds = requirement.kinds
    internships: list[tuple[int, int]] = []
    others: list[tuple[int, int]] = []
    left_out: Counter[str] = Counter()  # reason → periods
    ongoing = False
    for period in periods:
        if kinds and period.kind not in kinds:
            left_out[f"of another kind ({KIND_WORDS[period.kind]})"] += 1
            continue
        if requirement.with_infant_and_parent and not period.with_infant_and_parent:
            left_out["not with both the child and the parent"] += 1
            continue
        ongoing = ongoing or period.ended_on is None
        interval = (period.started_on.toordinal(), (period.ended_on or until).toordinal())
        (internships if period.kind == "internship" else others).append(interval)
    other_runs = _merged(others)
    other_days = sum(end - start + 1 for start, end in other_runs)
    internship_days = sum(_days_outside(run, other_runs) for run in _merged(internships))
    counted_internship: float = internship_days
    cap = requirement.internship_max_years
    limit_words = ""
    if cap is not None and internship_days > cap * DAYS_PER_YEAR:
        counted_internship = cap * DAYS_PER_YEAR
        limit_words = f" (of {_years(internship_days / DAYS_PER_YEAR)} served, at most {_years(cap)} counts)"
    years = _rounded((other_days + counted_internship) / DAYS_PER_YEAR)
    minimum = _minimum(requirement)
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
        parts.append(f"ongoing work counted to {format_date(until)}")
    return _result(requirement, figure, _against(years, minimum), years, "; ".join(parts) + ".", FROM_RECORDS)


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


COUNTERS: dict[str, Callable[[Requirement, Figure, Sequence, date], LineResult]] = {
    "training": _training,
    "rsc": _rsc,
    "references": _references,
    "work": _work,
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


def _result(
    requirement: Requirement, figure: Figure, check: str, value: float | bool | None, evidence: str, source: str
) -> LineResult:
    return LineResult(
        requirement.key, requirement.label, check, value, _minimum(requirement), evidence, figure.unit, source
    )


def _endorsement(code: str | None) -> str:
    word = (code or "").strip()
    return VETTED if word.lower() == VETTED else word.upper()


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
