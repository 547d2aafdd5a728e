"""The committee's writes: final domain scores for an item and the decision on an application, each with its
rationale, and the applications page they are taken on.

Writes are guarded by the row's ``version`` (SQLAlchemy ``version_id_col``):
the form carries the version the member saw, and saving over a newer one is
refused with ``StaleEdit`` instead of silently overwriting a colleague's work.
The caller commits.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import textlimits as limits
from app.assignment.service import withdraw_open_further_reads
from app.audit.service import record
from app.committee.errors import CommitteeInputError, StaleEdit
from app.committee.models import CommitteeResolution, Decision, DecisionValue
from app.cycles.models import Application, Cycle, Item, ItemState
from app.extensions import db
from app.people.models import User
from app.reconcile import engine
from app.reconcile.models import ItemOutcome
from app.reconcile.service import apply_verdict, submitted_reads
from app.reports import STATE_LABELS, ApplicantRow, ItemSummary, applicant_rows, decision_snapshot
from app.requirements.models import RequirementFinal
from app.rubrics.model import Rubric
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus
from app.timeutil import utcnow

# Final scores may fall between two levels, as a mean of two reads does (2.5).
SCORE_STEP = 0.5


def to_step(value: float | None) -> float | None:
    """A score rounded to the nearest step a final score may take (whole or half points)."""
    if value is None:
        return None
    stepped = round(value / SCORE_STEP) * SCORE_STEP
    return int(stepped) if stepped.is_integer() else stepped


def resolution_snapshot(resolution: CommitteeResolution | None) -> dict[str, Any] | None:
    """What is saved, as plain data for a page or a conflict message."""
    if resolution is None:
        return None
    return {
        "scores": dict(resolution.scores),
        "result": resolution.result,
        "rationale": resolution.rationale,
        "version": resolution.version,
        "decided_at": resolution.decided_at,
        "decided_by": resolution.decided_by.name if resolution.decided_by else None,
    }


def applications(cycle: Cycle, viewer: User) -> list[ApplicantRow]:
    """Per applicant the viewer may see: portfolio, Part 1 against the pass mark, essays, the suggestion and
    the decision, by applicant id; one query."""
    return list(applicant_rows(cycle, by_applicant_id=True, viewer=viewer))


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
            problems[domain.key] = (
                f"{domain.name}: {number:g} is outside the scale {rubric.scale_min}–{rubric.scale_max}"
            )
        elif (number / SCORE_STEP) != int(number / SCORE_STEP):
            problems[domain.key] = f"{domain.name}: use whole or half points (e.g. 2.5), not {number:g}"
        else:
            scores[domain.key] = int(number) if number.is_integer() else number
    if problems:
        raise CommitteeInputError(problems)
    return scores


LINE_PREFIX = "line_"


def parse_line_finals(rubric: Rubric, raw: Mapping[str, Any], required: Sequence[str]) -> dict[str, CheckStatus]:
    """The committee's final result per requirement line from form values (met, not_met, more_info): every
    line in ``required`` (those the reads dispute) must have one; other lines may. Problems are keyed by the
    form field (``line_<key>``)."""
    labels = {requirement.key: requirement.label for requirement in rubric.requirements}
    finals, problems = {}, {}
    for key, label in labels.items():
        text = str(raw.get(key) or "").strip()
        if not text:
            if key in required:
                problems[LINE_PREFIX + key] = f"{label}: the reads disagree; record the final result"
            continue
        try:
            finals[key] = CheckStatus(text)
        except ValueError:
            problems[LINE_PREFIX + key] = f"{label}: {text!r} is not met, not_met or more_info"
    if problems:
        raise CommitteeInputError(problems)
    return finals


def line_finals_of(application_id: int | None) -> dict[str, str]:
    """The committee's recorded final result per requirement line of an application."""
    if application_id is None:
        return {}
    return {
        key: status.value
        for key, status in db.session.execute(
            db.select(RequirementFinal.requirement_key, RequirementFinal.status).where(
                RequirementFinal.application_id == application_id
            )
        )
    }


