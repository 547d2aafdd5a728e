"""Importing portfolio records (training, rsc, references, work): all or nothing with a row report, dates and
hours checked, an unknown applicant a row error, and re-import idempotent (a file is the applicant's whole list)."""

from datetime import date

import pytest

from app.extensions import db
from app.imports.service import import_file
from app.requirements.models import ReferenceRecord, RscRecord, TrainingRecord, WorkRecord
from tests import factories as f
from tests.unit.import_files import csv_bytes, spreadsheet

APPLICATIONS = [["applicant_id", "name", "category"], ["A1", "Ann Lee", "IMHS"], ["B2", "Ben Cho", "IMHM-C"]]


@pytest.fixture
def cycle(ctx):
    cycle = f.make_cycle("Spring")
    assert import_file("applications", csv_bytes(APPLICATIONS), "applications.csv", cycle).ok
    db.session.commit()
    return cycle


def run(cycle, kind, rows, file_format="csv"):
    data, name = spreadsheet(file_format, rows)
    result = import_file(kind, data, name, cycle)
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def stored(model, *columns):
    return sorted(db.session.execute(db.select(*(getattr(model, c) for c in columns))).all())


TRAINING = [
    ["Applicant_ID", "Hours", "Title", "Topic", "Completed_On"],
    ["A1", "12.5", "Attachment basics", "general", "2025-03-01"],
    ["A1", 3, "Equity in IMH", "DEI", "2025-04-02"],
    ["A1", 3, "Equity in IMH", "dei", "2025-04-02"],  # a second session of the same course: two entries
    ["B2", "15", "Providing RS/C", "rsc", ""],
]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_training_imports_and_a_second_import_of_the_same_file_changes_nothing(cycle, file_format):
    first = run(cycle, "training", TRAINING, file_format)
    assert first.ok, first.report()
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    expected = [(3.0, "dei"), (3.0, "dei"), (12.5, "general"), (15.0, "rsc")]
    assert [(h, t.value) for h, t in stored(TrainingRecord, "hours", "topic")] == expected
    again = run(cycle, "training", TRAINING, file_format)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert [(h, t.value) for h, t in stored(TrainingRecord, "hours", "topic")] == expected


def test_a_file_replaces_the_records_of_each_applicant_it_names_and_leaves_the_others(cycle):
    assert run(cycle, "training", TRAINING).ok
    corrected = [
        ["applicant_id", "hours", "title", "topic", "completed_on"],
        ["A1", "12.5", "Attachment basics", "general", "2025-03-01"],
        ["A1", "4", "Equity in IMH", "dei", "2025-04-02"],
    ]
    result = run(cycle, "training", corrected)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert stored(TrainingRecord, "hours") == [(4.0,), (12.5,), (15.0,)]  # B2's record is untouched


def test_a_blank_topic_is_general(cycle):
    assert run(cycle, "training", [["applicant_id", "hours", "topic"], ["A1", 2, ""]]).ok
    assert [t.value for (t,) in stored(TrainingRecord, "topic")] == ["general"]
    assert run(cycle, "training", [["applicant_id", "hours"], ["A1", 2]]).unchanged == 1


RSC = [
    [
        "applicant_id",
        "hours",
        "provider",
        "provider_endorsement",
        "format",
        "about_providing",
        "peer",
        "started_on",
        "ended_on",
    ],
    ["A1", 30, "Mia Ruiz", "imhm-c", "individual", "yes", "no", "2025-01-06", "2025-12-15"],
    ["A1", 6, "NC Team", "Vetted", "Group", "", "", "2026-01-01", ""],
    ["A1", 4, "Co Worker", "", "", "no", "yes", "", ""],
    ["B2", 2, "Lee Park", "ERS", "", "", "", "", ""],
]


def test_rsc_entries_import_with_codes_normalised(cycle):
    result = run(cycle, "rsc", RSC)
    assert result.ok, result.report()
    assert stored(RscRecord, "provider", "provider_endorsement", "peer", "ended_on") == [
        ("Co Worker", None, True, None),
        ("Lee Park", "ERS", None, None),
        ("Mia Ruiz", "IMHM-C", False, date(2025, 12, 15)),
        ("NC Team", "vetted", None, None),
    ]
    assert run(cycle, "rsc", RSC).unchanged == 4


def test_references_are_one_per_rater(cycle):
    rows = [
        ["applicant_id", "rater", "rater_role", "rater_endorsement", "received_on"],
        ["A1", "Dr. Kay Moss", "program supervisor", "IMHS", "2025-05-01"],
        ["A1", "Jo Bell", "colleague", "", ""],
        ["A1", "Sam Ng", "RS/C provider", "vetted", ""],
    ]
    assert run(cycle, "references", rows).ok
    assert stored(ReferenceRecord, "rater_key", "rater_endorsement") == [
        ("dr. kay moss", "IMHS"),
        ("jo bell", None),
        ("sam ng", "vetted"),
    ]
    twice = run(cycle, "references", rows + [["A1", "  JO BELL ", "colleague", "", ""]])
    assert not twice.ok
    assert "row 5, column rater: 'JO BELL' already rated A1 in row 3 (one reference per rater)" in twice.report()[0]
    assert run(cycle, "references", rows).unchanged == 3


