"""The cycle workbook of SPEC §7: gather the cycle in a handful of queries, compute figures, write six sheets."""
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

import numpy as np
from flask import current_app

from app.assignment.models import Assignment
from app.cycles.models import Applicant, Application, Cycle, CycleMember, Item, ItemKind, MemberRole
from app.exports.workbook import Column, Sheet, write_workbook
from app.extensions import db
from app.people.models import User
from app.reconcile import engine, stats
from app.reconcile.models import Decision, ItemOutcome
from app.reconcile.service import submission_key
from app.rubrics.model import Rubric
from app.rubrics.registry import rubrics_of
from app.scoring.models import Read, ReadStatus, Score

SHEET_ORDER = ("Decisions", "Items", "Scores", "Agreement", "Reviewers", "Assignments")


class ExportError(ValueError):
    """The workbook cannot be written; the message names what is wrong."""


@dataclass
class _Read:
    read_id: int
    reviewer_id: int
    number: int | None
    submitted_at: datetime | None
    scores: list[tuple[str, int | None, str | None]] = field(default_factory=list)  # domain, score, comment


@dataclass
class _ItemRow:
    pk: int
    item_id: str
    kind: str
    applicant_pk: int
    applicant_id: str
    rubric_key: str
    state: str
    combined: dict | None
    mean: float | None
    result: str | None
    discrepant: list[str]
    reads: list[_Read] = field(default_factory=list)  # submitted, in submission order

    @property
    def final(self) -> bool:
        return self.state in engine.FINAL_STATES


@dataclass
class _Assignment:
    item_pk: int
    reviewer_id: int
    assigned_at: datetime
    status: str


@dataclass
class _CycleData:
    items: list[_ItemRow]
    rubrics: dict[str, Rubric]
    assignments: list[_Assignment]
    reviewers: dict[int, tuple[str, str]]   # id → (email, name)


def export_cycle(cycle: Cycle, out: str | IO[bytes]) -> None:
    """Write the cycle's workbook to a path or a binary file object."""
    data = _gather(cycle)
    write_workbook([
        _decisions_sheet(cycle, data), _items_sheet(data), _scores_sheet(data),
        _agreement_sheet(data), _reviewers_sheet(data), _assignments_sheet(data),
    ], out)


def export_cycle_bytes(cycle: Cycle) -> bytes:
    """The cycle's workbook as bytes, e.g. for a download response."""
    buffer = io.BytesIO()
    export_cycle(cycle, buffer)
    return buffer.getvalue()


# --- gathering ------------------------------------------------------------------------------------

def _gather(cycle: Cycle) -> _CycleData:
    items = [_ItemRow(pk, item_id, kind.value, applicant_pk, applicant_id, rubric_key, state.value, combined, mean,
                      result, discrepant or [])
             for pk, item_id, kind, applicant_pk, applicant_id, rubric_key, state, combined, mean, result, discrepant
             in db.session.execute(
                 db.select(Item.id, Item.item_id, Item.kind, Item.applicant_pk, Applicant.applicant_id,
                           Item.rubric_key, Item.state, ItemOutcome.combined, ItemOutcome.mean, ItemOutcome.result,
                           ItemOutcome.discrepant_domains)
                 .join(Applicant, Item.applicant_pk == Applicant.id)
                 .outerjoin(ItemOutcome, ItemOutcome.item_pk == Item.id)
                 .where(Item.cycle_id == cycle.id).order_by(Item.id))]
    by_pk = {item.pk: item for item in items}

    reviewers: dict[int, tuple[str, str]] = {}
    assignments: list[_Assignment] = []
    reads: dict[int, _Read] = {}
    for (item_pk, reviewer_id, email, name, assigned_at, read_id, status, number,
         submitted_at) in db.session.execute(
            db.select(Assignment.item_pk, Assignment.reviewer_id, User.email, User.name, Assignment.assigned_at,
                      Read.id, Read.status, Read.number, Read.submitted_at)
            .join(Item, Assignment.item_pk == Item.id).join(User, Assignment.reviewer_id == User.id)
            .outerjoin(Read, Read.assignment_id == Assignment.id)
            .where(Item.cycle_id == cycle.id).order_by(Item.id, Assignment.assigned_at, Assignment.id)):
        reviewers[reviewer_id] = (email, name)
        assignments.append(_Assignment(item_pk, reviewer_id, assigned_at,
                                       status.value if status is not None else "assigned"))
        if status == ReadStatus.SUBMITTED:
            read = _Read(read_id, reviewer_id, number, submitted_at)
            by_pk[item_pk].reads.append(read)
            reads[read_id] = read
    for item in items:
        item.reads.sort(key=lambda r: submission_key(r.number, r.submitted_at, r.read_id))

    for read_id, domain_key, score, comment in db.session.execute(
            db.select(Score.read_id, Score.domain_key, Score.score, Score.comment)
            .join(Read, Score.read_id == Read.id).join(Assignment, Read.assignment_id == Assignment.id)
            .join(Item, Assignment.item_pk == Item.id)
            .where(Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED).order_by(Score.id)):
        reads[read_id].scores.append((domain_key, score, comment))

    for user_id, email, name in db.session.execute(
            db.select(User.id, User.email, User.name).join(CycleMember, CycleMember.user_id == User.id)
            .where(CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.REVIEWER)):
        reviewers[user_id] = (email, name)

    rubrics = rubrics_of(items, ExportError)
    for item in items:  # scores in the rubric's domain order, as reviewers see them
        order = {key: i for i, key in enumerate(rubrics[item.rubric_key].domain_keys)}
        for read in item.reads:
            read.scores.sort(key=lambda s: order.get(s[0], len(order)))
    return _CycleData(items, rubrics, assignments, reviewers)


