"""Forms of the mail pages: asking for a reset link, choosing a password through a link, the console's actions."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange

from app import textlimits as limits
from app.numbers import WholeNumberField
from app.people.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        "E-mail",
        validators=[InputRequired(), limits.MaxLength(limits.EMAIL)],
        render_kw={"autocomplete": "username", "type": "email", "autofocus": True},
    )


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A long passphrase is best; any characters work.",
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("new_password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class MailActionForm(FlaskForm):
    """A console button that sends or resends mail (CSRF only)."""


class RemindForm(FlaskForm):
    days_before = WholeNumberField(
        "Days before the due date",
        default=3,
        validators=[InputRequired("Say how many days before the due date."), NumberRange(0, 60, "From 0 to 60 days.")],
        render_kw={"inputmode": "numeric", "min": 0, "max": 60},
    )