def _store_line_finals(
    application_id: int, finals: Mapping[str, CheckStatus], rationale: str, actor_id: int | None
) -> dict[str, str]:
    """Write the committee's line finals (updating those recorded before); the finals as they were, for the
    audit."""
    stored = {
        row.requirement_key: row
        for row in db.session.scalars(
            db.select(RequirementFinal).where(RequirementFinal.application_id == application_id)
        )
    }
    before = {key: row.status.value for key, row in stored.items()}
    for key, status in finals.items():
        row = stored.get(key) or RequirementFinal(application_id=application_id, requirement_key=key)
        if key not in stored:
            db.session.add(row)
        row.status, row.rationale, row.decided_by_id, row.decided_at = status, rationale, actor_id, utcnow()
    return before


def _rationale(text: str | None) -> str:
    rationale = (limits.bounded(text, limits.RATIONALE, "rationale", CommitteeInputError.of) or "").strip()
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


@dataclass(frozen=True)
class ResultPreview:
    """What a set of final scores would make of an item, before it is saved: the result by the rubric's pass rule,
    the mean and total, and each threshold of the rule with whether the scores meet it."""

    result: str
    mean: float
    total: float
    thresholds: tuple[tuple[str, bool], ...]


def preview_resolution(item: Item, scores: Mapping[str, Any], lines: Mapping[str, Any] | None = None) -> ResultPreview:
    """The result ``resolve_item`` would record for these scores and line finals (the same parsing and rule);
    nothing is written. Refused like a save when a score is missing or off the scale."""
    rubric = get_rubric(item.rubric_key)
    final = parse_scores(rubric, scores)
    application_id = _application_id(item) if rubric.requirements else None
    results = line_results(item, rubric, application_id, parse_line_finals(rubric, lines or {}, ()))
    verdict = _committee_verdict(rubric, final, results)
    values = list(final.values())
    rule, lowest, total = rubric.pass_rule, min(values), sum(values)
    mean = total / len(values)
    thresholds = []
    if rule.domain_min is not None:
        thresholds.append((f"every domain at least {rule.domain_min:g} (lowest {lowest:g})", lowest >= rule.domain_min))
    if rule.mean_min is not None:
        thresholds.append((f"a mean of at least {rule.mean_min:g} (mean {mean:.2f})", mean >= rule.mean_min))
    if rule.total_min is not None:
        thresholds.append((f"a total of at least {rule.total_min:g} (total {total:g})", total >= rule.total_min))
    if rubric.requirements:
        met = sum(results.get(requirement.key) == CheckStatus.MET for requirement in rubric.requirements)
        lines_count = len(rubric.requirements)
        thresholds.append((f"every requirement line met ({met} of {lines_count})", met == lines_count))
    return ResultPreview(verdict.result or "", mean, total, tuple(thresholds))


def _committee_verdict(
    rubric: Rubric, final: Mapping[str, int | float], lines: Mapping[str, str | None]
) -> engine.Verdict:
    """Reconciliation's verdict on the committee's final scores and line results: how a decided item's result is
    computed."""
    committee = engine.CommitteeScores(dict(final), lines=lines)
    return engine.evaluate_item(rubric, engine.ReconcileFacts(reads=(), required_reads=0, committee=committee))


def line_results(
    item: Item, rubric: Rubric, application_id: int | None, finals: Mapping[str, CheckStatus]
) -> dict[str, str | None]:
    """Each requirement line's final result once the committee decides the item (SPEC: a portfolio passes only
    when every line's final result is met): ``finals`` (this save's), else a Final recorded before, else the
    mark the item's reads settle on (all alike, or more than half after a further read); a line with none of
    these is unmarked, so not met."""
    if not rubric.requirements:
        return {}
    reads = submitted_reads(item)
    settled = engine.majority_marks(rubric, reads)[0] if reads else {}
    return {**settled, **line_finals_of(application_id), **{key: status.value for key, status in finals.items()}}


