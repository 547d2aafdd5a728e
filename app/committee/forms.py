"""The committee's two forms: an item's final domain scores (one field per domain of its rubric, built for the
rubric as Indico builds a review form from its questions) and an application's decision.

The forms carry what the member typed; what may be saved is the decisions
service's rule, and its ``InputError`` problems are shown on the fields they
name (``show_problems``). The CSRF token is checked for every request by
Flask-WTF's ``CSRFProtect`` (from the form field or the htmx header), so the
forms leave it out. ``conflict`` holds what a colleague saved meanwhile after a
409; ``saved`` says the form shows a save that just succeeded.
"""

from collections.abc import Mapping
from typing import Any

from flask import abort
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import textlimits as limits
from app.committee.decisions import LINE_PREFIX
from app.committee.models import DecisionValue
from app.errors import InputError
from app.forms import show_problems
from app.numbers import optional_whole_number
from app.reports import DECISION_LABELS
from app.requirements.present import MARK_WORDS
from app.rubrics.model import Rubric
from app.scoring.models import CheckStatus

SCORE_PREFIX = "score_"
# The committee's final result on a requirement line, in the words the item page uses.
LINE_CHOICES = [SelectChoice("", "Choose…"), *(SelectChoice(value, MARK_WORDS[value]) for value in CheckStatus)]


def _rationale_field() -> TextAreaField:
    """The rationale of a resolution or a decision; the decisions service refuses a longer one, and says so here."""
    return TextAreaField(
        "Rationale", validators=[limits.MaxLength(limits.RATIONALE)], filters=[limits.line_breaks_normalised]
    )


class CommitteeForm(FlaskForm):
    """A versioned committee form: the version the member saw, and the rationale every save needs."""

    class Meta:
        csrf = False  # CSRFProtect checks every request before the view

    version = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflict: dict[str, Any] | None = None
        self.saved = False

    def expected_version(self) -> int | None:
        """The version the member saw (None: nothing was saved when they opened the form); 400 when malformed."""
        try:
            return optional_whole_number(self.version.data, "version")
        except InputError as exc:
            abort(400, exc.message)

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Put each problem of a refused save on the field it names (a domain key names its score field)."""
        show_problems(self, problems, prefixes=(SCORE_PREFIX, LINE_PREFIX))

    def show_conflict(self, current_version: int, current: dict[str, Any]) -> None:
        """A colleague saved ``current`` meanwhile: show it, and let a deliberate second save replace it."""
        self.conflict = current
        self.version.data = str(current_version)

    @property
    def problems(self) -> list[str]:
        """Every problem of the form, those about the whole form first, then the fields' in their order."""
        return [*self.form_errors, *(problem for field in self for problem in field.errors)]


class ResolutionForm(CommitteeForm):
    """Final domain scores and a rationale; the score fields come from ``build_resolution_form``."""

    def scores(self) -> dict[str, str]:
        """The typed scores by domain key."""
        return {
            name.removeprefix(SCORE_PREFIX): field.data or ""
            for name, field in self._fields.items()
            if name.startswith(SCORE_PREFIX)
        }

    def score_field(self, domain_key: str):
        return self[SCORE_PREFIX + domain_key]

    def lines(self) -> dict[str, str]:
        """The chosen final result per requirement line, by the line's key (blank when none was chosen)."""
        return {
            name.removeprefix(LINE_PREFIX): field.data or ""
            for name, field in self._fields.items()
            if name.startswith(LINE_PREFIX)
        }

    def line_field(self, requirement_key: str):
        return self[LINE_PREFIX + requirement_key]


def build_resolution_form(rubric: Rubric, *, saved: Mapping[str, Any] | None = None) -> ResolutionForm:
    """The final-score form for an item of this rubric: one score field per domain, in the rubric's order,
    then the rationale. With ``saved`` (scores, rationale, version) it shows those instead of the request."""

    class Form(ResolutionForm):
        pass

    for domain in rubric.domains:
        setattr(Form, SCORE_PREFIX + domain.key, StringField(domain.name))
    for requirement in rubric.requirements:
        setattr(
            Form,
            LINE_PREFIX + requirement.key,
            SelectField(requirement.label, choices=LINE_CHOICES, validate_choice=False),
        )
    Form.rationale = _rationale_field()
    if saved is None:
        return Form()
    return Form(
        formdata=None,
        version=_version_text(saved.get("version")),
        rationale=saved.get("rationale", ""),
        **{SCORE_PREFIX + key: "" if value is None else value for key, value in saved.get("scores", {}).items()},
        **{LINE_PREFIX + key: value for key, value in saved.get("lines", {}).items()},
    )


class DecisionForm(CommitteeForm):
    """The committee's decision on an application with its rationale; a new one starts unchosen."""

    decision = RadioField(
        "Decision", choices=[SelectChoice(value.value, DECISION_LABELS[value]) for value in DecisionValue]
    )
    rationale = _rationale_field()


def decision_form(saved: Mapping[str, Any] | None) -> DecisionForm:
    """The decision form showing a saved decision (or none yet), not the request."""
    saved = saved or {}
    return DecisionForm(
        formdata=None,
        decision=saved.get("decision", ""),
        rationale=saved.get("rationale", ""),
        version=_version_text(saved.get("version")),
    )


def _version_text(version: int | None) -> str:
    return "" if version is None else str(version)
