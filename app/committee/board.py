"""The committee board: a cycle's items by state, category and rubric, a page at a time, with the score
pictures; and the list of cycles a member may open.

The board runs a fixed number of queries whatever the size of the cycle (see
``board_page``); its statements are built once per filter shape and bound per
request. Applicants hidden from the viewer (``app.access.applicant_visible``)
are left out of the rows and the counts alike.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from math import ceil
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, bindparam, func, literal, union_all

from app.access import applicant_visible, cycles_condition, viewer_params
from app.assignment.models import Assignment
from app.committee import charts
from app.committee.errors import CommitteeInputError
from app.committee.models import CommitteeResolution
from app.cycles.models import Applicant, Application, Cycle, Item, ItemState
from app.cycles.states import COUNTED
from app.errors import InputError
from app.extensions import db
from app.numbers import whole_number
from app.people.models import Role, User
from app.reconcile.engine import disagrees_on, needs_information
from app.reconcile.models import ItemOutcome
from app.reports import (
    STATE_ORDER,
    ReviewerCalibration,
    RubricFigures,
    ValidityReads,
    calibration_rows,
    cycle_figures,
    validity_reads,
)
from app.rubrics.model import Rubric
from app.rubrics.registry import all_rubrics, get_rubric
from app.scoring.models import Read, ReadStatus

# A filter value of its own, and the board's default: every item whose reads disagree and is not settled yet.
OPEN_DISAGREEMENTS = "open"
# The state filter's value for every item (no state filter).
EVERY_ITEM = "all"
OPEN_STATES = (ItemState.COMMITTEE, ItemState.DISCREPANT, ItemState.ADJUDICATING)
PER_PAGE = 50


@dataclass(frozen=True)
class BoardFilters:
    state: str | None = OPEN_DISAGREEMENTS  # an ItemState value, OPEN_DISAGREEMENTS, or None for every item
    category: str | None = None
    rubric: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> "BoardFilters":
        """Filters from a query string (no state: the open disagreements, the committee's work; ``all``: every
        item); an unknown state or a bad page number is refused by name."""
        state: str | None = (args.get("state") or "").strip() or OPEN_DISAGREEMENTS
        if state == EVERY_ITEM:
            state = None
        elif state != OPEN_DISAGREEMENTS and state not in ItemState.__members__.values():
            raise CommitteeInputError({"state": f"unknown state {state!r}"})
        try:
            page = whole_number(args.get("page"), "page", minimum=1, default=1)
        except InputError as exc:
            raise CommitteeInputError(exc.problems) from None
        return cls(
            state, (args.get("category") or "").strip() or None, (args.get("rubric") or "").strip() or None, page
        )

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """These filters as URL arguments, with ``changes`` applied and empty ones left out."""
        values = {"state": self.state, "category": self.category, "rubric": self.rubric, "page": self.page}
        values.update(changes)
        if values["page"] == 1:
            del values["page"]  # the first page is the default
        if values["state"] is None:
            values["state"] = EVERY_ITEM
        elif values["state"] == OPEN_DISAGREEMENTS:
            del values["state"]  # the default too
        return {key: value for key, value in values.items() if value not in (None, "")}

    def query_string(self, **changes: Any) -> str:
        """``query_args`` as the query part of a link to the board: "?state=all&page=2", or "" for the defaults."""
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
    reads: int  # submitted reads
    discrepant_domains: tuple[str, ...]  # domain names
    pass_fail_split: bool  # the reads disagree on pass/fail
    lines_disputed: bool  # requirement lines marked differently
    result: str | None
    mean: float | None
    committee_scored: bool
    information_missing: bool = False  # requirement lines every read marked "more information needed"


@dataclass(frozen=True)
class Board:
    filters: BoardFilters
    rows: list[BoardRow]
    counts: dict[str, int]  # state → items, under the category and rubric filters
    total: int  # items matching every filter
    pages: int
    categories: list[str]
    rubrics: list[tuple[str, str]]  # (key, title)
    validity: ValidityReads | None = None  # on the whole page, with validity essays: their reads, counted apart

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(state.value, 0) for state in OPEN_STATES)

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.filters.page - 1) * PER_PAGE + 1

    @property
    def last(self) -> int:
        return min(self.filters.page * PER_PAGE, self.total)


def board_page(
    cycle: Cycle, filters: BoardFilters, viewer: User, per_page: int = PER_PAGE, *, choices: bool = True
) -> Board:
    """One page of the cycle's items the viewer may see under the filters, with counts per state; at most four
    queries whatever the size, and one more for the validity reads of a cycle with validity essays. Validity
    essays are not on the board (``_visible``): the whole page, unfiltered by category, counts them apart.

    ``choices=False`` leaves out the filter form's categories and rubrics and the validity reads (more
    scans of the cycle): the rows fragment swapped in by htmx does not show them.
    """
    role = viewer.role
    viewer_values = viewer_params(viewer)  # once: a committee member's recusals are worked out for it
    scope = {"cycle_id": cycle.id, "category": filters.category, "rubric": filters.rubric} | viewer_values
    counts = {state.value: 0 for state in STATE_ORDER}
    rubric_keys: set[str] = set()
    validity_essays = 0  # counted without a category filter (a validity essay has no category)
    if filters.category:  # counted through the applicants' applications
        for state, count in db.session.execute(
            _in_scope(
                db.select(Item.state, func.count()), by_category=True, by_rubric=bool(filters.rubric), role=role
            ).group_by(Item.state),
            scope,
        ):
            counts[state.value] = count
    else:
        # Items per rubric and state in one pass over the index on (cycle, rubric, state): the counts under
        # the rubric filter, and the rubric choices, which would otherwise cost a second pass.
        # Validity essays are counted too, apart (the index ends in validity): only a cycle that has some pays
        # for the query of their reads.
        for rubric_key, state, is_validity, count in db.session.execute(
            db.select(Item.rubric_key, Item.state, Item.validity, func.count())
            .where(Item.cycle_id == cycle.id, applicant_visible(role, Item.applicant_pk))
            .group_by(Item.rubric_key, Item.state, Item.validity),
            viewer_values,
        ):
            if is_validity:
                validity_essays += count
                continue
            rubric_keys.add(rubric_key)
            if filters.rubric in (None, rubric_key):
                counts[state.value] += count
    states = _states_of(filters.state)
    total = sum(counts[state.value] for state in states)
    pages = max(1, ceil(total / per_page))

    # The counts tell which part of each state the page covers; every other state's slice takes nothing.
    covered = {
        state: (skip, taken)
        for state, skip, taken in page_slices(
            [(state, counts[state.value]) for state in states], (filters.page - 1) * per_page, per_page
        )
    }
    rows: Sequence[Any] = ()
    if covered:
        slices = {}
        for position, state in enumerate(STATE_ORDER):
            skip, taken = covered.get(state, (0, 0))
            slices[f"skip_{position}"], slices[f"take_{position}"] = skip, taken
        rows = db.session.execute(_page_rows(bool(filters.category), bool(filters.rubric), role), scope | slices).all()

    categories = []
    if choices:
        categories = sorted(
            c
            for c in db.session.scalars(
                db.select(Application.category)
                .distinct()
                .join(Applicant, Application.applicant_pk == Applicant.id)
                .where(Applicant.cycle_id == cycle.id)
            )
            if c
        )
        if filters.category:
            rubric_keys = set(
                db.session.scalars(db.select(Item.rubric_key).distinct().where(Item.cycle_id == cycle.id))
            )
    rubrics = all_rubrics()  # once per page: a lookup per row went through the app context every time
    return Board(
        filters,
        [_board_row(rubrics, *row) for row in rows],
        counts,
        total,
        pages,
        categories,
        [(key, _rubric_title(key)) for key in sorted(rubric_keys)] if choices else [],
        validity_reads(cycle) if choices and validity_essays else None,
    )


@cache
def _page_rows(by_category: bool, by_rubric: bool, role: Role) -> Select:
    """The board's rows for one filter shape and viewer role: each state's slice (bound ``skip_<n>``,
    ``take_<n>`` in board order) with its outcome, resolution and read count.

    Building this statement cost more than running it, so it is built once per shape and only the values are
    bound per request (cycle, category, rubric, slices, viewer): the data is read afresh every time.
    """
    in_scope = _in_scope(db.select(Item.id), by_category=by_category, by_rubric=by_rubric, role=role)
    # Each state's slice comes in item order straight from the covering index, where sorting the whole cycle
    # by state priority would cost as much as the cycle is big; a slice taking nothing reads nothing.
    slices = [
        in_scope.add_columns(literal(position).label("position"))
        .where(Item.state == state)
        .order_by(Item.item_id)
        .limit(bindparam(f"take_{position}"))
        .offset(bindparam(f"skip_{position}"))
        .subquery()
        for position, state in enumerate(STATE_ORDER)
    ]
    page = union_all(*(db.select(part) for part in slices)).subquery()
    # Counted for the rows of this page only (correlated): grouping every read of the cycle grows with its size.
    submitted = (
        db.select(func.count(Read.id))
        .join(Assignment, Read.assignment_id == Assignment.id)
        .where(Assignment.item_pk == Item.id, Read.status == ReadStatus.SUBMITTED)
        .correlate(Item)
        .scalar_subquery()
    )
    # The page's item ids first, so only the rows shown are joined to their outcome, resolution and read count.
    return (
        db.select(
            Item.id,
            Item.item_id,
            Item.kind,
            Applicant.applicant_id,
            Application.category,
            Item.rubric_key,
            Item.state,
            submitted,
            ItemOutcome.discrepant_domains,
            ItemOutcome.reasons,
            ItemOutcome.result,
            ItemOutcome.mean,
            CommitteeResolution.id,
        )
        .join(page, page.c.id == Item.id)
        .join(Applicant, Item.applicant_pk == Applicant.id)
        .outerjoin(Application, Application.applicant_pk == Applicant.id)
        .outerjoin(ItemOutcome, ItemOutcome.item_pk == Item.id)
        .outerjoin(CommitteeResolution, CommitteeResolution.item_pk == Item.id)
        .order_by(page.c.position, Item.item_id)
    )


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


def _visible(statement: Select, role: Role) -> Select:
    """The statement over items without those whose applicant is hidden from a viewer of this role, nor the
    validity essays: never the committee's to weigh, counted apart (``states.COUNTED``, docs/calibration.md)."""
    return statement.where(applicant_visible(role, Item.applicant_pk), COUNTED)


