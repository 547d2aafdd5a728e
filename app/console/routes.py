"""The coordinator console: cycles, dashboard, imports, assignment, reopening, export, users, audit log.

Every view is for coordinators only (others 403, anonymous users sign in first).
Views parse the request, load the object (404 when it does not exist), call one
service and render; state changes are POSTs carrying the CSRF token.
"""

import csv
import io
from collections.abc import Callable
from pathlib import PurePosixPath, PureWindowsPath

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from app.access import account_or_404, assignment_or_404, cycle_or_404, cycle_recusals, flag_or_404, item_or_404
from app.assignment import preview as assignment_preview
from app.assignment import service as assignment_service
from app.calibration import service as calibration_service
from app.calibration.figures import MIN_FLAGGED_READS
from app.committee.board import calibration_table, cycle_pictures
from app.console import service
from app.console.forms import (
    KIND_HINTS,
    KIND_LABELS,
    AccountActiveForm,
    ActionForm,
    BlindnessForm,
    CommitteeMemberForm,
    ConfirmPlanForm,
    CycleForm,
    DueForm,
    ImportForm,
    OrganizationForm,
    PasswordResetForm,
    ProfileForm,
    QualificationReleaseForm,
    ReopenForm,
    ReviewerChoiceForm,
    RoleForm,
    SeatForm,
    UnassignForm,
    UnseatForm,
    UserCreateForm,
)
from app.cycles import seating
from app.cycles.models import Cycle, Item, ItemState, MemberRole
from app.cycles.service import CycleError, create_cycle, cycles_with_counts, set_blind_across_items
from app.errors import InputError
from app.extensions import db
from app.forms import sentence, show_problems
from app.imports.readers import ImportLimits
from app.imports.service import import_file
from app.imports.validate import KINDS, template_header
from app.jobs import service as jobs
from app.jobs.models import JobKind
from app.letters import service as letters_service
from app.mail import service as mail
from app.numbers import whole_number
from app.partials import fragment_request
from app.people import accounts
from app.people.access import role_required
from app.people.models import Role, User
from app.people.service import UserError
from app.reconcile.service import ReconcileError, reconcile_cycle
from app.scoring import service as scoring_service
from app.timeutil import format_date

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")

coordinators_only = role_required(Role.COORDINATOR)


def _message(error: Exception) -> str:
    """A service error ("item E-1: cannot …") as a sentence for the page."""
    return sentence(str(error))


def _page_number() -> int:
    """``?page=`` of a paged list: 1 when absent; anything but ASCII digits is a 400 naming it."""
    try:
        return whole_number(request.args.get("page"), "page", minimum=1, default=1)
    except InputError as exc:
        abort(400, exc.message)


# ---------------------------------------------------------------- cycles and the dashboard


@bp.get("/")
@coordinators_only
def index() -> str:
    """All cycles with their item counts, and the form to start a new one."""
    return _render_index(CycleForm())


def _render_index(form: CycleForm, status: int = 200) -> tuple[str, int]:
    return render_template("console/index.html", cycles=cycles_with_counts(), form=form), status


@bp.post("/cycles")
@coordinators_only
def new_cycle() -> Response | tuple[str, int]:
    """Create a review cycle."""
    form = CycleForm()
    if form.validate_on_submit():
        try:
            cycle = create_cycle(form.name.data, form.readers.data, form.due.data, actor_id=current_user.id)
        except CycleError as exc:
            db.session.rollback()
            show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash(f"Cycle “{cycle.name}” created. Import reviewers and items next.", "success")
            return redirect(url_for("console.dashboard", cycle_id=cycle.id))
    return _render_index(form, 422)


@bp.get("/cycles/<int:cycle_id>")
@coordinators_only
def dashboard(cycle_id: int) -> str:
    """A cycle at a glance: items per state, reads per reviewer and per designation, what to do next."""
    board = service.dashboard(cycle_or_404(cycle_id))
    return render_template(
        "console/dashboard.html",
        board=board,
        cycle=board.cycle,
        form=ActionForm(),
        declines=assignment_service.decline_rows(board.cycle),
        overdue=len(mail.overdue_reads(board.cycle)),
        release_form=QualificationReleaseForm(formdata=None),
        flags=scoring_service.open_flags(board.cycle),
    )


