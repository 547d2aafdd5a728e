"""Sign-in and password forms. Passwords are taken exactly as typed: no stripping, no filters."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app.people.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = StringField("E-mail", validators=[InputRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "type": "email", "autofocus": True})
    password = PasswordField("Password", validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password", validators=[InputRequired()],  # length rules live in service.check_password_rules
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A long passphrase is best; any characters work.",
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        "New password again", validators=[InputRequired(), EqualTo("new_password", "The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"})
