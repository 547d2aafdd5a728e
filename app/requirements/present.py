"""Portfolio records and requirement results as people read them: tidy tables with sums, spans and providers.

Plain data in, plain data out; the templates only lay it out.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.requirements.lines import prefilled_mark
from app.requirements.records import Portfolio, WorkPeriod, provider_name
from app.requirements.rules import DAYS_PER_YEAR, MANUAL, MET, NOT_MET, UNKNOWN, LineResult, quantity, yes_no_text
from app.timeutil import format_date

CHECK_WORDS = {MET: "Met", NOT_MET: "Not met", UNKNOWN: "Cannot be checked", MANUAL: "Reviewer judges"}
# A reviewer's (or the committee's) mark on a line, in words.
MARK_WORDS = {MET: "Met", NOT_MET: "Not met", "more_info": "More information needed"}
TOPIC_LABELS = {"general": "General", "dei": "Diversity, equity, inclusion", "rsc": "About providing RS/C"}
KIND_LABELS = {
    "direct_service": "Direct service",
    "internship": "Internship",
    "rsc_providing": "Providing RS/C",
    "leadership": "Leadership",
    "policy": "Policy",
    "university": "University",
}


@dataclass(frozen=True)
class Total:
    label: str
    amount: str
    count: int


@dataclass(frozen=True)
class Table:
    """One kind of record: a header, rows of text, and totals (per topic, provider or kind)."""

    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    totals: Sequence[Total] = ()
    summary: str = ""
    numeric: frozenset[int] = frozenset()  # columns of figures, aligned right


def record_tables(portfolio: Portfolio, until: date) -> list[Table]:
    """A table for each kind of record the applicant has (none for a kind without records)."""
    tables = []
    if portfolio.training:
        tables.append(_training(portfolio))
    if portfolio.rsc:
        tables.append(_rsc(portfolio))
    if portfolio.references:
        tables.append(_references(portfolio))
    if portfolio.work:
        tables.append(_work(portfolio.work, until))
    return tables


def _training(portfolio: Portfolio) -> Table:
    by_topic: dict[str, list[float]] = defaultdict(list)
    rows = []
    for entry in sorted(portfolio.training, key=lambda e: (e.completed_on or date.max, e.title or "")):
        by_topic[entry.topic].append(entry.hours)
        rows.append((entry.title or "—", TOPIC_LABELS[entry.topic], _date(entry.completed_on), _h(entry.hours)))
    totals = [Total(TOPIC_LABELS[topic], _h(sum(hours)), len(hours)) for topic, hours in by_topic.items()]
    total = sum(entry.hours for entry in portfolio.training)
    return Table(
        "Training",
        ("Title", "Topic", "Completed", "Hours"),
        rows,
        totals,
        f"{_h(total)} in {_count(len(rows), 'entry', 'entries')}",
        frozenset({3}),
    )


def _rsc(portfolio: Portfolio) -> Table:
    by_provider: dict[str, list[float]] = defaultdict(list)
    names: dict[str, str] = {}
    rows = []
    for entry in sorted(portfolio.rsc, key=lambda e: (e.started_on or date.max, provider_name(e.provider))):
        key = provider_name(entry.provider)
        names.setdefault(key, entry.provider.strip())
        by_provider[key].append(entry.hours)
        rows.append(
            (
                entry.provider,
                entry.provider_endorsement or "none",
                (entry.format or "—").capitalize(),
                _yes_no(entry.about_providing),
                _yes_no(entry.peer),
                _period(entry.started_on, entry.ended_on),
                _h(entry.hours),
            )
        )
    totals = [Total(names[key], _h(sum(hours)), len(hours)) for key, hours in by_provider.items()]
    starts = [entry.started_on for entry in portfolio.rsc if entry.started_on]
    ends = [entry.ended_on for entry in portfolio.rsc if entry.ended_on]
    span = f"; dated entries from {_date(min(starts))} to {_date(max(ends))}" if starts and ends else ""
    total = sum(entry.hours for entry in portfolio.rsc)
    return Table(
        "RS/C received",
        ("Provider", "Endorsement", "Format", "About providing", "Peer", "Period", "Hours"),
        rows,
        totals,
        f"{_h(total)} from {_count(len(by_provider), 'provider', 'providers')}{span}",
        frozenset({6}),
    )


def _references(portfolio: Portfolio) -> Table:
    rows = [
        (entry.rater, entry.rater_role or "—", entry.rater_endorsement or "none", _date(entry.received_on))
        for entry in portfolio.references
    ]
    endorsed = sum(1 for entry in portfolio.references if entry.rater_endorsement)
    return Table(
        "References",
        ("Rater", "Role", "Endorsement", "Received"),
        rows,
        [],
        f"{_count(len(rows), 'reference', 'references')}, {endorsed} from a rater with an endorsement or vetted",
    )


def _work(periods: Sequence[WorkPeriod], until: date) -> Table:
    by_kind: dict[str, list[float]] = defaultdict(list)
    rows = []
    for period in sorted(periods, key=lambda p: p.started_on):
        end = period.ended_on or until
        years = max((end - period.started_on).days + 1, 0) / DAYS_PER_YEAR
        by_kind[period.kind].append(years)
        rows.append(
            (
                period.role or "—",
                KIND_LABELS[period.kind],
                _period(period.started_on, period.ended_on, ongoing_to=until),
                quantity(round(years, 2), "years"),
                _yes_no(period.with_infant_and_parent),
                _yes_no(period.supervised),
                _yes_no(period.paid),
            )
        )
    totals = [
        Total(KIND_LABELS[kind], quantity(round(sum(years), 2), "years"), len(years)) for kind, years in by_kind.items()
    ]
    return Table(
        "Work",
        ("Role", "Kind", "Period", "Length", "Child and parent", "Supervised", "Paid"),
        rows,
        totals,
        f"{_count(len(rows), 'period', 'periods')}; each length is the period's own (the requirement "
        "lines count overlapping periods once)",
        frozenset({3}),
    )


@dataclass(frozen=True)
class ShownLine:
    """A requirement line's result worded for the page: "46.5 h of 50 h", "signed", "3 of 3"."""

    key: str
    label: str
    check: str
    check_words: str
    figure: str
    minimum: str
    evidence: str
    shortfall: bool
    prefill: str | None  # the mark the reviewer starts from (None: they judge the line)


