"""Decision letters: one .docx per decided application, filled from a template (docs/letters.md).

The letter's content comes from the rows every other view reads
(``app.reports.applicant_rows`` for the parts and the decision,
``app.requirements.service.cycle_lines`` for the requirement lines), so a
letter says what the committee's page and the workbook say. Templates are
compiled and checked before the first letter is written: a template with an
unknown field stops the run with the field named, and nothing is written.
"""

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from flask import current_app

from app.committee.models import Decision, DecisionValue
from app.cycles.models import Applicant, Application, Cycle
from app.errors import InputError
from app.extensions import db
from app.letters.template import LetterTemplate, load_template
from app.progress import NO_PROGRESS, Progress
from app.reconcile import engine
from app.reports import DECISION_LABELS, ApplicantRow, applicant_rows
from app.requirements.rules import MANUAL, MET, NOT_MET, UNKNOWN, LineResult
from app.requirements.service import ApplicationLines, cycle_lines
from app.timeutil import utcnow

DEFAULTS = Path(__file__).parent / "default_templates"
# An association's own templates: one per decision (``endorse.docx``…) or one for all (``letter.docx``).
INSTANCE_FOLDER = "letters"
ALL_DECISIONS = "letter"
# The fields a template may use (docs/letters.md has what each holds).
FIELDS = (
    "applicant_id",
    "name",
    "email",
    "organization",
    "category",
    "cycle",
    "association",
    "date",
    "decision",
    "rationale",
    "decided_on",
    "decided_by",
    "portfolio_result",
    "part1_result",
    "mc_score",
    "pass_mark",
    "part2_result",
    "requirements_met",
)
# Fields that hold a list: the paragraph holding one is written once per entry.
LIST_FIELDS = ("address", "parts", "requirements_not_met")
RESULT_WORDS = {engine.PASS: "Pass", engine.FAIL: "Fail", None: "Not complete"}
# How a requirement line that is not met reads in a letter, by its final result (or, without one, its check).
LINE_WORDS = {
    NOT_MET: "not met",
    "more_info": "more information is needed",
    UNKNOWN: "not shown in the application",
    MANUAL: "not confirmed by the reviewers",
}
# The one entry of the list of lines not met when there are none, so a heading above it never stands alone.
EVERY_LINE_MET = "None: every requirement line is met."
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class LetterError(InputError):
    """The letters cannot be written; the problem names the template, field or applicant."""


@dataclass(frozen=True)
class Letter:
    applicant_id: str
    filename: str
    decision: DecisionValue
    values: dict[str, str]
    lists: dict[str, list[str]]


@dataclass(frozen=True)
class Written:
    count: int
    per_decision: dict[DecisionValue, int]


def templates(template_path: Path | None = None) -> dict[DecisionValue, LetterTemplate]:
    """The template of each decision, compiled and checked: ``template_path`` for every decision when given,
    else the association's own in instance/letters/ (per decision, then one for all), else the default."""
    folder = Path(current_app.instance_path) / INSTANCE_FOLDER
    chosen = {}
    for decision in DecisionValue:
        if template_path is not None:
            path = template_path
        else:
            candidates = (
                folder / f"{decision.value}.docx",
                folder / f"{ALL_DECISIONS}.docx",
                DEFAULTS / f"{decision.value}.docx",
            )
            path = next(candidate for candidate in candidates if candidate.is_file())
        chosen[decision] = path
    compiled: dict[Path, LetterTemplate] = {}
    for path in set(chosen.values()):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LetterError.of("--template", f"{path}: {exc.strerror}") from None
        compiled[path] = load_template(data, path.name, FIELDS, LIST_FIELDS)
    return {decision: compiled[path] for decision, path in chosen.items()}


def decided_letters(cycle: Cycle, *, today: date | None = None) -> list[Letter]:
    """A letter's content for every application with a decision, by applicant id."""
    lines = cycle_lines(cycle)
    by_applicant = {application.applicant_id: application for application in lines.values()}
    common = {
        "cycle": cycle.name,
        "association": str(current_app.config["ASSOCIATION"]),
        "date": _long_date(today or utcnow().date()),
    }
    letters: list[Letter] = []
    files: dict[str, str] = {}
    for row in applicant_rows(cycle, by_applicant_id=True, lines=lines):
        if row.decision is None:
            continue
        filename = _filename(row.applicant_id)
        if filename in files:
            raise LetterError.of(
                "applicant_id",
                f"{files[filename]} and {row.applicant_id} would both be "
                f"written to {filename}; make their ids differ by a letter or "
                "digit",
            )
        files[filename] = row.applicant_id
        letters.append(_letter(row, by_applicant.get(row.applicant_id), common, filename))
    return letters