def resolve_item(
    item: Item,
    scores: Mapping[str, Any],
    rationale: str | None,
    *,
    actor_id: int | None,
    expected_version: int | None,
    lines: Mapping[str, Any] | None = None,
    disputed_lines: Sequence[str] = (),
) -> CommitteeResolution:
    """Record the committee's final domain scores for an item (any item: the committee may override agreement).

    The result follows the rubric's pass rule on the final scores, exactly as
    reconciliation computes a decided item. The item becomes ``decided``; the
    resolution, the state change and the outcome are audited. A further read
    (third or extra) not yet submitted is withdrawn, audited with its draft:
    the item no longer needs it.
    ``expected_version`` is the version the member saw (None when nothing was saved yet).
    """
    rubric = get_rubric(item.rubric_key)
    application_id = _application_id(item) if rubric.requirements else None
    final, text = _with_rationale(
        lambda: _scores_and_lines(rubric, scores, lines or {}, disputed_lines, application_id), rationale
    )
    final, line_finals = final
    verdict = _committee_verdict(rubric, final, line_results(item, rubric, application_id, line_finals))
    resolution, before = _save_versioned(
        CommitteeResolution.item_pk,
        item.id,
        expected_version,
        resolution_snapshot,
        _resolution_audit,
        {"scores": final, "result": verdict.result, "rationale": text, "decided_by_id": actor_id},
    )

    after = _resolution_audit(resolution)
    if line_finals and application_id is not None:
        # The lines are saved with the scores, under the resolution's version: a stale form saved neither.
        lines_before = _store_line_finals(application_id, line_finals, text, actor_id)
        before = (before or {}) | {"lines": lines_before}
        after = (after or {}) | {"lines": lines_before | {key: status.value for key, status in line_finals.items()}}
    record(
        "committee.resolve",
        "committee_resolution",
        resolution.id,
        before=before,
        after=after,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
    )
    # The item's outcome and state follow the decision, exactly as reconciliation stores a decided item.
    apply_verdict(
        item, verdict, db.session.scalar(db.select(ItemOutcome).where(ItemOutcome.item_pk == item.id)), actor_id
    )
    withdraw_open_further_reads(item, actor_id=actor_id, note="the committee decided the item")
    db.session.flush()
    return resolution


def _scores_and_lines(
    rubric: Rubric,
    scores: Mapping[str, Any],
    lines: Mapping[str, Any],
    disputed_lines: Sequence[str],
    application_id: int | None,
):
    """The final scores and line finals, refused with the problems of both at once."""
    problems = {}
    final: dict[str, int | float] = {}
    line_finals: dict[str, CheckStatus] = {}
    try:
        final = parse_scores(rubric, scores)
    except CommitteeInputError as exc:
        problems.update(exc.problems)
    if application_id is not None:
        try:
            line_finals = parse_line_finals(rubric, lines, disputed_lines)
        except CommitteeInputError as exc:
            problems.update(exc.problems)
    if problems:
        raise CommitteeInputError(problems)
    return final, line_finals


def _application_id(item: Item) -> int | None:
    return db.session.scalar(db.select(Application.id).where(Application.applicant_pk == item.applicant_pk))


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
        current = db.session.scalar(db.select(model).where(key_column == key).execution_options(populate_existing=True))
        raise StaleEdit(current.version, snapshot(current)) from None
    return row, before


def _resolution_audit(resolution: CommitteeResolution | None) -> dict | None:
    if resolution is None:
        return None
    return {
        "scores": dict(resolution.scores),
        "result": resolution.result,
        "rationale": resolution.rationale,
        "version": resolution.version,
    }


# --- decisions on applications ---------------------------------------------------------------------


def _decision_audit(decision: Decision | None) -> dict | None:
    if decision is None:
        return None
    return {"decision": decision.decision.value, "rationale": decision.rationale, "version": decision.version}


def _decision_value(raw: str | None) -> DecisionValue:
    try:
        return DecisionValue((raw or "").strip())
    except ValueError:
        raise CommitteeInputError({"decision": "choose Endorse, Not endorsed or Revise and resubmit"}) from None


