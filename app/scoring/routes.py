"""Reviewer pages: the queue, the scoring page and its autosave endpoints, submit."""
from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import assignment_or_404
from app.assignment.models import Assignment
from app.extensions import db
from app.people.access import role_required
from app.people.models import Role
from app.requirements import service as requirements
from app.rubrics.registry import indicator_text
from app.scoring import service
from app.scoring.models import CheckStatus, Read, ReadStatus

bp = Blueprint("scoring", __name__, url_prefix="/reviews", template_folder="templates")

ALL_ROLES = tuple(Role)
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}  # autosave refusals, shown by scoring.js as text


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
    return _render_page(assignment, service.find_read(assignment))


@bp.post("/<int:assignment_id>/domains/<domain_key>")
@role_required(Role.REVIEWER)
def save_domain(assignment_id: int, domain_key: str) -> Response | str | tuple[str, int]:
    """Autosave one domain's score and comment."""
    return _autosave(assignment_id, lambda read: service.save_domain(
        read, domain_key, request.form.get("score"), request.form.get("comment"), request.form.get("seq"),
        actor_id=current_user.id))


@bp.post("/<int:assignment_id>/requirements/<requirement_key>")
@role_required(Role.REVIEWER)
def save_requirement(assignment_id: int, requirement_key: str) -> Response | str | tuple[str, int]:
    """Autosave one requirement line's mark and note."""
    return _autosave(assignment_id, lambda read: service.save_requirement(
        read, requirement_key, request.form.get("status"), request.form.get("note"), request.form.get("seq"),
        actor_id=current_user.id))


@bp.post("/<int:assignment_id>/overall")
@role_required(Role.REVIEWER)
def save_overall(assignment_id: int) -> Response | str | tuple[str, int]:
    """Autosave the overall comment."""
    return _autosave(assignment_id, lambda read: service.save_overall_comment(
        read, request.form.get("overall_comment"), request.form.get("seq")))


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
        return _render_page(assignment, service.find_read(assignment), problems=[str(exc)]), 409
    except service.IncompleteRead as exc:
        db.session.rollback()
        return _render_page(assignment, service.find_read(assignment), problems=exc.problems), 422
    db.session.commit()
    flash(f"Item {assignment.item.item_id} submitted. Thank you — the read is now locked.", "success")
    return redirect(url_for("scoring.score_page", assignment_id=assignment.id), code=303)


def _own_assignment_or_404(assignment_id: int) -> Assignment:
    """Only the assigned reviewer writes; anyone else gets the same 404 as a missing assignment."""
    assignment = assignment_or_404(assignment_id)
    if assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


def _autosave(assignment_id: int, save: Callable[[Read], bool]) -> str | tuple[str, int, dict[str, str]]:
    """Run one autosave on the reviewer's own open read; one that lost to a newer save still answers "Saved"."""
    read = service.open_read(_own_assignment_or_404(assignment_id), actor_id=current_user.id)
    try:
        save(read)
    except service.ReadLocked as exc:
        db.session.rollback()
        return str(exc), 409, PLAIN_TEXT
    except service.ScoringError as exc:
        db.session.rollback()
        return str(exc), 422, PLAIN_TEXT  # the message quotes what was sent: never let it be parsed as HTML
    # Counted inside the save's transaction: after the commit the read, assignment and item would be reloaded.
    progress = service.progress(read, service.rubric_of(read.assignment.item))
    db.session.commit()
    return render_template("scoring/_save_status.html", progress=progress, oob=True)


def _render_page(assignment: Assignment, read: Read | None, problems: list[str] | None = None) -> str:
    item = assignment.item
    rubric = service.rubric_of(item)
    application = service.application_of(item) if item.kind.value == "application" else None
    locked = read is not None and read.status == ReadStatus.SUBMITTED
    content = service.read_content(read)
    return render_template(
        "scoring/score.html", assignment=assignment, item=item, cycle=item.cycle, rubric=rubric, read=read,
        application=application, content=content,
        progress=service.content_progress(content, rubric), problems=problems or [],
        editable=not locked and assignment.reviewer_id == current_user.id,
        outcome=service.outcome_of(read) if locked else None,
        indicators={d.key: indicator_text(rubric.key, d.key) for d in rubric.domains},
        record_tables=requirements.record_tables_of(application, item.cycle) if application else [],
        check_labels=service.CHECK_LABELS, check_statuses=list(CheckStatus))
