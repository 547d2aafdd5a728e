"""The committee's work on a cycle: the board, an item's reads side by side, final scores and decisions.

Writes are guarded by the row's ``version`` (SQLAlchemy ``version_id_col``):
the form carries the version the member saw, and saving over a newer one is
refused with ``StaleEdit`` instead of silently overwriting a colleague's work.
The caller commits.
"""
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from math import ceil
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import Select, bindparam, case, func, literal, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.access import cycles_condition
from app.assignment.models import Assignment
from app.audit.service import record
from app.committee import charts
from app.cycles import states
from app.cycles.models import Applicant, Application, Cycle, Item, ItemKind, ItemState
from app.errors import InputError
from app.extensions import db
from app.numbers import whole_number
from app.people.models import User
from app.reconcile import engine
from app.reconcile.models import CommitteeResolution, Decision, DecisionValue, ItemOutcome
from app.reconcile.service import ADJUDICATION_SOURCES, apply_verdict, submission_key
from app.rubrics.model import Rubric
from app.rubrics.registry import all_rubrics, get_rubric
from app.scoring.models import CheckStatus, Read, ReadStatus, RequirementCheck, Score

# The board lists items in the order the committee should look at them.
STATE_ORDER = (ItemState.COMMITTEE, ItemState.DISCREPANT, ItemState.ADJUDICATING, ItemState.AGREED,
               ItemState.RESOLVED, ItemState.DECIDED, ItemState.IN_REVIEW, ItemState.ASSIGNED, ItemState.UNASSIGNED)
STATE_LABELS = {ItemState.COMMITTEE: "Committee", ItemState.DISCREPANT: "Discrepant",
                ItemState.ADJUDICATING: "Adjudicating", ItemState.AGREED: "Agreed", ItemState.RESOLVED: "Resolved",
                ItemState.DECIDED: "Decided", ItemState.IN_REVIEW: "In review", ItemState.ASSIGNED: "Assigned",
                ItemState.UNASSIGNED: "Unassigned"}
# A filter value of its own: every item whose reads disagree and is not settled yet.
OPEN_DISAGREEMENTS = "open"
OPEN_STATES = (ItemState.COMMITTEE, ItemState.DISCREPANT, ItemState.ADJUDICATING)
PER_PAGE = 50
DECISION_LABELS = {DecisionValue.ENDORSE: "Endorse", DecisionValue.NOT_ENDORSED: "Not endorsed",
                   DecisionValue.REVISE: "Revise and resubmit"}
# Final scores may fall between two levels, as a mean of two reads does (2.5).
SCORE_STEP = 0.5