def shown(result: LineResult, figure_name: str | None) -> ShownLine:
    return ShownLine(
        result.key,
        result.label,
        result.check,
        CHECK_WORDS[result.check],
        figure_text(result, figure_name),
        minimum_text(result),
        result.evidence,
        result.check == NOT_MET,
        prefilled_mark(result.check),
    )


def figure_text(result: LineResult, figure_name: str | None) -> str:
    if result.figure is None:
        return "not given" if result.unit else ""
    if isinstance(result.figure, bool):
        return yes_no_text(figure_name or "", result.figure)
    if result.unit == "count" and isinstance(result.minimum, int | float):
        return f"{result.figure:g} of {result.minimum:g}"
    return quantity(result.figure, result.unit)


def minimum_text(result: LineResult) -> str:
    """The minimum beside the figure; a count already reads "2 of 3"."""
    if isinstance(result.minimum, str):
        return "must be yes"
    if result.minimum is None or result.unit == "count":
        return ""
    return f"at least {quantity(result.minimum, result.unit)}"


def _h(hours: float) -> str:
    return quantity(round(hours, 2), "hours")


def _date(day: date | None) -> str:
    return format_date(day) if day else "—"


def _period(start: date | None, end: date | None, ongoing_to: date | None = None) -> str:
    if start is None and end is None:
        return "no dates"
    if end is None and ongoing_to is not None:
        return f"{_date(start)} – ongoing (to {_date(ongoing_to)})"
    return f"{_date(start)} – {_date(end)}"


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