@bp.post("/cycles/<int:cycle_id>/qualification/<int:user_id>/release")
@coordinators_only
def release_reviewer(cycle_id: int, user_id: int) -> Response:
    """Release a reviewer's items although the qualification set was not passed (audited, with the reason)."""
    cycle = cycle_or_404(cycle_id)
    reviewer = account_or_404(user_id)
    form = QualificationReleaseForm()
    if not form.validate_on_submit():
        flash("Say why the reviewer's items are released: the reason is kept in the audit log.", "error")
        return redirect(url_for("console.dashboard", cycle_id=cycle.id, _anchor="qualification-title"))
    try:
        calibration_service.release(cycle, reviewer, form.reason.data, actor_id=current_user.id)
    except InputError as exc:
        db.session.rollback()
        flash(sentence("; ".join(exc.problems.values())) + ".", "error")  # words, without the field's name
    else:
        db.session.commit()
        flash(f"{reviewer.name}'s review items are released.", "success")
    return redirect(url_for("console.dashboard", cycle_id=cycle.id, _anchor="qualification-title"))


@bp.get("/cycles/<int:cycle_id>/pictures")
@coordinators_only
def pictures(cycle_id: int) -> str:
    """Per rubric: score distribution and agreement per domain, drawn by the committee's chart module.

    They count every score of the cycle, so the dashboard loads them with htmx
    after the page; without script this is a page of its own.
    """
    cycle = cycle_or_404(cycle_id)
    pictures = cycle_pictures(cycle)
    fragment = fragment_request()
    return render_template(
        "console/_pictures.html" if fragment else "console/pictures.html",
        cycle=cycle,
        pictures=pictures,
        calibration=calibration_table(cycle),
        min_reads=MIN_FLAGGED_READS,
    )


@bp.post("/cycles/<int:cycle_id>/reconcile")
@coordinators_only
def reconcile(cycle_id: int) -> Response:
    """Evaluate every item with its submitted reads (third readers are assigned where the rubric asks)."""
    cycle = cycle_or_404(cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        counts = reconcile_cycle(cycle, actor_id=current_user.id)
    except ReconcileError as exc:
        db.session.rollback()
        flash(f"Reconciliation stopped, nothing changed: {exc}", "error")
    else:
        mail.queue_assignment_notices(cycle)  # the third readers it assigned
        db.session.commit()
        summary = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in counts.items() if count)
        flash(f"Reconciliation done: {summary or 'no items yet'}.", "success")
    return redirect(url_for("console.dashboard", cycle_id=cycle.id))


# ---------------------------------------------------------------- import


def _upload_name(name: str | None) -> str:
    """The uploaded file's base name, for messages only (never used as a path)."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    return "".join(ch for ch in base if ch.isprintable())[:120] or "upload"


@bp.route("/cycles/<int:cycle_id>/import", methods=["GET", "POST"])
@coordinators_only
def import_upload(cycle_id: int) -> Response | str | tuple[str, int]:
    """Upload a spreadsheet of reviewers, applications, essays, conflicts or scores into the cycle."""
    cycle = cycle_or_404(cycle_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _render_import(cycle, form, status=422 if request.method == "POST" else 200)
    upload = form.file.data
    limits = ImportLimits.from_config(current_app.config)
    data = upload.stream.read(limits.max_bytes + 1)
    name = _upload_name(upload.filename)
    result = import_file(form.kind.data, data, name, cycle, actor_id=current_user.id, limits=limits)
    if not result.ok:
        db.session.rollback()
        return _render_import(cycle, form, result=result, status=422)
    if result.kind == "committee":  # members seated without a password are invited to choose one
        mail.invite_cycle(cycle, actor_id=current_user.id, roles=[MemberRole.COMMITTEE])
    db.session.commit()
    flash(
        f"Imported {result.kind} from {name}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged.",
        "success",
    )
    return redirect(url_for("console.import_upload", cycle_id=cycle.id))


def _render_import(
    cycle: Cycle, form: ImportForm, *, result=None, too_large: bool = False, status: int = 200
) -> tuple[str, int]:
    limit_mb = min(current_app.config["MAX_CONTENT_LENGTH"] or 0, current_app.config["IMPORT_MAX_BYTES"]) / (
        1024 * 1024
    )
    return render_template(
        "console/import.html",
        cycle=cycle,
        form=form,
        result=result,
        kinds=KINDS,
        hints=KIND_HINTS,
        kind_labels=KIND_LABELS,
        too_large=too_large,
        limit_mb=limit_mb,
    ), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """An upload over MAX_CONTENT_LENGTH: say so on the import page instead of a bare error."""
    cycle_id = (request.view_args or {}).get("cycle_id")
    cycle = db.session.get(Cycle, cycle_id) if cycle_id else None
    if cycle is None or not current_user.is_authenticated or current_user.role != Role.COORDINATOR:
        return render_template(
            "errors/error.html", code=413, title="Too large", message="What you sent is larger than this site accepts."
        ), 413
    return _render_import(cycle, ImportForm(formdata=None), too_large=True, status=413)


# ---------------------------------------------------------------- assignment


@bp.get("/cycles/<int:cycle_id>/assignments")
@coordinators_only
def assignments(cycle_id: int) -> str:
    """The cycle's items with their readers, and the auto-assignment preview form."""
    cycle = cycle_or_404(cycle_id)
    state = request.args.get("state", "")
    if state not in {s.value for s in ItemState} | {service.VALIDITY_FILTER}:
        state = ""
    search = request.args.get("q", "")[:64]
    page = service.cycle_items(cycle, state=state or None, search=search, number=_page_number())
    return render_template(
        "console/assignments.html",
        cycle=cycle,
        page=page,
        state=state,
        search=search,
        states=[s.value for s in ItemState],
        blindness=BlindnessForm(formdata=None, blind=cycle.blind_across_items),
    )