class CommitteeInputError(ValueError):
    """What the member entered cannot be saved; ``problems`` maps each form field to what is wrong."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))


class StaleEdit(Exception):
    """Someone saved a newer version since the member opened the form.

    ``current`` holds what is saved now (plain data), ``current_version`` its version.
    """

    def __init__(self, current_version: int, current: dict[str, Any]):
        self.current_version = current_version
        self.current = current
        super().__init__(f"a newer version ({current_version}) was saved in the meantime")


# --- the board ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardFilters:
    state: str | None = None      # an ItemState value, OPEN_DISAGREEMENTS, or None for every item
    category: str | None = None
    rubric: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> "BoardFilters":
        """Filters from a query string; an unknown state or a bad page number is refused by name."""
        state = (args.get("state") or "").strip() or None
        if state is not None and state != OPEN_DISAGREEMENTS and state not in ItemState.__members__.values():
            raise CommitteeInputError({"state": f"unknown state {state!r}"})
        try:
            page = whole_number(args.get("page"), "page", minimum=1, default=1)
        except InputError as exc:
            raise CommitteeInputError(exc.problems) from None
        return cls(state, (args.get("category") or "").strip() or None, (args.get("rubric") or "").strip() or None,
                   page)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """These filters as URL arguments, with ``changes`` applied and empty ones left out."""
        values = {"state": self.state, "category": self.category, "rubric": self.rubric, "page": self.page}
        values.update(changes)
        if values["page"] == 1:
            del values["page"]  # the first page is the default
        return {key: value for key, value in values.items() if value not in (None, "")}

    def query_string(self, **changes: Any) -> str:
        """``query_args`` as the query part of a link to the board: "?state=open&page=2", or "" for the defaults."""
        args = self.query_args(**changes)
        return "?" + urlencode(args) if args else ""


@dataclass(frozen=True)
class BoardRow:
    item_pk: int
    item_id: str
    kind: str
    applicant_id: str
    category: str | None
    rubric_key: str
    rubric_title: str
    state: str
    reads: int                    # submitted reads
    discrepant_domains: tuple[str, ...]   # domain names
    result: str | None
    mean: float | None
    committee_scored: bool


@dataclass(frozen=True)
class Board:
    filters: BoardFilters
    rows: list[BoardRow]
    counts: dict[str, int]        # state → items, under the category and rubric filters
    total: int                    # items matching every filter
    pages: int
    categories: list[str]
    rubrics: list[tuple[str, str]]  # (key, title)

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(state.value, 0) for state in OPEN_STATES)

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.filters.page - 1) * PER_PAGE + 1

    @property
    def last(self) -> int:
        return min(self.filters.page * PER_PAGE, self.total)


def board(cycle: Cycle, filters: BoardFilters, per_page: int = PER_PAGE, *, choices: bool = True) -> Board:
    """One page of the cycle's items under the filters, with counts per state; at most four queries whatever
    the size.

    ``choices=False`` leaves out the filter form's categories and rubrics (more
    scans of the cycle): the rows fragment swapped in by htmx does not show them.
    """
    scope = {"cycle_id": cycle.id, "category": filters.category, "rubric": filters.rubric}
    counts = {state.value: 0 for state in STATE_ORDER}
    rubric_keys: set[str] = set()
    if filters.category:  # counted through the applicants' applications
        for state, count in db.session.execute(
                _in_scope(db.select(Item.state, func.count()), by_category=True, by_rubric=bool(filters.rubric))
                .group_by(Item.state), scope):
            counts[state.value] = count
    else:
        # Items per rubric and state in one pass over the index on (cycle, rubric, state): the counts under
        # the rubric filter, and the rubric choices, which would otherwise cost a second pass.
        for rubric_key, state, count in db.session.execute(
                db.select(Item.rubric_key, Item.state, func.count()).where(Item.cycle_id == cycle.id)
                .group_by(Item.rubric_key, Item.state)):
            rubric_keys.add(rubric_key)
            if filters.rubric in (None, rubric_key):
                counts[state.value] += count
    states = _states_of(filters.state)
    total = sum(counts[state.value] for state in states)
    pages = max(1, ceil(total / per_page))

    # The counts tell which part of each state the page covers; every other state's slice takes nothing.
    covered = {state: (skip, taken) for state, skip, taken in page_slices(
        [(state, counts[state.value]) for state in states], (filters.page - 1) * per_page, per_page)}
    rows = []
    if covered:
        slices = {}
        for position, state in enumerate(STATE_ORDER):
            skip, taken = covered.get(state, (0, 0))
            slices[f"skip_{position}"], slices[f"take_{position}"] = skip, taken
        rows = db.session.execute(_page_rows(bool(filters.category), bool(filters.rubric)),
                                  scope | slices).all()

    categories = []
    if choices:
        categories = sorted(c for c in db.session.scalars(
            db.select(Application.category).distinct().join(Applicant, Application.applicant_pk == Applicant.id)
            .where(Applicant.cycle_id == cycle.id)) if c)
        if filters.category:
            rubric_keys = set(db.session.scalars(db.select(Item.rubric_key).distinct()
                                                 .where(Item.cycle_id == cycle.id)))
    rubrics = all_rubrics()  # once per page: a lookup per row went through the app context every time
    return Board(filters, [_board_row(rubrics, *row) for row in rows], counts, total, pages, categories,
                 [(key, _rubric_title(key)) for key in sorted(rubric_keys)] if choices else [])


@cache
def _page_rows(by_category: bool, by_rubric: bool) -> Select:
    """The board's rows for one filter shape: each state's slice (bound ``skip_<n>``, ``take_<n>`` in board order)
    with its outcome, resolution and read count.

    Building this statement cost more than running it, so it is built once per shape and only the values are
    bound per request (cycle, category, rubric, slices): the data is read afresh every time.
    """
    in_scope = _in_scope(db.select(Item.id), by_category=by_category, by_rubric=by_rubric)
    # Each state's slice comes in item order straight from the covering index, where sorting the whole cycle
    # by state priority would cost as much as the cycle is big; a slice taking nothing reads nothing.
    slices = [in_scope.add_columns(literal(position).label("position")).where(Item.state == state)
              .order_by(Item.item_id).limit(bindparam(f"take_{position}")).offset(bindparam(f"skip_{position}"))
              .subquery() for position, state in enumerate(STATE_ORDER)]
    page = union_all(*(db.select(part) for part in slices)).subquery()
    # Counted for the rows of this page only (correlated): grouping every read of the cycle grows with its size.
    submitted = (db.select(func.count(Read.id)).join(Assignment, Read.assignment_id == Assignment.id)
                 .where(Assignment.item_pk == Item.id, Read.status == ReadStatus.SUBMITTED)
                 .correlate(Item).scalar_subquery())
    # The page's item ids first, so only the rows shown are joined to their outcome, resolution and read count.
    return (db.select(Item.id, Item.item_id, Item.kind, Applicant.applicant_id, Application.category,
                      Item.rubric_key, Item.state, submitted, ItemOutcome.discrepant_domains,
                      ItemOutcome.result, ItemOutcome.mean, CommitteeResolution.id)
            .join(page, page.c.id == Item.id)
            .join(Applicant, Item.applicant_pk == Applicant.id)
            .outerjoin(Application, Application.applicant_pk == Applicant.id)
            .outerjoin(ItemOutcome, ItemOutcome.item_pk == Item.id)
            .outerjoin(CommitteeResolution, CommitteeResolution.item_pk == Item.id)
            .order_by(page.c.position, Item.item_id))


def page_slices(counts: list[tuple[ItemState, int]], offset: int, limit: int) -> list[tuple[ItemState, int, int]]:
    """Which part of each state a page covers, as (state, items skipped, items taken), for states in board order."""
    slices = []
    for state, count in counts:
        if limit == 0:
            break
        if offset >= count:
            offset -= count
            continue
        taken = min(limit, count - offset)
        slices.append((state, offset, taken))
        offset, limit = 0, limit - taken
    return slices


def _in_scope(statement: Select, *, by_category: bool, by_rubric: bool) -> Select:
    """The statement over the cycle's items (bound ``cycle_id``) under the category and rubric filters (bound
    ``category`` and ``rubric``; joined only when filtered)."""
    statement = statement.where(Item.cycle_id == bindparam("cycle_id"))
    if by_category:
        statement = (statement.join(Applicant, Item.applicant_pk == Applicant.id)
                     .join(Application, Application.applicant_pk == Applicant.id)
                     .where(Application.category == bindparam("category")))
    if by_rubric:
        statement = statement.where(Item.rubric_key == bindparam("rubric"))
    return statement


def _states_of(state_filter: str | None) -> tuple[ItemState, ...]:
    if state_filter is None:
        return STATE_ORDER
    if state_filter == OPEN_DISAGREEMENTS:
        return OPEN_STATES
    return (ItemState(state_filter),)


def _board_row(rubrics: Mapping[str, Rubric], pk, item_id, kind, applicant_id, category, rubric_key, state, reads,
               discrepant, result, mean, resolution_id) -> BoardRow:
    rubric = rubrics.get(rubric_key)
    names = tuple(_domain_name(rubric, key) for key in (discrepant or []))
    return BoardRow(pk, item_id, kind.value, applicant_id, category, rubric_key,
                    rubric.title if rubric else _missing_rubric_title(rubric_key), state.value, reads, names, result,
                    mean, resolution_id is not None)


def _rubric_or_none(key: str) -> Rubric | None:
    try:
        return get_rubric(key)
    except KeyError:
        return None


def _rubric_title(key: str) -> str:
    rubric = _rubric_or_none(key)
    return rubric.title if rubric else _missing_rubric_title(key)


def _missing_rubric_title(key: str) -> str:
    return f"{key} (rubric not loaded)"


def _domain_name(rubric: Rubric | None, key: str) -> str:
    if rubric is None:
        return key
    try:
        return rubric.domain(key).name
    except KeyError:
        return key


# --- figures for the pictures -----------------------------------------------------------------------

@dataclass(frozen=True)
class DomainFigures:
    key: str
    name: str
    distribution: dict[int, int]    # scale level → submitted scores at that level
    pairs: int                      # items with reads 1 and 2 both scored on this domain
    exact: float | None             # share of those pairs with the same score
    adjacent: float | None          # share within one point


@dataclass(frozen=True)
class RubricFigures:
    key: str
    title: str
    scale: tuple[int, ...]
    labels: dict[int, str]
    domains: list[DomainFigures]


def cycle_pictures(cycle: Cycle) -> list[tuple["RubricFigures", charts.Chart, charts.Chart]]:
    """Per rubric of the cycle: its figures with their two pictures, as the board and the dashboard draw them."""
    return [(figures, *charts.rubric_pictures(figures)) for figures in cycle_figures(cycle)]


def cycle_figures(cycle: Cycle) -> list[RubricFigures]:
    """Per rubric of the cycle: the score distribution per domain, and agreement of reads 1 and 2 per domain.

    Reads are ordered as in the export (read number, then submission time), so
    the figures match the workbook's Agreement sheet. Two grouped queries: the
    database counts, so neither the rows sent nor the Python work grow with the cycle.
    """
    submitted = (Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED)
    distributions: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)
    for rubric_key, domain_key, score, count in db.session.execute(
            db.select(Item.rubric_key, Score.domain_key, Score.score, func.count())
            .select_from(Score).join(Read, Score.read_id == Read.id)
            .join(Assignment, Read.assignment_id == Assignment.id).join(Item, Assignment.item_pk == Item.id)
            .where(*submitted, Score.score.is_not(None))
            .group_by(Item.rubric_key, Score.domain_key, Score.score)):
        distributions[rubric_key][(domain_key, score)] = count

    # An item's submitted reads with a score, numbered in submission order (submission_key in SQL).
    scored = db.select(Score.id).where(Score.read_id == Read.id, Score.score.is_not(None)).exists()
    ranked = (db.select(Read.id.label("read_id"), Assignment.item_pk, Item.rubric_key,
                        func.row_number().over(partition_by=Assignment.item_pk, order_by=(
                            Read.number.is_(None), Read.number, Read.submitted_at.is_not(None), Read.submitted_at,
                            Read.id)).label("position"))
              .join(Assignment, Read.assignment_id == Assignment.id).join(Item, Assignment.item_pk == Item.id)
              .where(*submitted, scored).subquery())
    # Per item and domain, the scores of reads 1 and 2 side by side (one pass over the ranked reads' scores).
    first, second = (func.max(case((ranked.c.position == position, Score.score))) for position in (1, 2))
    pairs = (db.select(ranked.c.rubric_key, Score.domain_key, first.label("first"), second.label("second"))
             .select_from(ranked).join(Score, Score.read_id == ranked.c.read_id)
             .where(ranked.c.position <= 2, Score.score.is_not(None))
             .group_by(ranked.c.item_pk, ranked.c.rubric_key, Score.domain_key).subquery())
    agreements: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for rubric_key, domain_key, count, exact, adjacent in db.session.execute(
            db.select(pairs.c.rubric_key, pairs.c.domain_key, func.count(),
                      func.sum(case((pairs.c.first == pairs.c.second, 1), else_=0)),
                      func.sum(case((func.abs(pairs.c.first - pairs.c.second) <= 1, 1), else_=0)))
            .where(pairs.c.first.is_not(None), pairs.c.second.is_not(None))
            .group_by(pairs.c.rubric_key, pairs.c.domain_key)):
        agreements[rubric_key][domain_key] = (count, exact, adjacent)

    figures = []
    for rubric_key in sorted(distributions):
        rubric = _rubric_or_none(rubric_key)
        if rubric is not None:
            figures.append(rubric_figures(rubric, distributions[rubric_key], agreements[rubric_key]))
    return figures


def rubric_figures(rubric: Rubric, distribution: Mapping[tuple[str, int], int],
                   agreement: Mapping[str, tuple[int, int, int]]) -> RubricFigures:
    """Figures for one rubric from counts: submitted scores per (domain, level), and per domain the pairs of
    reads 1 and 2 with how many of them are equal and how many within one point."""
    domains = []
    for domain in rubric.domains:
        pairs, exact, adjacent = agreement.get(domain.key, (0, 0, 0))
        domains.append(DomainFigures(domain.key, domain.name,
                                     {level: distribution.get((domain.key, level), 0) for level in rubric.scale},
                                     pairs, exact / pairs if pairs else None, adjacent / pairs if pairs else None))
    return RubricFigures(rubric.key, rubric.title, rubric.scale, dict(rubric.labels), domains)


# --- one item side by side ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadColumn:
    position: int                 # 1, 2, 3… in submission order
    label: str                    # "Read 1", "Third read"
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
    cells: list[Cell]             # one per read column
    spread: float | None          # highest minus lowest score of the item's own reads
    discrepant: bool
    combined: float | None


@dataclass(frozen=True)
class RequirementRow:
    key: str
    label: str
    marks: list[str | None]       # one per read column
    disputed: bool


@dataclass(frozen=True)
class ItemComparison:
    item_pk: int
    item_id: str
    kind: str
    state: str
    cycle_id: int
    applicant_id: str
    applicant_name: str
    category: str | None
    rubric: Rubric
    prompt: str | None
    response: str | None
    portfolio_summary: str | None
    reads: list[ReadColumn]
    domains: list[DomainRow]
    requirements: list[RequirementRow]
    rule: str                     # the rubric's agreement and pass rules, in words
    differences: list[str]        # what differs on this item, in words
    outcome_reasons: list[str]
    outcome_result: str | None
    resolution: dict[str, Any] | None
    prefill: dict[str, float | None]
    prefill_source: str

    @property
    def discrepant_keys(self) -> list[str]:
        return [row.key for row in self.domains if row.discrepant]


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
        cells = [Cell(scores[i].get(domain.key, (None, None))[0], scores[i].get(domain.key, (None, None))[1])
                 for i in range(len(columns))]
        own = [cells[i].score for i in originals if cells[i].score is not None]
        spread = float(max(own) - min(own)) if len(own) >= 2 else None
        domains.append(DomainRow(domain.key, domain.name, cells, spread,
                                 not engine.domain_agrees(own, tolerance), combined.get(domain.key)))
    requirements = []
    for requirement in rubric.requirements:
        marks = [checks[i].get(requirement.key) for i in range(len(columns))]
        own_marks = {marks[i] or CheckStatus.MORE_INFO for i in originals}
        requirements.append(RequirementRow(requirement.key, requirement.label, marks, len(own_marks) > 1))

    application = item.applicant.application
    resolution = db.session.scalar(db.select(CommitteeResolution).where(CommitteeResolution.item_pk == item.id))
    prefill, source = _prefill(rubric, domains, resolution, combined)
    return ItemComparison(
        item.id, item.item_id, item.kind.value, item.state.value, item.cycle_id, item.applicant.applicant_id,
        item.applicant.name, application.category if application else None, rubric, item.prompt, item.response,
        application.portfolio_summary if application and item.kind == ItemKind.APPLICATION else None,
        columns, domains, requirements, rule_in_words(rubric),
        differences_in_words(rubric, domains, requirements, [columns[i] for i in originals]),
        list(outcome.reasons) if outcome else [], outcome.result if outcome else None,
        resolution_snapshot(resolution), prefill, source)


def _submitted_reads(item: Item, rubric: Rubric) -> tuple[list[ReadColumn], list[dict], list[dict]]:
    rows = db.session.execute(
        db.select(Read.id, Read.number, Read.submitted_at, Read.overall_comment, Assignment.source, User.name,
                  User.email)
        .join(Assignment, Read.assignment_id == Assignment.id).join(User, Assignment.reviewer_id == User.id)
        .where(Assignment.item_pk == item.id, Read.status == ReadStatus.SUBMITTED)).all()
    rows.sort(key=lambda r: submission_key(r.number, r.submitted_at, r.id))
    read_ids = [row.id for row in rows]
    scores: dict[int, dict[str, tuple[int | None, str | None]]] = defaultdict(dict)
    for read_id, key, score, comment in db.session.execute(
            db.select(Score.read_id, Score.domain_key, Score.score, Score.comment).where(Score.read_id.in_(read_ids))):
        scores[read_id][key] = (score, comment)
    checks: dict[int, dict[str, str | None]] = defaultdict(dict)
    for read_id, key, status in db.session.execute(
            db.select(RequirementCheck.read_id, RequirementCheck.requirement_key, RequirementCheck.status)
            .where(RequirementCheck.read_id.in_(read_ids))):
        checks[read_id][key] = status.value if status else None

    columns, own_count = [], 0
    for position, row in enumerate(rows, start=1):
        adjudication = row.source in ADJUDICATION_SOURCES
        own_count += not adjudication
        label = ("Third read" if row.source.value == "third_reader" else "Extra read") if adjudication \
            else f"Read {own_count}"
        read_scores = {key: float(value) for key, (value, _) in scores[row.id].items() if value is not None}
        result = engine.read_result(rubric, engine.ReadScores(0, read_scores, checks[row.id]))
        columns.append(ReadColumn(position, label, row.name, row.email, row.submitted_at, adjudication,
                                  row.overall_comment, result))
    return columns, [scores[row.id] for row in rows], [checks[row.id] for row in rows]


def _prefill(rubric: Rubric, domains: list[DomainRow], resolution: CommitteeResolution | None,
             combined: Mapping[str, float]) -> tuple[dict[str, float | None], str]:
    """What the resolution form starts from: the saved scores, else the combined scores, else the reads' mean."""
    if resolution is not None:
        return {key: resolution.scores.get(key) for key in rubric.domain_keys}, "the committee's saved scores"
    if combined and rubric.reconcile.combine != "sum":
        return {key: _to_step(combined.get(key)) for key in rubric.domain_keys}, "the combined scores"
    prefill = {}
    for row in domains:
        values = [cell.score for cell in row.cells if cell.score is not None]
        prefill[row.key] = _to_step(sum(values) / len(values)) if values else None
    return prefill, "the mean of the reads, to the nearest half point"