def _letter(row: ApplicantRow, lines: ApplicationLines | None, common: Mapping[str, str], filename: str) -> Letter:
    decision = row.decision or {}
    mark = f"{row.pass_mark:g} %" if row.pass_mark is not None else ""
    score = f"{row.mc_score:g} %" if row.mc_score is not None else ""
    part1 = RESULT_WORDS[row.part1] + (f", with {score} (pass mark {mark})" if score else "")
    essays = len(row.essays)
    part2 = RESULT_WORDS[row.essay_result] + (f" ({essays} essay{'s' if essays != 1 else ''})" if essays else "")
    values = {
        **common,
        "applicant_id": row.applicant_id,
        "name": row.name,
        "email": row.email or "",
        "organization": row.organization or "",
        "category": row.category,
        "decision": DECISION_LABELS[DecisionValue(decision["decision"])],
        "rationale": decision["rationale"],
        "decided_on": _long_date(decision["decided_at"]) if decision.get("decided_at") else "",
        "decided_by": decision.get("decided_by") or "",
        "portfolio_result": RESULT_WORDS[row.portfolio_result],
        "part1_result": RESULT_WORDS[row.part1],
        "mc_score": score,
        "pass_mark": mark,
        "part2_result": RESULT_WORDS[row.essay_result],
        "requirements_met": str(row.requirements_met) if row.requirements_met else "",
    }
    parts = [
        f"Portfolio review: {RESULT_WORDS[row.portfolio_result]}",
        f"Part 1 (multiple choice): {part1}",
        f"Part 2 (essays): {part2}",
    ]
    return Letter(
        row.applicant_id,
        filename,
        DecisionValue(decision["decision"]),
        values,
        {
            "address": [text for text in (row.name, row.organization, row.email) if text],
            "parts": parts,
            "requirements_not_met": lines_not_met(lines) or [EVERY_LINE_MET],
        },
    )


def lines_not_met(lines: ApplicationLines | None) -> list[str]:
    """Each requirement line whose result is not *met* (its final result, or while it has none the product's
    check), with why in words: the same count as "Requirements met"."""
    if lines is None:
        return []
    entries = []
    for result in lines.results:
        final = lines.finals.get(result.key)
        status = final if final is not None else result.check
        if status == MET:
            continue
        entry = f"{result.label}: {LINE_WORDS.get(status, status)}"
        # What was counted explains a shortfall; for a line that could not be checked it names data columns.
        shortfall = status == NOT_MET and result.check == NOT_MET and result.evidence
        entries.append(f"{entry} ({_counted_for_the_applicant(result)})" if shortfall else entry)
    return entries


def _counted_for_the_applicant(result: LineResult) -> str:
    """What was counted, in the applicant's words: a figure from the applications import's column as the rules
    state it for the applicant ("30 h, 50 h needed"; "Not a member"), without the coordinator's notes."""
    return result.stated or result.evidence.rstrip(".")


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _filename(applicant_id: str) -> str:
    """``<applicant_id>.docx``, with anything but letters, digits, ``.``, ``-`` and ``_`` made ``_`` (an id is
    the association's text: it must not name a folder)."""
    return (_UNSAFE.sub("_", applicant_id).lstrip(".") or "_") + ".docx"


def _render(
    letters: list[Letter], chosen: Mapping[DecisionValue, LetterTemplate], progress: Progress
) -> Iterator[tuple[Letter, bytes]]:
    progress.start(f"Writing {len(letters):,} letters", len(letters))
    for letter in letters:
        yield letter, chosen[letter.decision].render(letter.values, letter.lists)
        progress.advance()


def write_letters(
    cycle: Cycle, out_dir: Path, *, template_path: Path | None = None, progress: Progress = NO_PROGRESS
) -> Written:
    """Write ``<applicant_id>.docx`` for every decided application into ``out_dir`` (an existing folder); each
    file is readable by its owner only and appears whole (written aside, then renamed)."""
    if not out_dir.is_dir():
        if not out_dir.parent.is_dir():
            raise LetterError.of("--out", f"folder {out_dir.parent} does not exist")
        out_dir.mkdir(mode=0o700)  # letters hold personal data: the folder is its owner's only
    chosen = templates(template_path)
    letters = decided_letters(cycle)
    counts = dict.fromkeys(DecisionValue, 0)
    for letter, data in _render(letters, chosen, progress):
        fd, temporary = tempfile.mkstemp(suffix=".docx", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, out_dir / letter.filename)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        counts[letter.decision] += 1
    progress.finish()
    return Written(len(letters), counts)


def letters_zip(cycle: Cycle, out: IO[bytes], *, progress: Progress = NO_PROGRESS) -> Written:
    """Every decided application's letter in one zip (``<applicant_id>.docx`` each), for a download."""
    chosen = templates()
    letters = decided_letters(cycle)
    counts = dict.fromkeys(DecisionValue, 0)
    # A .docx is compressed already: stored as it is, the zip costs no second compression.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for letter, data in _render(letters, chosen, progress):
            archive.writestr(letter.filename, data)
            counts[letter.decision] += 1
    progress.finish()
    return Written(len(letters), counts)


def letters_zip_bytes(cycle: Cycle, *, progress: Progress = NO_PROGRESS) -> bytes:
    buffer = io.BytesIO()
    letters_zip(cycle, buffer, progress=progress)
    return buffer.getvalue()


def decided_count(cycle: Cycle) -> int:
    """How many applications of the cycle have a decision (each gets a letter)."""
    return (
        db.session.scalar(
            db.select(db.func.count(Decision.id))
            .join(Application, Decision.application_id == Application.id)
            .join(Applicant, Application.applicant_pk == Applicant.id)
            .where(Applicant.cycle_id == cycle.id)
        )
        or 0
    )
