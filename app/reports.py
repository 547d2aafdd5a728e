"""The figures, rows and words that more than one page or file shows, computed once: reads per reviewer, each
applicant with the suggested decision, the agreement of reads 1 and 2 per rubric domain, the words for states
and decisions.

The committee's pages, the coordinator's dashboard and the workbook all take
them from here, so a figure reads the same wherever it is shown. Reads are
ordered by ``Read.submission_order`` (see ``app.scoring.models``) everywhere.
Every function runs a fixed number of queries however large the cycle is.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from math import floor
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_

from app.access import applicant_visible, viewer_params
from app.assignment.models import Assignment
from app.calibration import figures as calibration
from app.committee.models import Decision, DecisionValue
from app.cycles import states
from app.cycles.models import (
    Applicant,
    Application,
    Cycle,
    CycleMember,
    Item,
    ItemKind,
    ItemState,
    MemberRole,
    ReferenceScore,
)
from app.extensions import db
from app.people.models import User
from app.reconcile import engine
from app.reconcile.models import ItemOutcome
from app.requirements.lines import LineCount
from app.requirements.service import ApplicationLines, cycle_lines
from app.rubrics.model import Rubric
from app.rubrics.registry import get_rubric, part1_pass_mark
from app.scoring.models import Read, ReadStatus, Score

# The words pages and the workbook show for states and decisions. Items are listed in the order the committee
# should look at them.
STATE_ORDER = (
    ItemState.COMMITTEE,
    ItemState.DISCREPANT,
    ItemState.ADJUDICATING,
    ItemState.AGREED,
    ItemState.RESOLVED,
    ItemState.DECIDED,
    ItemState.IN_REVIEW,
    ItemState.ASSIGNED,
    ItemState.UNASSIGNED,
)
STATE_LABELS = {
    ItemState.COMMITTEE: "Committee",
    ItemState.DISCREPANT: "Discrepant",
    ItemState.ADJUDICATING: "Adjudicating",
    ItemState.AGREED: "Agreed",
    ItemState.RESOLVED: "Resolved",
    ItemState.DECIDED: "Decided",
    ItemState.IN_REVIEW: "In review",
    ItemState.ASSIGNED: "Assigned",
    ItemState.UNASSIGNED: "Unassigned",
}
DECISION_LABELS = {
    DecisionValue.ENDORSE: "Endorse",
    DecisionValue.NOT_ENDORSED: "Not endorsed",
    DecisionValue.REVISE: "Revise and resubmit",
}


# --- items per state, validity essays apart -------------------------------------------------------


def item_state_counts(cycle: Cycle) -> dict[ItemState, int]:
    """Every item state with the cycle's number of items in it (zeros included), validity essays left out: they
    stay in review for ever (``states.COUNTED``, docs/calibration.md). One query."""
    counts = dict(
        db.session.execute(
            db.select(Item.state, func.count(Item.id))
            .where(Item.cycle_id == cycle.id, states.COUNTED)
            .group_by(Item.state)
        ).all()
    )
    return {state: counts.get(state, 0) for state in ItemState}


# --- reads per reviewer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadCounts:
    """Reads assigned, and submitted of those (for one reviewer, one designation, …)."""

    assigned: int
    submitted: int

    @property
    def pending(self) -> int:
        return self.assigned - self.submitted

    @property
    def percent(self) -> int:
        return floor(100 * self.submitted / self.assigned) if self.assigned else 0


@dataclass(frozen=True)
class ReviewerReads(ReadCounts):
    """One reviewer's reads in a cycle."""

    user_id: int
    email: str
    name: str


