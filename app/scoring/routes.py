"""Reviewer pages: the queue, the scoring page and its autosave endpoints, submit."""

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import assignment_or_404
from app.assignment import service as assignment_service
from app.assignment.models import Assignment
from app.database import retry_once_if_cut
from app.extensions import db
from app.people.access import role_required
from app.people.models import Role
from app.requirements import service as requirements
from app.rubrics.registry import indicator_text
from app.scoring import service
from app.scoring.models import CheckStatus, Read, ReadStatus
from app.scoring.saves import SaveOutcome

bp = Blueprint("scoring", __name__, url_prefix="/reviews", template_folder="templates")

ALL_ROLES = tuple(Role)
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}  # autosave refusals, shown by scoring.js as text
# Autosave answers name what became of the save, and the field's version for the window's next save.
SAVE_OUTCOME, SAVE_VERSION = "X-Save-Outcome", "X-Save-Version"
CHANGED_ELSEWHERE = (
    "This field was changed in another window. Your text is kept here: save yours over it, or load the other version."
)
SUPERSEDED = "A newer change from this window is already saved."


@bp.get("/")
@role_required(Role.REVIEWER)
def queue() -> str:
    """The signed-in reviewer's items, grouped by cycle."""
    return render_template("scoring/queue.html", groups=service.queue_for(current_user))


@bp.get("/<int:assignment_id>")
@role_required(*ALL_ROLES)
def score_page(assignment_id: int) -> str:
    """The response beside the rubric; editable for the assigned reviewer while the read is a draft."""
    assignment = assignment_or_404(assignment_id)
    return _render_page(assignment)


@bp.post("/<int:assignment_id>/domains/<domain_key>")
@role_required(Role.REVIEWER)
def save_domain(assignment_id: int, domain_key: str) -> Response | str | tuple[str, int]:
    """Autosave one domain's score and comment."""
    return _autosave(
        assignment_id,
        lambda read, window: service.save_domain(
            read, domain_key, request.form.get("score"), request.form.get("comment"), window, actor_id=current_user.id
        ),
    )


@bp.post("/<int:assignment_id>/requirements/<requirement_key>")
@role_required(Role.REVIEWER)
def save_requirement(assignment_id: int, requirement_key: str) -> Response | str | tuple[str, int]:
    """Autosave one requirement line's mark and note."""
    return _autosave(
        assignment_id,
        lambda read, window: service.save_requirement(
            read,
            requirement_key,
            request.form.get("status"),
            request.form.get("note"),
            window,
            reason=request.form.get("reason"),
            actor_id=current_user.id,
        ),
    )


@bp.post("/<int:assignment_id>/overall")
@role_required(Role.REVIEWER)
def save_overall(assignment_id: int) -> Response | str | tuple[str, int]:
    """Autosave the overall comment."""
    return _autosave(
        assignment_id,
        lambda read, window: service.save_overall_comment(read, request.form.get("overall_comment"), window),
    )


@bp.post("/<int:assignment_id>/submit")
@role_required(Role.REVIEWER)
def submit(assignment_id: int) -> Response | str | tuple[str, int]:
    """Submit a complete read: it is locked and its outcome shown."""
    assignment = _own_assignment_or_404(assignment_id)
    read = service.open_read(assignment, actor_id=current_user.id)
    try:
        service.submit(read, actor_id=current_user.id)
    except service.ReadLocked as exc:
        db.session.rollback()
        return _render_page(assignment, problems=[service.SubmitProblem(str(exc))]), 409
    except service.IncompleteRead as exc:
        db.session.rollback()
        return _render_page(assignment, problems=exc.details), 422
    db.session.commit()
    flash(f"Item {assignment.item.item_id} submitted. Thank you — the read is now locked.", "success")
    return redirect(url_for("scoring.score_page", assignment_id=assignment.id), code=303)


@bp.get("/<int:assignment_id>/decline")
@role_required(Role.REVIEWER)
def decline_page(assignment_id: int) -> str:
    """The queue's way to decline: the item's id and what to write, one field and a button."""
    return _render_decline_page(_own_assignment_or_404(assignment_id))


def _render_decline_page(assignment: Assignment, problem: str | None = None, reason: str | None = None) -> str:
    read = service.find_read(assignment)
    return render_template(
        "scoring/decline.html",
        assignment=assignment,
        item=assignment.item,
        read=read,
        submitted=read is not None and read.status == ReadStatus.SUBMITTED,
        problem=problem,
        reason=reason,
    )


@bp.post("/<int:assignment_id>/decline")
@role_required(Role.REVIEWER)
def decline(assignment_id: int) -> Response | str | tuple[str, int]:
    """Decline an assignment that is not submitted, with a reason: the read is withdrawn (kept in the audit log)
    and the item goes back to assignment, never to this reviewer again."""
    assignment = _own_assignment_or_404(assignment_id)
    item_id = assignment.item.item_id
    submitted = (read := service.find_read(assignment)) is not None and read.status == ReadStatus.SUBMITTED
    try:
        assignment_service.decline(assignment, request.form.get("reason"), actor_id=current_user.id)
    except assignment_service.AssignmentError as exc:
        db.session.rollback()
        reason = exc.problems.get("reason")
        problem = f"Not declined: {reason}." if reason else str(exc)[:1].upper() + str(exc)[1:] + "."
        status = 409 if submitted else 422
        if request.form.get("page") == "decline":
            # Sent from the decline page: answered there, not on the scoring page with the form far below.
            return _render_decline_page(assignment, problem, request.form.get("reason")), status
        return _render_page(
            assignment,
            decline_problem=problem,
            decline_reason=request.form.get("reason"),
        ), status
    db.session.commit()
    flash(
        f"You declined {item_id}. The coordinator will give it to another reviewer; thank you for saying why.",
        "success",
    )
    return redirect(url_for("scoring.queue"), code=303)