@bp.post("/cycles/<int:cycle_id>/blindness")
@coordinators_only
def blindness(cycle_id: int) -> Response:
    """Keep or relax blindness across items for the cycle's next assignments (audited)."""
    cycle = cycle_or_404(cycle_id)
    form = BlindnessForm()
    if not form.validate_on_submit():
        abort(400)
    if set_blind_across_items(cycle, form.blind.data, actor_id=current_user.id):
        db.session.commit()
        flash(
            "Essays stay blind across items: nobody reads both an applicant's portfolio and their essays."
            if cycle.blind_across_items
            else "Blindness across items is relaxed: a reviewer may now be given an applicant's portfolio and their "
            "essays.",
            "success" if cycle.blind_across_items else "warning",
        )
    return redirect(url_for("console.assignments", cycle_id=cycle.id))


@bp.get("/cycles/<int:cycle_id>/assignments/preview")
@coordinators_only
def preview(cycle_id: int) -> str | tuple[str, int]:
    """What auto-assignment would do (loads, unfillable items and why); nothing is written."""
    cycle = cycle_or_404(cycle_id)
    try:
        readers = whole_number(request.args.get("readers"), "readers", minimum=1, maximum=9, default=cycle.readers)
    except InputError:
        abort(400, "Reads per item must be a whole number from 1 to 9.")
    plan, fingerprint = assignment_preview.preview_assignment(cycle, readers)
    return _render_preview(cycle, plan, fingerprint)


def _render_preview(
    cycle: Cycle, plan, fingerprint: str, *, stale: str | None = None, status: int = 200
) -> tuple[str, int]:
    form = ConfirmPlanForm(formdata=None, readers=plan.readers, fingerprint=fingerprint)
    who, item = request.args.get("who", "")[:254], request.args.get("item", "")[:64]
    reads = service.planned_reads(plan, who=who, item=item, number=_page_number())
    return render_template(
        "console/preview.html", cycle=cycle, plan=plan, form=form, stale=stale, reads=reads, who=who, item_filter=item
    ), status


@bp.post("/cycles/<int:cycle_id>/assignments/confirm")
@coordinators_only
def confirm(cycle_id: int) -> Response | tuple[str, int]:
    """Write exactly the previewed plan, or refuse (409) and show the new one if the data changed."""
    cycle = cycle_or_404(cycle_id)
    form = ConfirmPlanForm()
    if not form.validate_on_submit():
        abort(400, "The confirmation form was incomplete. Run the preview again.")
    try:
        plan = assignment_preview.confirm_assignment(
            cycle, form.readers.data, form.fingerprint.data, actor_id=current_user.id
        )
    except assignment_preview.StalePlan as exc:
        db.session.rollback()
        return _render_preview(
            cycle, exc.plan, assignment_preview.plan_fingerprint(exc.plan), stale=str(exc), status=409
        )
    except assignment_service.AssignmentError as exc:
        db.session.rollback()
        abort(422, _message(exc))
    mail.queue_assignment_notices(cycle)
    db.session.commit()
    flash(
        f"Assigned {len(plan.reads)} reads; highest load is now {plan.max_load}."
        + (f" {len(plan.shortfalls)} items could not get all their readers — see below." if plan.shortfalls else ""),
        "warning" if plan.shortfalls else "success",
    )
    return redirect(url_for("console.assignments", cycle_id=cycle.id, state="unassigned" if plan.shortfalls else ""))