def test_work_periods_import_with_their_defaults(cycle):
    rows = [
        ["applicant_id", "started_on", "ended_on", "role", "kind", "with_infant_and_parent", "supervised", "paid"],
        ["A1", "2023-09-01", "2024-06-30", "Intern", "internship", "yes", "yes", "no"],
        ["A1", "2024-07-01", "", "Clinician", "", "yes", "yes", "yes"],
    ]
    assert run(cycle, "work", rows).ok
    assert [(k.value, e) for k, e in stored(WorkRecord, "kind", "ended_on")] == [
        ("direct_service", None),
        ("internship", date(2024, 6, 30)),
    ]


@pytest.mark.parametrize(
    ("kind", "rows", "report"),
    [
        (
            "training",
            [["applicant_id", "hours"], ["A1", 3], ["Z9", 2]],
            "row 3, column applicant_id: no application of 'Z9' in this cycle (import applications first)",
        ),
        ("training", [["applicant_id", "hours"], ["A1", -1]], "row 2, column hours: -1 is below the minimum of 0"),
        ("training", [["applicant_id", "hours"], ["A1", "three"]], "row 2, column hours: 'three' is not a number"),
        (
            "training",
            [["applicant_id", "hours", "topic"], ["A1", 3, "ethics"]],
            "row 2, column topic: 'ethics' is not one of general, dei, rsc",
        ),
        (
            "training",
            [["applicant_id", "hours", "completed_on"], ["A1", 3, "2025-02-30"]],
            "row 2, column completed_on: '2025-02-30' is not a date (YYYY-MM-DD)",
        ),
        ("training", [["applicant_id", "title"], ["A1", "x"]], "row 1, column hours: required column is missing"),
        (
            "rsc",
            [
                ["applicant_id", "hours", "provider", "started_on", "ended_on"],
                ["A1", 3, "X", "2025-05-01", "2025-04-30"],
            ],
            "row 2, column ended_on: 2025-04-30 is before started_on 2025-05-01",
        ),
        (
            "rsc",
            [["applicant_id", "hours", "provider", "provider_endorsement"], ["A1", 3, "X", "Mentor"]],
            "row 2, column provider_endorsement: unknown endorsement 'Mentor'",
        ),
        ("rsc", [["applicant_id", "hours", "provider"], ["A1", 3, ""]], "row 2, column provider: required value is"),
        (
            "rsc",
            [["applicant_id", "hours", "provider", "peer"], ["A1", 3, "X", "maybe"]],
            "row 2, column peer: 'maybe' is not yes or no",
        ),
        (
            "references",
            [["applicant_id", "rater", "rater_endorsement"], ["A1", "X", "ERS"]],
            "row 2, column rater_endorsement: unknown endorsement 'ERS'",
        ),
        (
            "work",
            [["applicant_id", "started_on", "kind"], ["A1", "2024-01-01", "volunteer"]],
            "row 2, column kind: 'volunteer' is not one of direct_service, internship",
        ),
        ("work", [["applicant_id", "started_on"], ["A1", ""]], "row 2, column started_on: required value is missing"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(cycle, kind, rows, report):
    result = run(cycle, kind, rows)
    assert not result.ok
    assert any(line.startswith(report) for line in result.report()), result.report()
    model = {"training": TrainingRecord, "rsc": RscRecord, "references": ReferenceRecord, "work": WorkRecord}[kind]
    assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0  # the good rows too


def test_an_applicant_without_an_application_is_refused(cycle):
    from app.cycles.models import Applicant

    db.session.add(Applicant(cycle_id=cycle.id, applicant_id="N0", name="No Application"))
    db.session.commit()
    result = run(cycle, "work", [["applicant_id", "started_on"], ["N0", "2024-01-01"]])
    assert "row 2, column applicant_id: no application of 'N0' in this cycle" in result.report()[0]


def test_records_follow_their_application_when_it_is_deleted(cycle):
    from app.cycles.models import Applicant, Application

    assert run(cycle, "training", TRAINING).ok
    a1 = db.select(Applicant.id).filter_by(applicant_id="A1").scalar_subquery()
    db.session.execute(db.delete(Application).where(Application.applicant_pk == a1))  # ON DELETE CASCADE
    db.session.commit()
    assert stored(TrainingRecord, "hours") == [(15.0,)]
