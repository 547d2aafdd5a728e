"""Importing spreadsheets into a cycle: every kind from both formats, bad files refused whole, re-import idempotent."""

import csv
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from app.assignment.models import Assignment, AssignmentSource
from app.audit.models import AuditEntry
from app.cycles.models import Applicant, Conflict, CycleMember, Item, ItemKind, ItemState
from app.extensions import db
from app.imports import service as import_service
from app.imports.service import import_file
from app.people.models import Role, User
from app.scoring.models import Read, ReadStatus, Score
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.rubric_text import levels, rubric_toml
from tests.unit.import_files import (
    billion_laughs_workbook,
    csv_bytes,
    spreadsheet,
    xlsx_bytes,
    xxe_workbook,
    zip_bomb_workbook,
)

ASAP_FILE = Path("/work/shared/data/asap-set1-two-raters.csv")
REPO = Path(__file__).resolve().parents[2]


def import_rubric(key: str, kind: str, categories: list[str], domains: list[str], scale_max: int = 4) -> str:
    return rubric_toml(
        key,
        kind,
        categories,
        {domain: domain.title() for domain in domains},
        levels(*(f"Level {n} in the test rubric" for n in range(1, scale_max + 1))),
        pass_rule={"mean_min": scale_max / 2 + 0.5},
    )


@pytest.fixture
def app(tmp_path):
    """An app whose only rubrics are this file's, written into instance/rubrics/ before the app starts."""
    app = build_app(
        tmp_path,
        rubrics={
            "test-essay": import_rubric("test-essay", "essay", ["IMHM-C"], ["reflection", "thinking"]),
            "test-application": import_rubric("test-application", "application", ["IMHM-C", "IMHS"], ["reflection"]),
            "asap-holistic": import_rubric("asap-holistic", "essay", ["IMHS"], ["holistic"], 6),
        },
        RUBRICS_DIR=str(tmp_path / "no-shipped-packs"),
    )
    yield app
    close_app(app)


@pytest.fixture
def cycle(ctx):
    cycle = f.make_cycle("Spring 2025")
    db.session.commit()
    return cycle


REVIEWERS = [
    ["Email", "Name", "Endorsements", "Designations", "Max_Load", "Organization", "Notes"],
    ["ria@example.org", "Ria Vega", "IMHM-C", "C", 10, "North Clinic", "ignored"],
    ["sam@example.org", "Sam Oduya", "IMHM-C; IMHS", "C; RF", "", "River Agency", ""],
]
APPLICATIONS = [
    [
        "applicant_id",
        "name",
        "category",
        "email",
        "organization",
        "advisor_email",
        "submitted_on",
        "mc_score",
        "rsc_hours",
        "references_received",
        "member",
    ],
    [
        "A1",
        "Ann Lee",
        "IMHM-C",
        "ann@example.org",
        "Bay Center",
        "adv@example.org",
        "2025-02-03",
        "84.5",
        "52",
        "3",
        "yes",
    ],
    ["A2", "Ben Cho", "IMHS", "", "", "", "", "", "", "", "no"],
]
ESSAYS = [
    ["item_id", "applicant_id", "rubric", "prompt", "response"],
    ["E1", "A1", "test-essay", "A vignette about a family", "@PERSON1 starts =SUM(A1) here"],
    ["E2", "A1", "test-essay", "A second vignette", "Another answer"],
]
CONFLICTS = [["reviewer_email", "applicant_id", "reason"], ["sam@example.org", "A2", "same agency"]]
SCORES = [
    ["item_id", "reviewer_email", "domain", "score", "comment", "submitted_at"],
    ["E1", "ria@example.org", "reflection", 3, "clear", "2025-03-01T10:00:00"],
    ["E1", "ria@example.org", "thinking", 2, "", "2025-03-01T10:00:00"],
    ["E1", "sam@example.org", "reflection", 4, "", ""],
    ["E1", "sam@example.org", "thinking", 4, "", ""],
    ["APP-A1", "ria@example.org", "reflection", 2, "", ""],
]
ALL_KINDS = [
    ("reviewers", REVIEWERS),
    ("applications", APPLICATIONS),
    ("essays", ESSAYS),
    ("conflicts", CONFLICTS),
    ("scores", SCORES),
]