def _to_step(value: float | None) -> float | None:
    if value is None:
        return None
    stepped = round(value / SCORE_STEP) * SCORE_STEP
    return int(stepped) if stepped.is_integer() else stepped


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def rule_in_words(rubric: Rubric) -> str:
    """The rubric's agreement, combining and pass rules as one paragraph a committee member can check."""
    reconcile, rule = rubric.reconcile, rubric.pass_rule
    combine = {"mean": "averaged", "sum": "added up", "median": "combined by their median"}[reconcile.combine]
    parts = [f"Reads agree on a domain when their scores differ by at most {_points(reconcile.tolerance)}; "
             f"agreed scores are {combine}."]
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
    parts.append("A disagreement goes to a third reader first." if reconcile.third_reader
                 else "A disagreement comes straight to the committee.")
    return " ".join(parts)


def differences_in_words(rubric: Rubric, domains: list[DomainRow], requirements: list[RequirementRow],
                         own_reads: list[ReadColumn]) -> list[str]:
    """What the item's own reads disagree on, one sentence each, e.g. "Reads differ by 2 on Reflection; …"."""
    tolerance = rubric.reconcile.tolerance
    sentences = [f"Reads differ by {row.spread:g} on {row.name}; the rubric tolerates {tolerance:g}."
                 for row in domains if row.discrepant and row.spread is not None]
    results = {column.result for column in own_reads}
    if len(results) > 1:
        verdicts = ", ".join(f"{column.label.lower()} {'passes' if column.result == engine.PASS else 'fails'}"
                             for column in own_reads)
        sentences.append(f"The reads disagree on the result: {verdicts}.")
    sentences += [f"Reviewers marked the requirement “{row.label}” differently." for row in requirements
                  if row.disputed]
    return sentences


