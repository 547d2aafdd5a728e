"""Sign in, sign out, password change and the role-aware start page."""

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from app import textlimits as limits
from app.extensions import db
from app.forms import show_problems
from app.people import service
from app.people.access import public
from app.people.devices import known_device, remember_device
from app.people.forms import LoginForm, PasswordChangeForm
from app.people.models import User
from app.people.navigation import home_url_for
from app.people.password_turns import PasswordChecksBusy
from app.people.sessions import mark_signed_in, safe_next
from app.people.throttle import describe_wait

bp = Blueprint("people", __name__, template_folder="templates")

BAD_CREDENTIALS = "E-mail or password is incorrect."
# The same words whether or not the e-mail has an account.
WAIT_MESSAGES = {
    "account": "Too many failed sign-ins for this e-mail. Wait {wait} and try again.",
    "client": "Too many failed sign-ins from your network. Wait {wait} and try again.",
}


def start_session(user: User) -> None:
    """A fresh session for ``user``: nothing from the old cookie survives (new CSRF secret too)."""
    session.clear()
    login_user(user)
    mark_signed_in()
    session.permanent = True  # idle expiry after PERMANENT_SESSION_LIFETIME; SESSION_MAX_AGE_SECONDS in any case


def landing_url(user: User) -> str:
    return home_url_for(user) or url_for("people.home")


@bp.get("/")
def home() -> Response | str:
    """Send each role to its start page; a short page while that area does not exist."""
    target = home_url_for(current_user)
    if target is not None:
        return redirect(target)
    return render_template("people/home.html")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    """The sign-in form; after success the user lands on `next` (if within the app) or their start page."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or landing_url(current_user))
    # ``email`` comes from the set-password page's redirect: the address the user just chose a password for.
    form = LoginForm(next=request.args.get("next", ""), email=request.args.get("email", "")[: limits.EMAIL])
    if not form.validate_on_submit():
        return render_template("people/login.html", form=form)
    email = service.attempt_key(form.email.data)
    try:
        result = service.authenticate(
            email, form.password.data, client=request.remote_addr, device=known_device(request, email), limits=_limits()
        )
    except PasswordChecksBusy as busy:  # nothing was counted or checked: the form again, the e-mail kept
        return render_template("people/login.html", form=form, error=busy.description), 429, dict(busy.get_headers())
    db.session.commit()  # the outcome: a failure stays counted, a success clears its bucket
    if result.wait_seconds:
        message = WAIT_MESSAGES[result.limited_by or "account"].format(wait=describe_wait(result.wait_seconds))
        return (
            render_template("people/login.html", form=form, error=message),
            429,
            {"Retry-After": str(result.wait_seconds)},
        )
    if result.user is None:
        return render_template("people/login.html", form=form, error=BAD_CREDENTIALS), 401
    start_session(result.user)
    response = redirect(safe_next(form.next.data) or landing_url(result.user))
    remember_device(request, response, email)
    return response


def _limits() -> service.SignInLimits:
    return service.sign_in_limits(current_app.config)


@bp.post("/logout")
def logout() -> Response:
    """Sign out everywhere: the user's session token is rotated, so any copy of the cookie stops working."""
    user = current_user._get_current_object()
    user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("people.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | str | tuple[str, int, dict[str, str]]:
    """Change your own password; every other session of yours ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            service.change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                client=request.remote_addr,
                device=known_device(request, user.email),
                limits=_limits(),
            )
        except PasswordChecksBusy as busy:  # nothing was checked or counted: the form again, to send once more
            show_problems(form, {"current_password": busy.description})
            return render_template("people/password.html", form=form), 429, dict(busy.get_headers())
        except service.UserError as exc:
            db.session.commit()  # keeps a wrong-guess count; the password is unchanged
            # The password rules speak of "password": here that is the new one.
            show_problems(
                form,
                {"new_password" if field == "password" else field: problem for field, problem in exc.problems.items()},
            )
        else:
            db.session.commit()
            start_session(user)
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(landing_url(user))
    return render_template("people/password.html", form=form)


@bp.get("/account/token")
def csrf_token() -> Response:
    """A fresh CSRF token for this session, so a page left open can keep saving after signing in again."""
    return jsonify(csrf_token=generate_csrf())