def run_import(kind, rows, cycle, file_format="csv"):
    data, name = spreadsheet(file_format, rows)
    result = import_file(kind, data, name, cycle)
    assert result.ok, result.report()
    db.session.commit()
    return result


def counts(result):
    return result.created, result.updated, result.unchanged


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(db.select(db.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_kind_imports_from_both_formats(cycle, file_format):
    results = {kind: run_import(kind, rows, cycle, file_format) for kind, rows in ALL_KINDS}
    assert {kind: counts(r) for kind, r in results.items()} == {
        "reviewers": (2, 0, 0),
        "applications": (2, 0, 0),
        "essays": (2, 0, 0),
        "conflicts": (1, 0, 0),
        "scores": (5, 0, 0),
    }

    ria = db.session.scalar(db.select(User).filter_by(email="ria@example.org"))
    sam = db.session.scalar(db.select(User).filter_by(email="sam@example.org"))
    assert (ria.role, ria.name, ria.password_hash) == (Role.REVIEWER, "Ria Vega", None)
    assert (ria.profile.endorsements, ria.profile.designations, ria.profile.organization) == (
        "IMHM-C",
        "C",
        "North Clinic",
    )
    assert (sam.profile.endorsements, sam.profile.designations, sam.profile.max_load) == ("IMHM-C; IMHS", "C; RF", None)
    members = {m.user_id: m.max_load for m in db.session.scalars(db.select(CycleMember).filter_by(cycle_id=cycle.id))}
    assert members == {ria.id: 10, sam.id: None}

    ann = db.session.scalar(db.select(Applicant).filter_by(applicant_id="A1"))
    assert (ann.name, ann.email, ann.organization, ann.advisor_email) == (
        "Ann Lee",
        "ann@example.org",
        "Bay Center",
        "adv@example.org",
    )
    assert (ann.application.category, ann.application.submitted_on.isoformat(), ann.application.mc_score) == (
        "IMHM-C",
        "2025-02-03",
        84.5,
    )
    assert ann.application.figures == {"rsc_hours": 52.0, "references_received": 3, "member": True}
    ben = db.session.scalar(db.select(Applicant).filter_by(applicant_id="A2"))
    assert (ben.email, ben.application.mc_score, ben.application.figures) == (None, None, {"member": False})

    items = {i.item_id: i for i in db.session.scalars(db.select(Item).filter_by(cycle_id=cycle.id))}
    assert {k: (i.kind, i.rubric_key, i.applicant.applicant_id) for k, i in items.items()} == {
        "APP-A1": (ItemKind.APPLICATION, "test-application", "A1"),
        "APP-A2": (ItemKind.APPLICATION, "test-application", "A2"),
        "E1": (ItemKind.ESSAY, "test-essay", "A1"),
        "E2": (ItemKind.ESSAY, "test-essay", "A1"),
    }
    assert items["E1"].response == "@PERSON1 starts =SUM(A1) here"
    assert items["E1"].prompt == "A vignette about a family"

    [conflict] = db.session.scalars(db.select(Conflict)).all()
    assert (conflict.reviewer_id, conflict.applicant.applicant_id, conflict.reason) == (sam.id, "A2", "same agency")

    reads = {(r.assignment.item.item_id, r.assignment.reviewer.email): r for r in db.session.scalars(db.select(Read))}
    assert {k: (r.status, r.number, r.assignment.source) for k, r in reads.items()} == {
        ("E1", "ria@example.org"): (ReadStatus.SUBMITTED, 1, AssignmentSource.IMPORT),
        ("E1", "sam@example.org"): (ReadStatus.SUBMITTED, 2, AssignmentSource.IMPORT),
        ("APP-A1", "ria@example.org"): (ReadStatus.SUBMITTED, 1, AssignmentSource.IMPORT),
    }
    assert reads[("E1", "ria@example.org")].submitted_at == datetime(2025, 3, 1, 10, 0)
    assert reads[("E1", "sam@example.org")].submitted_at is not None
    ria_e1 = {s.domain_key: (s.score, s.comment) for s in reads[("E1", "ria@example.org")].scores}
    assert ria_e1 == {"reflection": (3, "clear"), "thinking": (2, None)}
    assert {k: i.state for k, i in items.items()} == {
        "APP-A1": ItemState.IN_REVIEW,
        "APP-A2": ItemState.UNASSIGNED,
        "E1": ItemState.IN_REVIEW,
        "E2": ItemState.UNASSIGNED,
    }

    audit = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action.like("import.%")).order_by(AuditEntry.id)
    ).all()
    assert [(a.action, a.after["file"], a.after["created"]) for a in audit] == [
        ("import.reviewers", f"upload.{file_format}", 2),
        ("import.applications", f"upload.{file_format}", 2),
        ("import.essays", f"upload.{file_format}", 2),
        ("import.conflicts", f"upload.{file_format}", 1),
        ("import.scores", f"upload.{file_format}", 5),
    ]
    assert db.session.scalar(db.select(db.func.count()).where(AuditEntry.action == "read.import")) == 3
    # Each read's entry names its own reviewer and scores (the new reads' rows are gathered for all reads at once).
    read_entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "read.import")).all()
    assert {(entry.object_id, entry.after["reviewer_id"]): entry.after["scores"] for entry in read_entries} == {
        (read.id, read.assignment.reviewer_id): {score.domain_key: score.score for score in read.scores}
        for read in reads.values()
    }


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_reimporting_the_same_rows_changes_nothing_and_duplicates_nothing(cycle, file_format):
    for kind, rows in ALL_KINDS:
        run_import(kind, rows, cycle, file_format)
    before = table_counts()
    again = {kind: counts(run_import(kind, rows, cycle, file_format)) for kind, rows in ALL_KINDS}
    assert again == {
        "reviewers": (0, 0, 2),
        "applications": (0, 0, 2),
        "essays": (0, 0, 2),
        "conflicts": (0, 0, 1),
        "scores": (0, 0, 5),
    }
    after = table_counts()
    assert after.pop("audit_entries") == before.pop("audit_entries") + 5  # one entry per import
    assert after == before


