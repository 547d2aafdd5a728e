"""Sign-in and password forms. Passwords are taken exactly as typed: no stripping, no filters."""

from flask import current_app, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from app import textlimits as limits
from app.people import service
from app.people.devices import known_device
from app.people.password_turns import PasswordChecksBusy
from app.people.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = StringField(
        "E-mail",
        validators=[InputRequired(), limits.MaxLength(limits.EMAIL)],
        render_kw={"autocomplete": "username", "type": "email", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired()],  # length rules live in service.check_password_rules
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A long passphrase is best; any characters work.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("new_password", "The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


def _is_your_password(_form: FlaskForm, field: Field) -> None:
    user = current_user._get_current_object()
    try:
        problem = service.reauthenticate(
            user,
            field.data,
            client=request.remote_addr,
            device=known_device(request, user.email),
            limits=service.sign_in_limits(current_app.config),
        )
    except PasswordChecksBusy as busy:  # nothing was checked or counted: the form comes back to be sent again
        raise ValidationError(busy.description) from None
    if problem:
        raise ValidationError(problem[:1].upper() + problem[1:] + ".")


def your_password_field() -> PasswordField:
    """The last field of a form for an account-changing action (roles, sign-in on or off, passwords, new
    accounts): the signed-in user types their own password again, so a session left open or stolen cannot
    change accounts (docs/security-hardening.md, "Sessions"). Wrong passwords count like failed sign-ins."""
    return PasswordField(
        "Your password",
        validators=[
            InputRequired("Type your own password to confirm this change."),
            Length(max=MAX_PASSWORD_LENGTH),
            _is_your_password,
        ],
        description="Your own password, to confirm that it is you.",
        render_kw={"autocomplete": "current-password"},
    )
