"""After the product's check: prefilled and imported marks, overrides, final results, lines met and sheet rows."""

import pytest

from app.requirements.lines import (
    final_result,
    imported_mark,
    lines_met,
    overrides,
    prefilled_mark,
    settled_mark,
    sheet_rows,
)
from app.requirements.rules import LineResult


@pytest.mark.parametrize(
    ("check", "prefill", "imported"),
    [("met", "met", "met"), ("not_met", "not_met", "not_met"), ("unknown", None, "more_info"), ("manual", None, "met")],
)
def test_the_reviewer_starts_from_a_decided_check_and_a_paper_session_confirms_every_check(check, prefill, imported):
    assert prefilled_mark(check) == prefill
    assert imported_mark(check) == imported


@pytest.mark.parametrize(
    ("check", "mark", "expected"),
    [
        ("met", "met", False),
        ("met", "not_met", True),
        ("met", "more_info", True),
        ("not_met", "met", True),
        ("not_met", "not_met", False),
        ("unknown", "met", False),
        ("manual", "not_met", False),
        ("met", None, False),
    ],
)
def test_only_a_mark_against_a_decided_check_overrides_it(check, mark, expected):
    assert overrides(check, mark) is expected


def test_the_reads_settle_a_line_when_alike_or_by_majority():
    assert settled_mark(["met", "met"]) == "met"
    assert settled_mark(["met", "not_met"]) is None
    assert settled_mark(["met", "not_met", "met"]) == "met"
    assert settled_mark([None, "more_info"]) == "more_info"  # unmarked counts as more information needed
    assert settled_mark([]) is None


def test_the_committee_final_wins_then_the_settled_mark_of_a_settled_item():
    assert final_result("not_met", ["met", "met"], settled=True) == "not_met"
    assert final_result(None, ["met", "met"], settled=True) == "met"
    assert final_result(None, ["met", "met"], settled=False) is None
    assert final_result(None, ["met", "not_met"], settled=True) is None


def test_lines_met_counts_the_final_else_the_check_over_every_line():
    checks = ["met", "met", "not_met", "manual", "unknown", "met"]
    finals = [None, "not_met", "met", "met", None, None]
    count = lines_met(checks, finals)
    # line 1 check met; line 2 final not met; line 3 final met; line 4 final met; line 5 unknown; line 6 met.
    assert (count.met, count.total, str(count), count.all_met) == (4, 6, "4 of 6", False)
    assert lines_met(["met"], [None]).all_met


def test_sheet_rows_write_numbers_as_numbers_and_yes_no_as_words():
    results = [
        LineResult("rsc_hours", "RS/C", "not_met", 46.5, 50, "46.5 of 50 RS/C hours counted.", "hours"),
        LineResult("ethics", "Ethics", "met", True, "yes", "Signed.", "yes"),
        LineResult("education", "Degree", "manual", None, None, ""),
    ]
    rows = sheet_rows(
        ["A1", "Ann", "IMHS"],
        results,
        {"rsc_hours": ["met", "not_met"], "education": ["met", None]},
        {"rsc_hours": "not_met"},
    )
    assert rows == [
        [
            "A1",
            "Ann",
            "IMHS",
            "rsc_hours",
            "RS/C",
            46.5,
            50,
            "not_met",
            "46.5 of 50 RS/C hours counted.",
            "met; not_met",
            "not_met",
        ],
        ["A1", "Ann", "IMHS", "ethics", "Ethics", "yes", "yes", "met", "Signed.", None, None],
        ["A1", "Ann", "IMHS", "education", "Degree", None, None, "manual", None, "met; unmarked", None],
    ]