def test_reimport_updates_changed_values_in_place_and_audits_score_changes(cycle):
    for kind, rows in ALL_KINDS:
        run_import(kind, rows, cycle)
    reviewers = [REVIEWERS[0], REVIEWERS[1][:4] + [12] + REVIEWERS[1][5:], REVIEWERS[2]]
    assert counts(run_import("reviewers", reviewers, cycle)) == (0, 1, 1)
    ria = db.session.scalar(db.select(User).filter_by(email="ria@example.org"))
    assert db.session.scalar(db.select(CycleMember.max_load).filter_by(user_id=ria.id)) == 12

    scores = [row[:] for row in SCORES]
    scores[3][3] = 1  # sam's reflection on E1: 4 → 1
    assert counts(run_import("scores", scores, cycle)) == (0, 1, 4)
    sam_reflection = db.session.scalar(
        db.select(Score)
        .join(Read)
        .join(Assignment)
        .join(User, Assignment.reviewer_id == User.id)
        .where(User.email == "sam@example.org", Score.domain_key == "reflection")
    )
    assert sam_reflection.score == 1
    [change] = db.session.scalars(db.select(AuditEntry).filter_by(action="score.import")).all()
    assert (change.before["score"], change.after["score"], change.item_key, change.note) == (4, 1, "E1", "reflection")
    assert db.session.scalar(db.select(db.func.count()).select_from(Read)) == 3


