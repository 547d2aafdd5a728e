"""Decision letters: filled from the default templates or an association's own, read back with python-docx."""

import io
import stat
import zipfile
from pathlib import Path

import pytest
from docx import Document

from app.cli import TerminalProgress
from app.committee import decisions
from app.committee.models import DecisionValue
from app.cycles.models import Application, Cycle, Item
from app.extensions import db
from app.letters import service as letters
from app.letters.template import TemplateError, load_template
from app.requirements.models import RequirementFinal
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus
from tests import committee_world
from tests.committee_world import essay_scores

pytestmark = pytest.mark.seeded(seed=committee_world.build)


@pytest.fixture
def world(app, seeded):
    with app.app_context():
        yield seeded


@pytest.fixture
def decided(world):
    """Ada endorsed (every part passed), Bo not endorsed (Part 1 below the mark), as the committee recorded."""
    decisions.resolve_item(
        db.session.get(Item, world["split"]),
        {k: "3" for k in essay_scores(3)},
        "Pass on all.",
        actor_id=None,
        expected_version=None,
    )
    decisions.record_decision(
        db.session.get(Application, world["ada"]),
        "endorse",
        "A thorough portfolio & two strong essays.",
        actor_id=world["ids"]["maya"],
        expected_version=None,
    )
    decisions.record_decision(
        db.session.get(Application, world["bo"]),
        "not_endorsed",
        "Part 1 is below the mark.\nThe portfolio was not sent.",
        actor_id=world["ids"]["noah"],
        expected_version=None,
    )
    db.session.commit()
    return world


def _cycle(world) -> Cycle:
    return db.session.get(Cycle, world["cycle"])


def _texts(data: bytes) -> list[str]:
    return [paragraph.text for paragraph in Document(io.BytesIO(data)).paragraphs]


def _template(*paragraphs: str | list[tuple[str, bool]]) -> bytes:
    """A .docx whose paragraphs are plain strings, or runs (text, bold) as Word splits text into runs."""
    document = Document()
    for paragraph in paragraphs:
        if isinstance(paragraph, str):
            document.add_paragraph(paragraph)
        else:
            target = document.add_paragraph()
            for text, bold in paragraph:
                target.add_run(text).bold = bold
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _letters_zip(world) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(letters.letters_zip_bytes(_cycle(world))))
    return {name: archive.read(name) for name in archive.namelist()}


def test_the_default_letters_say_the_decision_the_parts_and_the_rationale(decided):
    files = _letters_zip(decided)
    assert sorted(files) == ["A-1.docx", "A-2.docx"]

    ada = _texts(files["A-1.docx"])
    assert "Dear Ada Applicant," in ada
    assert "Your endorsement: Endorse" in ada
    assert any("decided to endorse you in the IMHM-C category" in text and "Spring 2025" in text for text in ada)
    # The parts, one bullet each: her portfolio agreed pass, MC 85 against the 80 pass mark, her one essay decided.
    start = ada.index("The result of each part of your application:") + 1
    assert ada[start : start + 3] == [
        "Portfolio review: Pass",
        "Part 1 (multiple choice): Pass, with 85 % (pass mark 80 %)",
        "Part 2 (essays): Pass (1 essay)",
    ]
    assert "A thorough portfolio & two strong essays." in ada
    assert not any("requirement lines" in text for text in ada)  # an endorsement letter lists none

    bo = _texts(files["A-2.docx"])
    # The address block has a line per detail the applicant has (Bo has neither organization nor e-mail).
    assert bo[3:5] == ["Bo Applicant", "Your endorsement application: Not endorsed"]
    start = bo.index("The result of each part of your application:") + 1
    assert bo[start : start + 3] == [
        "Portfolio review: Not complete",
        "Part 1 (multiple choice): Fail, with 70 % (pass mark 80 %)",
        "Part 2 (essays): Pass (1 essay)",
    ]
    # Bo sent no portfolio figures or records: no line of the IMHM-C pack is met.
    lines = get_rubric("imhm-c-application").requirements
    start = bo.index("The requirement lines of your portfolio that are not met:") + 1
    listed = bo[start : start + len(lines)]
    unchecked = {True: "not confirmed by the reviewers", False: "not shown in the application"}
    assert listed == [f"{line.label}: {unchecked[line.figure is None]}" for line in lines]
    assert bo[start + len(lines)].startswith("The committee's reasons")
    # The rationale's line break is Word's own break inside one paragraph.
    assert "Part 1 is below the mark.\nThe portfolio was not sent." in bo
    footer = Document(io.BytesIO(files["A-2.docx"])).sections[0].footer.paragraphs[0].text
    assert footer == "MI-AIMH · Spring 2025 · applicant A-2"