def record_decision(
    application: Application,
    decision: str | None,
    rationale: str | None,
    *,
    actor_id: int | None,
    expected_version: int | None,
    note: str | None = None,
) -> Decision:
    """Record the committee's decision on an application (endorse, not_endorsed, revise) with its rationale;
    ``note`` says where it came from when not from the page (an import's file)."""
    value, text = _with_rationale(lambda: _decision_value(decision), rationale)
    row, before = _save_versioned(
        Decision.application_id,
        application.id,
        expected_version,
        decision_snapshot,
        _decision_audit,
        {"decision": value, "rationale": text, "decided_by_id": actor_id},
    )
    applicant = application.applicant
    record(
        "decision.record",
        "decision",
        row.id,
        actor_id=actor_id,
        cycle_id=applicant.cycle_id,
        item_key=f"APP-{applicant.applicant_id}",
        before=before,
        after=_decision_audit(row),
        note=note,
    )
    db.session.flush()
    return row


# The applications page's views of a cycle's applications: every one, those without a decision, those ready.
APPLICATION_VIEWS = ("all", "undecided", "ready")


def applications_in_view(rows: list[ApplicantRow], view: str) -> list[ApplicantRow]:
    """The rows an applications page view shows (``APPLICATION_VIEWS``); an unknown view shows every row."""
    if view == "undecided":
        return [row for row in rows if not row.decision]
    if view == "ready":
        return [row for row in rows if row.ready_to_decide]
    return rows


def accept_suggestions(
    cycle: Cycle, viewer: User, application_ids: list[int], rationale: str | None, *, actor_id: int | None
) -> list[ApplicantRow]:
    """Record the suggested decision for each chosen application, with one rationale for all; all or none.

    Each is recorded and audited exactly as a decision entered on its own form
    (``record_decision``). Only applications the viewer may see, without a
    decision and with a suggestion, can be chosen; anything else refuses the
    whole set, naming the applicant. Returns the rows decided."""
    problems: dict[str, str] = {}
    try:
        text = _rationale(rationale)
    except CommitteeInputError as exc:
        problems.update(exc.problems)
    rows = {row.application_id: row for row in applications(cycle, viewer)}
    wanted = list(dict.fromkeys(application_ids))
    if not wanted:
        problems["accept"] = "choose at least one application whose suggestion the committee accepts"
    elif any(application_id not in rows for application_id in wanted):
        problems["accept"] = "an application chosen is not one of this page's"
    else:
        blocked = [
            f"{rows[pk].applicant_id} {'is decided already' if rows[pk].decision else 'has no suggestion yet'}"
            for pk in wanted
            if not rows[pk].ready_to_decide
        ]
        if blocked:
            problems["accept"] = "; ".join(blocked)
    if problems:
        raise CommitteeInputError(problems)
    chosen = [rows[pk] for pk in wanted]
    found = {
        application.id: application
        for application in db.session.scalars(
            db.select(Application).where(Application.id.in_(wanted)).options(db.selectinload(Application.applicant))
        )
    }
    for row in chosen:
        record_decision(
            found[row.application_id],
            row.suggested,
            text,
            actor_id=actor_id,
            expected_version=None,
            note="suggestion accepted with others",
        )
    return chosen


def unknown_parts(row: ApplicantRow) -> list[str]:
    """What is not known yet about an application while the product cannot suggest a decision on it, in words
    (e.g. "Part 2 essay E-1 (discrepant) not final"); empty once it can.

    A suggestion needs every part known, or an exam part failed, which decides
    *not endorsed* whatever else (``engine.suggest_decision``). A decision
    recorded in bulk is refused while this is not empty (docs/imports.md,
    "Decisions"): the committee page shows the same gaps as "no suggestion".
    """
    if row.suggested is not None:
        return []

    def state(item: ItemSummary) -> str:
        return STATE_LABELS[ItemState(item.state)].lower()

    gaps = []
    if row.portfolio is None:
        gaps.append("the portfolio has no review item")
    elif row.portfolio.result is None:
        # Worded as the essays are: "the portfolio (APP-1) is committee" read as if the state were a place.
        gaps.append(f"the portfolio {row.portfolio.item_id} ({state(row.portfolio)}) not final")
    if row.mc_score is None:
        gaps.append("Part 1 has no multiple-choice score")
    if not row.essays:
        gaps.append("Part 2 has no essays")
    open_essays = [f"{essay.item_id} ({state(essay)})" for essay in row.essays if essay.result is None]
    if open_essays:
        gaps.append(f"Part 2 essay{'s' if len(open_essays) > 1 else ''} {', '.join(open_essays)} not final")
    return gaps