@bp.post("/cycles/<int:cycle_id>/declines/refill")
@coordinators_only
def refill_declined(cycle_id: int) -> Response:
    """One click: give every declined item that lacks reads its next eligible readers (the optimal assigner,
    for those items only)."""
    cycle = cycle_or_404(cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        plan = assignment_service.refill_declined(cycle, actor_id=current_user.id)
    except assignment_service.AssignmentError as exc:
        db.session.rollback()
        flash(_message(exc), "error")
        return redirect(url_for("console.dashboard", cycle_id=cycle.id))
    if plan is None:
        flash("Every declined item already has its readers.", "success")
        return redirect(url_for("console.dashboard", cycle_id=cycle.id))
    mail.queue_assignment_notices(cycle)
    db.session.commit()
    message = (
        f"Refill: {len(plan.reads)} read{'s' if len(plan.reads) != 1 else ''} given to the next eligible reviewers."
    )
    if plan.shortfalls:
        message += " Still short: " + "; ".join(f"{s.item_key}: {s.why}" for s in plan.shortfalls[:5]) + "."
    flash(message, "warning" if plan.shortfalls else "success")
    return redirect(url_for("console.dashboard", cycle_id=cycle.id))


@bp.get("/items/<int:item_pk>")
@coordinators_only
def item(item_pk: int) -> str:
    """One item: its readers and their reads, and who else could read it (and why not)."""
    return _render_item(item_or_404(item_pk))


def _render_item(
    item: Item, *, error: str | None = None, status: int = 200, refused: tuple[int, str, FlaskForm] | None = None
) -> tuple[str, int]:
    """The item page; ``refused`` (assignment id, "unassign" or "reopen", the form) shows a refused form as it
    was sent, with its problems beside its fields, so nothing typed is lost."""
    candidates = assignment_service.candidates(item)
    rows = service.item_assignments(item, candidates)
    behind_set = service.behind_qualification_set(item.cycle, [c.user.id for c in candidates])
    assign_form = ReviewerChoiceForm(formdata=None, prefix="assign")
    assign_form.reviewer.choices = [
        SelectChoice(c.user.id, f"{c.user.name} ({c.user.email}) — load {c.load}") for c in candidates if not c.reasons
    ]
    forms = {}
    for row in rows:
        swap = ReviewerChoiceForm(formdata=None, prefix=f"swap{row.assignment.id}")
        swap.reviewer.choices = [SelectChoice(u.id, f"{u.name} ({u.email})") for u in row.swap_choices]
        key = row.assignment.id
        forms[key] = {
            "swap": swap,
            "unassign": UnassignForm(formdata=None, prefix=f"un{key}"),
            "reopen": ReopenForm(formdata=None, prefix=f"re{key}"),
            "due": DueForm(formdata=None, prefix=f"due{key}", due=row.assignment.due),
        }
    if refused is not None and refused[0] in forms:
        forms[refused[0]][refused[1]] = refused[2]
    return render_template(
        "console/item.html",
        item=item,
        cycle=item.cycle,
        rows=rows,
        candidates=candidates,
        behind_set=behind_set,
        assign_form=assign_form,
        forms=forms,
        error=error,
        refill_form=ActionForm(formdata=None),
        missing_reads=assignment_service.missing_reads(item, len(rows)),
        flags=scoring_service.flags_of_item(item),
        declines=assignment_service.declines_of(item.cycle, item=item),
    ), status


@bp.post("/items/<int:item_pk>/refill")
@coordinators_only
def refill(item_pk: int) -> Response | tuple[str, int]:
    """Give the item the reads it lacks with the auto-assigner (e.g. after a decline)."""
    item = item_or_404(item_pk)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        plan = assignment_service.refill([item], actor_id=current_user.id)
    except assignment_service.AssignmentError as exc:
        db.session.rollback()
        return _render_item(item, error=_message(exc), status=422)
    mail.queue_assignment_notices(item.cycle)
    db.session.commit()
    given = ", ".join(read.reviewer_email for read in plan.reads)
    if plan.shortfalls:
        flash(
            (
                f"{item.item_id} now also goes to {given}, but it still "
                if plan.reads
                else f"No reader could be added to {item.item_id}: it "
            )
            + plan.shortfalls[0].why
            + ".",
            "warning",
        )
    else:
        flash(
            f"{item.item_id} now also goes to {given}." if plan.reads else f"{item.item_id} already has its reads.",
            "success",
        )
    return redirect(url_for("console.item", item_pk=item.id))


@bp.post("/items/<int:item_pk>/assign")
@coordinators_only
def assign(item_pk: int) -> Response | tuple[str, int]:
    """Assign a reviewer by hand; refused with the reasons when they may not read the item."""
    item = item_or_404(item_pk)
    form = ReviewerChoiceForm(prefix="assign")
    if not form.validate_on_submit():
        return _render_item(item, error="Choose a reviewer to assign.", status=422)
    reviewer = account_or_404(form.reviewer.data)
    return _change_item(
        item,
        lambda: assignment_service.assign(item, reviewer, actor_id=current_user.id),
        f"{reviewer.email} now reads {item.item_id}.",
    )


@bp.post("/assignments/<int:assignment_id>/unassign")
@coordinators_only
def unassign(assignment_id: int) -> Response | tuple[str, int]:
    """Remove a reader; a started or submitted read needs the override box and a reason (audited)."""
    assignment = assignment_or_404(assignment_id)
    item, email = assignment.item, assignment.reviewer.email
    form = UnassignForm(prefix=f"un{assignment_id}")
    if not form.validate_on_submit():
        return _render_item(item, error=_form_problem(form), status=422, refused=(assignment_id, "unassign", form))
    return _change_item(
        item,
        lambda: assignment_service.unassign(
            assignment, actor_id=current_user.id, override=form.override.data, reason=form.reason.data
        ),
        f"{email} no longer reads {item.item_id}.",
    )


@bp.post("/assignments/<int:assignment_id>/swap")
@coordinators_only
def swap(assignment_id: int) -> Response | tuple[str, int]:
    """Give a not-yet-started read to another eligible reviewer."""
    assignment = assignment_or_404(assignment_id)
    item, old_email = assignment.item, assignment.reviewer.email
    form = ReviewerChoiceForm(prefix=f"swap{assignment_id}")
    if not form.validate_on_submit():
        return _render_item(item, error="Choose the reviewer to swap to.", status=422)
    reviewer = account_or_404(form.reviewer.data)
    return _change_item(
        item,
        lambda: assignment_service.swap(assignment, reviewer, actor_id=current_user.id),
        f"{item.item_id}: {old_email} swapped for {reviewer.email}.",
    )


@bp.post("/assignments/<int:assignment_id>/due")
@coordinators_only
def set_due(assignment_id: int) -> Response | tuple[str, int]:
    """Give one read a due date of its own (blank: the cycle's again); audited."""
    assignment = assignment_or_404(assignment_id)
    item = assignment.item
    form = DueForm(prefix=f"due{assignment_id}")
    if not form.validate_on_submit():
        return _render_item(item, error="The due date must be a date (YYYY-MM-DD), or blank.", status=422)
    due = form.due.data
    return _change_item(
        item,
        lambda: assignment_service.set_due(assignment, due, actor_id=current_user.id),
        f"{assignment.reviewer.email}'s read of {item.item_id} is due "
        + (f"{format_date(due)}." if due else "with the cycle."),
    )


@bp.post("/assignments/<int:assignment_id>/reopen")
@coordinators_only
def reopen(assignment_id: int) -> Response | tuple[str, int]:
    """Return a submitted read to its reviewer as a draft (audited with the reason)."""
    assignment = assignment_or_404(assignment_id)
    item = assignment.item
    form = ReopenForm(prefix=f"re{assignment_id}")
    if not form.validate_on_submit():
        return _render_item(item, error=_form_problem(form), status=422, refused=(assignment_id, "reopen", form))
    if assignment.read is None:
        return _render_item(
            item, error=f"{assignment.reviewer.email} has no read of {item.item_id} to reopen.", status=422
        )
    read = assignment.read

    def reopen_and_tell() -> None:
        scoring_service.reopen(read, current_user.id, form.reason.data)
        mail.read_reopened(read, form.reason.data)

    return _change_item(
        item,
        reopen_and_tell,
        f"The read of {item.item_id} by {assignment.reviewer.email} is open again as a draft; "
        "they are told by e-mail, with your reason.",
    )


def _form_problem(form: FlaskForm) -> str:
    """A refused form's problems in one line, each after its field's label."""
    return " ".join(f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items())


def _change_item(item: Item, change: Callable[[], object], done: str) -> Response | tuple[str, int]:
    """Apply one audited change to an item's readers: commit and say so, or show why it was refused."""
    try:
        change()
    except (assignment_service.AssignmentError, scoring_service.ScoringError) as exc:
        db.session.rollback()
        return _render_item(item, error=_message(exc), status=422)
    mail.queue_assignment_notices(item.cycle)  # a reader added by hand or by a swap is told
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("console.item", item_pk=item.id))


