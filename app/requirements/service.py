"""Portfolio records from the database as plain records, and each application's requirement results.

One query per record kind however many applications are asked for, so the
workbook and the committee pages cost the same for one application or two
thousand.
"""
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from app.cycles.models import Application, Cycle
from app.extensions import db
from app.requirements.models import ReferenceRecord, RscRecord, TrainingRecord, WorkRecord
from app.requirements.present import Table, record_tables
from app.requirements.records import Portfolio, ReferenceEntry, RscEntry, TrainingEntry, WorkPeriod
from app.requirements.rules import LineResult, evaluate
from app.rubrics.model import Rubric

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


def results_of(application: Application, rubric: Rubric, cycle: Cycle) -> list[LineResult]:
    """The application's requirement lines, each checked against its portfolio."""
    return evaluate(rubric.requirements, portfolio_of(application), counted_until(cycle))


def record_tables_of(application: Application, cycle: Cycle) -> list[Table]:
    """The application's portfolio records as tables for its reviewers and the committee."""
    return record_tables(portfolio_of(application), counted_until(cycle))
