"""Reconciliation rules as pure functions: an item's submitted reads in, its state and combined scores out.

The rules follow the rubric's ``[pass]`` and ``[reconcile]`` tables (docs/spec-summary.md, "Scoring and
reconciliation"; the words in docs/domain.md). Nothing here touches the database or
changes a read: the service feeds plain data in and stores what comes out.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from statistics import median
from types import MappingProxyType
from typing import NamedTuple

from app.assignment.models import AssignmentSource
from app.committee.models import DecisionValue
from app.cycles.models import ItemState
from app.cycles.states import pre_review_state
from app.rubrics.model import Rubric
from app.scoring.models import CheckStatus

# The result of a read or an item under the rubric's pass rule.
PASS, FAIL = "pass", "fail"
# What a read without scores or requirement marks (every essay's marks) holds: one read-only mapping, shared.
EMPTY_MAPPING: Mapping = MappingProxyType({})


# The facts and verdicts are named tuples: a cycle's reconciliation builds one per read and per item, thousands at
# once, and a frozen dataclass costs about twice as much to build. Immutable all the same.


class ReadScores(NamedTuple):
    """One submitted read: domain scores, requirement marks, and whether reconciliation asked for it."""

    reviewer_id: int
    scores: Mapping[str, float]
    checks: Mapping[str, str | None] = EMPTY_MAPPING  # requirement key → a CheckStatus value
    adjudication: bool = False  # a third-reader or near-cut extra read, not one of the item's own reads
    overridden: frozenset[str] = frozenset()  # requirement lines whose mark overrides the product's check


class CommitteeScores(NamedTuple):
    """What the committee recorded for an item: final domain scores and, optionally, the result; for an
    application, each requirement line's final result (``committee.decisions.line_results``), which the result
    needs as much as the scores: a portfolio passes only when every line is met."""

    scores: Mapping[str, float]
    result: str | None = None
    lines: Mapping[str, str | None] = EMPTY_MAPPING  # requirement key → a CheckStatus value


class ReconcileFacts(NamedTuple):
    """Everything reconciliation needs to know about one item."""

    reads: Sequence[ReadScores]  # submitted reads in submission order
    required_reads: int  # reads per item in the cycle
    assignments: int = 0  # reviewers asked to read it
    started_reads: int = 0  # reads opened (draft or submitted)
    pending_adjudication: int = 0  # third/extra readers assigned who have not submitted yet
    committee: CommitteeScores | None = None
    validity: bool = False  # a validity essay: scored against expert scores, never reconciled


class Verdict(NamedTuple):
    """Reconciliation's conclusion for one item.

    ``combined`` is set only in a final state (agreed, resolved, decided).
    ``needs_reader`` asks the service for a further reader (a third reader on a
    discrepancy, an extra read near the cut); the state is then
    ``discrepant`` until one is assigned (adjudicating) or none is left (committee).
    """

    state: ItemState
    combined: dict[str, float] | None = None
    mean: float | None = None
    total: float | None = None
    result: str | None = None
    discrepant_domains: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    needs_reader: AssignmentSource | None = None


# An item short of its reads has nothing but its state; one verdict per state serves every such item.
_PRE_REVIEW = {state: Verdict(state) for state in ItemState}


# --- small rules -------------------------------------------------------------------------------


def domain_agrees(values: Sequence[float], tolerance: float) -> bool:
    """Reads agree on a domain when their scores differ by at most ``tolerance``."""
    return not values or max(values) - min(values) <= tolerance


def combine(values: Sequence[float], rule: str) -> float:
    """Combine one domain's scores by the rubric's rule: mean, sum or median (half points kept)."""
    if not values:
        raise ValueError("values: at least one score is needed")
    if rule == "mean":
        return sum(values) / len(values)
    if rule == "sum":
        return float(sum(values))
    if rule == "median":
        return float(median(values))
    raise ValueError(f"combine: unknown rule {rule!r} (mean, sum or median)")


def scale_level(combined: float, rule: str, count: int) -> float:
    """A combined score brought back to the rubric's scale, where the pass rule applies.

    A summed score (e.g. 4 + 3 = 7) is compared with the pass line per read (3.5).
    """
    return combined / count if rule == "sum" else combined


def passes(rubric: Rubric, scores: Mapping[str, float], checks: Mapping[str, str | None] | None = None) -> bool:
    """Pass by the rubric's ``[pass]`` rule; an application also needs every requirement line Met."""
    present = {key: scores[key] for key in rubric.domain_keys if key in scores}
    if not present or not rubric.pass_rule.met_by(present):
        return False
    if not rubric.requirements:  # an essay: nothing more to check
        return True
    marks = checks or {}
    return all(_mark(marks, req.key) == CheckStatus.MET for req in rubric.requirements)