@bp.post("/flags/<int:flag_id>/resolve")
@coordinators_only
def resolve_flag(flag_id: int) -> Response | tuple[str, int]:
    """Mark a problem a reviewer reported as handled."""
    flag = flag_or_404(flag_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _change_item(
        flag.assignment.item,
        lambda: scoring_service.resolve_flag(flag, actor_id=current_user.id),
        "The reported problem is marked handled.",
    )


@bp.get("/import-templates/<kind>.csv")
@coordinators_only
def import_template(kind: str) -> Response:
    """A blank spreadsheet for one import kind: the header row, required columns first."""
    if kind not in KIND_HINTS:
        abort(404)
    buffer = io.StringIO()
    csv.writer(buffer).writerow(template_header(kind))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=endorsement-{kind}-template.csv"},
    )


# ---------------------------------------------------------------- export and letters (background jobs)


@bp.get("/cycles/<int:cycle_id>/export")
@coordinators_only
def export(cycle_id: int) -> str:
    """The workbook and the decision letters: start either, watch it run, download it (docs/workbook.md)."""
    return _downloads_page(cycle_or_404(cycle_id))


def _downloads_page(cycle: Cycle, missing: JobKind | None = None) -> str:
    return render_template(
        "console/downloads.html",
        cycle=cycle,
        form=ActionForm(),
        missing=missing,
        jobs={kind: jobs.latest_job(cycle, kind) for kind in JobKind},
        work=jobs.WORK,
        letters=letters_service.decided_count(cycle),
    )