def _in_scope(statement: Select, *, by_category: bool, by_rubric: bool, role: Role) -> Select:
    """The statement over the cycle's items (bound ``cycle_id``) the viewer may see, under the category and
    rubric filters (bound ``category`` and ``rubric``; joined only when filtered)."""
    statement = _visible(statement, role).where(Item.cycle_id == bindparam("cycle_id"))
    if by_category:
        statement = (
            statement.join(Applicant, Item.applicant_pk == Applicant.id)
            .join(Application, Application.applicant_pk == Applicant.id)
            .where(Application.category == bindparam("category"))
        )
    if by_rubric:
        statement = statement.where(Item.rubric_key == bindparam("rubric"))
    return statement


def _states_of(state_filter: str | None) -> tuple[ItemState, ...]:
    if state_filter is None:
        return STATE_ORDER
    if state_filter == OPEN_DISAGREEMENTS:
        return OPEN_STATES
    return (ItemState(state_filter),)


def _board_row(
    rubrics: Mapping[str, Rubric],
    pk,
    item_id,
    kind,
    applicant_id,
    category,
    rubric_key,
    state,
    reads,
    discrepant,
    reasons,
    result,
    mean,
    resolution_id,
) -> BoardRow:
    rubric = rubrics.get(rubric_key)
    names = tuple(_domain_name(rubric, key) for key in (discrepant or []))
    pass_fail, lines = disagrees_on(reasons or [])
    return BoardRow(
        pk,
        item_id,
        kind.value,
        applicant_id,
        category,
        rubric_key,
        rubric.title if rubric else _missing_rubric_title(rubric_key),
        state.value,
        reads,
        names,
        pass_fail,
        lines,
        result,
        mean,
        resolution_id is not None,
        needs_information(reasons or []),
    )


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