def test_an_optional_column_left_out_keeps_stored_values(cycle):
    run_import("reviewers", REVIEWERS, cycle)
    assert counts(run_import("reviewers", [["email", "name"], ["ria@example.org", "Ria Vega"]], cycle)) == (0, 0, 1)
    ria = db.session.scalar(db.select(User).filter_by(email="ria@example.org"))
    assert (ria.profile.organization, ria.profile.designations) == ("North Clinic", "C")


def test_imported_reads_are_numbered_after_existing_reads_and_finish_a_draft(cycle):
    for kind, rows in ALL_KINDS[:4]:
        run_import(kind, rows, cycle)
    e2 = db.session.scalar(db.select(Item).filter_by(item_id="E2"))
    ria = db.session.scalar(db.select(User).filter_by(email="ria@example.org"))
    sam = db.session.scalar(db.select(User).filter_by(email="sam@example.org"))
    earlier = f.make_user(Role.REVIEWER, email="early@example.org")
    f.submitted_read(f.assign(e2, earlier), {"reflection": 2, "thinking": 2}, number=1)
    draft = Read(assignment_id=f.assign(e2, sam).id, status=ReadStatus.DRAFT)
    db.session.add(draft)
    db.session.commit()
    rows = [
        SCORES[0],
        ["E2", "ria@example.org", "reflection", 3],
        ["E2", "ria@example.org", "thinking", 3],
        ["E2", "sam@example.org", "reflection", 4],
        ["E2", "sam@example.org", "thinking", 1],
    ]
    assert counts(run_import("scores", [row[:4] for row in rows], cycle)) == (4, 0, 0)
    numbers = {
        r.assignment.reviewer_id: (r.status, r.number)
        for r in db.session.scalars(db.select(Read).join(Assignment).where(Assignment.item_pk == e2.id))
    }
    assert numbers == {
        earlier.id: (ReadStatus.SUBMITTED, 1),
        ria.id: (ReadStatus.SUBMITTED, 2),
        sam.id: (ReadStatus.SUBMITTED, 3),
    }
    assert db.session.get(Read, draft.id).status == ReadStatus.SUBMITTED


def test_items_further_along_keep_their_state(cycle):
    for kind, rows in ALL_KINDS[:4]:
        run_import(kind, rows, cycle)
    e1 = db.session.scalar(db.select(Item).filter_by(item_id="E1"))
    e1.state = ItemState.DISCREPANT
    db.session.commit()
    run_import("scores", SCORES, cycle)
    assert db.session.get(Item, e1.id).state == ItemState.DISCREPANT


def setup_for_scores(cycle):
    for kind, rows in ALL_KINDS[:4]:
        run_import(kind, rows, cycle)