def _start(cycle_id: int, kind: JobKind) -> Response | str:
    cycle = cycle_or_404(cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    jobs.request_job(cycle, kind, actor_id=current_user.id)
    db.session.commit()
    jobs.start_worker()
    if fragment_request():
        return _job_fragment(cycle, kind)
    return redirect(url_for("console.export", cycle_id=cycle.id), code=303)


def _job_fragment(cycle: Cycle, kind: JobKind) -> str:
    return render_template(
        "console/_job.html",
        cycle=cycle,
        kind=kind,
        job=jobs.latest_job(cycle, kind),
        work=jobs.WORK[kind],
        form=ActionForm(),
    )


def _job_status(cycle_id: int, kind: JobKind) -> str:
    """The panel for htmx's polling; without script, the whole page (reloaded by hand)."""
    cycle = cycle_or_404(cycle_id)
    return _job_fragment(cycle, kind) if fragment_request() else _downloads_page(cycle)


def _job_file(cycle_id: int, kind: JobKind) -> Response | str:
    cycle = cycle_or_404(cycle_id)
    found = jobs.latest_file(cycle, kind)
    if found is None:  # an old link: the page says so, with the button to make it
        return _downloads_page(cycle, missing=kind)
    data, filename, mimetype = found
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)


@bp.post("/cycles/<int:cycle_id>/export")
@coordinators_only
def export_start(cycle_id: int) -> Response | str:
    """Make the workbook in the background; the page polls its progress."""
    return _start(cycle_id, JobKind.EXPORT)


@bp.get("/cycles/<int:cycle_id>/export/progress")
@coordinators_only
def export_progress(cycle_id: int) -> str:
    """The workbook job's progress, as the fragment the page polls."""
    return _job_status(cycle_id, JobKind.EXPORT)


@bp.get("/cycles/<int:cycle_id>/export/file")
@coordinators_only
def export_file(cycle_id: int) -> Response | str:
    """The newest workbook made for the cycle."""
    return _job_file(cycle_id, JobKind.EXPORT)


@bp.post("/cycles/<int:cycle_id>/letters")
@coordinators_only
def letters_start(cycle_id: int) -> Response | str:
    """Make every decided application's letter in the background (docs/letters.md)."""
    return _start(cycle_id, JobKind.LETTERS)


@bp.get("/cycles/<int:cycle_id>/letters/progress")
@coordinators_only
def letters_progress(cycle_id: int) -> str:
    """The letters job's progress, as the fragment the page polls."""
    return _job_status(cycle_id, JobKind.LETTERS)


@bp.get("/cycles/<int:cycle_id>/letters/file")
@coordinators_only
def letters_file(cycle_id: int) -> Response | str:
    """The newest zip of letters made for the cycle."""
    return _job_file(cycle_id, JobKind.LETTERS)


# ---------------------------------------------------------------- the cycle's committee


@bp.get("/cycles/<int:cycle_id>/committee")
@coordinators_only
def committee(cycle_id: int) -> tuple[str, int]:
    """Who sits on the cycle's committee, the forms to seat someone, and who is recused from which applicant."""
    return _render_committee(cycle_or_404(cycle_id))


def _render_committee(cycle: Cycle, *, forms: dict | None = None, status: int = 200) -> tuple[str, int]:
    all_forms = {
        "seat": SeatForm(formdata=None, prefix="seat"),
        "add": CommitteeMemberForm(formdata=None, prefix="add"),
    } | (forms or {})
    all_forms["seat"].account.choices = [
        SelectChoice(account.id, f"{account.name} ({account.email}, {account.role})")
        for account in seating.seatable_accounts(cycle)
    ]
    return render_template(
        "console/committee.html",
        cycle=cycle,
        members=seating.members(cycle),
        recusals=cycle_recusals(cycle),
        forms=all_forms,
        unseat_form=UnseatForm(formdata=None, prefix="unseat"),
    ), status


