"""Portfolio records from the database as plain records, and each application's requirement results.

One query per record kind however many applications are asked for, so the
workbook and the committee pages cost the same for one application or two
thousand.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam

from app.assignment.models import Assignment
from app.cycles.models import Applicant, Application, Cycle, Item, ItemKind
from app.cycles.states import FINAL_STATES
from app.extensions import db
from app.people.models import User
from app.requirements.lines import LineCount, final_result, lines_met, overrides, sheet_rows
from app.requirements.models import ReferenceRecord, RequirementFinal, RscRecord, TrainingRecord, WorkRecord
from app.requirements.present import ShownLine, Table, record_tables, shown
from app.requirements.records import Portfolio, ReferenceEntry, RscEntry, TrainingEntry, WorkPeriod
from app.requirements.rules import LineResult, evaluate
from app.rubrics.model import Rubric
from app.rubrics.registry import application_rubric_for, get_rubric
from app.scoring.models import Read, ReadStatus, RequirementCheck

# Per record kind: the model, the columns read, and how one row of them becomes a plain record.
_KINDS: dict[str, tuple[Any, tuple[Any, ...], Callable[..., Any]]] = {
    "training": (
        TrainingRecord,
        (TrainingRecord.hours, TrainingRecord.topic, TrainingRecord.title, TrainingRecord.completed_on),
        lambda hours, topic, title, completed_on: TrainingEntry(hours, topic.value, title, completed_on),
    ),
    "rsc": (
        RscRecord,
        (
            RscRecord.hours,
            RscRecord.provider,
            RscRecord.provider_endorsement,
            RscRecord.format,
            RscRecord.about_providing,
            RscRecord.peer,
            RscRecord.started_on,
            RscRecord.ended_on,
        ),
        lambda hours, provider, endorsement, fmt, about, peer, started_on, ended_on: RscEntry(
            hours, provider, endorsement, fmt.value if fmt else None, about, peer, started_on, ended_on
        ),
    ),
    "references": (
        ReferenceRecord,
        (
            ReferenceRecord.rater,
            ReferenceRecord.rater_role,
            ReferenceRecord.rater_endorsement,
            ReferenceRecord.received_on,
        ),
        ReferenceEntry,
    ),
    "work": (
        WorkRecord,
        (
            WorkRecord.started_on,
            WorkRecord.ended_on,
            WorkRecord.kind,
            WorkRecord.role,
            WorkRecord.with_infant_and_parent,
            WorkRecord.supervised,
            WorkRecord.paid,
        ),
        lambda started_on, ended_on, kind, role, both, supervised, paid: WorkPeriod(
            started_on, ended_on, kind.value, role, both, supervised, paid
        ),
    ),
}


# Built once: a statement made afresh on every call costs its cache key each time, about as much as running it
# for one application (the scoring page reads one portfolio per request; bench/README.md).
_KIND_SELECTS = {
    kind: db.select(model.application_id, *columns)
    .where(model.application_id.in_(bindparam("application_ids", expanding=True)))
    .order_by(model.id)
    for kind, (model, columns, _build) in _KINDS.items()
}


def portfolios(applications: Iterable[tuple[int, dict]]) -> dict[int, Portfolio]:
    """``(application id, figures)`` pairs → each application's portfolio, in one query per record kind."""
    figures = dict(applications)
    records: dict[str, dict[int, list]] = {kind: defaultdict(list) for kind in _KINDS}
    for kind, (_model, _columns, build) in _KINDS.items():
        for application_id, *values in db.session.execute(_KIND_SELECTS[kind], {"application_ids": list(figures)}):
            records[kind][application_id].append(build(*values))
    return {
        application_id: Portfolio(
            figures=values or {}, **{kind: tuple(records[kind][application_id]) for kind in _KINDS}
        )
        for application_id, values in figures.items()
    }


def portfolio_of(application: Application) -> Portfolio:
    return portfolios([(application.id, application.figures)])[application.id]


def counted_until(cycle: Cycle, today: date | None = None) -> date:
    """Where ongoing work stops counting: the cycle's due date, or today when it has none."""
    return cycle.due or today or date.today()


@dataclass(frozen=True)
class Review:
    """What an application's pages show of its requirements: each line's result worded for people, the marks
    a read starts from, and the portfolio records as tables."""

    lines: dict[str, ShownLine]
    prefilled: dict[str, str | None]
    tables: list[Table]


def review_of(application: Application, rubric: Rubric, cycle: Cycle) -> Review:
    portfolio = portfolio_of(application)
    until = counted_until(cycle)
    results = evaluate(rubric.requirements, portfolio, until)
    figures = {requirement.key: requirement.figure for requirement in rubric.requirements}
    lines = {result.key: shown(result, figures[result.key]) for result in results}
    return Review(lines, {key: line.prefill for key, line in lines.items()}, record_tables(portfolio, until))


def results_for_items(item_pks: Iterable[int], cycle: Cycle) -> dict[int, list[LineResult]]:
    """Application items (by pk) → each one's requirement results, in one query besides the records'."""
    rows = db.session.execute(
        db.select(Item.id, Item.rubric_key, Application.id, Application.figures)
        .join(Application, Application.applicant_pk == Item.applicant_pk)
        .where(Item.id.in_(list(item_pks)), Item.kind == ItemKind.APPLICATION)
    ).all()
    loaded = portfolios((application_id, figures) for _, _, application_id, figures in rows)
    until = counted_until(cycle)
    return {
        item_pk: evaluate(get_rubric(rubric_key).requirements, loaded[application_id], until)
        for item_pk, rubric_key, application_id, _ in rows
    }


