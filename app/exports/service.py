"""The cycle workbook (docs/workbook.md), streamed: each sheet's rows come from the database in chunks straight into
the workbook, so the export's memory stays flat however large the cycle.

Only two things outlive a sheet, both small: per rubric domain, the scores the agreement figures need as compact
integer arrays (two bytes a score), and per reviewer, the sums behind their mean and severity. The Scores sheet
gathers them while it streams every score, so the Agreement and Reviewers sheets written after it cost no second
pass over the scores.
"""

import heapq
import io
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import IO, TYPE_CHECKING

from flask import current_app
from sqlalchemy import func

from app.assignment.models import FURTHER_READ_SOURCES, Assignment, AssignmentDecline, AssignmentSource
from app.bulk import collector_paused
from app.committee.models import CommitteeResolution, Decision, DecisionValue
from app.cycles import states
from app.cycles.models import Applicant, Application, Cycle, Item, ItemKind
from app.exports.workbook import Block, Chart, Column, Sheet, Summary, write_workbook
from app.extensions import db
from app.people.models import User
from app.progress import NO_PROGRESS, Progress
from app.reconcile import engine
from app.reconcile.models import ItemOutcome
from app.reports import (
    DECISION_LABELS,
    STATE_LABELS,
    STATE_ORDER,
    applicant_rows,
    calibration_rows,
    co_reader_pairs,
    item_state_counts,
    reviewer_reads,
    validity_reads,
)
from app.requirements.service import ApplicationLines, cycle_lines
from app.rubrics.model import Rubric
from app.rubrics.registry import rubrics_of
from app.scoring.models import Read, ReadStatus, Score, submission_key
from app.timeutil import utcnow

if TYPE_CHECKING:
    import numpy as np

SHEET_ORDER = (
    "Decisions",
    "Items",
    "Scores",
    "Agreement",
    "Reviewers",
    "Assignments",
    "Requirements",
    "Calibration",
    "Summary",
)
# Below this many items an agreement figure says little; its row is shaded and says so (docs/workbook.md).
AGREEMENT_MIN_ITEMS = 10
# Words for the codes people read; the codes themselves stay where scripts read them (docs/workbook.md).
RESULT_WORDS = {engine.PASS: "Pass", engine.FAIL: "Fail"}
KIND_WORDS = {ItemKind.APPLICATION: "Application", ItemKind.ESSAY: "Essay"}
VALIDITY_WORD = "Validity"  # the Kind of a validity essay (docs/calibration.md)
READ_WORDS = {ReadStatus.DRAFT: "Draft", ReadStatus.SUBMITTED: "Submitted", None: "Assigned"}
# Rows fetched per round trip: big enough to keep the driver's overhead small, small enough to stay flat.
CHUNK_ROWS = 2000


class ExportError(ValueError):
    """The workbook cannot be written; the message names what is wrong."""


def export_cycle(cycle: Cycle, out: str | IO[bytes], *, progress: Progress = NO_PROGRESS) -> None:
    """Write the cycle's workbook to a path or a binary file object; ``progress`` counts the rows written."""
    rubrics = _cycle_rubrics(cycle)  # before any sheet, so an unknown rubric leaves nothing half-written
    figures = _ScoreFigures(rubrics)
    # Sheets are written in this order, each streaming its rows as it is written; Scores fills ``figures``.
    # A new sheet is one more entry here (and in SHEET_ORDER); the Summary stays last, and the workbook opens on it.
    # The rows and cells are short-lived and hold no reference cycles; with a command's whole app in memory, the
    # full collections their allocation set off cost more than writing them (app/bulk.py).
    with collector_paused():
        progress.start("Reading requirement lines")
        lines = cycle_lines(cycle)
        progress.start(f"Writing the workbook of {cycle.name}", _row_count(cycle, lines))
        try:
            write_workbook(
                [
                    _counted(_decisions_sheet(cycle, lines), progress),
                    _counted(_items_sheet(cycle, rubrics), progress),
                    _counted(_scores_sheet(cycle, rubrics, figures), progress),
                    _agreement_sheet(cycle, rubrics, figures),
                    _reviewers_sheet(cycle, figures),
                    _counted(_assignments_sheet(cycle), progress),
                    _counted(_requirements_sheet(lines), progress),
                    _calibration_sheet(cycle),
                    _summary(cycle, rubrics),
                ],
                out,
                footer=cycle.name,
            )
        finally:
            progress.finish()