def read_result(rubric: Rubric, read: ReadScores) -> str:
    """The outcome of a single read: ``pass`` or ``fail``."""
    return PASS if passes(rubric, read.scores, read.checks) else FAIL


def pass_line_mean(rubric: Rubric) -> float | None:
    """The pass line expressed as a mean per domain (``total_min`` is spread over the domains)."""
    rule = rubric.pass_rule
    if rule.mean_min is not None:
        return float(rule.mean_min)
    if rule.total_min is not None:
        return rule.total_min / len(rubric.domains)
    return None


def near_cut(rubric: Rubric, level_mean: float) -> bool:
    """Whether a combined mean lies within the rubric's ``near_cut_margin`` of the pass line.

    A margin of 0 switches the extra read off.
    """
    margin = rubric.reconcile.near_cut_margin
    line = pass_line_mean(rubric)
    return margin > 0 and line is not None and abs(level_mean - line) <= margin


def third_reader_values(originals: Sequence[float], third: float) -> list[float]:
    """The scores that settle one domain: the third score and the closer original, or the third alone on a tie."""
    closest = min(abs(value - third) for value in originals)
    at_closest = {value for value in originals if abs(value - third) == closest}
    if len(at_closest) > 1:
        return [third]
    return [third, at_closest.pop()]


def _mark(checks: Mapping[str, str | None], key: str) -> str:
    """A requirement mark; an unmarked line counts as more information needed."""
    return checks.get(key) or CheckStatus.MORE_INFO


# --- requirement checklist ---------------------------------------------------------------------


def agreed_marks(rubric: Rubric, reads: Sequence[ReadScores]) -> tuple[dict[str, str], list[str]]:
    """Requirement lines the reads mark alike, and the lines they mark differently.

    Requirement marks are facts about the portfolio (the hours are there or
    not), so they are never averaged: reviewers either agree on a line or the
    line is disputed.
    """
    agreed, disputed = {}, []
    for req in rubric.requirements:
        marks = {_mark(read.checks, req.key) for read in reads}
        if len(marks) == 1:
            agreed[req.key] = marks.pop()
        else:
            disputed.append(req.key)
    return agreed, disputed


def majority_marks(rubric: Rubric, reads: Sequence[ReadScores]) -> tuple[dict[str, str], list[str]]:
    """After a further read, each line takes the mark more than half the reads gave; otherwise it stays disputed."""
    settled, disputed = {}, []
    for req in rubric.requirements:
        ((mark, count),) = Counter(_mark(read.checks, req.key) for read in reads).most_common(1)
        if count * 2 > len(reads):
            settled[req.key] = mark
        else:
            disputed.append(req.key)
    return settled, disputed


# --- one item ----------------------------------------------------------------------------------

# The reason an outcome carries when its reads disagree on pass/fail (the board says so when no domain differs).
PASS_FAIL_REASON = "reads disagree on pass/fail"
REQUIREMENT_REASON = "requirement {key}: reviewers' marks differ"
NO_MAJORITY_REASON = "requirement {key}: no majority among the marks"
MORE_INFO_REASON = "requirement {key}: more information needed"
REQUIREMENT_PREFIX = "requirement "
LINE_SPLIT_ENDINGS = (REQUIREMENT_REASON.split("}", 1)[1], NO_MAJORITY_REASON.split("}", 1)[1])
MORE_INFO_ENDING = MORE_INFO_REASON.split("}", 1)[1]


def disagrees_on(reasons: Sequence[str]) -> tuple[bool, bool]:
    """Whether an outcome's reasons (as ``_Judgement.reasons`` and a third read's settling wrote them) hold a
    pass/fail split, and a requirement line marked differently (or with no majority after a third read).

    A line that every read marked "more information needed" is no disagreement: see ``needs_information``."""
    return PASS_FAIL_REASON in reasons, any(_line_reason_of(reason, LINE_SPLIT_ENDINGS) for reason in reasons)


def needs_information(reasons: Sequence[str]) -> bool:
    """Whether an outcome's reasons hold a requirement line the reads agree needs more information."""
    return any(_line_reason_of(reason, (MORE_INFO_ENDING,)) for reason in reasons)