def results_for_item(item: Item) -> list[LineResult]:
    """The requirement results of one application item (none for an item without an application)."""
    return results_for_items([item.id], item.cycle).get(item.id, [])


@dataclass
class ApplicationLines:
    """One application's requirement lines: the product's results, its reads' marks (in read order) and the
    final result of each line."""

    applicant_id: str
    name: str
    category: str
    results: list[LineResult]
    marks: dict[str, list[str | None]]
    finals: dict[str, str | None]

    @property
    def met(self) -> LineCount:
        return lines_met(
            [result.check for result in self.results], [self.finals.get(result.key) for result in self.results]
        )

    def sheet_rows(self) -> list[list[object]]:
        return sheet_rows([self.applicant_id, self.name, self.category], self.results, self.marks, self.finals)


def cycle_lines(cycle: Cycle) -> dict[int, ApplicationLines]:
    """Applicant pk → the requirement lines of their application, for every application of the cycle.

    Seven queries however large the cycle: applications, the four record kinds, the reads' marks and the
    committee's finals.
    """
    applications = db.session.execute(
        db.select(
            Applicant.id,
            Applicant.applicant_id,
            Applicant.name,
            Application.id,
            Application.category,
            Application.figures,
            Item.id,
            Item.rubric_key,
            Item.state,
        )
        .join(Application, Application.applicant_pk == Applicant.id)
        .outerjoin(Item, (Item.applicant_pk == Applicant.id) & (Item.kind == ItemKind.APPLICATION))
        .where(Applicant.cycle_id == cycle.id)
        .order_by(Applicant.id)
    ).all()
    loaded = portfolios((row[3], row[5]) for row in applications)
    item_marks = _submitted_marks(cycle)
    finals = _committee_finals(cycle)
    until = counted_until(cycle)
    lines = {}
    for applicant_pk, applicant_id, name, application_id, category, _, item_pk, rubric_key, state in applications:
        rubric = get_rubric(rubric_key) if rubric_key else application_rubric_for(category)
        results = evaluate(rubric.requirements, loaded[application_id], until) if rubric else []
        marks = item_marks.get(item_pk, {})
        settled = state in FINAL_STATES
        line_finals = {
            result.key: final_result(finals.get((application_id, result.key)), marks.get(result.key, ()), settled)
            for result in results
        }
        lines[applicant_pk] = ApplicationLines(applicant_id, name, category, results, marks, line_finals)
    return lines


def _submitted_marks(cycle: Cycle) -> dict[int, dict[str, list[str | None]]]:
    """Application item pk → requirement key → the marks of its submitted reads, in submission order."""
    marks: dict[int, dict[str, list[str | None]]] = defaultdict(lambda: defaultdict(list))
    for item_pk, key, status in db.session.execute(
        db.select(Item.id, RequirementCheck.requirement_key, RequirementCheck.status)
        .join(Assignment, Assignment.item_pk == Item.id)
        .join(Read, Read.assignment_id == Assignment.id)
        .join(RequirementCheck, RequirementCheck.read_id == Read.id)
        .where(Item.cycle_id == cycle.id, Item.kind == ItemKind.APPLICATION, Read.status == ReadStatus.SUBMITTED)
        .order_by(Item.id, Read.number.is_(None), Read.number, Read.submitted_at, Read.id)
    ):
        marks[item_pk][key].append(status.value if status else None)
    return marks


def _committee_finals(cycle: Cycle) -> dict[tuple[int, str], str]:
    return {
        (application_id, key): status.value
        for application_id, key, status in db.session.execute(
            db.select(RequirementFinal.application_id, RequirementFinal.requirement_key, RequirementFinal.status)
            .join(Application, Application.id == RequirementFinal.application_id)
            .join(Applicant, Applicant.id == Application.applicant_pk)
            .where(Applicant.cycle_id == cycle.id)
        )
    }


@dataclass(frozen=True)
class ReadMark:
    """One submitted read's mark on a line, and whether it overrides the product's check (with the reason)."""

    reader: str
    mark: str | None
    overrides: bool
    reason: str | None


@dataclass(frozen=True)
class CommitteeView:
    """An application item's requirement lines for the committee: the product's results, each read's mark on
    each line with its overrides, and the portfolio records."""

    review: Review
    marks: dict[str, list[ReadMark]]

    @property
    def overrides(self) -> int:
        return sum(mark.overrides for marks in self.marks.values() for mark in marks)


def committee_view(item: Item) -> CommitteeView | None:
    """None for an essay: the committee sees requirements and records on application items only."""
    if item.kind != ItemKind.APPLICATION:
        return None
    application = db.session.scalar(db.select(Application).where(Application.applicant_pk == item.applicant_pk))
    if application is None:
        return None
    review = review_of(application, get_rubric(item.rubric_key), item.cycle)
    marks: dict[str, list[ReadMark]] = defaultdict(list)
    for number, name, key, status, computed, reason in db.session.execute(
        db.select(
            Read.number,
            User.name,
            RequirementCheck.requirement_key,
            RequirementCheck.status,
            RequirementCheck.computed,
            RequirementCheck.override_reason,
        )
        .join(Assignment, Read.assignment_id == Assignment.id)
        .join(User, Assignment.reviewer_id == User.id)
        .join(RequirementCheck, RequirementCheck.read_id == Read.id)
        .where(Assignment.item_pk == item.id, Read.status == ReadStatus.SUBMITTED)
        .order_by(Read.number.is_(None), Read.number, Read.submitted_at, Read.id)
    ):
        mark = status.value if status else None
        overridden = overrides(computed, mark)
        marks[key].append(
            ReadMark(f"Read {number} ({name})" if number else name, mark, overridden, reason if overridden else None)
        )
    return CommitteeView(review, dict(marks))