# --- sheets ---------------------------------------------------------------------------------------

def _decisions_sheet(cycle: Cycle, data: _CycleData) -> Sheet:
    columns = [Column("Applicant ID", 16), Column("Name", 28), Column("Category", 12), Column("Portfolio", 11),
               Column("MC score", 10, "number"), Column("Essay result", 13), Column("Suggested", 14),
               Column("Decision", 14), Column("Rationale", 50), Column("Decided by", 30),
               Column("Decided at", 20, "datetime")]
    decisions = {application_id: row for application_id, *row in db.session.execute(
        db.select(Decision.application_id, Decision.decision, Decision.rationale, User.email, Decision.decided_at)
        .join(Application, Decision.application_id == Application.id)
        .join(Applicant, Application.applicant_pk == Applicant.id)
        .outerjoin(User, Decision.decided_by_id == User.id)
        .where(Applicant.cycle_id == cycle.id))}
    portfolio: dict[int, str | None] = {}
    essays: dict[int, list[str | None]] = defaultdict(list)
    for item in data.items:
        result = item.result if item.final else None
        if item.kind == ItemKind.APPLICATION.value:
            portfolio[item.applicant_pk] = result
        else:
            essays[item.applicant_pk].append(result)
    pass_mark = float(current_app.config["PART1_PASS_MARK"])
    applications = db.session.execute(
        db.select(Applicant.id, Applicant.applicant_id, Applicant.name, Application.id, Application.category,
                  Application.mc_score)
        .join(Application, Application.applicant_pk == Applicant.id)
        .where(Applicant.cycle_id == cycle.id).order_by(Applicant.id)).all()

    def rows() -> Iterator[list]:
        for applicant_pk, applicant_id, name, application_id, category, mc_score in applications:
            essay_results = essays.get(applicant_pk, [])
            decision, rationale, decided_by, decided_at = decisions.get(application_id, (None,) * 4)
            yield [applicant_id, name, category, portfolio.get(applicant_pk), mc_score,
                   engine.essay_part_result(essay_results),
                   engine.suggest_decision(portfolio.get(applicant_pk), mc_score, essay_results, pass_mark),
                   decision.value if decision else None, rationale, decided_by, decided_at]
    return Sheet("Decisions", columns, rows())


def _domain_columns(data: _CycleData) -> list[str]:
    """Every domain key of the cycle's rubrics, rubric by rubric, each once."""
    keys: dict[str, None] = {}
    for rubric_key in sorted(data.rubrics):
        keys.update(dict.fromkeys(data.rubrics[rubric_key].domain_keys))
    return list(keys)


def _items_sheet(data: _CycleData) -> Sheet:
    domains = _domain_columns(data)
    columns = ([Column("Item ID", 16), Column("Kind", 12), Column("Applicant ID", 16), Column("Rubric", 22),
                Column("Reads", 7, "number"), Column("State", 13)]
               + [Column(key, max(12, len(key) + 2), "number") for key in domains]
               + [Column("Mean", 8, "decimal"), Column("Result", 8)])

    def rows() -> Iterator[list]:
        for item in data.items:
            combined = (item.combined or {}) if item.final else {}
            yield ([item.item_id, item.kind, item.applicant_id, item.rubric_key, len(item.reads),
                    item.state] + [combined.get(key) for key in domains]
                   + [item.mean if item.final else None, item.result if item.final else None])
    return Sheet("Items", columns, rows())