BAD_FILES = [
    (
        "reviewers",
        csv_bytes([["mail", "name"], ["x@example.org", "X"]]),
        "r.csv",
        "row 1, column email: required column is missing from the header",
    ),
    (
        "scores",
        csv_bytes([["item_id", "reviewer_email", "score"], ["E1", "ria@example.org", 3]]),
        "s.csv",
        "row 1, column domain: required column is missing from the header",
    ),
    (
        "reviewers",
        xlsx_bytes([["email", "name", "max_load"], ["new@example.org", "New", 3], ["x@example.org", "X", "lots"]]),
        "r.xlsx",
        "row 3, column max_load: 'lots' is not a whole number",
    ),
    (
        "applications",
        csv_bytes([["applicant_id", "name", "category", "submitted_on"], ["A9", "N", "IMHS", "3/2/25"]]),
        "a.csv",
        "row 2, column submitted_on: '3/2/25' is not a date (YYYY-MM-DD)",
    ),
    (
        "scores",
        csv_bytes(
            [
                ["item_id", "reviewer_email", "domain", "score"],
                ["E1", "ria@example.org", "reflection", 3],
                ["E1", "ria@example.org", "thinking", 9],
            ]
        ),
        "s.csv",
        "row 3, column score: 9 is outside the test-essay scale 1–4",
    ),
    (
        "scores",
        csv_bytes([["item_id", "reviewer_email", "domain", "score"], ["E1", "nobody@example.org", "reflection", 3]]),
        "s.csv",
        "row 2, column reviewer_email: no reviewer with e-mail nobody@example.org (import reviewers first)",
    ),
    (
        "essays",
        csv_bytes([["item_id", "applicant_id", "rubric"], ["E9", "A404", "test-essay"]]),
        "e.csv",
        "row 2, column applicant_id: no applicant 'A404' in this cycle (import applications first)",
    ),
    (
        "essays",
        csv_bytes([["item_id", "applicant_id", "rubric"], ["E9", "A1", "imhx-essay"]]),
        "e.csv",
        "row 2, column rubric: unknown rubric 'imhx-essay'",
    ),
    (
        "applications",
        csv_bytes([["applicant_id", "name", "category"], ["A9", "N", "IFA"]]),
        "a.csv",
        "row 2, column category: no application rubric covers category IFA",
    ),
    (
        "conflicts",
        csv_bytes([["reviewer_email", "applicant_id"], ["ria@example.org", "A1"], ["ria@example.org", "A1"]]),
        "c.csv",
        "row 3, column reviewer_email: duplicate of row 2 (same reviewer_email, applicant_id)",
    ),
    ("reviewers", b"", "empty.csv", "empty.csv: file is empty"),
    (
        "reviewers",
        "email,name\nzoë@example.org,Zoë\n".encode("latin-1"),
        "latin.csv",
        "latin.csv: is not UTF-8 text: byte 0xeb at offset 13 (line 2)",
    ),
    ("reviewers", b"email,name\nx@example.org,X\x00\n", "nul.csv", "nul.csv: line 2: contains a NUL byte"),
    (
        "reviewers",
        b"<!DOCTYPE html><html><body>Sign in</body></html>",
        "reviewers.xlsx",
        "reviewers.xlsx: is an HTML or XML document, not a spreadsheet",
    ),
    (
        "reviewers",
        xlsx_bytes([["email", "name"], ["x@example.org", "X"]])[:700],
        "cut.xlsx",
        "cut.xlsx: is a damaged or truncated zip archive",
    ),
    ("reviewers", billion_laughs_workbook(), "laughs.xlsx", "laughs.xlsx: the workbook contains forbidden XML"),
    ("reviewers", xxe_workbook("/etc/passwd"), "xxe.xlsx", "xxe.xlsx: the workbook contains forbidden XML"),
    ("reviewers", zip_bomb_workbook(16 << 20), "bomb.xlsx", "bomb.xlsx: the workbook would unpack to"),
]


@pytest.mark.parametrize(
    ("kind", "data", "name", "message"),
    BAD_FILES,
    ids=[f"{kind}-{name}-{n}" for n, (kind, _, name, _) in enumerate(BAD_FILES)],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_written(app, cycle, kind, data, name, message):
    setup_for_scores(cycle)
    app.config["IMPORT_MAX_UNCOMPRESSED"] = 8 << 20
    before = table_counts()
    result = import_file(kind, data, name, cycle)
    assert not result.ok
    assert any(line.startswith(message) for line in result.report()), result.report()
    db.session.commit()  # even a commit writes nothing: the refused file never reached the session
    assert table_counts() == before


def test_one_bad_row_among_good_ones_writes_none_of_them(cycle):
    rows = REVIEWERS + [["bad-address", "Bad"]]
    result = import_file("reviewers", csv_bytes(rows), "r.csv", cycle)
    assert result.report() == ["row 4, column email: 'bad-address' is not an e-mail address"]
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_a_failure_while_writing_rolls_everything_back(cycle, monkeypatch):
    setup_for_scores(cycle)
    before = table_counts()

    def failing_audit(entries, **shared):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_service, "record_many", failing_audit)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file("scores", csv_bytes(SCORES), "s.csv", cycle)
    db.session.commit()
    assert table_counts() == before