def export_cycle_bytes(cycle: Cycle, *, progress: Progress = NO_PROGRESS) -> bytes:
    """The cycle's workbook as bytes, e.g. for a download."""
    buffer = io.BytesIO()
    export_cycle(cycle, buffer, progress=progress)
    return buffer.getvalue()


def _counted(sheet: Sheet, progress: Progress) -> Sheet:
    """The sheet with each row it streams counted as a step of ``progress``."""

    def rows() -> Iterator:
        for row in sheet.rows:
            yield row
            progress.advance()

    return replace(sheet, rows=rows())


def _row_count(cycle: Cycle, lines: dict[int, ApplicationLines]) -> int:
    """The rows of the sheets ``_counted`` counts: applications, items, scores, assignments (declined ones too) and
    requirement lines (the small Agreement and Reviewers sheets are not counted). Four counts."""
    in_cycle = Item.cycle_id == cycle.id
    items = db.session.scalar(db.select(func.count(Item.id)).where(in_cycle)) or 0
    scores = (
        db.session.scalar(
            db.select(func.count(Score.id))
            .join(Read, Score.read_id == Read.id)
            .join(Assignment, Read.assignment_id == Assignment.id)
            .join(Item, Assignment.item_pk == Item.id)
            .where(in_cycle, Read.status == ReadStatus.SUBMITTED)
        )
        or 0
    )
    assignments = sum(
        db.session.scalar(db.select(func.count(model.id)).join(Item, model.item_pk == Item.id).where(in_cycle)) or 0
        for model in (Assignment, AssignmentDecline)
    )
    return len(lines) + items + scores + assignments + sum(len(application.results) for application in lines.values())


def _stream(statement):
    """The statement's rows fetched a chunk at a time (a server-side cursor where the driver has one), on the
    session's connection: plain rows of columns, without the ORM's result machinery around each chunk."""
    return db.session.connection().execute(statement.execution_options(yield_per=CHUNK_ROWS))


def _cycle_rubrics(cycle: Cycle) -> dict[str, Rubric]:
    """The rubric of every item of the cycle; ExportError names the first item whose rubric is not loaded."""
    first_item_per_rubric = db.select(func.min(Item.id)).where(Item.cycle_id == cycle.id).group_by(Item.rubric_key)
    return rubrics_of(
        db.session.execute(
            db.select(Item.item_id, Item.rubric_key).where(Item.id.in_(first_item_per_rubric)).order_by(Item.id)
        ),
        ExportError,
    )


# --- each item's submitted reads, one item at a time ----------------------------------------------


@dataclass
class _Read:
    reviewer_id: int
    email: str
    submitted_at: datetime | None
    sort_key: tuple
    scores: list[tuple[str, int | None, str | None]] = field(default_factory=list)  # domain, score, comment