def _scores_sheet(data: _CycleData) -> Sheet:
    columns = [Column("Item ID", 16), Column("Reviewer", 30), Column("Read", 6, "number"), Column("Domain", 26),
               Column("Score", 7, "number"), Column("Comment", 60), Column("Submitted at", 20, "datetime")]
    emails = {reviewer_id: email for reviewer_id, (email, _) in data.reviewers.items()}

    def rows() -> Iterator[list]:
        for item in data.items:
            for position, read in enumerate(item.reads, start=1):
                email = emails[read.reviewer_id]
                for domain, score, comment in read.scores:
                    yield [item.item_id, email, position, domain, score, comment, read.submitted_at]
    return Sheet("Scores", columns, rows())


def _agreement_sheet(data: _CycleData) -> Sheet:
    columns = [Column("Rubric", 22), Column("Domain", 26), Column("Items", 8, "number"),
               Column("Exact agreement", 12, "percent"), Column("Adjacent agreement", 12, "percent"),
               Column("Weighted kappa (quadratic)", 14, "ratio"), Column("Krippendorff alpha (ordinal)", 14, "ratio"),
               Column("Krippendorff alpha (interval)", 14, "ratio"), Column("Discrepancies", 10, "number")]
    by_rubric: dict[str, list[_ItemRow]] = defaultdict(list)
    for item in data.items:
        by_rubric[item.rubric_key].append(item)
    rows = []
    for rubric_key in sorted(by_rubric):
        rubric = data.rubrics[rubric_key]
        items = by_rubric[rubric_key]
        for domain in rubric.domain_keys:
            rows.append([rubric_key, domain, *domain_agreement(items, domain, rubric.scale)])
    return Sheet("Agreement", columns, rows)


def domain_agreement(items: list[_ItemRow], domain: str, scale: tuple[int, ...]) -> list:
    """Items, exact, adjacent, kappa (reads 1 and 2), alpha ordinal and interval (all reads), discrepancies."""
    units, firsts, seconds = [], [], []
    for item in items:
        values = [score for read in item.reads for key, score, _ in read.scores if key == domain and score is not None]
        if len(values) < 2:
            continue
        units.append(values)
        first, second = _score_of(item.reads[0], domain), _score_of(item.reads[1], domain)
        if first is not None and second is not None:
            firsts.append(first)
            seconds.append(second)
    discrepancies = sum(1 for item in items if domain in item.discrepant)
    if not units:
        return [0, None, None, None, None, None, discrepancies]
    table = np.full((max(len(u) for u in units), len(units)), np.nan)
    for column, values in enumerate(units):
        table[:len(values), column] = values
    return [len(units), stats.exact_agreement(firsts, seconds), stats.adjacent_agreement(firsts, seconds),
            stats.quadratic_weighted_kappa(firsts, seconds, scale) if firsts else None,
            stats.krippendorff_alpha(table, "ordinal"), stats.krippendorff_alpha(table, "interval"), discrepancies]


def _score_of(read: _Read, domain: str) -> int | None:
    return next((score for key, score, _ in read.scores if key == domain), None)


def _reviewers_sheet(data: _CycleData) -> Sheet:
    columns = [Column("Reviewer", 30), Column("Name", 26), Column("Assigned", 9, "number"),
               Column("Submitted", 9, "number"), Column("Pending", 9, "number"), Column("Mean score", 10, "decimal"),
               Column("Severity", 10, "decimal")]
    assigned: dict[int, int] = defaultdict(int)
    submitted: dict[int, int] = defaultdict(int)
    for assignment in data.assignments:
        assigned[assignment.reviewer_id] += 1
        submitted[assignment.reviewer_id] += assignment.status == ReadStatus.SUBMITTED.value
    figures = stats.reviewer_figures(
        (item.pk, key, read.reviewer_id, score)
        for item in data.items for read in item.reads for key, score, _ in read.scores if score is not None)
    rows = []
    for reviewer_id, (email, name) in sorted(data.reviewers.items(), key=lambda entry: entry[1][0]):
        figure = figures.get(reviewer_id)
        rows.append([email, name, assigned[reviewer_id], submitted[reviewer_id],
                     assigned[reviewer_id] - submitted[reviewer_id],
                     figure.mean if figure else None, figure.severity if figure else None])
    return Sheet("Reviewers", columns, rows)


def _assignments_sheet(data: _CycleData) -> Sheet:
    columns = [Column("Item ID", 16), Column("Reviewer", 30), Column("Status", 11),
               Column("Assigned at", 20, "datetime")]
    item_ids = {item.pk: item.item_id for item in data.items}
    return Sheet("Assignments", columns, (
        [item_ids[a.item_pk], data.reviewers[a.reviewer_id][0], a.status, a.assigned_at] for a in data.assignments))