def reviewer_reads(cycle: Cycle) -> list[ReviewerReads]:
    """Everyone with an assignment in the cycle or a reviewer seat on it (pool members without reads too), with
    their reads assigned and submitted, by e-mail in Python's order (whatever the database's collation); two
    queries."""
    submitted = func.coalesce(func.sum(case((Read.status == ReadStatus.SUBMITTED, 1), else_=0)), 0)
    counts = {
        reviewer_id: (assigned, int(done))
        for reviewer_id, assigned, done in db.session.execute(
            db.select(Assignment.reviewer_id, func.count(Assignment.id), submitted)
            .join(Item, Assignment.item_pk == Item.id)
            .outerjoin(Read, Read.assignment_id == Assignment.id)
            .where(Item.cycle_id == cycle.id)
            .group_by(Assignment.reviewer_id)
        )
    }
    with_assignments = (
        db.select(Assignment.reviewer_id).join(Item, Assignment.item_pk == Item.id).where(Item.cycle_id == cycle.id)
    )
    seated = db.select(CycleMember.user_id).where(
        CycleMember.cycle_id == cycle.id, CycleMember.role == MemberRole.REVIEWER
    )
    people = db.session.execute(
        db.select(User.id, User.email, User.name).where(or_(User.id.in_(with_assignments), User.id.in_(seated)))
    ).all()
    return [
        ReviewerReads(*counts.get(user_id, (0, 0)), user_id=user_id, email=email, name=name)
        for user_id, email, name in sorted(people, key=itemgetter(1))
    ]


def rubric_reads(cycle: Cycle) -> dict[str, tuple[int, int]]:
    """Rubric key → reads assigned and submitted on the cycle's items of that rubric; one query."""
    submitted = func.coalesce(func.sum(case((Read.status == ReadStatus.SUBMITTED, 1), else_=0)), 0)
    return {
        rubric_key: (assigned, int(done))
        for rubric_key, assigned, done in db.session.execute(
            db.select(Item.rubric_key, func.count(Assignment.id), submitted)
            .join(Item, Assignment.item_pk == Item.id)
            .outerjoin(Read, Read.assignment_id == Assignment.id)
            .where(Item.cycle_id == cycle.id)
            .group_by(Item.rubric_key)
        )
    }


@dataclass(frozen=True)
class ValidityReads(ReadCounts):
    """A cycle's validity essays and their reads, counted apart from every live figure (docs/calibration.md)."""

    essays: int

    def describe(self) -> str:
        return f"validity reads: {self.submitted} submitted of {self.assigned}"