def resolution_snapshot(resolution: CommitteeResolution | None) -> dict[str, Any] | None:
    """What is saved, as plain data for a page or a conflict message."""
    if resolution is None:
        return None
    return {"scores": dict(resolution.scores), "result": resolution.result, "rationale": resolution.rationale,
            "version": resolution.version, "decided_at": resolution.decided_at,
            "decided_by": resolution.decided_by.name if resolution.decided_by else None}


# --- recording final scores --------------------------------------------------------------------------

def parse_scores(rubric: Rubric, raw: Mapping[str, Any]) -> dict[str, int | float]:
    """Final domain scores from form values: every domain, on the scale, in half points; extra keys ignored."""
    scores, problems = {}, {}
    for domain in rubric.domains:
        value = raw.get(domain.key)
        text = str(value).strip() if value is not None else ""
        if not text:
            problems[domain.key] = f"{domain.name}: a final score is required"
            continue
        try:
            number = float(text)
        except ValueError:
            problems[domain.key] = f"{domain.name}: {text!r} is not a number"
            continue
        if not rubric.scale_min <= number <= rubric.scale_max:
            problems[domain.key] = (f"{domain.name}: {number:g} is outside the scale "
                                    f"{rubric.scale_min}–{rubric.scale_max}")
        elif (number / SCORE_STEP) != int(number / SCORE_STEP):
            problems[domain.key] = f"{domain.name}: use whole or half points (e.g. 2.5), not {number:g}"
        else:
            scores[domain.key] = int(number) if number.is_integer() else number
    if problems:
        raise CommitteeInputError(problems)
    return scores