def _items_reads(cycle: Cycle, rubrics: dict[str, Rubric]) -> Iterator[tuple[str, str, bool, list[_Read]]]:
    """(item id, rubric key, validity, submitted reads) per item that has any, in item order.

    Reads come in submission order, each read's scores in its rubric's domain order (as reviewers see them),
    domains the rubric does not know last. Only one item's reads are in memory at a time.
    """
    rows = _stream(
        db.select(
            Item.id,
            Item.item_id,
            Item.rubric_key,
            Item.validity,
            Read.id,
            Read.number,
            Read.submitted_at,
            Assignment.reviewer_id,
            User.email,
            Score.domain_key,
            Score.score,
            Score.comment,
        )
        .join(Assignment, Read.assignment_id == Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .join(User, Assignment.reviewer_id == User.id)
        .outerjoin(Score, Score.read_id == Read.id)
        .where(Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED)
        .order_by(Item.id, Read.id, Score.id)
    )
    domain_order = {key: {domain: i for i, domain in enumerate(rubric.domain_keys)} for key, rubric in rubrics.items()}
    for (_, item_id, rubric_key, validity), item_rows in groupby(rows, key=itemgetter(0, 1, 2, 3)):
        order = domain_order[rubric_key]
        last = len(order)
        reads = []
        for read_id, read_rows in groupby(item_rows, key=itemgetter(4)):
            first = next(read_rows)
            _, _, _, _, _, number, submitted_at, reviewer_id, email, *score = first
            read = _Read(reviewer_id, email, submitted_at, submission_key(number, submitted_at, read_id))
            if score[0] is not None:  # a read without scores still counts as a read
                read.scores.append(tuple(score))
            read.scores.extend(row[9:] for row in read_rows)  # noqa: B031 (the rows after next(), once)
            read.scores.sort(key=lambda s: order.get(s[0], last))
            reads.append(read)
        reads.sort(key=lambda r: r.sort_key)
        yield item_id, rubric_key, bool(validity), reads


# --- figures over every score of the cycle, kept compact ------------------------------------------


class _DomainScores:
    """One rubric domain's scores over the cycle's items, as the agreement figures need them.

    ``values`` holds the scores of every item that two or more reads scored in this domain, item after item
    (``sizes`` says how many each); ``firsts`` and ``seconds`` pair reads 1 and 2 where both scored it.
    """

    def __init__(self) -> None:
        self.values, self.sizes = array("h"), array("h")
        self.firsts, self.seconds = array("h"), array("h")

    def add_item(self, domain: str, reads_scores: list[dict[str, int | None]]) -> None:
        values = [scores[domain] for scores in reads_scores if scores.get(domain) is not None]
        if len(values) < 2:
            return
        self.values.extend(values)
        self.sizes.append(len(values))
        first, second = reads_scores[0].get(domain), reads_scores[1].get(domain)
        if first is not None and second is not None:
            self.firsts.append(first)
            self.seconds.append(second)

    def figures(self, scale: tuple[int, ...]) -> list:
        """Items, exact, adjacent, kappa (reads 1 and 2), alpha ordinal and interval (all reads)."""
        # numpy and the statistics built on it load here, for the export, not with every command
        # (docs/development.md, "Start-up").
        import numpy as np

        from app.reconcile import stats

        if not self.sizes:
            return [0, None, None, None, None, None]
        firsts, seconds = np.asarray(self.firsts), np.asarray(self.seconds)
        return [
            len(self.sizes),
            stats.exact_agreement(firsts, seconds),
            stats.adjacent_agreement(firsts, seconds),
            stats.quadratic_weighted_kappa(firsts, seconds, scale) if firsts.size else None,
            stats.krippendorff_alpha(self._reliability_table(), "ordinal"),
            stats.krippendorff_alpha(self._reliability_table(), "interval"),
        ]

    def _reliability_table(self) -> "np.ndarray":
        """Reads × items, each item's scores down its column in submission order, NaN below."""
        import numpy as np

        sizes = np.asarray(self.sizes, dtype=np.intp)
        values = np.asarray(self.values, dtype=float)
        table = np.full((int(sizes.max()), sizes.size), np.nan)
        starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
        table[np.arange(values.size) - starts, np.repeat(np.arange(sizes.size), sizes)] = values
        return table


@dataclass
class _ReviewerSums:
    """A reviewer's running sums: the mean of every domain score they gave, and their severity, the mean of
    (their score − the co-readers' mean) over every item and domain they shared (negative: harsher)."""

    score_total: int = 0
    scores: int = 0
    difference_total: float = 0.0
    differences: int = 0

    @property
    def mean(self) -> float | None:
        return self.score_total / self.scores if self.scores else None

    @property
    def severity(self) -> float | None:
        return self.difference_total / self.differences if self.differences else None


class _ScoreFigures:
    """The Agreement and Reviewers figures, fed item by item while the Scores sheet streams every score."""

    def __init__(self, rubrics: dict[str, Rubric]) -> None:
        self.rubrics = rubrics
        self._domains = {
            (key, domain): _DomainScores() for key, rubric in rubrics.items() for domain in rubric.domain_keys
        }
        self._reviewers: dict[int, _ReviewerSums] = defaultdict(_ReviewerSums)
        self.complete = False

    def add_item(self, rubric_key: str, reads: list[_Read]) -> None:
        reads_scores = [{domain: score for domain, score, _ in read.scores} for read in reads]
        for domain in self.rubrics[rubric_key].domain_keys:
            self._domains[(rubric_key, domain)].add_item(domain, reads_scores)
        _add_reviewer_sums(self._reviewers, reads, reads_scores)

    def domain(self, rubric_key: str, domain: str) -> _DomainScores:
        self._require_complete()
        return self._domains[(rubric_key, domain)]

    def reviewer(self, reviewer_id: int) -> _ReviewerSums | None:
        self._require_complete()
        return self._reviewers.get(reviewer_id)

    def _require_complete(self) -> None:
        if not self.complete:  # a sheet order that read them too early would export empty figures
            raise RuntimeError("score figures read before the Scores sheet has streamed every score")


def _add_reviewer_sums(
    reviewers: dict[int, _ReviewerSums], reads: list[_Read], reads_scores: list[dict[str, int | None]]
) -> None:
    """One item's share: every score a reviewer gave, and how far it lies from the co-readers' mean, paired by
    ``reports.co_reader_pairs`` as the dashboard's and board's severity is (docs/calibration.md)."""
    for read, pairs in zip(reads, co_reader_pairs(reads_scores), strict=True):
        sums = reviewers[read.reviewer_id]
        for _, score, _ in read.scores:
            if score is not None:
                sums.score_total += score
                sums.scores += 1
        for _, score, others in pairs:
            sums.difference_total += score - others
            sums.differences += 1


def _discrepancy_counts(cycle: Cycle) -> Counter:
    """(rubric, domain) → how many of the cycle's items have that domain among their discrepant ones."""
    counts: Counter = Counter()
    for rubric_key, discrepant in _stream(
        db.select(Item.rubric_key, ItemOutcome.discrepant_domains)
        .join(ItemOutcome, ItemOutcome.item_pk == Item.id)
        .where(Item.cycle_id == cycle.id)
    ):
        counts.update((rubric_key, domain) for domain in set(discrepant or ()))
    return counts


# --- sheets ---------------------------------------------------------------------------------------


def _words(words: dict, code) -> str | None:
    return words.get(code, code) if code is not None else None


def _decisions_sheet(cycle: Cycle, lines: dict[int, ApplicationLines]) -> Sheet:
    columns = [
        Column("Applicant ID", 16),
        Column("Name", 28),
        Column("Category", 10),
        Column("Portfolio", 10),
        Column("MC score", 10, "number"),
        Column("Essay result", 10),
        Column("Suggested", 14),
        Column("Decision", 20),
        Column("Rationale", 50, wrap=True),
        Column("Decided by", 30),
        Column("Decided at", 24, "datetime"),
        Column("Email", 30),
        Column("Organization", 30),
        Column("Requirements met", 12),
    ]
    words = dict(DECISION_LABELS) | RESULT_WORDS

    def rows() -> Iterator[list]:
        for row in applicant_rows(cycle, chunk_rows=CHUNK_ROWS, lines=lines):
            decision = row.decision or {}
            yield [
                row.applicant_id,
                row.name,
                row.category,
                _words(words, row.portfolio_result),
                row.mc_score,
                _words(words, row.essay_result),
                _words(words, row.suggested),
                decision.get("label"),
                decision.get("rationale"),
                decision.get("decided_by_email"),
                decision.get("decided_at"),
                row.email,
                row.organization,
                str(row.requirements_met) if row.requirements_met else None,
            ]

    return Sheet("Decisions", columns, rows())


def _requirements_sheet(lines: dict[int, ApplicationLines]) -> Sheet:
    """One row per application and requirement line, with the codes scripts compare (docs/requirements.md)."""
    columns = [
        Column("Applicant ID", 16),
        Column("Name", 28),
        Column("Category", 10),
        Column("Requirement", 22),
        Column("Label", 50, wrap=True),
        Column("Figure", 10, "number"),
        Column("Minimum", 10, "number"),
        Column("Check", 10),
        Column("Evidence", 60, wrap=True),
        Column("Reviewer marks", 18),
        Column("Final", 10),
    ]
    return Sheet("Requirements", columns, (row for application in lines.values() for row in application.sheet_rows()))


def _calibration_sheet(cycle: Cycle) -> Sheet:
    """One row per reviewer with a submitted validity read: their scores against the expert scores, the flags
    on the cycle's thresholds, and the windows of their reads that trip one (docs/calibration.md)."""
    columns = [
        Column("Reviewer", 30),
        Column("Validity reads", 9, "number"),
        Column("Exact agreement", 12, "percent"),
        Column("Adjacent agreement", 12, "percent"),
        Column("Mean difference", 11, "decimal"),
        Column("Weighted kappa (quadratic)", 14, "ratio"),
        Column("Flag", 50, wrap=True),
        Column("Name", 26),
        Column("Scores compared", 10, "number"),
        Column("Adjacent by window", 30, wrap=True),
        Column("Drift", 50, wrap=True),
    ]

    def rows() -> Iterator[list]:
        for reviewer in calibration_rows(cycle, live=False):
            figures = reviewer.expert
            windows = ", ".join(
                f"{window.label}: {_share(window.figures.adjacent)}" for window in reviewer.expert_drift
            )
            yield [
                reviewer.email,
                figures.reads,
                figures.exact,
                figures.adjacent,
                figures.mean_difference,
                figures.kappa,
                "; ".join(reviewer.flags) or None,
                reviewer.name,
                figures.scores,
                windows or None,
                reviewer.drift_flags,
            ]

    return Sheet("Calibration", columns, rows())


def _share(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def _domain_columns(rubrics: dict[str, Rubric]) -> list[str]:
    """Every domain key of the cycle's rubrics, rubric by rubric, each once."""
    keys: dict[str, None] = {}
    for rubric_key in sorted(rubrics):
        keys.update(dict.fromkeys(rubrics[rubric_key].domain_keys))
    return list(keys)


def _items_sheet(cycle: Cycle, rubrics: dict[str, Rubric]) -> Sheet:
    domains = _domain_columns(rubrics)
    columns = (
        [
            Column("Item ID", 16),
            Column("Kind", 12),
            Column("Applicant ID", 16),
            Column("Rubric", 24),
            Column("Reads", 7, "number"),
            Column("State", 14),
        ]
        + [Column(key, max(12, len(key) + 2), "number") for key in domains]
        + [Column("Mean", 8, "decimal"), Column("Result", 8), Column("Rationale", 50, wrap=True)]
    )

    def rows() -> Iterator[list]:
        submitted_reads = (
            db.select(Assignment.item_pk, func.count(Read.id).label("reads"))
            .join(Read, Read.assignment_id == Assignment.id)
            .join(Item, Assignment.item_pk == Item.id)
            .where(Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED)
            .group_by(Assignment.item_pk)
            .subquery()
        )
        for (
            item_id,
            kind,
            validity,
            applicant_id,
            rubric_key,
            reads,
            state,
            combined,
            mean,
            result,
            rationale,
        ) in _stream(
            db.select(
                Item.item_id,
                Item.kind,
                Item.validity,
                Applicant.applicant_id,
                Item.rubric_key,
                func.coalesce(submitted_reads.c.reads, 0),
                Item.state,
                ItemOutcome.combined,
                ItemOutcome.mean,
                ItemOutcome.result,
                CommitteeResolution.rationale,
            )
            .outerjoin(Applicant, Item.applicant_pk == Applicant.id)
            .outerjoin(ItemOutcome, ItemOutcome.item_pk == Item.id)
            .outerjoin(CommitteeResolution, CommitteeResolution.item_pk == Item.id)
            .outerjoin(submitted_reads, submitted_reads.c.item_pk == Item.id)
            .where(Item.cycle_id == cycle.id)
            .order_by(Item.id)
        ):
            final = state in states.FINAL_STATES
            combined = (combined or {}) if final else {}
            yield (
                [
                    item_id,
                    VALIDITY_WORD if validity else KIND_WORDS[kind],
                    applicant_id,
                    rubrics[rubric_key].title,
                    reads,
                    STATE_LABELS[state],
                ]
                + [combined.get(key) for key in domains]
                + [mean if final else None, _words(RESULT_WORDS, result) if final else None, rationale]
            )

    return Sheet("Items", columns, rows())


def _scores_sheet(cycle: Cycle, rubrics: dict[str, Rubric], figures: _ScoreFigures) -> Sheet:
    columns = [
        Column("Item ID", 16),
        Column("Reviewer", 30),
        Column("Read", 6, "number"),
        Column("Domain", 26),
        Column("Score", 7, "number"),
        Column("Comment", 60, wrap=True),
        Column("Submitted at", 24, "datetime"),
    ]

    def rows() -> Iterator[list]:
        for item_id, rubric_key, validity, reads in _items_reads(cycle, rubrics):
            if not validity:  # agreement, mean score and severity are over live items (docs/workbook.md)
                figures.add_item(rubric_key, reads)
            for position, read in enumerate(reads, start=1):
                for domain, score, comment in read.scores:
                    yield [item_id, read.email, position, domain, score, comment, read.submitted_at]
        figures.complete = True

    return Sheet("Scores", columns, rows())


def _agreement_sheet(cycle: Cycle, rubrics: dict[str, Rubric], figures: _ScoreFigures) -> Sheet:
    columns = [
        Column("Rubric", 24),
        Column("Domain", 30),
        Column("Items", 8, "number"),
        Column("Exact agreement", 12, "percent"),
        Column("Adjacent agreement", 12, "percent"),
        Column("Weighted kappa (quadratic)", 14, "ratio"),
        Column("Krippendorff alpha (ordinal)", 14, "ratio"),
        Column("Krippendorff alpha (interval)", 14, "ratio"),
        Column("Discrepancies", 10, "number"),
        Column("Caution", 40, wrap=True),
    ]

    def rows() -> Iterator[list]:
        discrepancies = _discrepancy_counts(cycle)
        for rubric_key in sorted(rubrics):
            rubric = rubrics[rubric_key]
            for domain in rubric.domains:
                row = figures.domain(rubric_key, domain.key).figures(rubric.scale)
                items = row[0]
                if not items:  # no item with two reads yet: nothing to show
                    continue
                caution = (
                    f"Only {items} item{'s' if items > 1 else ''}: too few for a reliable figure "
                    f"(fewer than {AGREEMENT_MIN_ITEMS})"
                    if items < AGREEMENT_MIN_ITEMS
                    else None
                )
                yield [rubric.title, domain.name, *row, discrepancies[(rubric_key, domain.key)], caution]

    return Sheet("Agreement", columns, rows(), caution=lambda row: row[-1] is not None)


def _reviewers_sheet(cycle: Cycle, figures: _ScoreFigures) -> Sheet:
    """Everyone with an assignment in the cycle or a reviewer seat on it, by e-mail."""
    columns = [
        Column("Reviewer", 30),
        Column("Name", 26),
        Column("Assigned", 9, "number"),
        Column("Submitted", 9, "number"),
        Column("Pending", 9, "number"),
        Column("Mean score", 10, "decimal"),
        Column("Severity", 10, "decimal"),
    ]

    def rows() -> Iterator[list]:
        for reviewer in reviewer_reads(cycle):
            sums = figures.reviewer(reviewer.user_id)
            yield [
                reviewer.email,
                reviewer.name,
                reviewer.assigned,
                reviewer.submitted,
                reviewer.pending,
                sums.mean if sums else None,
                sums.severity if sums else None,
            ]

    return Sheet("Reviewers", columns, rows())


def _assignments_sheet(cycle: Cycle) -> Sheet:
    """One row per assignment, and one per declined assignment (Status "Declined", the reason under Declined),
    each item's rows together in the order they were assigned."""
    columns = [
        Column("Item ID", 16),
        Column("Reviewer", 30),
        Column("Status", 11),
        Column("Assigned at", 24, "datetime"),
        Column("Round", 7, "number"),
        Column("Overall comment", 50, wrap=True),
        Column("Declined", 40, wrap=True),
    ]

    def standing() -> Iterator[tuple]:
        for item_pk, item_id, email, status, assigned_at, source, comment in _stream(
            db.select(
                Item.id,
                Item.item_id,
                User.email,
                Read.status,
                Assignment.assigned_at,
                Assignment.source,
                Read.overall_comment,
            )
            .join(Item, Assignment.item_pk == Item.id)
            .join(User, Assignment.reviewer_id == User.id)
            .outerjoin(Read, Read.assignment_id == Assignment.id)
            .where(Item.cycle_id == cycle.id)
            .order_by(Item.id, Assignment.assigned_at, Assignment.id)
        ):
            yield (
                (item_pk, assigned_at),
                [item_id, email, READ_WORDS[status], assigned_at, _round(source), comment, None],
            )

    def declined() -> Iterator[tuple]:
        for item_pk, item_id, email, assigned_at, source, reason in _stream(
            db.select(
                Item.id,
                Item.item_id,
                User.email,
                AssignmentDecline.assigned_at,
                AssignmentDecline.source,
                AssignmentDecline.reason,
            )
            .join(Item, AssignmentDecline.item_pk == Item.id)
            .join(User, AssignmentDecline.reviewer_id == User.id)
            .where(Item.cycle_id == cycle.id)
            .order_by(Item.id, AssignmentDecline.assigned_at, AssignmentDecline.id)
        ):
            yield (item_pk, assigned_at), [item_id, email, "Declined", assigned_at, _round(source), None, reason]

    def rows() -> Iterator[list]:
        for _, row in heapq.merge(standing(), declined(), key=itemgetter(0)):
            yield row

    return Sheet("Assignments", columns, rows())


def _round(source: AssignmentSource) -> int:
    return 2 if source in FURTHER_READ_SOURCES else 1


# --- the summary ----------------------------------------------------------------------------------


def _summary(cycle: Cycle, rubrics: dict[str, Rubric]) -> Summary:
    """The cycle at a glance for a board report: items per state, applications per decision and category,
    reads submitted and pending, the pass marks, and when the workbook was written."""
    exported = utcnow()
    pass_mark = float(current_app.config["PART1_PASS_MARK"])
    due = f"; reads due {cycle.due:%Y-%m-%d}" if cycle.due else ""
    return Summary(
        title=f"{cycle.name}: review summary",
        lines=[
            f"Exported {exported:%Y-%m-%d %H:%M} UTC. Every time in this workbook is in UTC.",
            f"{cycle.readers} reads per item{due}.",
            f"Part 1 (multiple choice) pass mark: {pass_mark:g} %.",
            *_validity_line(cycle),
        ],
        blocks=[_states_block(cycle), _decisions_block(cycle), _reads_block(cycle), _pass_marks_block(rubrics)],
    )


def _validity_line(cycle: Cycle) -> list[str]:
    """With validity essays, a line counting them apart from the items per state (their reads are in the reads
    submitted and pending: work done)."""
    validity = validity_reads(cycle)
    if not validity.essays:
        return []
    essays = f"{validity.essays} validity essay{'s' if validity.essays != 1 else ''}"
    return [f"{essays}, not counted in the items per state: {validity.describe()}."]


def _states_block(cycle: Cycle) -> Block:
    counts = item_state_counts(cycle)  # validity essays apart: the Summary's lines count them (docs/workbook.md)
    rows = [[STATE_LABELS[state], counts[state]] for state in STATE_ORDER]
    return Block(
        f"Items per state ({sum(counts.values())} items)", ["State", "Items"], rows, Chart("bar", "Items per state")
    )


def _decisions_block(cycle: Cycle) -> Block:
    counts: dict[str, Counter] = defaultdict(Counter)
    for category, decision, n in db.session.execute(
        db.select(Application.category, Decision.decision, func.count(Application.id))
        .join(Applicant, Application.applicant_pk == Applicant.id)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Applicant.cycle_id == cycle.id)
        .group_by(Application.category, Decision.decision)
    ):
        counts[category][decision] += n
    decisions = [*DecisionValue, None]
    header = ["Category", *(DECISION_LABELS[value] for value in DecisionValue), "Not decided yet"]
    rows = [[category, *(counts[category][value] for value in decisions)] for category in sorted(counts)]
    return Block(
        "Applications per decision and category",
        header,
        rows,
        Chart("column", "Applications per category", stacked=True),
    )


def _reads_block(cycle: Cycle) -> Block:
    counts = Counter(
        dict(
            db.session.execute(
                db.select(Read.status, func.count(Assignment.id))
                .select_from(Assignment)
                .join(Item, Assignment.item_pk == Item.id)
                .outerjoin(Read, Read.assignment_id == Assignment.id)
                .where(Item.cycle_id == cycle.id)
                .group_by(Read.status)
            ).all()
        )
    )
    submitted, drafts, unstarted = counts[ReadStatus.SUBMITTED], counts[ReadStatus.DRAFT], counts[None]
    return Block(
        "Reads",
        ["Reads", "Count"],
        [["Submitted", submitted], ["Pending: started", drafts], ["Pending: not started", unstarted]],
        Chart("pie", f"Reads: {submitted} submitted, {drafts + unstarted} pending"),
    )


def _pass_marks_block(rubrics: dict[str, Rubric]) -> Block:
    """Each rubric's pass rule: the thresholds it sets (a blank is a threshold it does not set)."""
    rows = [
        [
            f"{rubric.title} (scale {rubric.scale_min}–{rubric.scale_max})",
            rubric.pass_rule.mean_min,
            rubric.pass_rule.domain_min,
            rubric.pass_rule.total_min,
        ]
        for rubric in sorted(rubrics.values(), key=lambda rubric: rubric.title)
    ]
    return Block(
        "Pass marks of the rubrics",
        ["Rubric", "Mean at least", "Each domain at least", "Total at least"],
        rows,
        formats=["decimal", "decimal", "decimal"],
    )


def export_filename(cycle_name: str, today: date | datetime) -> str:
    """``endorsement-<cycle-slug>-<YYYY-MM-DD>.xlsx``: ASCII letters, digits and hyphens only."""
    slug = re.sub(r"[^a-z0-9]+", "-", cycle_name.lower()).strip("-")[:60].strip("-") or "cycle"
    return f"endorsement-{slug}-{today.strftime('%Y-%m-%d')}.xlsx"
