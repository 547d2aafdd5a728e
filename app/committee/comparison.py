"""One item as the committee weighs it: its submitted reads side by side per domain, what they differ on and
the rubric's rules in words, with what the final-score form starts from."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.assignment.models import FURTHER_READ_SOURCES, THIRD_READ_SOURCES, Assignment
from app.committee.decisions import line_finals_of, resolution_snapshot, to_step
from app.committee.models import CommitteeResolution
from app.cycles import states
from app.cycles.models import Item, ItemKind
from app.extensions import db
from app.people.models import User
from app.reconcile import engine
from app.reconcile.models import ItemOutcome
from app.rubrics.model import Rubric
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus, Read, ReadStatus, RequirementCheck, Score, submission_key


@dataclass(frozen=True)
class ReadColumn:
    position: int  # 1, 2, 3… in submission order
    label: str  # "Read 1", "Third read"
    reviewer_name: str
    reviewer_email: str
    submitted_at: datetime | None
    adjudication: bool
    overall_comment: str | None
    result: str


@dataclass(frozen=True)
class Cell:
    score: int | None
    comment: str | None


@dataclass(frozen=True)
class DomainRow:
    key: str
    name: str
    cells: list[Cell]  # one per read column
    spread: float | None  # highest minus lowest score of the item's own reads
    discrepant: bool
    combined: float | None


@dataclass(frozen=True)
class RequirementRow:
    key: str
    label: str
    marks: list[str | None]  # one per read column
    disputed: bool


@dataclass(frozen=True)
class ItemComparison:
    item_pk: int
    item_id: str
    kind: str
    state: str
    cycle_id: int
    applicant_id: str | None  # None for a validity essay
    applicant_name: str | None
    category: str | None
    rubric: Rubric
    prompt: str | None
    response: str | None
    portfolio_summary: str | None
    reads: list[ReadColumn]
    domains: list[DomainRow]
    requirements: list[RequirementRow]
    rule: str  # the rubric's agreement and pass rules, in words
    differences: list[str]  # what differs on this item, in words
    outcome_reasons: list[str]
    outcome_result: str | None
    resolution: dict[str, Any] | None
    prefill: dict[str, float | None]
    prefill_source: str
    line_finals: dict[str, str]  # the committee's recorded final result per requirement line

    @property
    def discrepant_keys(self) -> list[str]:
        return [row.key for row in self.domains if row.discrepant]

    @property
    def disputed_line_keys(self) -> list[str]:
        """The requirement lines the reads mark differently: the committee records their final result."""
        return [row.key for row in self.requirements if row.disputed]

    @property
    def settled_lines(self) -> list[RequirementRow]:
        """The lines the committee settles on the form: those disputed, and those it has a final for already."""
        return [row for row in self.requirements if row.disputed or row.key in self.line_finals]


def item_comparison(item: Item) -> ItemComparison:
    """The item's submitted reads side by side per domain, what differs, and the rubric's rule in words."""
    rubric = get_rubric(item.rubric_key)
    columns, scores, checks = _submitted_reads(item, rubric)
    originals = [i for i, column in enumerate(columns) if not column.adjudication]
    tolerance = rubric.reconcile.tolerance
    outcome = db.session.scalar(db.select(ItemOutcome).where(ItemOutcome.item_pk == item.id))
    combined = (outcome.combined or {}) if outcome and item.state in states.FINAL_STATES else {}

    domains = []
    for domain in rubric.domains:
        cells = [
            Cell(scores[i].get(domain.key, (None, None))[0], scores[i].get(domain.key, (None, None))[1])
            for i in range(len(columns))
        ]
        own = [score for i in originals if (score := cells[i].score) is not None]
        spread = float(max(own) - min(own)) if len(own) >= 2 else None
        domains.append(
            DomainRow(
                domain.key,
                domain.name,
                cells,
                spread,
                not engine.domain_agrees(own, tolerance),
                combined.get(domain.key),
            )
        )
    requirements = []
    for requirement in rubric.requirements:
        marks = [checks[i].get(requirement.key) for i in range(len(columns))]
        own_marks = {marks[i] or CheckStatus.MORE_INFO for i in originals}
        requirements.append(RequirementRow(requirement.key, requirement.label, marks, len(own_marks) > 1))

    applicant = item.applicant
    application = applicant.application if applicant else None
    resolution = db.session.scalar(db.select(CommitteeResolution).where(CommitteeResolution.item_pk == item.id))
    prefill, source = _prefill(rubric, domains, resolution, combined)
    return ItemComparison(
        item.id,
        item.item_id,
        item.kind.value,
        item.state.value,
        item.cycle_id,
        applicant.applicant_id if applicant else None,
        applicant.name if applicant else None,
        application.category if application else None,
        rubric,
        item.prompt,
        item.response,
        application.portfolio_summary if application and item.kind == ItemKind.APPLICATION else None,
        columns,
        domains,
        requirements,
        rule_in_words(rubric),
        differences_in_words(rubric, domains, requirements, [columns[i] for i in originals]),
        reasons_in_words(rubric, outcome.reasons) if outcome else [],
        outcome.result if outcome else None,
        resolution_snapshot(resolution),
        prefill,
        source,
        line_finals_of(application.id) if application and rubric.requirements else {},
    )


def _submitted_reads(item: Item, rubric: Rubric) -> tuple[list[ReadColumn], list[dict], list[dict]]:
    rows = db.session.execute(
        db.select(
            Read.id, Read.number, Read.submitted_at, Read.overall_comment, Assignment.source, User.name, User.email
        )
        .join(Assignment, Read.assignment_id == Assignment.id)
        .join(User, Assignment.reviewer_id == User.id)
        .where(Assignment.item_pk == item.id, Read.status == ReadStatus.SUBMITTED)
    ).all()
    rows = sorted(rows, key=lambda r: submission_key(r.number, r.submitted_at, r.id))
    read_ids = [row.id for row in rows]
    scores: dict[int, dict[str, tuple[int | None, str | None]]] = defaultdict(dict)
    for read_id, key, score, comment in db.session.execute(
        db.select(Score.read_id, Score.domain_key, Score.score, Score.comment).where(Score.read_id.in_(read_ids))
    ):
        scores[read_id][key] = (score, comment)
    checks: dict[int, dict[str, str | None]] = defaultdict(dict)
    for read_id, key, status in db.session.execute(
        db.select(RequirementCheck.read_id, RequirementCheck.requirement_key, RequirementCheck.status).where(
            RequirementCheck.read_id.in_(read_ids)
        )
    ):
        checks[read_id][key] = status.value if status else None

    columns, own_count = [], 0
    for position, row in enumerate(rows, start=1):
        adjudication = row.source in FURTHER_READ_SOURCES
        own_count += not adjudication
        label = (
            ("Third read" if row.source in THIRD_READ_SOURCES else "Extra read")
            if adjudication
            else f"Read {own_count}"
        )
        read_scores = {key: float(value) for key, (value, _) in scores[row.id].items() if value is not None}
        result = engine.read_result(rubric, engine.ReadScores(0, read_scores, checks[row.id]))
        columns.append(
            ReadColumn(
                position, label, row.name, row.email, row.submitted_at, adjudication, row.overall_comment, result
            )
        )
    return columns, [scores[row.id] for row in rows], [checks[row.id] for row in rows]


def _prefill(
    rubric: Rubric, domains: list[DomainRow], resolution: CommitteeResolution | None, combined: Mapping[str, float]
) -> tuple[dict[str, float | None], str]:
    """What the resolution form starts from: the saved scores, else the combined scores, else the reads' mean."""
    if resolution is not None:
        return {key: resolution.scores.get(key) for key in rubric.domain_keys}, "the committee's saved scores"
    if combined and rubric.reconcile.combine != "sum":
        return {key: to_step(combined.get(key)) for key in rubric.domain_keys}, "the combined scores"
    prefill = {}
    for row in domains:
        values = [cell.score for cell in row.cells if cell.score is not None]
        prefill[row.key] = to_step(sum(values) / len(values)) if values else None
    return prefill, "the mean of the reads, to the nearest half point"


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def rule_in_words(rubric: Rubric) -> str:
    """The rubric's agreement, combining and pass rules as one paragraph a committee member can check."""
    reconcile, rule = rubric.reconcile, rubric.pass_rule
    combine = {"mean": "averaged", "sum": "added up", "median": "combined by their median"}[reconcile.combine]
    parts = [
        f"Reads agree on a domain when their scores differ by at most {_points(reconcile.tolerance)}; "
        f"agreed scores are {combine}."
    ]
    passing = []
    if rule.domain_min is not None:
        passing.append(f"every domain at least {rule.domain_min:g}")
    if rule.mean_min is not None:
        passing.append(f"a mean of at least {rule.mean_min:g}")
    if rule.total_min is not None:
        passing.append(f"a total of at least {rule.total_min:g}")
    if passing:
        line = "To pass: " + " and ".join(passing)
        if rubric.requirements:
            line += ", with every requirement line met"
        parts.append(line + ".")
    parts.append(
        "A disagreement goes to a third reader first."
        if reconcile.third_reader
        else "A disagreement comes straight to the committee."
    )
    return " ".join(parts)