def _rationale(text: str | None) -> str:
    rationale = (text or "").strip()
    if not rationale:
        raise CommitteeInputError({"rationale": "a rationale is required: say why the committee decided this"})
    return rationale


def _with_rationale(parse, rationale: str | None):
    """``parse()`` and the rationale, refusing with the problems of both at once so the member fixes all in one go."""
    problems = {}
    try:
        value = parse()
    except CommitteeInputError as exc:
        problems.update(exc.problems)
    try:
        text = _rationale(rationale)
    except CommitteeInputError as exc:
        problems.update(exc.problems)
    if problems:
        raise CommitteeInputError(problems)
    return value, text


def resolve_item(item: Item, scores: Mapping[str, Any], rationale: str | None, *, actor_id: int | None,
                 expected_version: int | None) -> CommitteeResolution:
    """Record the committee's final domain scores for an item (any item: the committee may override agreement).

    The result follows the rubric's pass rule on the final scores, exactly as
    reconciliation computes a decided item. The item becomes ``decided``; the
    resolution, the state change and the outcome are audited.
    ``expected_version`` is the version the member saw (None when nothing was saved yet).
    """
    rubric = get_rubric(item.rubric_key)
    final, text = _with_rationale(lambda: parse_scores(rubric, scores), rationale)
    verdict = engine.evaluate_item(rubric, engine.ReconcileFacts(
        reads=(), required_reads=0, committee=engine.CommitteeScores(final)))
    resolution, before = _save_versioned(
        CommitteeResolution.item_pk, item.id, expected_version, resolution_snapshot, _resolution_audit,
        {"scores": final, "result": verdict.result, "rationale": text, "decided_by_id": actor_id})

    record("committee.resolve", "committee_resolution", resolution.id, before=before,
           after=_resolution_audit(resolution), actor_id=actor_id, cycle_id=item.cycle_id, item_key=item.item_id)
    # The item's outcome and state follow the decision, exactly as reconciliation stores a decided item.
    apply_verdict(item, verdict, db.session.scalar(db.select(ItemOutcome).where(ItemOutcome.item_pk == item.id)),
                  actor_id)
    db.session.flush()
    return resolution