def _line_reason_of(reason: str, endings: Sequence[str]) -> bool:
    return reason.startswith(REQUIREMENT_PREFIX) and reason.endswith(tuple(endings))


class _Judgement(NamedTuple):
    discrepant_domains: tuple[str, ...]
    pass_fail_split: bool
    disputed_lines: tuple[str, ...]
    agreed_lines: Mapping[str, str]  # the requirement lines the reads mark alike, with that mark

    @property
    def flagged(self) -> bool:
        return bool(self.discrepant_domains or self.pass_fail_split or self.disputed_lines)

    def reasons(self, rubric: Rubric) -> list[str]:
        reasons = [
            f"{key}: scores differ by more than {rubric.reconcile.tolerance:g}" for key in self.discrepant_domains
        ]
        if self.pass_fail_split:
            reasons.append(PASS_FAIL_REASON)
        reasons += [REQUIREMENT_REASON.format(key=key) for key in self.disputed_lines]
        return reasons


def judge(rubric: Rubric, reads: Sequence[ReadScores], values: Mapping[str, list[float]] | None = None) -> _Judgement:
    """Where the item's own reads disagree: domains beyond tolerance, pass/fail, requirement lines.

    ``values`` are the reads' ``domain_values`` when the caller has them already.
    """
    tolerance = rubric.reconcile.tolerance
    values = values or domain_values(rubric, reads)
    discrepant = tuple([key for key in rubric.domain_keys if not domain_agrees(values[key], tolerance)])
    results = {read_result(rubric, read) for read in reads}
    agreed, disputed = agreed_marks(rubric, reads)
    return _Judgement(discrepant, len(results) > 1, tuple(disputed), agreed)


def domain_values(rubric: Rubric, reads: Sequence[ReadScores]) -> dict[str, list[float]]:
    """Each domain's scores in the reads (a read that left a domain unscored adds nothing)."""
    score_maps = [read.scores for read in reads]
    values = {}
    for key in rubric.domain_keys:  # loops rather than a comprehension per domain: thousands of items per cycle
        found = []
        for scores in score_maps:
            score = scores.get(key)
            if score is not None:
                found.append(score)
        values[key] = found
    return values


def evaluate_item(rubric: Rubric, facts: ReconcileFacts) -> Verdict:
    """Decide an item's state from its reads.

    In domain words:
    - a committee resolution is final: the item is *decided* on the committee's scores;
    - until the cycle's number of reads is submitted the item is *unassigned*
      (fewer readers than the cycle asks for, none started), *assigned* (all its
      readers, none started) or *in review* (``states.pre_review_state``, the rule
      the assignment and scoring services follow too);
    - the reads *agree* when every domain is within the rubric's tolerance, they
      agree on pass/fail, and (applications) they mark every requirement line
      alike; the combined score per domain is the rubric's mean, sum or median;
    - agreed reads whose combined mean is within ``near_cut_margin`` of the pass
      line get one extra read, after which all reads are combined (*resolved*);
    - otherwise the item is *discrepant*: a third reader is asked for
      (*adjudicating* while one reads it), and the committee takes it when the
      rubric turns third readers off or nobody eligible is left;
    - the third read settles each discrepant domain (every domain when the reads
      only split on pass/fail) as the combination of the third score and the
      closer original score, or the third score alone on a tie, and each disputed
      requirement line by majority (*resolved*); when the third score is beyond
      tolerance of every original, or a line has no majority, the item goes to
      the *committee*;
    - an application whose reviewers agree that more information is needed on a
      requirement line goes to the committee, which can ask the applicant;
    - a validity essay is never reconciled: its state follows its readers alone, and
      it never gets a further reader (docs/calibration.md).
    """
    if facts.committee is not None and not facts.validity:
        return _decided(rubric, facts.committee)
    reads = facts.reads
    required = max(facts.required_reads, 1)
    originals = [read for read in reads if not read.adjudication]
    if len(originals) < required or facts.validity:
        return _PRE_REVIEW[
            pre_review_state(
                started_reads=max(facts.started_reads, len(reads)),
                assignments=facts.assignments,
                required_reads=required,
            )
        ]
    further = [read for read in reads if read.adjudication] if len(originals) < len(reads) else []
    values = domain_values(rubric, originals)
    judgement = judge(rubric, originals, values)
    if judgement.flagged:
        verdict = _adjudicate(rubric, facts, judgement, originals, further, values)
    else:
        verdict = _agree(rubric, facts, judgement.agreed_lines, originals, further, values)
    return _with_overrides(verdict, reads)


