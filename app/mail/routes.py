"""Mail pages: asking for a password reset, choosing a password through a link, and the coordinator's outbox,
invitations, reminders and overdue reads (docs/mail.md)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import account_or_404, cycle_or_404
from app.errors import InputError
from app.extensions import db
from app.mail import outbox, service
from app.mail.forms import ForgotPasswordForm, MailActionForm, RemindForm, SetPasswordForm
from app.mail.models import OutboxMessage
from app.numbers import whole_number
from app.people import tokens
from app.people.access import public, role_required
from app.people.models import Role
from app.people.service import UserError

bp = Blueprint("mail", __name__, template_folder="templates")
coordinators_only = role_required(Role.COORDINATOR)

# The same answer whether or not the address has an account (docs/mail.md, "Password resets").
RESET_SENT = (
    "If an account uses that address, a link to choose a new password is on its way. It works once, "
    "for a short while; check your spam folder if nothing arrives within a few minutes."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> str | tuple[str, int]:
    """Ask for a reset link by e-mail."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("mail/forgot.html", form=form), 422 if request.method == "POST" else 200
    service.request_password_reset(form.email.data)
    db.session.commit()
    return render_template("mail/forgot.html", form=None, sent=RESET_SENT)


@bp.route("/password/set", methods=["GET", "POST"])
@public
def set_password() -> Response | str | tuple[str, int]:
    """Choose a password through an invitation or reset link; the link dies once used.

    The link's secret travels in the query string (``?token=``), which the
    access logs of gunicorn and nginx leave out, and then in the form's body,
    never in a path. Opening the link changes nothing (mail scanners open
    links too); only the form's POST uses it. A dead link answers 410 with the
    same words whatever made it dead.
    """
    token = (request.form.get("token") if request.method == "POST" else request.args.get("token")) or ""
    try:
        row = tokens.check(token)
    except tokens.TokenError as exc:
        return render_template("mail/set_password.html", form=None, dead=str(exc)), 410
    user, purpose = row.user, row.purpose.value
    form = SetPasswordForm()
    page = {"user": user, "purpose": purpose, "token": token}
    if not form.validate_on_submit():
        return render_template("mail/set_password.html", form=form, **page), 422 if request.method == "POST" else 200
    email = user.email
    try:
        tokens.use(token, form.new_password.data)
    except tokens.TokenError as exc:
        return render_template("mail/set_password.html", form=None, dead=str(exc)), 410
    except UserError as exc:
        db.session.rollback()
        form.new_password.errors = [*form.new_password.errors, str(exc).partition(": ")[2].capitalize() + "."]
        return render_template("mail/set_password.html", form=form, **page), 422
    flash("Your password is set. Sign in with it now.", "success")
    return redirect(url_for("people.login", email=email), code=303)


# ---------------------------------------------------------------- the coordinator's pages


@bp.get("/console/mail")
@coordinators_only
def outbox_page() -> str:
    """Every message: waiting, failed (with the error) and sent, newest first."""
    status = request.args.get("status", "")
    status = status if status in outbox.STATUSES else ""
    recipient = request.args.get("to", "")[:254]
    try:
        number = whole_number(request.args.get("page"), "page", minimum=1, default=1)
    except InputError as exc:
        abort(400, exc.message)
    page = outbox.outbox_page(status=status, recipient=recipient, number=number)
    return render_template(
        "mail/outbox.html", page=page, status=status, recipient=recipient, form=MailActionForm(formdata=None)
    )


@bp.get("/console/mail/<int:message_id>")
@coordinators_only
def message(message_id: int) -> str:
    """One message as it was (or will be) sent, with its links, so a coordinator can pass one on by hand."""
    return render_template(
        "mail/message.html", message=db.get_or_404(OutboxMessage, message_id), form=MailActionForm(formdata=None)
    )


@bp.post("/console/mail/<int:message_id>/resend")
@coordinators_only
def resend(message_id: int) -> Response:
    """Try a waiting or failed message again now, or send a sent one once more."""
    message = db.get_or_404(OutboxMessage, message_id)
    if not MailActionForm().validate_on_submit():
        abort(400)
    try:
        target = outbox.resend(message, actor_id=current_user.id)
    except outbox.OutboxError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("mail.message", message_id=message.id))
    db.session.commit()
    flash(
        f"The message to {message.recipient} is queued again; it goes out in a moment."
        if service.has_server()
        else f"The message to {message.recipient} is queued again. MAIL_SERVER is not set, so it waits in the outbox.",
        "success",
    )
    return redirect(url_for("mail.message", message_id=target.id))


@bp.post("/console/mail/send")
@coordinators_only
def send_now() -> Response:
    """Deliver what is due now, in the background (as after any request that queues mail)."""
    if not MailActionForm().validate_on_submit():
        abort(400)
    outbox.wake_delivery()
    flash(
        "Delivery started: the page shows the outcome in a moment."
        if service.has_server()
        else "MAIL_SERVER is not set: messages stay in the outbox.",
        "success" if service.has_server() else "warning",
    )
    return redirect(url_for("mail.outbox_page"))


@bp.post("/console/cycles/<int:cycle_id>/invite")
@coordinators_only
def invite_cycle(cycle_id: int) -> Response:
    """Invite the cycle's reviewers and committee members who have no password yet."""
    cycle = cycle_or_404(cycle_id)
    if not MailActionForm().validate_on_submit():
        abort(400)
    report = service.invite_cycle(cycle, actor_id=current_user.id)
    db.session.commit()
    flash(f"Invitations: {report.describe()}.", "success")
    return redirect(url_for("console.dashboard", cycle_id=cycle.id))


@bp.post("/console/users/<int:user_id>/invite")
@coordinators_only
def invite_user(user_id: int) -> Response:
    """Send one account an invitation (none while it has a password or a link that still works)."""
    user = account_or_404(user_id)
    if not MailActionForm().validate_on_submit():
        abort(400)
    if service.invite(user, actor_id=current_user.id):
        db.session.commit()
        flash(f"An invitation to {user.email} is queued.", "success")
    elif user.password_hash is not None:
        flash(
            f"{user.email} already has a password; they can use “Forgot your password?” to choose a new one.", "warning"
        )
    else:
        flash(
            f"{user.email} already holds an invitation that still works; resend it from the Mail page if it "
            "went astray.",
            "warning",
        )
    return redirect(url_for("console.user", user_id=user.id))


@bp.route("/console/cycles/<int:cycle_id>/overdue", methods=["GET", "POST"])
@coordinators_only
def overdue(cycle_id: int) -> Response | str | tuple[str, int]:
    """The cycle's overdue reads, and the form that reminds reviewers (as ``flask remind``)."""
    cycle = cycle_or_404(cycle_id)
    form = RemindForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_overdue(cycle, form, 422)
        report = service.remind(cycle, days_before=form.days_before.data)
        service.coordinator_digest(cycle)
        db.session.commit()
        flash(f"Reminders: {report.describe(form.days_before.data)}.", "success")
        return redirect(url_for("mail.overdue", cycle_id=cycle.id))
    return _render_overdue(cycle, RemindForm(formdata=None), 200)


def _render_overdue(cycle, form: RemindForm, status: int) -> tuple[str, int]:
    return render_template(
        "mail/overdue.html",
        cycle=cycle,
        rows=service.overdue_reads(cycle),
        form=form,
        today=service.association_today(),
    ), status