def _save_versioned(key_column, key, expected_version: int | None, snapshot, audit, values: dict[str, Any]):
    """Create or update the one row whose ``key_column`` is ``key`` with ``values``; return it and its audit before.

    A save made over a version the member never saw is refused with
    ``StaleEdit``, whether seen up front or when another member's save lands
    between our check and our write.
    """
    model = key_column.class_
    existing = db.session.scalar(db.select(model).where(key_column == key))
    if existing is not None and expected_version != existing.version:
        raise StaleEdit(existing.version, snapshot(existing))
    before = audit(existing)
    savepoint = db.session.begin_nested()
    try:
        row = existing or model(**{key_column.key: key})
        if existing is None:
            db.session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.flush()
        savepoint.commit()
    except (StaleDataError, IntegrityError):
        savepoint.rollback()
        current = db.session.scalar(db.select(model).where(key_column == key)
                                    .execution_options(populate_existing=True))
        raise StaleEdit(current.version, snapshot(current)) from None
    return row, before


def _resolution_audit(resolution: CommitteeResolution | None) -> dict | None:
    if resolution is None:
        return None
    return {"scores": dict(resolution.scores), "result": resolution.result, "rationale": resolution.rationale,
            "version": resolution.version}


# --- decisions on applications ---------------------------------------------------------------------