def file_reads(rows: list[list]) -> dict[tuple[str, str], dict[str, int]]:
    """(item, reviewer e-mail) → the scores by domain, straight from a scores file's rows."""
    header, *body = rows
    at = {name: header.index(name) for name in ("item_id", "reviewer_email", "domain", "score")}
    reads: dict[tuple[str, str], dict[str, int]] = {}
    for row in body:
        reads.setdefault((row[at["item_id"]], row[at["reviewer_email"]]), {})[row[at["domain"]]] = row[at["score"]]
    return reads


def test_scores_written_a_few_reads_at_a_time_are_every_read_and_audit_entry_in_file_order(cycle, monkeypatch):
    """One read per chunk of score rows, two audit entries per chunk of audit rows: what is written is what the file
    says, and the reads' audit entries follow the file's order."""
    setup_for_scores(cycle)
    monkeypatch.setattr(import_service, "READS_PER_CHUNK", 1)
    monkeypatch.setattr(import_service, "AUDIT_ROWS_PER_CHUNK", 2)
    assert counts(run_import("scores", SCORES, cycle)) == (5, 0, 0)
    stored = {
        (read.assignment.item.item_id, read.assignment.reviewer.email): {s.domain_key: s.score for s in read.scores}
        for read in db.session.scalars(db.select(Read))
    }
    assert stored == file_reads(SCORES)
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "read.import").order_by(AuditEntry.id)
    ).all()
    emails = {user.id: user.email for user in db.session.scalars(db.select(User))}
    assert [(entry.item_key, emails[entry.after["reviewer_id"]], entry.after["scores"]) for entry in entries] == [
        (item_id, address, scores) for (item_id, address), scores in file_reads(SCORES).items()
    ]


def test_a_failure_in_a_later_chunk_of_score_rows_rolls_back_the_chunks_written_before(cycle, monkeypatch):
    setup_for_scores(cycle)
    before = table_counts()
    monkeypatch.setattr(import_service, "READS_PER_CHUNK", 1)
    written = []
    execute_values = import_service.execute_values

    def failing_on_the_third_score_chunk(statement, columns, rows, **shared):
        if statement.table.name == "scores":
            written.append(len(rows))
            if len(written) == 3:
                raise RuntimeError("disk full")
        execute_values(statement, columns, rows, **shared)

    monkeypatch.setattr(import_service, "execute_values", failing_on_the_third_score_chunk)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file("scores", csv_bytes(SCORES), "s.csv", cycle)
    assert written == [2, 2, 1]  # two chunks were written before the failure
    db.session.commit()
    assert table_counts() == before


def test_unknown_kind_is_refused(cycle):
    with pytest.raises(ValueError, match="unknown import kind"):
        import_file("grades", csv_bytes(REVIEWERS), "g.csv", cycle)


# --- the command line ---