@bp.post("/<int:assignment_id>/flag")
@role_required(Role.REVIEWER)
def flag(assignment_id: int) -> Response | tuple[str, int]:
    """Report a problem with the item to the coordinator."""
    assignment = _own_assignment_or_404(assignment_id)
    try:
        service.flag_item(assignment, request.form.get("note"), actor_id=current_user.id)
    except service.ScoringError as exc:
        db.session.rollback()
        return _render_page(
            assignment,
            flag_problem=f"Not sent — {exc}.",
            flag_note=request.form.get("note"),
        ), 422
    db.session.commit()
    flash(f"Thank you — the coordinator sees your report on item {assignment.item.item_id}.", "success")
    return redirect(url_for("scoring.score_page", assignment_id=assignment.id, _anchor="report"), code=303)


def _own_assignment_or_404(assignment_id: int) -> Assignment:
    """Only the assigned reviewer writes; anyone else gets the same 404 as a missing assignment."""
    assignment = assignment_or_404(assignment_id)
    if assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


def _autosave(
    assignment_id: int, save: Callable[[Read, service.WindowSave], service.SaveResult]
) -> Response | str | tuple[str | Response, int, dict[str, str]]:
    """Run one autosave on the reviewer's own open read. Only a save that is stored is answered "Saved";
    a conflict with another window, or a late save of this one, is a 409 that says which (``X-Save-Outcome``).

    A save whose database connection is cut (a PostgreSQL restart) is run once more on a fresh connection: it
    is idempotent, its window and sequence number make a second run of a save already committed store nothing
    (docs/security-hardening.md, "When the database goes away")."""
    return retry_once_if_cut(lambda: _autosave_once(assignment_id, save))


def _autosave_once(
    assignment_id: int, save: Callable[[Read, service.WindowSave], service.SaveResult]
) -> Response | str | tuple[str | Response, int, dict[str, str]]:
    read = service.open_read(_own_assignment_or_404(assignment_id), actor_id=current_user.id)
    try:
        window = service.window_save(request.form.get("tab"), request.form.get("seq"), request.form.get("base_version"))
        result = save(read, window)
    except service.ReadLocked as exc:
        db.session.rollback()
        return str(exc), 409, PLAIN_TEXT
    except service.ScoringError as exc:
        db.session.rollback()
        return str(exc), 422, PLAIN_TEXT  # the message quotes what was sent: never let it be parsed as HTML
    if result.outcome is SaveOutcome.CONFLICT:
        db.session.rollback()
        return (
            jsonify(message=CHANGED_ELSEWHERE, version=result.version, theirs=result.theirs, summary=result.summary),
            409,
            {SAVE_OUTCOME: "conflict"},
        )
    if result.outcome is SaveOutcome.SUPERSEDED:
        db.session.rollback()
        return jsonify(message=SUPERSEDED), 409, {SAVE_OUTCOME: "superseded"}
    db.session.commit()
    return (
        render_template("scoring/_save_status.html", progress=result.progress, oob=True),
        200,
        {SAVE_OUTCOME: "saved", SAVE_VERSION: str(result.version)},
    )


def _render_page(
    assignment: Assignment,
    problems: list[service.SubmitProblem] | None = None,
    *,
    decline_problem: str | None = None,
    decline_reason: str | None = None,
    flag_problem: str | None = None,
    flag_note: str | None = None,
) -> str:
    item = assignment.item
    rubric = service.rubric_of(item)
    own = assignment.reviewer_id == current_user.id
    records = service.page_records(assignment, with_flags=own)
    read, application = records.read, records.application
    locked = read is not None and read.status == ReadStatus.SUBMITTED
    content = service.read_content(read)
    review = requirements.review_of(application, rubric, item.cycle) if application else None
    lines = review.lines if review else {}
    # What the page shows as each line's mark: a draft's as submitting would record it; a submitted read's as kept.
    marks = {
        key: (content.checks.get(key) or line.prefill) if locked else service.current_mark(content, key, line.check)
        for key, line in lines.items()
    }
    return render_template(
        "scoring/score.html",
        assignment=assignment,
        item=item,
        cycle=item.cycle,
        rubric=rubric,
        read=read,
        application=application,
        content=content,
        progress=service.content_progress(content, rubric, review.prefilled if review else None),
        problems=problems or [],
        lines=lines,
        marks=marks,
        record_tables=review.tables if review else [],
        editable=not locked and own,
        outcome=service.outcome_of(read) if locked else None,
        indicators={d.key: indicator_text(rubric.key, d.key) for d in rubric.domains},
        window_id=service.new_window_id(),
        decline_problem=decline_problem,
        decline_reason=decline_reason,
        neighbours=service.neighbours(current_user, assignment) if own else None,
        reopening=service.last_reopening(read),
        flags=records.flags,
        flag_problem=flag_problem,
        flag_note=flag_note,
        check_labels=service.CHECK_LABELS,
        check_short=service.CHECK_SHORT,
        check_statuses=list(CheckStatus),
    )
