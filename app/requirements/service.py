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

from app.cycles.models import Application, Cycle, Item, ItemKind
from app.extensions import db
from app.requirements.models import ReferenceRecord, RscRecord, TrainingRecord, WorkRecord
from app.requirements.present import ShownLine, Table, record_tables, shown
from app.requirements.records import Portfolio, ReferenceEntry, RscEntry, TrainingEntry, WorkPeriod
from app.requirements.rules import LineResult, evaluate
from app.rubrics.model import Rubric
from app.rubrics.registry import get_rubric

# Per record kind: the model, the columns read, and how one row of them becomes a plain record.
_KINDS: dict[str, tuple[Any, tuple[Any, ...], Callable[..., Any]]] = {
    "training": (TrainingRecord, (TrainingRecord.hours, TrainingRecord.topic, TrainingRecord.title,
                                  TrainingRecord.completed_on),
                 lambda hours, topic, title, completed_on: TrainingEntry(hours, topic.value, title, completed_on)),
    "rsc": (RscRecord, (RscRecord.hours, RscRecord.provider, RscRecord.provider_endorsement, RscRecord.format,
                        RscRecord.about_providing, RscRecord.peer, RscRecord.started_on, RscRecord.ended_on),
            lambda hours, provider, endorsement, fmt, about, peer, started_on, ended_on: RscEntry(
                hours, provider, endorsement, fmt.value if fmt else None, about, peer, started_on, ended_on)),
    "references": (ReferenceRecord, (ReferenceRecord.rater, ReferenceRecord.rater_role,
                                     ReferenceRecord.rater_endorsement, ReferenceRecord.received_on), ReferenceEntry),
    "work": (WorkRecord, (WorkRecord.started_on, WorkRecord.ended_on, WorkRecord.kind, WorkRecord.role,
                          WorkRecord.with_infant_and_parent, WorkRecord.supervised, WorkRecord.paid),
             lambda started_on, ended_on, kind, role, both, supervised, paid: WorkPeriod(
                 started_on, ended_on, kind.value, role, both, supervised, paid)),
}


def portfolios(applications: Iterable[tuple[int, dict]]) -> dict[int, Portfolio]:
    """``(application id, figures)`` pairs → each application's portfolio, in one query per record kind."""
    figures = dict(applications)
    records: dict[str, dict[int, list]] = {kind: defaultdict(list) for kind in _KINDS}
    for kind, (model, columns, build) in _KINDS.items():
        for application_id, *values in db.session.execute(
                db.select(model.application_id, *columns).where(model.application_id.in_(list(figures)))
                .order_by(model.id)):
            records[kind][application_id].append(build(*values))
    return {application_id: Portfolio(figures=values or {}, **{kind: tuple(records[kind][application_id])
                                                               for kind in _KINDS})
            for application_id, values in figures.items()}


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
        .where(Item.id.in_(list(item_pks)), Item.kind == ItemKind.APPLICATION)).all()
    loaded = portfolios((application_id, figures) for _, _, application_id, figures in rows)
    until = counted_until(cycle)
    return {item_pk: evaluate(get_rubric(rubric_key).requirements, loaded[application_id], until)
            for item_pk, rubric_key, application_id, _ in rows}


def results_for_item(item: Item) -> list[LineResult]:
    """The requirement results of one application item (none for an item without an application)."""
    return results_for_items([item.id], item.cycle).get(item.id, [])
