"""Console forms. Every POST form carries the CSRF token; choices are filled in by the view."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from app import textlimits as limits
from app.imports.validate import KINDS
from app.numbers import WholeNumberField, coerce_whole_number
from app.people.forms import your_password_field
from app.people.models import Role
from app.people.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]
KIND_HINTS = {
    "reviewers": "Reviewers: email, name; optional endorsements, designations, max_load, organization.",
    "applications": "Applications: applicant_id, name, category; optional Part 1 score and portfolio figures.",
    "essays": "Essays: item_id, applicant_id, rubric; optional prompt, response, and validity (yes: an essay with "
    "expert scores and no applicant, applicant_id left blank).",
    "conflicts": "Conflicts of interest: reviewer_email (or email: a reviewer or committee member), applicant_id; "
    "optional reason.",
    "scores": "Paper-scored reads: item_id, reviewer_email, domain, score; optional comment, submitted_at, round "
    "(2: a third reader's read).",
    "reference_scores": "Expert scores of validity essays: item_id, domain, score; every domain of each essay.",
    "decisions": "Committee decisions: a meeting's decisions, a row per application: applicant_id, decision "
    "(endorse, not_endorsed, revise), rationale; optional decided_by (a committee member's e-mail; you, when blank).",
    "committee": "Committee: email; optional name (needed for a new account) and organization. Seats committee "
    "or coordinator accounts on this cycle; new ones are committee accounts without a password.",
    # Portfolio records (docs/requirements.md): each file replaces the records of its kind of the applicants it names.
    "training": "Training records: applicant_id, hours; optional title, topic (general, dei, rsc), completed_on. "
    "Replaces the training of each applicant the file names.",
    "rsc": "RS/C log: applicant_id, hours, provider; optional provider_endorsement, format (individual, group), "
    "about_providing, peer, started_on, ended_on. Replaces the RS/C entries of each applicant the file names.",
    "references": "References: applicant_id, rater; optional rater_role, rater_endorsement, received_on. One row "
    "per rater; replaces the references of each applicant the file names.",
    "work": "Work history: applicant_id, started_on; optional ended_on (blank: ongoing), role, kind, "
    "with_infant_and_parent, supervised, paid. Replaces the work history of each applicant the file names.",
}
# What the kind select and the list show: each hint's name ("rsc" read "Rsc", "reference_scores" kept its underscore).
KIND_LABELS = {kind: hint.partition(": ")[0] for kind, hint in KIND_HINTS.items()}


class CycleForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[InputRequired(), limits.MaxLength(limits.CYCLE_NAME)],
        description="For example “Spring 2025 exams”.",
    )
    readers = WholeNumberField("Reads per item", default=2, validators=[InputRequired(), NumberRange(1, 9)])
    due = DateField("Reads due", validators=[Optional()])


class ImportForm(FlaskForm):
    kind = SelectField("What the file holds", choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS])
    file = FileField(
        "Spreadsheet (.xlsx or .csv)",
        validators=[FileRequired("Choose a file to import.")],
        description="The first row names the columns. Nothing is imported if any row has a problem.",
    )


class BlindnessForm(FlaskForm):
    blind = BooleanField(
        "Keep essays blind across items",
        description="A reviewer who reads an applicant's portfolio (which shows who they are) is "
        "not given that applicant's essays, and the reverse. Turn this off only when "
        "the pool is too small to keep the two apart.",
    )


class ConfirmPlanForm(FlaskForm):
    readers = WholeNumberField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, 9)])
    fingerprint = HiddenField(validators=[InputRequired(), Length(min=64, max=64)])


class ReviewerChoiceForm(FlaskForm):
    """Assign a reviewer to an item, or swap an assignment to another reviewer."""

    reviewer = SelectField("Reviewer", coerce=coerce_whole_number, validate_choice=False, validators=[InputRequired()])


class UnassignForm(FlaskForm):
    override = BooleanField("Remove a started or submitted read")
    reason = TextAreaField(
        "Reason",
        validators=[limits.MaxLength(limits.REASON)],
        filters=[limits.line_breaks_normalised],
        description="Required when removing a started or submitted read; kept in the audit log.",
        render_kw={"rows": 2},
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "Reason for reopening",
        validators=[InputRequired("Say why the read is reopened."), limits.MaxLength(limits.REASON)],
        filters=[limits.line_breaks_normalised],
        render_kw={"rows": 2},
    )


class DueForm(FlaskForm):
    """One read's own due date; blank: the cycle's."""

    due = DateField(
        "Due date",
        validators=[Optional()],
        description="Leave blank to use the cycle's due date. Reminders count from this date.",
    )


class QualificationReleaseForm(FlaskForm):
    reason = TextAreaField(
        "Why release without the set passed",
        validators=[InputRequired(), limits.MaxLength(limits.REASON)],
        filters=[limits.line_breaks_normalised],
        description="For example: talked it through with the reviewer; a second set is planned.",
    )


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class UserCreateForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), limits.MaxLength(limits.NAME)])
    email = StringField(
        "E-mail", validators=[InputRequired(), limits.MaxLength(limits.EMAIL)], render_kw={"type": "email"}
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.REVIEWER.value)
    password = PasswordField(
        "Initial password",
        validators=[Optional(), Length(max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, or leave blank to e-mail an invitation "
        "to choose one (best: no password passes through you).",
        render_kw={"autocomplete": "new-password"},
    )
    your_password = your_password_field()


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    your_password = your_password_field()


class AccountActiveForm(FlaskForm):
    """Disable or enable a sign-in."""

    your_password = your_password_field()


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[Optional(), Length(max=MAX_PASSWORD_LENGTH)],
        description="Leave blank to generate one (shown once). The user is signed out everywhere.",
        render_kw={"autocomplete": "new-password"},
    )
    your_password = your_password_field()


class ProfileForm(FlaskForm):
    designations = StringField(
        "Designations they may score",
        validators=[limits.MaxLength(limits.DESIGNATIONS)],
        description="C, P and/or RF, separated by semicolons, e.g. “C; RF”.",
    )
    endorsements = StringField(
        "Endorsements held",
        validators=[limits.MaxLength(limits.CODES)],
        description="Category codes, e.g. “IMHM-C; IMHS”.",
    )
    organization = StringField(
        "Organization",
        validators=[limits.MaxLength(limits.NAME)],
        description="Used to keep reviewers off applicants from their own organization.",
    )
    max_load = WholeNumberField(
        "Maximum reads per cycle", validators=[Optional(), NumberRange(min=0)], description="Blank for no limit."
    )


class SeatForm(FlaskForm):
    """Seat an existing committee or coordinator account on the cycle's committee."""

    account = SelectField(
        "Account",
        coerce=coerce_whole_number,
        validate_choice=False,
        validators=[InputRequired("Choose the account to seat.")],
    )


class UnseatForm(FlaskForm):
    account = WholeNumberField(widget=HiddenInput(), validators=[InputRequired()])


class CommitteeMemberForm(FlaskForm):
    """Seat someone by e-mail: their account, or a new committee account without a password."""

    email = StringField(
        "E-mail", validators=[InputRequired(), limits.MaxLength(limits.EMAIL)], render_kw={"type": "email"}
    )
    name = StringField(
        "Name",
        validators=[limits.MaxLength(limits.NAME)],
        description="Needed for a new account; for an existing one it replaces the name on record.",
    )
    organization = StringField(
        "Organization",
        validators=[limits.MaxLength(limits.NAME)],
        description="Where they work: they are recused from applicants of the same "
        "organization. Leave blank to keep what is on record.",
    )
    your_password = your_password_field()


class OrganizationForm(FlaskForm):
    organization = StringField(
        "Organization",
        validators=[limits.MaxLength(limits.NAME)],
        description="Where they work: as a committee member they are recused from "
        "applicants of the same organization. Blank: none on record.",
    )