def _with_overrides(verdict: Verdict, reads: Sequence[ReadScores]) -> Verdict:
    """A settled item whose reads override the product's check of a requirement line goes to the committee,
    which sees each override and its reason."""
    if verdict.state not in (ItemState.AGREED, ItemState.RESOLVED):
        return verdict
    overridden = sorted({key for read in reads for key in read.overridden})
    if not overridden:
        return verdict
    return Verdict(
        ItemState.COMMITTEE,
        discrepant_domains=verdict.discrepant_domains,
        reasons=verdict.reasons
        + tuple(f"requirement {key}: a reviewer overrode the product's check" for key in overridden),
    )


def _agree(
    rubric: Rubric,
    facts: ReconcileFacts,
    marks: Mapping[str, str],
    originals: list[ReadScores],
    further: list[ReadScores],
    values: dict[str, list[float]],
) -> Verdict:
    """Reads that agree, their requirement ``marks`` alike (``agreed_marks``)."""
    combined = _combine(rubric, values)
    if combined is None:
        return _to_committee(rubric, [f"no scores for {', '.join(key for key in values if not values[key])}"])
    if CheckStatus.MORE_INFO in marks.values():
        return _to_committee(rubric, _more_info_reasons(marks))
    scores, levels = combined
    level_mean = sum(levels.values()) / len(levels)
    if not near_cut(rubric, level_mean):
        return _final(rubric, ItemState.AGREED, scores, levels, marks)
    reason = f"combined mean {level_mean:g} is within {rubric.reconcile.near_cut_margin:g} of the pass line"
    if further:
        every_read = originals + further
        settled, disputed = majority_marks(rubric, every_read)
        if disputed or CheckStatus.MORE_INFO in settled.values():
            return _to_committee(rubric, [reason] + _line_reasons(disputed) + _more_info_reasons(settled))
        scores, levels = _combine(rubric, domain_values(rubric, every_read))
        return _final(
            rubric, ItemState.RESOLVED, scores, levels, settled, reasons=(reason, "extra read combined with the others")
        )
    return _await_reader(facts, (), [reason], AssignmentSource.EXTRA_READ)


def _adjudicate(
    rubric: Rubric,
    facts: ReconcileFacts,
    judgement: _Judgement,
    originals: list[ReadScores],
    further: list[ReadScores],
    values: dict[str, list[float]],
) -> Verdict:
    reasons = judgement.reasons(rubric)
    flagged = judgement.discrepant_domains
    if not further:
        if not rubric.reconcile.third_reader and not facts.pending_adjudication:
            return _to_committee(rubric, reasons + ["the rubric assigns no third reader"], flagged)
        return _await_reader(facts, flagged, reasons, AssignmentSource.THIRD_READER)

    third = further[0]
    rule, tolerance = rubric.reconcile.combine, rubric.reconcile.tolerance
    to_settle = set(flagged) or (set(rubric.domain_keys) if judgement.pass_fail_split else set())
    scores, levels, still_open = {}, {}, []
    for key in rubric.domain_keys:
        own = values[key]
        if key in to_settle and third.scores.get(key) is not None:
            t = third.scores[key]
            if min(abs(value - t) for value in own) > tolerance:
                still_open.append(f"{key}: the third score {t:g} is beyond tolerance of every original")
                continue
            settling = third_reader_values(own, t)
        else:
            settling = own
        if not settling:
            still_open.append(f"{key}: no scores")
            continue
        scores[key] = combine(settling, rule)
        levels[key] = scale_level(scores[key], rule, len(settling))
    settled, disputed = majority_marks(rubric, originals + [third])
    still_open += _line_reasons(disputed) + _more_info_reasons(settled)
    if still_open:
        return _to_committee(rubric, reasons + still_open, flagged)
    return _final(
        rubric, ItemState.RESOLVED, scores, levels, settled, flagged, tuple(reasons) + ("settled by a third read",)
    )


def _combine(rubric: Rubric, values: Mapping[str, list[float]]) -> tuple[dict[str, float], dict[str, float]] | None:
    """Combined scores and their scale levels for every domain, or None when a domain has no score."""
    rule = rubric.reconcile.combine
    scores, levels = {}, {}
    for key, domain in values.items():
        if not domain:
            return None
        scores[key] = score = combine(domain, rule)
        levels[key] = scale_level(score, rule, len(domain))
    return scores, levels