def decision_snapshot(decision: Decision | None, decided_by: str | None = None) -> dict[str, Any] | None:
    """What is decided, as plain data; ``decided_by`` saves a query when the caller already has the name."""
    if decision is None:
        return None
    if decided_by is None and decision.decided_by is not None:
        decided_by = decision.decided_by.name
    return {"decision": decision.decision.value, "label": DECISION_LABELS[decision.decision],
            "rationale": decision.rationale, "version": decision.version, "decided_at": decision.decided_at,
            "decided_by": decided_by}


def _decision_audit(decision: Decision | None) -> dict | None:
    if decision is None:
        return None
    return {"decision": decision.decision.value, "rationale": decision.rationale, "version": decision.version}


def _decision_value(raw: str | None) -> DecisionValue:
    try:
        return DecisionValue((raw or "").strip())
    except ValueError:
        raise CommitteeInputError({"decision": "choose Endorse, Not endorsed or Revise and resubmit"}) from None


def record_decision(application: Application, decision: str | None, rationale: str | None, *,
                    actor_id: int | None, expected_version: int | None) -> Decision:
    """Record the committee's decision on an application (endorse, not_endorsed, revise) with its rationale."""
    value, text = _with_rationale(lambda: _decision_value(decision), rationale)
    row, before = _save_versioned(Decision.application_id, application.id, expected_version, decision_snapshot,
                                  _decision_audit, {"decision": value, "rationale": text, "decided_by_id": actor_id})
    applicant = application.applicant
    record("decision.record", "decision", row.id, actor_id=actor_id, cycle_id=applicant.cycle_id,
           item_key=f"APP-{applicant.applicant_id}", before=before, after=_decision_audit(row))
    db.session.flush()
    return row