@bp.post("/cycles/<int:cycle_id>/committee/seat")
@coordinators_only
def seat_member(cycle_id: int) -> Response | tuple[str, int]:
    """Seat an existing committee or coordinator account; it sees the cycle from its next request on."""
    cycle = cycle_or_404(cycle_id)
    form = SeatForm(prefix="seat")
    if not form.validate_on_submit():
        return _render_committee(cycle, forms={"seat": form}, status=422)
    account = account_or_404(form.account.data)
    return _change_committee(
        cycle, form, "seat", lambda: seating.seat(cycle, [account.email], actor_id=current_user.id)[0]
    )


@bp.post("/cycles/<int:cycle_id>/committee/add")
@coordinators_only
def add_member(cycle_id: int) -> Response | tuple[str, int]:
    """Seat someone by e-mail, creating a committee account without a password when they have none."""
    cycle = cycle_or_404(cycle_id)
    form = CommitteeMemberForm(prefix="add")
    if not form.validate_on_submit():
        return _render_committee(cycle, forms={"add": form}, status=422)
    organization = (form.organization.data or "").strip() or seating.KEEP
    return _change_committee(
        cycle,
        form,
        "add",
        lambda: seating.seat_person(cycle, form.email.data, form.name.data, organization, actor_id=current_user.id),
    )


def _change_committee(cycle: Cycle, form, key: str, change: Callable[[], seating.Seat]) -> Response | tuple[str, int]:
    try:
        seat = change()
    except InputError as exc:
        db.session.rollback()
        show_problems(form, exc.problems)
        return _render_committee(cycle, forms={key: form}, status=422)
    invited = mail.invite_seated(cycle, [seat], actor_id=current_user.id)
    db.session.commit()
    flash(
        (
            f"{seat.email} now sits on the committee of {cycle.name}."
            if seat.changed
            else f"{seat.email} already sits on the committee of {cycle.name}."
        )
        + (
            " They have no password yet: an invitation to choose one is on its way (see Mail)."
            if invited
            else " They have no password yet."
            if seat.needs_password
            else ""
        ),
        "success" if seat.changed else "info",
    )
    return redirect(url_for("console.committee", cycle_id=cycle.id))


@bp.post("/cycles/<int:cycle_id>/committee/unseat")
@coordinators_only
def unseat_member(cycle_id: int) -> Response | tuple[str, int]:
    """Take someone off the cycle's committee; their past resolutions and decisions stay."""
    cycle = cycle_or_404(cycle_id)
    form = UnseatForm(prefix="unseat")
    if not form.validate_on_submit():
        abort(400)
    account = account_or_404(form.account.data)
    seat = seating.unseat(cycle, [account.email], actor_id=current_user.id)[0]
    db.session.commit()
    flash(
        f"{seat.email} no longer sits on the committee of {cycle.name}."
        if seat.changed
        else f"{seat.email} was not on the committee of {cycle.name}.",
        "success" if seat.changed else "info",
    )
    return redirect(url_for("console.committee", cycle_id=cycle.id))


# ---------------------------------------------------------------- users


@bp.get("/users")
@coordinators_only
def users() -> str:
    """Everyone who can sign in, and the form to add someone."""
    return _render_users(UserCreateForm())


def _render_users(form: UserCreateForm, status: int = 200) -> tuple[str, int]:
    people = db.session.scalars(db.select(User).order_by(User.role, User.email)).all()
    return render_template("console/users.html", users=people, form=form), status