def _line_reasons(disputed: Sequence[str]) -> list[str]:
    return [NO_MAJORITY_REASON.format(key=key) for key in disputed]


def _more_info_reasons(marks: Mapping[str, str]) -> list[str]:
    return [MORE_INFO_REASON.format(key=key) for key, mark in marks.items() if mark == CheckStatus.MORE_INFO]


def _final(
    rubric: Rubric,
    state: ItemState,
    scores: dict[str, float],
    levels: dict[str, float],
    marks: Mapping[str, str],
    discrepant: Sequence[str] = (),
    reasons: Sequence[str] = (),
) -> Verdict:
    result = PASS if passes(rubric, levels, marks) else FAIL
    total = sum(scores.values())
    return Verdict(
        state,
        combined=scores,
        mean=total / len(scores),
        total=total,
        result=result,
        discrepant_domains=tuple(discrepant),
        reasons=tuple(reasons),
    )


def _to_committee(rubric: Rubric, reasons: Sequence[str], discrepant: Sequence[str] = ()) -> Verdict:
    return Verdict(ItemState.COMMITTEE, discrepant_domains=tuple(discrepant), reasons=tuple(reasons))


def _await_reader(
    facts: ReconcileFacts, discrepant: Sequence[str], reasons: Sequence[str], kind: AssignmentSource
) -> Verdict:
    """Adjudicating while a further reader is on it; otherwise discrepant, asking for one."""
    if facts.pending_adjudication:
        return Verdict(ItemState.ADJUDICATING, discrepant_domains=tuple(discrepant), reasons=tuple(reasons))
    return Verdict(
        ItemState.DISCREPANT, discrepant_domains=tuple(discrepant), reasons=tuple(reasons), needs_reader=kind
    )


def _decided(rubric: Rubric, committee: CommitteeScores) -> Verdict:
    scores = {
        key: float(committee.scores[key])
        for key in rubric.domain_keys
        if isinstance(committee.scores.get(key), int | float)
    }
    if not scores:
        return Verdict(ItemState.DECIDED, result=committee.result, reasons=("decided by the committee",))
    result = committee.result or (PASS if passes(rubric, scores, committee.lines) else FAIL)
    total = sum(scores.values())
    return Verdict(
        ItemState.DECIDED,
        combined=scores,
        mean=total / len(scores),
        total=total,
        result=result,
        reasons=("decided by the committee",),
    )


def no_reader_left(verdict: Verdict) -> Verdict:
    """A discrepant item for which no eligible further reader exists goes to the committee."""
    return Verdict(
        ItemState.COMMITTEE,
        discrepant_domains=verdict.discrepant_domains,
        reasons=verdict.reasons + ("no eligible reader left",),
    )


def reader_assigned(verdict: Verdict) -> Verdict:
    """A discrepant item is adjudicating once a further reader is assigned."""
    return Verdict(ItemState.ADJUDICATING, discrepant_domains=verdict.discrepant_domains, reasons=verdict.reasons)


# --- an application's suggested decision --------------------------------------------------------


def essay_part_result(essay_results: Sequence[str | None]) -> str | None:
    """Part 2 passes when every essay response passes; fails as soon as one fails; else not known yet."""
    if FAIL in essay_results:
        return FAIL
    if not essay_results or None in essay_results:
        return None
    return PASS


def suggest_decision(
    portfolio_result: str | None,
    mc_score: float | None,
    essay_results: Sequence[str | None],
    pass_mark: float,
    requirements_met: bool = True,
) -> DecisionValue | None:
    """The decision the product suggests to the committee for one application.

    - *endorse* when the portfolio review passed, the Part 1 multiple-choice
      score is at least the pass mark, and every Part 2 essay response passed;
    - *not endorsed* as soon as either exam part is failed (the applicant must
      sit the exam again), whatever the portfolio;
    - *revise* when both exam parts passed but the portfolio did not, or a
      requirement line is not met (its final result, or while it has none
      the product's check): the applicant can revise and resubmit the portfolio;
    - no suggestion while any part is still unknown (no Part 1 score, an essay
      or the portfolio not yet reconciled, or no essays at all).
    """
    part1 = None if mc_score is None else (PASS if mc_score >= pass_mark else FAIL)
    part2 = essay_part_result(essay_results)
    if FAIL in (part1, part2):
        return DecisionValue.NOT_ENDORSED
    if None in (part1, part2, portfolio_result):
        return None
    return DecisionValue.ENDORSE if portfolio_result == PASS and requirements_met else DecisionValue.REVISE