def test_a_revise_letter_lists_the_lines_whose_final_result_is_not_met(decided):
    application = db.session.get(Application, decided["ada"])
    final = db.session.scalar(
        db.select(RequirementFinal).filter_by(application_id=application.id, requirement_key="rsc_hours")
    )
    final.status = CheckStatus.NOT_MET
    decisions.record_decision(
        application, "revise", "More RS/C hours are needed.", actor_id=None, expected_version=2 - 1
    )
    db.session.commit()
    ada = _texts(_letters_zip(decided)["A-1.docx"])
    label = next(line.label for line in get_rubric("imhm-c-application").requirements if line.key == "rsc_hours")
    start = ada.index("The requirement lines of your portfolio that are not met:") + 1
    assert ada[start].startswith(f"{label}: not met")
    assert ada[start + 1].startswith("The committee's reasons")  # the one line not met, nothing else


def test_the_cli_writes_one_private_file_per_decided_application(decided, runner, tmp_path):
    out = tmp_path / "letters"
    result = runner.invoke(args=["letters", "--cycle", "Spring 2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote 2 letters to {out} (1 endorse, 1 not endorsed)"
    assert sorted(path.name for path in out.iterdir()) == ["A-1.docx", "A-2.docx"]
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Dear Bo Applicant," in _texts((out / "A-2.docx").read_bytes())


def test_an_associations_own_template_is_used_for_every_decision_and_split_runs_are_filled(decided, app):
    folder = Path(app.instance_path) / "letters"
    folder.mkdir()
    # Word often splits a field over runs (formatting, spelling marks, edits): the field still fills, in the
    # style of the run it starts in.
    (folder / "letter.docx").write_bytes(
        _template(
            [("To ", False), ("{{ na", True), ("me }", False), ("}, applicant {", False), ("{ applicant_id }}", False)],
            "Decision: {{ decision }}",
            "{{ parts }}",
        )
    )
    files = _letters_zip(decided)
    ada = Document(io.BytesIO(files["A-1.docx"]))
    assert ada.paragraphs[0].text == "To Ada Applicant, applicant A-1"
    assert [run.bold for run in ada.paragraphs[0].runs if "Ada" in run.text] == [True]
    assert [p.text for p in ada.paragraphs[1:]] == [
        "Decision: Endorse",
        "Portfolio review: Pass",
        "Part 1 (multiple choice): Pass, with 85 % (pass mark 80 %)",
        "Part 2 (essays): Pass (1 essay)",
    ]
    assert _texts(files["A-2.docx"])[1] == "Decision: Not endorsed"


def test_a_template_with_an_unknown_field_is_refused_naming_it_and_nothing_is_written(decided, runner, tmp_path):
    template = tmp_path / "ours.docx"
    template.write_bytes(_template("Dear {{ name }},", [("Your ", False), ("{{ decison", True), (" }}", False)]))
    out = tmp_path / "letters"
    result = runner.invoke(args=["letters", "--cycle", "Spring 2025", "--out", str(out), "--template", str(template)])
    assert result.exit_code == 1
    assert "ours.docx: unknown field {{ decison }}; the fields are address, applicant_id," in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.parametrize(
    ("paragraphs", "problem"),
    [
        (["Dear {{ name }"], "a field is not closed with }}"),
        (["Dear {{ first name }}"], "'{{ first name }}' is not a field"),
        (["{{ parts }} and {{ requirements_not_met }}"], "give each list a paragraph of its own"),
    ],
)
def test_a_malformed_template_is_refused_with_the_reason(paragraphs, problem):
    with pytest.raises(TemplateError) as refused:
        load_template(_template(*paragraphs), "ours.docx", letters.FIELDS, letters.LIST_FIELDS)
    assert problem in str(refused.value) and str(refused.value).startswith("ours.docx: ")


def test_not_a_word_document_is_refused():
    with pytest.raises(TemplateError, match="ours.docx: is not a Word document"):
        load_template(b"PK not really", "ours.docx", letters.FIELDS, letters.LIST_FIELDS)


def test_values_are_text_in_the_letter_never_markup():
    template = load_template(_template("{{ rationale }}"), "t.docx", letters.FIELDS, letters.LIST_FIELDS)
    data = template.render({"rationale": "<w:p/> & \x01 tab\there"}, {})
    assert _texts(data) == ["<w:p/> &  tab\there"]


def test_an_applicant_id_never_names_a_folder():
    assert letters._filename("../../etc/passwd") == "_.._etc_passwd.docx"
    assert letters._filename("A 1/2") == "A_1_2.docx"


def test_progress_shows_on_a_terminal_and_is_silent_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = TerminalProgress(stream)
        progress.start("Reading the pool")
        progress.start("Writing 3 letters", 3)
        progress.advance(3)
        progress.finish()
    assert "Reading the pool…" in terminal.getvalue() and "Writing 3 letters" in terminal.getvalue()
    assert "3/3" in terminal.getvalue()
    assert log.getvalue() == ""


def test_a_template_for_one_decision_wins_over_the_one_for_all_and_the_rest_keep_the_defaults(decided, app):
    folder = Path(app.instance_path) / "letters"
    folder.mkdir()
    (folder / "endorse.docx").write_bytes(_template("Endorsed: {{ name }}"))
    chosen = letters.templates()
    assert chosen[DecisionValue.ENDORSE].name == "endorse.docx"
    assert (chosen[DecisionValue.REVISE].name, chosen[DecisionValue.NOT_ENDORSED].name) == (
        "revise.docx",
        "not_endorsed.docx",
    )
    files = _letters_zip(decided)
    assert _texts(files["A-1.docx"]) == ["Endorsed: Ada Applicant"]
    assert "Dear Bo Applicant," in _texts(files["A-2.docx"])  # the shipped default for not_endorsed
    (folder / "letter.docx").write_bytes(_template("For all: {{ decision }}"))
    files = _letters_zip(decided)
    assert _texts(files["A-1.docx"]) == ["Endorsed: Ada Applicant"]
    assert _texts(files["A-2.docx"]) == ["For all: Not endorsed"]


def test_a_shortfall_read_from_the_applications_columns_is_worded_for_the_applicant(app):
    """The letter says what was counted against what is needed, not which spreadsheet column it came from nor
    what the coordinator could not check without records."""
    from datetime import date

    from app.requirements.records import Portfolio
    from app.requirements.rules import evaluate
    from app.requirements.service import ApplicationLines

    with app.app_context():
        rubric = get_rubric("imhs-application")  # RS/C received: at least 50 h; membership must be yes
    figures = {"rsc_hours": 30, "member": False}
    results = evaluate(rubric.requirements, Portfolio(figures=figures), date(2027, 4, 30))
    entries = letters.lines_not_met(ApplicationLines("A-9", "Cy", "IMHS", results, {}, {}))
    label = {line.key: line.label for line in rubric.requirements}
    assert f"{label['rsc_hours']}: not met (30 h, 50 h needed)" in entries
    assert f"{label['membership']}: not met (Not a member)" in entries
    assert not [entry for entry in entries if "column" in entry or "checked without" in entry]