@bp.post("/users")
@coordinators_only
def create_user() -> Response | tuple[str, int]:
    """Create a user; without a password they are e-mailed an invitation to choose one."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_account(
                form.email.data, form.name.data, form.role.data, form.password.data or None, actor_id=current_user.id
            )
        except UserError as exc:
            db.session.rollback()
            show_problems(form, exc.problems)
        else:
            invited = mail.invite(user, actor_id=current_user.id)  # no password given: they choose their own
            db.session.commit()
            flash(
                f"Account created for {user.email}."
                + (" An invitation to choose a password is on its way (see Mail)." if invited else ""),
                "success",
            )
            return redirect(url_for("console.user", user_id=user.id))
    return _render_users(form, 422)


@bp.get("/users/<int:user_id>")
@coordinators_only
def user(user_id: int) -> str:
    """One user: role, sign-in on/off, password reset, reviewer profile."""
    return _render_user(account_or_404(user_id))


def _render_user(
    user: User, *, one_time_password: str | None = None, forms: dict | None = None, status: int = 200
) -> tuple[str, int]:
    profile = user.profile
    all_forms = {
        "role": RoleForm(formdata=None, prefix="role", role=user.role.value),
        "password": PasswordResetForm(formdata=None, prefix="password"),
        "profile": ProfileForm(
            formdata=None,
            prefix="profile",
            designations=profile.designations,
            endorsements=profile.endorsements,
            organization=profile.organization,
            max_load=profile.max_load,
        )
        if profile
        else None,
        "active": AccountActiveForm(formdata=None, prefix="active"),
        "organization": None
        if user.role == Role.REVIEWER
        else OrganizationForm(
            formdata=None, prefix="organization", organization=profile.organization if profile else ""
        ),
    } | (forms or {})
    return render_template(
        "console/user.html",
        user=user,
        forms=all_forms,
        one_time_password=one_time_password,
        invitation=mail.open_invitations([user]).get(user.id),
        invite_form=ActionForm(formdata=None),
    ), status


@bp.post("/users/<int:user_id>/role")
@coordinators_only
def change_role(user_id: int) -> Response | tuple[str, int]:
    """Give the user another role."""
    user = account_or_404(user_id)
    form = RoleForm(prefix="role")
    if form.validate_on_submit():
        try:
            accounts.change_role(user, form.role.data, actor_id=current_user.id)
        except UserError as exc:
            db.session.rollback()
            show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash(f"{user.email} is now a {user.role.value}.", "success")
            return redirect(url_for("console.user", user_id=user.id))
    return _render_user(user, forms={"role": form}, status=422)


@bp.post("/users/<int:user_id>/<any(disable, enable):action>")
@coordinators_only
def set_active(user_id: int, action: str) -> Response | tuple[str, int]:
    """Disable a sign-in (every session of the user ends at once) or enable it again."""
    user = account_or_404(user_id)
    form = AccountActiveForm(prefix="active")
    if not form.validate_on_submit():
        return _render_user(user, forms={"active": form}, status=422)
    try:
        accounts.set_account_active(user, action == "enable", actor_id=current_user.id)
    except UserError as exc:
        db.session.rollback()
        show_problems(form, exc.problems)
        return _render_user(user, forms={"active": form}, status=422)
    db.session.commit()
    flash(
        f"{user.email} can sign in again." if user.active else f"{user.email} is disabled and signed out everywhere.",
        "success",
    )
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@coordinators_only
def reset_password(user_id: int) -> Response | tuple[str, int]:
    """Set a new password (or generate one, shown once); the user is signed out everywhere."""
    user = account_or_404(user_id)
    form = PasswordResetForm(prefix="password")
    if form.validate_on_submit():
        try:
            generated = accounts.reset_password(user, form.password.data or None, actor_id=current_user.id)
        except UserError as exc:
            db.session.rollback()
            show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash(f"Password of {user.email} changed; they are signed out everywhere.", "success")
            if generated:
                return _render_user(user, one_time_password=generated)
            return redirect(url_for("console.user", user_id=user.id))
    return _render_user(user, forms={"password": form}, status=422)


@bp.post("/users/<int:user_id>/profile")
@coordinators_only
def update_profile(user_id: int) -> Response | tuple[str, int]:
    """Change a reviewer's designations, endorsements, organization and load cap."""
    user = account_or_404(user_id)
    form = ProfileForm(prefix="profile")
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                user,
                designations=form.designations.data,
                endorsements=form.endorsements.data,
                organization=form.organization.data,
                max_load=form.max_load.data,
                actor_id=current_user.id,
            )
        except UserError as exc:
            db.session.rollback()
            show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash(f"Profile of {user.email} saved.", "success")
            return redirect(url_for("console.user", user_id=user.id))
    return _render_user(user, forms={"profile": form}, status=422)


@bp.post("/users/<int:user_id>/organization")
@coordinators_only
def update_organization(user_id: int) -> Response | tuple[str, int]:
    """Where a committee member or coordinator works (a reviewer's is on their reviewer profile)."""
    user = account_or_404(user_id)
    form = OrganizationForm(prefix="organization")
    if form.validate_on_submit():
        try:
            changed = seating.set_organization(user, form.organization.data, actor_id=current_user.id)
        except InputError as exc:
            db.session.rollback()
            show_problems(form, exc.problems)
        else:
            db.session.commit()
            flash(f"Organization of {user.email} saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("console.user", user_id=user.id))
    return _render_user(user, forms={"organization": form}, status=422)


# ---------------------------------------------------------------- audit log


@bp.get("/audit")
@coordinators_only
def audit() -> str:
    """The audit log, newest first, filterable by item id and by user (e-mail)."""
    item_key = request.args.get("item", "")[:64].strip()
    email = request.args.get("user", "")[:254].strip().lower()
    user = db.session.scalar(db.select(User).filter_by(email=email)) if email else None
    unknown_user = bool(email) and user is None
    page = (
        service.Page([], 1, 1, 0)
        if unknown_user
        else service.audit_page(item_key=item_key, user=user, number=_page_number())
    )
    return render_template("console/audit.html", page=page, item_key=item_key, email=email, unknown_user=unknown_user)