def validity_reads(cycle: Cycle) -> ValidityReads:
    """The cycle's validity essays, and their reads assigned and submitted; one query."""
    essays, assigned, submitted = db.session.execute(
        db.select(
            func.count(func.distinct(Item.id)),
            func.count(Assignment.id),
            func.count(Read.id).filter(Read.status == ReadStatus.SUBMITTED),
        )
        .select_from(Item)
        .outerjoin(Assignment, Assignment.item_pk == Item.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .where(Item.cycle_id == cycle.id, Item.validity.is_(True))
    ).one()
    return ValidityReads(assigned=assigned, submitted=submitted, essays=essays)


# --- each applicant with the suggested decision ---------------------------------------------------


@dataclass(frozen=True)
class ItemSummary:
    item_pk: int
    item_id: str
    state: str
    result: str | None  # only once the item is agreed, resolved or decided


@dataclass
class ApplicantRow:
    """An applicant's application, its items' results, the suggestion they add up to and the decision."""

    application_id: int
    applicant_id: str
    name: str
    email: str | None
    organization: str | None
    category: str
    mc_score: float | None
    part1: str | None  # pass | fail | None (no score yet)
    portfolio: ItemSummary | None = None
    essays: list[ItemSummary] = field(default_factory=list)
    essay_result: str | None = None
    suggested: str | None = None
    decision: dict[str, Any] | None = None  # decision_snapshot
    pass_mark: float | None = None  # the category's Part 1 pass mark
    requirements_met: LineCount | None = None

    @property
    def portfolio_result(self) -> str | None:
        return self.portfolio.result if self.portfolio else None

    @property
    def ready_to_decide(self) -> bool:
        """Every part is known, so the product suggests a decision, and the committee has not recorded one."""
        return not self.decision and self.suggested is not None


def decision_snapshot(decision: Decision | None, decided_by: User | None = None) -> dict[str, Any] | None:
    """What is decided, as plain data; ``decided_by`` saves a query when the caller already has the person."""
    if decision is None:
        return None
    if decided_by is None:
        decided_by = decision.decided_by
    return {
        "decision": decision.decision.value,
        "label": DECISION_LABELS[decision.decision],
        "rationale": decision.rationale,
        "version": decision.version,
        "decided_at": decision.decided_at,
        "decided_by": decided_by.name if decided_by else None,
        "decided_by_email": decided_by.email if decided_by else None,
    }


@dataclass(frozen=True)
class DecisionCounts:
    """How far the committee is with a cycle's applications."""

    applications: int
    decided: int  # the committee recorded a decision
    ready: int  # every part is known, so the product suggests one, and none is recorded yet


def decision_counts(cycle: Cycle) -> DecisionCounts:
    """The cycle's applications decided and ready to decide, from the same rows as the committee's
    applications page and the workbook's Decisions sheet."""
    applications = decided = ready = 0
    for row in applicant_rows(cycle):
        applications += 1
        if row.decision:
            decided += 1
        elif row.ready_to_decide:
            ready += 1
    return DecisionCounts(applications, decided, ready)


def applicant_rows(
    cycle: Cycle,
    *,
    viewer: User | None = None,
    by_applicant_id: bool = False,
    pass_mark: float | None = None,
    chunk_rows: int = 2000,
    lines: Mapping[int, ApplicationLines] | None = None,
) -> Iterator[ApplicantRow]:
    """Every applicant of the cycle with an application (those hidden from ``viewer`` left out; without a
    viewer, every one: the workbook and the command line): Part 1 against its category's pass mark (or
    ``pass_mark``), the portfolio and essays with their results (counted once final), the requirement lines
    met, the suggestion and the committee's decision. ``lines`` are the cycle's requirement lines when the
    caller has them already (``cycle_lines``).

    One query, streamed a chunk at a time, so only one applicant's rows are in
    memory. Applicants and their essays come in the order they were stored (the
    database streams that straight from its indexes), or as people read them:
    applicants by applicant id, essays by item id (``by_applicant_id``).
    """
    lines = cycle_lines(cycle) if lines is None else lines
    decided_by = db.aliased(User)
    statement = (
        db.select(
            Applicant.id,
            Applicant.applicant_id,
            Applicant.name,
            Applicant.email,
            Applicant.organization,
            Application.id,
            Application.category,
            Application.mc_score,
            Decision,
            decided_by,
            Item.id,
            Item.item_id,
            Item.kind,
            Item.state,
            ItemOutcome.result,
        )
        .join(Application, Application.applicant_pk == Applicant.id)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .outerjoin(decided_by, Decision.decided_by_id == decided_by.id)
        # An applicant belongs to one cycle, so its items are that cycle's; joining on the applicant alone
        # also keeps SQLite on the applicant index instead of scanning the cycle's items per applicant.
        .outerjoin(Item, Item.applicant_pk == Applicant.id)
        .outerjoin(ItemOutcome, ItemOutcome.item_pk == Item.id)
        .where(Applicant.cycle_id == cycle.id)
        .order_by(
            *((Applicant.applicant_id, Applicant.id, Item.item_id) if by_applicant_id else (Applicant.id, Item.id))
        )
    )
    params: dict[str, Any] = {}
    if viewer is not None:
        statement, params = statement.where(applicant_visible(viewer.role, Applicant.id)), viewer_params(viewer)
    rows = db.session.execute(statement.execution_options(yield_per=chunk_rows), params)
    for applicant_pk, group in groupby(rows, key=itemgetter(0)):
        items = list(group)
        (_, applicant_id, name, email, organization, application_id, category, mc_score, decision, decider, *_) = items[
            0
        ]
        mark = float(pass_mark) if pass_mark is not None else part1_pass_mark(category)
        met = lines[applicant_pk].met if applicant_pk in lines else None
        row = ApplicantRow(
            application_id,
            applicant_id,
            name,
            email,
            organization,
            category,
            mc_score,
            None if mc_score is None else (engine.PASS if mc_score >= mark else engine.FAIL),
            decision=decision_snapshot(decision, decider),
            pass_mark=mark,
            requirements_met=met,
        )
        for *_, item_pk, item_id, kind, state, result in items:
            if item_pk is None:
                continue
            summary = ItemSummary(item_pk, item_id, state.value, result if state in states.FINAL_STATES else None)
            if kind == ItemKind.APPLICATION:
                row.portfolio = summary
            else:
                row.essays.append(summary)
        essay_results = [essay.result for essay in row.essays]
        row.essay_result = engine.essay_part_result(essay_results)
        row.suggested = engine.suggest_decision(
            row.portfolio_result, mc_score, essay_results, mark, met is None or met.all_met
        )
        yield row


# --- agreement of reads 1 and 2, and the score distribution ---------------------------------------


@dataclass(frozen=True)
class DomainFigures:
    key: str
    name: str
    distribution: dict[int, int]  # scale level → submitted scores at that level
    pairs: int  # items with reads 1 and 2 both scored on this domain
    exact: float | None  # share of those pairs with the same score
    adjacent: float | None  # share within one point


@dataclass(frozen=True)
class RubricFigures:
    key: str
    title: str
    scale: tuple[int, ...]
    labels: dict[int, str]
    domains: list[DomainFigures]


def cycle_figures(cycle: Cycle, viewer: User | None = None) -> list[RubricFigures]:
    """Per rubric of the cycle: the score distribution per domain, and agreement of reads 1 and 2 per domain,
    over the live items (validity essays left out); without the applicants hidden from ``viewer`` when one is
    given (a committee member's recusals).

    Reads 1 and 2 are an item's first two submitted reads in submission order,
    as in the workbook's Agreement sheet. Two grouped queries: the database
    counts, so neither the rows sent nor the Python work grow with the cycle.
    """
    # Live items only: a validity essay's reads are measured against its expert scores (app/calibration/).
    submitted: tuple[ColumnElement[bool], ...] = (
        Item.cycle_id == cycle.id,
        Read.status == ReadStatus.SUBMITTED,
        Item.validity.is_(False),
    )
    params: dict[str, Any] = {}
    if viewer is not None:
        submitted, params = (*submitted, applicant_visible(viewer.role, Item.applicant_pk)), viewer_params(viewer)
    distributions: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)
    for rubric_key, domain_key, score, count in db.session.execute(
        db.select(Item.rubric_key, Score.domain_key, Score.score, func.count())
        .select_from(Score)
        .join(Read, Score.read_id == Read.id)
        .join(Assignment, Read.assignment_id == Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .where(*submitted, Score.score.is_not(None))
        .group_by(Item.rubric_key, Score.domain_key, Score.score),
        params,
    ):
        distributions[rubric_key][(domain_key, score)] = count

    # An item's submitted reads numbered in submission order: reads 1 and 2 are its first two, scored or not.
    ranked = (
        db.select(
            Read.id.label("read_id"),
            Assignment.item_pk,
            Item.rubric_key,
            func.row_number().over(partition_by=Assignment.item_pk, order_by=Read.submission_order()).label("position"),
        )
        .join(Assignment, Read.assignment_id == Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .where(*submitted)
        .subquery()
    )
    # Per item and domain, the scores of reads 1 and 2 side by side (one pass over the ranked reads' scores).
    first, second = (func.max(case((ranked.c.position == position, Score.score))) for position in (1, 2))
    pairs = (
        db.select(ranked.c.rubric_key, Score.domain_key, first.label("first"), second.label("second"))
        .select_from(ranked)
        .join(Score, Score.read_id == ranked.c.read_id)
        .where(ranked.c.position <= 2, Score.score.is_not(None))
        .group_by(ranked.c.item_pk, ranked.c.rubric_key, Score.domain_key)
        .subquery()
    )
    agreements: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for rubric_key, domain_key, count, exact, adjacent in db.session.execute(
        db.select(
            pairs.c.rubric_key,
            pairs.c.domain_key,
            func.count(),
            func.sum(case((pairs.c.first == pairs.c.second, 1), else_=0)),
            func.sum(case((func.abs(pairs.c.first - pairs.c.second) <= 1, 1), else_=0)),
        )
        .where(pairs.c.first.is_not(None), pairs.c.second.is_not(None))
        .group_by(pairs.c.rubric_key, pairs.c.domain_key),
        params,
    ):
        agreements[rubric_key][domain_key] = (count, exact, adjacent)

    figures = []
    for rubric_key in sorted(distributions):
        try:
            rubric = get_rubric(rubric_key)
        except KeyError:
            continue  # a rubric no longer loaded has nothing to draw against
        figures.append(rubric_figures(rubric, distributions[rubric_key], agreements[rubric_key]))
    return figures


def rubric_figures(
    rubric: Rubric, distribution: Mapping[tuple[str, int], int], agreement: Mapping[str, tuple[int, int, int]]
) -> RubricFigures:
    """Figures for one rubric from counts: submitted scores per (domain, level), and per domain the pairs of
    reads 1 and 2 with how many of them are equal and how many within one point."""
    domains = []
    for domain in rubric.domains:
        pairs, exact, adjacent = agreement.get(domain.key, (0, 0, 0))
        domains.append(
            DomainFigures(
                domain.key,
                domain.name,
                {level: distribution.get((domain.key, level), 0) for level in rubric.scale},
                pairs,
                exact / pairs if pairs else None,
                adjacent / pairs if pairs else None,
            )
        )
    return RubricFigures(rubric.key, rubric.title, rubric.scale, dict(rubric.labels), domains)


# --- calibration: each reviewer against the expert scores and the co-readers ---------------------


@dataclass(frozen=True)
class ReviewerCalibration:
    """One reviewer's calibration (docs/calibration.md): against the experts on validity essays, against the
    co-readers on live items, and both over windows of their reads in submission order."""

    user_id: int
    email: str
    name: str
    expert: calibration.Figures
    flags: tuple[str, ...]
    expert_drift: tuple[calibration.Window, ...]
    co_readers: calibration.Figures
    co_reader_drift: tuple[calibration.Window, ...]

    @property
    def drift_flags(self) -> str | None:
        return calibration.drift_words(self.expert_drift)


def cycle_thresholds(cycle: Cycle) -> calibration.Thresholds:
    return calibration.Thresholds(
        cycle.flag_min_adjacent, cycle.flag_max_mean_difference, cycle.flag_min_kappa, cycle.drift_window
    )


def calibration_rows(cycle: Cycle, *, live: bool = True) -> list[ReviewerCalibration]:
    """Every reviewer with a submitted read in the cycle, by e-mail: the dashboard's and the board's table. Two
    queries (validity reads with their expert scores, live reads' scores); reads are taken in submission order
    (submitted at, then read id). Without ``live`` (the Calibration sheet), only reviewers with a validity read
    and no co-reader figures: one query over the validity reads."""
    thresholds = cycle_thresholds(cycle)
    people: dict[int, tuple[str, str]] = {}
    expert: dict[int, list[calibration.ScoredRead]] = defaultdict(list)
    submitted = (Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED)
    rows = db.session.execute(
        db.select(
            Assignment.reviewer_id, User.email, User.name, Read.id, Item.rubric_key, Score.score, ReferenceScore.score
        )
        .join(Read, Read.assignment_id == Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .join(User, Assignment.reviewer_id == User.id)
        .outerjoin(Score, Score.read_id == Read.id)
        .outerjoin(
            ReferenceScore, (ReferenceScore.item_pk == Item.id) & (ReferenceScore.domain_key == Score.domain_key)
        )
        .where(*submitted, Item.validity.is_(True))
        .order_by(Assignment.reviewer_id, Read.submitted_at, Read.id, Score.id)
    )
    for (reviewer_id, email, name, _, rubric_key), read_rows in groupby(rows, key=itemgetter(0, 1, 2, 3, 4)):
        people[reviewer_id] = (email, name)
        expert[reviewer_id].append(
            calibration.ScoredRead(
                rubric_key,
                _scale(rubric_key),
                tuple((own, float(other)) for *_, own, other in read_rows if own is not None and other is not None),
            )
        )
    co_readers = _co_reader_reads(cycle, people) if live else {}
    result = []
    for reviewer_id, (email, name) in sorted(people.items(), key=lambda entry: entry[1][0]):
        figures = calibration.against_expert(expert[reviewer_id])
        co_read = co_readers.get(reviewer_id, [])
        result.append(
            ReviewerCalibration(
                reviewer_id,
                email,
                name,
                figures,
                calibration.expert_flags(figures, thresholds),
                calibration.drift(expert[reviewer_id], thresholds),
                calibration.against_co_readers(co_read),
                calibration.drift(co_read, thresholds, expert=False),
            )
        )
    return result


# --- severity: each score against the co-readers' mean ---------------------------------------------


def co_reader_pairs(reads: Sequence[Mapping[str, int | None]]) -> list[list[tuple[str, int, float]]]:
    """One live item's submitted reads, each domain → score (round-2 reads among them: they are co-reads): per
    read, in the order given, (domain, score, the mean of the other reads' scores in that domain) for each domain
    it scored that another read scored too.

    A reviewer's severity (SPEC §12) is the mean of score − that mean over all their pairs. The workbook's
    ``Reviewers`` sheet (summed as the Scores sheet streams) and the dashboard's and board's figures against the
    co-readers (``calibration_rows``) both pair the scores here, so they cannot differ (docs/calibration.md).
    """
    totals: dict[str, list[int]] = {}
    for scores in reads:
        for domain, score in scores.items():
            if score is not None:
                total = totals.setdefault(domain, [0, 0])
                total[0] += score
                total[1] += 1
    return [
        [
            (domain, score, (totals[domain][0] - score) / (totals[domain][1] - 1))
            for domain, score in scores.items()
            if score is not None and totals[domain][1] > 1
        ]
        for scores in reads
    ]


def co_reader_reads(
    items: Sequence[Sequence[tuple[int, int, dict[str, int]]]], rubric_of: Sequence[tuple[str, tuple[int, ...]]]
) -> dict[int, list[tuple[int, calibration.ScoredRead]]]:
    """Per reviewer, each of their live reads measured against the co-readers (``co_reader_pairs``), as
    (score, the co-readers' mean) pairs.

    ``items`` holds each item's submitted reads as (reviewer, read id, domain → score); ``rubric_of`` the
    item's rubric key and scale, in the same order. Returns reviewer → [(read id, read)], reads in item order.
    """
    found: dict[int, list[tuple[int, calibration.ScoredRead]]] = defaultdict(list)
    for reads, (rubric_key, scale) in zip(items, rubric_of, strict=True):
        if len(reads) < 2:
            continue
        paired = co_reader_pairs([scores for _, _, scores in reads])
        for (reviewer_id, read_id, _), pairs in zip(reads, paired, strict=True):
            if pairs:
                found[reviewer_id].append(
                    (read_id, calibration.ScoredRead(rubric_key, scale, tuple((own, other) for _, own, other in pairs)))
                )
    return found


def _co_reader_reads(cycle: Cycle, people: dict[int, tuple[str, str]]) -> dict[int, list[calibration.ScoredRead]]:
    """Reviewer → their live reads against the co-readers, in submission order; fills in ``people``."""
    rows = db.session.execute(
        db.select(
            Item.id,
            Item.rubric_key,
            Assignment.reviewer_id,
            User.email,
            User.name,
            Read.id,
            Read.submitted_at,
            Score.domain_key,
            Score.score,
        )
        .join(Read, Read.assignment_id == Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .join(User, Assignment.reviewer_id == User.id)
        .join(Score, Score.read_id == Read.id)
        .where(
            Item.cycle_id == cycle.id,
            Read.status == ReadStatus.SUBMITTED,
            Item.validity.is_(False),
            Score.score.is_not(None),
        )
        .order_by(Item.id, Read.id)
    )
    items, rubric_of, moments = [], [], {}
    for (_, rubric_key), item_rows in groupby(rows, key=itemgetter(0, 1)):
        reads = []
        for (reviewer_id, email, name, read_id, submitted_at), read_rows in groupby(
            item_rows, key=itemgetter(2, 3, 4, 5, 6)
        ):
            people.setdefault(reviewer_id, (email, name))
            moments[read_id] = (submitted_at is None, submitted_at, read_id)
            reads.append((reviewer_id, read_id, {row[7]: row[8] for row in read_rows}))
        items.append(reads)
        rubric_of.append((rubric_key, _scale(rubric_key)))
    found = co_reader_reads(items, rubric_of)
    return {
        reviewer_id: [read for read_id, read in sorted(reads, key=lambda entry: moments[entry[0]])]
        for reviewer_id, reads in found.items()
    }


def _scale(rubric_key: str) -> tuple[int, ...]:
    try:
        return get_rubric(rubric_key).scale
    except KeyError:
        return ()