def reasons_in_words(rubric: Rubric, reasons: Sequence[str]) -> list[str]:
    """Reconciliation's reasons with the rubric's words for its keys: "reflection: scores differ by more than 1"
    reads "Reflection: …", "requirement rsc_hours: more information needed" reads "requirement “<label>”: …"."""
    names = {domain.key: domain.name for domain in rubric.domains}
    labels = {requirement.key: requirement.label for requirement in rubric.requirements}
    worded = []
    for reason in reasons:
        head, colon, rest = reason.partition(": ")
        key = head.removeprefix(engine.REQUIREMENT_PREFIX)
        if colon and head != key and key in labels:
            reason = f"{engine.REQUIREMENT_PREFIX}“{labels[key]}”: {rest}"
        elif colon and head in names:
            reason = f"{names[head]}: {rest}"
        worded.append(reason)
    return worded


def differences_in_words(
    rubric: Rubric, domains: list[DomainRow], requirements: list[RequirementRow], own_reads: list[ReadColumn]
) -> list[str]:
    """What the item's own reads disagree on, one sentence each, e.g. "Reads differ by 2 on Reflection; …"."""
    tolerance = rubric.reconcile.tolerance
    sentences = [
        f"Reads differ by {row.spread:g} on {row.name}; the rubric tolerates {tolerance:g}."
        for row in domains
        if row.discrepant and row.spread is not None
    ]
    results = {column.result for column in own_reads}
    if len(results) > 1:
        verdicts = ", ".join(
            f"{column.label.lower()} {'passes' if column.result == engine.PASS else 'fails'}" for column in own_reads
        )
        sentences.append(f"The reads disagree on the result: {verdicts}.")
    sentences += [
        f"Reviewers marked the requirement “{row.label}” differently." for row in requirements if row.disputed
    ]
    return sentences
