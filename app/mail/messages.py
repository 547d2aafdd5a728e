"""The messages' words: one plain-text template per kind, overridable from ``instance/mail/``.

A template's first line is ``Subject: …``, then a blank line, then the body.
The app's own templates are in ``app/mail/texts/`` — apart from the HTML
templates, so the page renderer (which escapes only ``.html``) never sees
them; an association
puts its own wording in ``instance/mail/<kind>.txt`` (same name, same
variables, docs/mail.md lists them). Plain text: nothing is HTML-escaped, and
no variable may hold a password or an essay's text.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from app.config import time_zone
from app.timeutil import format_date

APP_TEMPLATES = Path(__file__).parent / "texts"
KINDS = (
    "invitation",
    "password_reset",
    "new_assignments",
    "third_read",
    "reminder",
    "overdue",
    "read_reopened",
    "coordinator_digest",
    "sign_ins_delayed",
    "qualification_missed",
)


class MessageTemplateError(Exception):
    """A template (usually an association's own) cannot make a message; says which file and why."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _environment() -> Environment:
    """One environment per app: the instance folder first, so an association's file wins."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    environment = app.extensions.get("mail_templates")
    if environment is None:
        environment = Environment(
            loader=FileSystemLoader([str(Path(app.instance_path) / "mail"), str(APP_TEMPLATES)]),
            autoescape=False,
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        zone = time_zone(app.config["TIMEZONE"])  # times as the pages show them, in the association's zone
        environment.filters["date"] = lambda value, precision="day": format_date(value, precision, zone)
        app.extensions["mail_templates"] = environment
    return environment


def render(kind: str, **context: Any) -> Rendered:
    """The subject and body of a message of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    name = f"{kind}.txt"
    context.setdefault("association", current_app.config["ASSOCIATION"])
    try:
        text = _environment().get_template(name).render(**context)
    except TemplateNotFound as exc:
        raise MessageTemplateError(f"mail template {name} is missing") from exc
    except Exception as exc:  # noqa: BLE001 — an association's template may fail in any way; say where
        raise MessageTemplateError(f"mail template {name}: {type(exc).__name__}: {exc}") from exc
    head, _, body = text.partition("\n")
    if not head.startswith("Subject:"):
        raise MessageTemplateError(f"mail template {name}: the first line must be 'Subject: …'")
    return Rendered(subject=" ".join(head[len("Subject:") :].split()), body=body.strip("\n") + "\n")