# --- the applications page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemSummary:
    item_pk: int
    item_id: str
    state: str
    result: str | None            # only once the item is agreed, resolved or decided


@dataclass
class ApplicationRow:
    application_id: int
    applicant_id: str
    name: str
    category: str
    mc_score: float | None
    part1: str | None             # pass | fail | None (no score yet)
    portfolio: ItemSummary | None
    essays: list[ItemSummary] = field(default_factory=list)
    essay_result: str | None = None
    suggested: str | None = None
    decision: dict[str, Any] | None = None

    @property
    def portfolio_result(self) -> str | None:
        return self.portfolio.result if self.portfolio else None


def applications_overview(cycle: Cycle, pass_mark: float | None = None) -> list[ApplicationRow]:
    """Per applicant: portfolio, Part 1 against the pass mark, essays, the suggestion and the decision; two queries."""
    mark = float(current_app.config["PART1_PASS_MARK"] if pass_mark is None else pass_mark)
    items: dict[int, list[ItemSummary]] = defaultdict(list)
    portfolios: dict[int, ItemSummary] = {}
    for pk, item_id, kind, applicant_pk, state, result in db.session.execute(
            db.select(Item.id, Item.item_id, Item.kind, Item.applicant_pk, Item.state, ItemOutcome.result)
            .outerjoin(ItemOutcome, ItemOutcome.item_pk == Item.id)
            .where(Item.cycle_id == cycle.id).order_by(Item.item_id)):
        summary = ItemSummary(pk, item_id, state.value, result if state in states.FINAL_STATES else None)
        if kind == ItemKind.APPLICATION:
            portfolios[applicant_pk] = summary
        else:
            items[applicant_pk].append(summary)

    rows = []
    for applicant_pk, applicant_id, name, application_id, category, mc_score, decision, decider in db.session.execute(
            db.select(Applicant.id, Applicant.applicant_id, Applicant.name, Application.id, Application.category,
                      Application.mc_score, Decision, User.name)
            .join(Application, Application.applicant_pk == Applicant.id)
            .outerjoin(Decision, Decision.application_id == Application.id)
            .outerjoin(User, Decision.decided_by_id == User.id)
            .where(Applicant.cycle_id == cycle.id).order_by(Applicant.applicant_id)):
        essays = items.get(applicant_pk, [])
        essay_results = [essay.result for essay in essays]
        portfolio = portfolios.get(applicant_pk)
        rows.append(ApplicationRow(
            application_id, applicant_id, name, category, mc_score,
            None if mc_score is None else (engine.PASS if mc_score >= mark else engine.FAIL),
            portfolio, essays, engine.essay_part_result(essay_results),
            engine.suggest_decision(portfolio.result if portfolio else None, mc_score, essay_results, mark),
            decision_snapshot(decision, decider)))
    return rows


def visible_cycles(user: User) -> list[tuple[Cycle, int]]:
    """The cycles this user may open here, each with its number of open disagreements."""
    query = db.select(Cycle).order_by(Cycle.created_at.desc(), Cycle.id.desc())
    condition = cycles_condition(user)
    if condition is not None:
        query = query.where(condition)
    cycles = list(db.session.scalars(query))
    open_counts = dict(db.session.execute(
        db.select(Item.cycle_id, func.count(Item.id)).where(Item.state.in_(OPEN_STATES),
                                                             Item.cycle_id.in_([c.id for c in cycles]))
        .group_by(Item.cycle_id)).all())
    return [(cycle, open_counts.get(cycle.id, 0)) for cycle in cycles]