def test_cli_imports_and_prints_counts(app, cycle, runner, tmp_path):
    path = tmp_path / "reviewers.xlsx"
    path.write_bytes(xlsx_bytes(REVIEWERS))
    result = runner.invoke(args=["import", "reviewers", str(path), "--cycle", "Spring 2025"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "reviewers from reviewers.xlsx: 2 created, 0 updated, 0 unchanged"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2


def test_cli_prints_the_row_report_and_exits_1(app, cycle, runner, tmp_path):
    path = tmp_path / "reviewers.csv"
    path.write_bytes(csv_bytes([["email", "name", "max_load"], ["a@example.org", "A", "2"], ["b@example", "B", "x"]]))
    result = runner.invoke(args=["import", "reviewers", str(path), "--cycle", "Spring 2025"])
    assert result.exit_code == 1
    assert "row 3, column email: 'b@example' is not an e-mail address" in result.output
    assert "row 3, column max_load: 'x' is not a whole number" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_cli_refuses_an_unknown_cycle(cycle, runner, tmp_path):
    path = tmp_path / "reviewers.csv"
    path.write_bytes(csv_bytes(REVIEWERS))
    result = runner.invoke(args=["import", "reviewers", str(path), "--cycle", "Autumn"])
    assert result.exit_code == 1
    assert "no cycle called 'Autumn'" in result.output


# --- the real two-rater data set ---


@pytest.mark.skipif(not ASAP_FILE.exists(), reason="/work/shared/data is not available on this machine")
def test_real_two_rater_essays_import_as_498_items_and_996_submitted_reads(cycle):
    with ASAP_FILE.open(newline="", encoding="utf-8") as source:
        essays = list(csv.DictReader(source))
    assert len(essays) == 498
    raters = ["rater1@asap.example.org", "rater2@asap.example.org"]
    files = {
        "reviewers": (csv_bytes([["email", "name"]] + [[r, r.split("@")[0].title()] for r in raters]), "r.csv"),
        "applications": (
            csv_bytes(
                [["applicant_id", "name", "category"]]
                + [[f"S{e['essay_id']}", f"Student {e['essay_id']}", "IMHS"] for e in essays]
            ),
            "a.csv",
        ),
        "essays": (
            xlsx_bytes(
                [["item_id", "applicant_id", "rubric", "prompt", "response"]]
                + [
                    [
                        f"ASAP-{e['essay_id']}",
                        f"S{e['essay_id']}",
                        "asap-holistic",
                        "Effects of computers on people",
                        e["essay"],
                    ]
                    for e in essays
                ]
            ),
            "e.xlsx",
        ),
        "scores": (
            csv_bytes(
                [["item_id", "reviewer_email", "domain", "score"]]
                + [[f"ASAP-{e['essay_id']}", raters[n], "holistic", e[f"rater{n + 1}"]] for e in essays for n in (0, 1)]
            ),
            "s.csv",
        ),
    }
    for kind, (data, name) in files.items():
        result = import_file(kind, data, name, cycle)
        assert result.ok, result.report()[:5]
        db.session.commit()

    essay_items = db.session.scalars(db.select(Item).filter_by(cycle_id=cycle.id, kind=ItemKind.ESSAY)).all()
    assert len(essay_items) == 498
    submitted = db.session.scalar(db.select(db.func.count()).select_from(Read).filter_by(status=ReadStatus.SUBMITTED))
    assert submitted == 996
    # The data set's resolved score is the sum of the two reads (its README), an independent total.
    assert db.session.scalar(db.select(db.func.sum(Score.score))) == sum(int(e["resolved"]) for e in essays)
    numbers = db.session.execute(db.select(Read.number, db.func.count()).group_by(Read.number)).all()
    assert sorted(numbers) == [(1, 498), (2, 498)]
    by_id = {item.item_id: item.response for item in essay_items}
    with_tokens = [e for e in essays if "@" in e["essay"]]
    assert len(with_tokens) > 100
    assert all(by_id[f"ASAP-{e['essay_id']}"] == e["essay"] for e in essays)
    assert {item.state for item in essay_items} == {ItemState.IN_REVIEW}


def test_a_percent_formatted_mc_score_is_stored_as_the_percent_typed(ctx, cycle):
    """86 % in a cell is 0.86 in the file; the figure the pass mark is checked against is 86."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["applicant_id", "name", "category", "mc_score"])
    sheet.append(["P1", "Pat Percent", "IMHS", 0.86])
    sheet.append(["P2", "Pia Plain", "IMHS", 91])
    sheet.append(["P3", "Poe Full", "IMHS", 1])
    sheet["D2"].number_format = "0%"
    sheet["D4"].number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert import_file("applications", buffer.getvalue(), "marks.xlsx", cycle).ok
    scores = {
        applicant.applicant_id: applicant.application.mc_score for applicant in db.session.scalars(db.select(Applicant))
    }
    assert scores == {"P1": 86.0, "P2": 91.0, "P3": 100.0}


def test_a_percent_sign_in_a_csv_mc_score_is_read_as_the_percent(ctx, cycle):
    data = csv_bytes(
        [
            ["applicant_id", "name", "category", "mc_score"],
            ["Q1", "Quinn", "IMHS", "86 %"],
            ["Q2", "Quill", "IMHS", "86%"],
        ]
    )
    assert import_file("applications", data, "marks.csv", cycle).ok
    assert {a.application.mc_score for a in db.session.scalars(db.select(Applicant))} == {86.0}


def test_the_scores_command_configures_no_mapper(app, cycle, tmp_path):
    # From the command line the first ORM statement would configure every mapper (about 30 ms of a 36,000-row
    # import, docs/architecture.md "Batch steps"); a scores import of essays reads and writes through the tables.
    # Run in a fresh interpreter: this one's mappers are configured long since.
    for kind, rows in ALL_KINDS[:4]:
        run_import(kind, rows, cycle)
    essay_rows = [row for row in SCORES if row[0] != "APP-A1"]
    path = tmp_path / "scores.csv"
    path.write_bytes(csv_bytes(essay_rows))
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the fresh interpreter opens the test's SQLite file")
    database = db.engine.url.database
    db.session.remove()
    db.engine.dispose()
    settings = {
        "INSTANCE_PATH": app.instance_path,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": "import-test",
        "RUBRICS_DIR": app.config["RUBRICS_DIR"],
    }
    script = (
        "from app import create_app\nfrom app.extensions import db\n"
        f"app = create_app({settings!r})\n"
        f"result = app.test_cli_runner().invoke(args=['import', 'scores', {str(path)!r}, '--cycle', 'Spring 2025'])\n"
        "print(result.output.replace(chr(10), ' '))\n"
        "print(sorted(m.class_.__name__ for m in db.Model.registry.mappers if m.configured))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "FLASK_APP")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    output, configured = result.stdout.strip().splitlines()[-2:]
    assert output.strip() == "scores from scores.csv: 4 created, 0 updated, 0 unchanged" and configured == "[]"
    reads = db.session.execute(
        db.select(User.email, Read.status, Read.number)
        .join(Assignment, Read.assignment_id == Assignment.id)
        .join(User, Assignment.reviewer_id == User.id)
        .order_by(Read.number)
    ).all()
    assert reads == [("ria@example.org", ReadStatus.SUBMITTED, 1), ("sam@example.org", ReadStatus.SUBMITTED, 2)]
    assert db.session.scalar(db.select(Item.state).where(Item.item_id == "E1")) == ItemState.IN_REVIEW
    assert db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.action == "import.scores")).all() == [
        "import.scores"
    ]


def test_a_scores_import_given_the_cycle_as_a_plain_row_writes_what_the_model_would(cycle):
    """An application's read (whose requirement results need the cycle model) imports from the plain row too."""
    from app.cycles.service import cycle_row_by_name

    for kind, rows in ALL_KINDS[:4]:
        run_import(kind, rows, cycle)
    data, name = spreadsheet("csv", SCORES)
    result = import_file("scores", data, name, cycle_row_by_name("Spring 2025"))
    assert result.ok, result.report()
    db.session.commit()
    assert counts(result) == (5, 0, 0)
    submitted = db.session.execute(
        db.select(Item.item_id, Item.state, db.func.count(Read.id))
        .join(Assignment, Assignment.item_pk == Item.id)
        .join(Read, Read.assignment_id == Assignment.id)
        .where(Read.status == ReadStatus.SUBMITTED)
        .group_by(Item.item_id, Item.state)
        .order_by(Item.item_id)
    ).all()
    assert submitted == [("APP-A1", ItemState.IN_REVIEW, 1), ("E1", ItemState.IN_REVIEW, 2)]