def cycle_pictures(
    cycle: Cycle, viewer: User | None = None
) -> list[tuple[RubricFigures, charts.Picture, charts.Picture]]:
    """Per rubric of the cycle: its figures with their two pictures, as the board and the dashboard draw them
    (without the applicants hidden from ``viewer``, when given)."""
    return [(figures, *charts.rubric_pictures(figures)) for figures in cycle_figures(cycle, viewer)]


@dataclass(frozen=True)
class CalibrationRow:
    """One reviewer's row of the calibration table, with their drift drawn as a sparkline."""

    reviewer: ReviewerCalibration
    expert_drift: charts.Chart
    co_reader_drift: charts.Chart


def calibration_table(cycle: Cycle) -> list[CalibrationRow]:
    """Every reviewer with a submitted read: against the experts and the co-readers, flags, and drift (adjacent
    agreement per window of reads) as the dashboard and the board show it."""
    minimum = cycle.flag_min_adjacent
    return [
        CalibrationRow(
            reviewer,
            charts.sparkline(
                f"{reviewer.name}: adjacent agreement with the experts per {cycle.drift_window} reads",
                [(w.label, w.figures.adjacent) for w in reviewer.expert_drift],
                minimum,
            ),
            charts.sparkline(
                f"{reviewer.name}: adjacent agreement with the co-readers per {cycle.drift_window} reads",
                [(w.label, w.figures.adjacent) for w in reviewer.co_reader_drift],
                None,
            ),
        )
        for reviewer in calibration_rows(cycle)
    ]


def visible_cycles(user: User) -> list[tuple[Cycle, int]]:
    """The cycles this user may open here, each with its number of open disagreements they may see."""
    query = db.select(Cycle).order_by(Cycle.created_at.desc(), Cycle.id.desc())
    condition = cycles_condition(user)
    if condition is not None:
        query = query.where(condition)
    cycles = list(db.session.scalars(query))
    open_counts = dict(
        db.session.execute(
            _visible(db.select(Item.cycle_id, func.count(Item.id)), user.role)
            .where(Item.state.in_(OPEN_STATES), Item.cycle_id.in_([c.id for c in cycles]))
            .group_by(Item.cycle_id),
            viewer_params(user),
        ).all()
    )
    return [(cycle, open_counts.get(cycle.id, 0)) for cycle in cycles]
