"""Committee pages: the board of a cycle, an item's reads side by side with final scores, and decisions."""

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import application_or_404, cycle_or_404, item_or_404
from app.calibration.figures import MIN_FLAGGED_READS
from app.committee import decisions
from app.committee.board import BoardFilters, board_page, calibration_table, cycle_pictures, visible_cycles
from app.committee.comparison import ItemComparison, item_comparison
from app.committee.errors import CommitteeInputError, StaleEdit
from app.committee.forms import CommitteeForm, DecisionForm, ResolutionForm, build_resolution_form, decision_form
from app.committee.models import DecisionValue
from app.cycles.models import Cycle, Item
from app.errors import InputError
from app.extensions import db
from app.forms import sentence
from app.numbers import whole_number
from app.partials import fragment_request
from app.people.access import role_required
from app.people.models import Role
from app.reports import DECISION_LABELS, STATE_LABELS, STATE_ORDER
from app.requirements import service as requirements
from app.requirements.present import MARK_WORDS
from app.rubrics.registry import get_rubric

bp = Blueprint(
    "committee",
    __name__,
    url_prefix="/committee",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

STAFF = (Role.COMMITTEE, Role.COORDINATOR)


@bp.get("/")
@role_required(*STAFF)
def index() -> str:
    """The cycles this member sits on (every cycle for a coordinator), with their open disagreements."""
    return render_template("committee/index.html", cycles=visible_cycles(current_user))


@bp.get("/cycles/<int:cycle_id>/")
@role_required(*STAFF)
def board(cycle_id: int) -> str:
    """The cycle's items by state, category and rubric, with the score pictures."""
    cycle = cycle_or_404(cycle_id)
    try:
        filters = BoardFilters.parse(request.args)
    except CommitteeInputError as exc:
        abort(400, str(exc))
    if fragment_request():
        return render_template(
            "committee/_board_rows.html",
            cycle=cycle,
            board=board_page(cycle, filters, current_user, choices=False),
            state_labels=STATE_LABELS,
        )
    # The pictures count every score of the cycle: the page loads them as a fragment of their own (pictures).
    return render_template(
        "committee/board.html",
        cycle=cycle,
        board=board_page(cycle, filters, current_user),
        states=STATE_ORDER,
        state_labels=STATE_LABELS,
    )


@bp.get("/cycles/<int:cycle_id>/pictures")
@role_required(*STAFF)
def pictures(cycle_id: int) -> str:
    """The score pictures of the cycle: a fragment the board loads with htmx, a page of its own without script."""
    cycle = cycle_or_404(cycle_id)
    pictures = cycle_pictures(cycle, current_user)
    template = "committee/_pictures.html" if fragment_request() else "committee/pictures.html"
    return render_template(
        template, cycle=cycle, pictures=pictures, calibration=calibration_table(cycle), min_reads=MIN_FLAGGED_READS
    )


@bp.get("/items/<int:item_pk>")
@role_required(*STAFF)
def item(item_pk: int) -> str:
    """An item's reads side by side per domain, what differs, and the committee's final scores."""
    comparison = item_comparison(item_or_404(item_pk))
    return _item_page(comparison, _form_from_saved(comparison))


@bp.post("/items/<int:item_pk>/resolution")
@role_required(*STAFF)
def resolve(item_pk: int) -> Response | str | tuple[str, int]:
    """Record final domain scores and a rationale; a save over a newer version answers 409 and keeps the text."""
    target = item_or_404(item_pk)
    form = build_resolution_form(get_rubric(target.rubric_key))
    version = form.expected_version()
    disputed = item_comparison(target).disputed_line_keys
    status = _save_and_commit(
        form,
        lambda: decisions.resolve_item(
            target,
            form.scores(),
            form.rationale.data,
            actor_id=current_user.id,
            expected_version=version,
            lines=form.lines(),
            disputed_lines=disputed,
        ),
    )
    if status == 200 and not fragment_request():
        flash(f"Final scores for item {target.item_id} saved; the item is decided.", "success")
        return redirect(url_for("committee.item", item_pk=target.id), code=303)
    comparison = item_comparison(item_or_404(item_pk))
    if status == 200:
        form = _form_from_saved(comparison)
        form.saved = True
    if fragment_request():
        preview, problems = _preview(target, form)
        return render_template(
            "committee/_resolution_form.html",
            c=comparison,
            form=form,
            oob_state=True,
            preview=preview,
            preview_problems=problems,
        ), status
    return _item_page(comparison, form), status


@bp.post("/items/<int:item_pk>/resolution/preview")
@role_required(*STAFF)
def preview_resolution(item_pk: int) -> str:
    """The result the typed final scores would give (pass or fail, mean, each threshold); nothing is saved. htmx
    asks for it as the member types; without script the form's "Show the result" button does."""
    target = item_or_404(item_pk)
    form = build_resolution_form(get_rubric(target.rubric_key))
    preview, problems = _preview(target, form)
    if fragment_request():
        return render_template("committee/_result_preview.html", preview=preview, preview_problems=problems)
    return _item_page(item_comparison(target), form, preview=preview, preview_problems=problems)


def _preview(item: Item, form: ResolutionForm) -> tuple[decisions.ResultPreview | None, list[str]]:
    try:
        return decisions.preview_resolution(item, form.scores(), form.lines()), []
    except CommitteeInputError as exc:
        return None, [sentence(problem) for problem in exc.problems.values()]


def _save_and_commit(form: CommitteeForm, save: Callable[[], object]) -> int:
    """Run ``save`` and commit (200); a refusal rolls back and shows on ``form``: 422 with the problems by field,
    409 with what a colleague saved meanwhile."""
    try:
        save()
    except CommitteeInputError as exc:
        db.session.rollback()
        form.show_problems(exc.problems)
        return 422
    except StaleEdit as exc:
        db.session.rollback()
        form.show_conflict(exc.current_version, exc.current)
        return 409
    db.session.commit()
    return 200


def _form_from_saved(comparison: ItemComparison) -> ResolutionForm:
    """The form as the page opens: the prefilled scores, and the saved rationale and version if any."""
    saved = comparison.resolution or {}
    return build_resolution_form(
        comparison.rubric,
        saved={
            "scores": comparison.prefill,
            "rationale": saved.get("rationale", ""),
            "version": saved.get("version"),
            "lines": comparison.line_finals,
        },
    )


def _item_page(
    comparison: ItemComparison,
    form: ResolutionForm,
    *,
    preview: decisions.ResultPreview | None = None,
    preview_problems: list[str] | None = None,
) -> str:
    item = db.session.get(Item, comparison.item_pk)
    if preview is None and preview_problems is None:
        preview, preview_problems = _preview(item, form)
    return render_template(
        "committee/item.html",
        c=comparison,
        form=form,
        preview=preview,
        preview_problems=preview_problems,
        cycle=db.session.get(Cycle, comparison.cycle_id),
        state_labels=STATE_LABELS,
        requirements_view=requirements.committee_view(item),
        check_labels=MARK_WORDS,
    )


@bp.get("/cycles/<int:cycle_id>/applications")
@role_required(*STAFF)
def applications(cycle_id: int) -> str:
    """Per applicant: portfolio, Part 1 against the pass mark, essays, the suggestion and the committee's decision."""
    return _applications_page(cycle_or_404(cycle_id), request.args.get("show", "all"))


def _applications_page(
    cycle: Cycle, view: str, *, accept: dict | None = None, forms: dict | None = None, status: int = 200
) -> tuple[str, int]:
    """The applications page in one view (every application, undecided, ready to decide), with the form that
    accepts several suggestions at once (``accept``: what the member chose and typed, and why it was refused)."""
    view = view if view in decisions.APPLICATION_VIEWS else "all"
    rows = decisions.applications(cycle, current_user)
    shown = decisions.applications_in_view(rows, view)
    counts = {name: len(decisions.applications_in_view(rows, name)) for name in decisions.APPLICATION_VIEWS}
    return render_template(
        "committee/applications.html",
        cycle=cycle,
        rows=shown,
        all_rows=rows,
        view=view,
        view_counts=counts,
        accept=accept or {"chosen": set(), "rationale": "", "problems": []},
        forms={row.application_id: decision_form(row.decision) for row in shown} | (forms or {}),
        **_decision_context(),
    ), status


@bp.post("/cycles/<int:cycle_id>/applications/accept")
@role_required(*STAFF)
def accept_suggestions(cycle_id: int) -> Response | tuple[str, int]:
    """Record the suggested decision for several applications at once, each audited, with one shared rationale."""
    cycle = cycle_or_404(cycle_id)
    try:
        chosen = [whole_number(value, "accept", minimum=1) for value in request.form.getlist("accept")]
    except InputError as exc:
        abort(400, exc.message)
    rationale = request.form.get("rationale", "")
    view = request.form.get("show", "all")
    try:
        decided = decisions.accept_suggestions(cycle, current_user, chosen, rationale, actor_id=current_user.id)
    except (CommitteeInputError, StaleEdit) as exc:
        db.session.rollback()
        problems = (
            [sentence(problem) for problem in exc.problems.values()]
            if isinstance(exc, InputError)
            else [
                "Someone recorded a decision on one of them meanwhile; nothing was saved. Check the page "
                "again and choose anew."
            ]
        )
        return _applications_page(
            cycle,
            view,
            status=409 if isinstance(exc, StaleEdit) else 422,
            accept={"chosen": set(chosen), "rationale": rationale, "problems": problems},
        )
    db.session.commit()
    flash(
        f"Suggested decision recorded for {len(decided)} application{'s' if len(decided) != 1 else ''}: "
        + ", ".join(f"{row.applicant_id} ({DECISION_LABELS[DecisionValue(row.suggested)]})" for row in decided)
        + ".",
        "success",
    )
    return redirect(url_for("committee.applications", cycle_id=cycle.id, show=view), code=303)


@bp.post("/applications/<int:application_id>/decision")
@role_required(*STAFF)
def decide(application_id: int) -> Response | str | tuple[str, int]:
    """Record the committee's decision with its rationale; a save over a newer version answers 409."""
    application = application_or_404(application_id)
    form = DecisionForm()
    version = form.expected_version()
    status = _save_and_commit(
        form,
        lambda: decisions.record_decision(
            application, form.decision.data, form.rationale.data, actor_id=current_user.id, expected_version=version
        ),
    )
    if status == 200 and not fragment_request():
        flash(f"Decision for {application.applicant.applicant_id} recorded.", "success")
        return redirect(
            url_for(
                "committee.applications", cycle_id=application.applicant.cycle_id, _anchor=f"applicant-{application.id}"
            ),
            code=303,
        )
    cycle = db.session.get(Cycle, application.applicant.cycle_id)
    rows = decisions.applications(cycle, current_user)
    row = next(r for r in rows if r.application_id == application.id)
    if status == 200:
        form = decision_form(row.decision)
        form.saved = True
    if fragment_request():
        decided_count = sum(1 for r in rows if r.decision)
        return render_template(
            "committee/_decision_form.html",
            row=row,
            form=form,
            oob=True,
            decided_count=decided_count,
            **_decision_context(),
        ), status
    return _applications_page(cycle, "all", forms={row.application_id: form}, status=status)


def _decision_context() -> dict:
    return {"decision_labels": DECISION_LABELS}
