"""Row validation for the five import kinds: header matching, types, duplicates and references, without Flask."""

from datetime import date, datetime

import pytest

from app.imports.validate import ItemInfo, Lookups, RowError, match_header, validate
from app.rubrics.model import Domain, PassRule, ReconcileRule, Rubric


def rubric(key: str, kind: str, categories: tuple[str, ...], domains: tuple[str, ...], scale=(1, 4)) -> Rubric:
    levels = range(scale[0], scale[1] + 1)
    return Rubric(
        key=key,
        title=key,
        kind=kind,
        categories=categories,
        designation=None,
        version=1,
        scale_min=scale[0],
        scale_max=scale[1],
        labels={},
        pass_rule=PassRule(mean_min=2.5),
        reconcile=ReconcileRule(),
        domains=tuple(
            Domain(key=d, name=d.title(), areas=(), descriptors={n: "level" for n in levels}) for d in domains
        ),
    )


RUBRICS = {
    "c-essay": rubric("c-essay", "essay", ("IMHM-C",), ("reflection", "thinking")),
    "s-essay": rubric("s-essay", "essay", ("IMHS",), ("reflection",), scale=(1, 6)),
    "c-application": rubric("c-application", "application", ("IMHM-C", "IMHS"), ("reflection",)),
}
LOOKUPS = Lookups(
    user_roles={"rev@example.org": "reviewer", "boss@example.org": "coordinator", "conflicted@example.org": "reviewer"},
    applicants={"A1": "IMHM-C", "A2": "IMHS"},
    items={
        "E1": ItemInfo("essay", "c-essay", "A1", assigned=False),
        "E2": ItemInfo("essay", "s-essay", "A2", assigned=True),
        "APP-A1": ItemInfo("application", "c-application", "A1", assigned=True),
        "GONE": ItemInfo("essay", "retired-rubric", "A1", assigned=False),
    },
    rubrics=RUBRICS,
    conflicts=frozenset({("conflicted@example.org", "A1")}),
)


def by_column(header: list, body: list[list]) -> tuple[list[int], list[list]]:
    """The rows under ``header`` as the reader gives them: numbered from 2, one column per header cell, None where
    a row is short."""
    numbers = list(range(2, len(body) + 2))
    return numbers, [[row[index] if index < len(row) else None for row in body] for index in range(len(header))]


def errors_of(kind: str, rows: list[list], lookups: Lookups = LOOKUPS) -> list[str]:
    header, *body = rows
    return [str(e) for e in validate(kind, header, *by_column(header, body), lookups).errors]


def values_of(kind: str, rows: list[list], lookups: Lookups = LOOKUPS) -> list[dict]:
    header, *body = rows
    result = validate(kind, header, *by_column(header, body), lookups)
    assert result.errors == []
    return [row.values for row in result.rows]


# --- header ---


def test_header_matches_case_insensitively_ignoring_spaces_and_unknown_columns():
    positions, errors = match_header("reviewers", ["  EMAIL ", "Notes", "Name", None, "Max_Load"])
    assert errors == []
    assert positions == {"email": 0, "name": 2, "max_load": 4}


def test_missing_required_columns_are_each_reported_on_the_header_row():
    _, errors = match_header("scores", ["item_id", "score", "comment"], header_row=3)
    assert errors == [
        RowError(3, "reviewer_email", "required column is missing from the header"),
        RowError(3, "domain", "required column is missing from the header"),
    ]


def test_a_column_given_twice_is_an_error():
    _, errors = match_header("conflicts", ["reviewer_email", "applicant_id", "Reason", "reason "])
    assert errors == [RowError(1, "reason", "appears twice in the header (columns 3 and 4)")]


def test_a_wrong_header_stops_before_any_row_is_checked():
    assert errors_of("reviewers", [["mail", "full name"], ["not-an-address", ""]]) == [
        "row 1, column email: required column is missing from the header",
        "row 1, column name: required column is missing from the header",
    ]


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown import kind"):
        validate("grades", ["x"], [], [[]], LOOKUPS)


# --- types ---


def test_reviewer_values_are_typed_and_normalised():
    [values] = values_of(
        "reviewers",
        [
            ["email", "name", "endorsements", "designations", "max_load", "organization"],
            [" Rev@Example.ORG ", " Ria Vega ", "imhm-c, IMHS;imhm-c", "c; rf", "12", "Clinic"],
        ],
    )
    assert values == {
        "email": "rev@example.org",
        "name": "Ria Vega",
        "endorsements": "IMHM-C; IMHS",
        "designations": "C; RF",
        "max_load": 12,
        "organization": "Clinic",
    }


def test_blank_optional_cells_become_none_and_absent_columns_are_not_present():
    header = ["email", "name", "max_load"]
    result = validate("reviewers", header, *by_column(header, [["rev@example.org", "Ria", "  "]]), LOOKUPS)
    assert result.rows[0].values["max_load"] is None
    assert result.present == frozenset(header)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("twelve", "'twelve' is not a whole number"),
        ("2.5", "'2.5' is not a whole number"),
        ("-1", "-1 is below the minimum of 0"),
    ],
)
def test_bad_whole_numbers_are_explained(cell, reason):
    assert errors_of("reviewers", [["email", "name", "max_load"], ["rev@example.org", "Ria", cell]]) == [
        f"row 2, column max_load: {reason}"
    ]


def test_whole_numbers_accept_excel_floats_and_decimal_text():
    rows = [["email", "name", "max_load"], ["a@example.org", "A", 7.0], ["b@example.org", "B", "8.0"]]
    assert [v["max_load"] for v in values_of("reviewers", rows)] == [7, 8]


def test_application_values_cover_dates_numbers_booleans_and_figures():
    [values] = values_of(
        "applications",
        [
            [
                "applicant_id",
                "name",
                "category",
                "email",
                "submitted_on",
                "mc_score",
                "rsc_hours",
                "references_received",
                "ethics_signed",
                "member",
                "portfolio_url",
            ],
            [
                1001,
                "Ann Lee",
                "imhm-c",
                "ANN@example.org",
                "2025-02-03",
                "84.5",
                52.5,
                "3",
                "Yes",
                "n",
                "https://portal.example.org/p/1001",
            ],
        ],
    )
    assert values == {
        "applicant_id": "1001",
        "name": "Ann Lee",
        "category": "IMHM-C",
        "email": "ann@example.org",
        "submitted_on": date(2025, 2, 3),
        "mc_score": 84.5,
        "rsc_hours": 52.5,
        "references_received": 3,
        "ethics_signed": True,
        "member": False,
        "portfolio_url": "https://portal.example.org/p/1001",
    }


def test_excel_dates_are_accepted_for_date_columns():
    [values] = values_of(
        "applications",
        [["applicant_id", "name", "category", "submitted_on"], ["A9", "N", "IMHS", datetime(2025, 1, 31, 0, 0)]],
    )
    assert values["submitted_on"] == date(2025, 1, 31)


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("submitted_on", "31/01/2025", "'31/01/2025' is not a date (YYYY-MM-DD)"),
        ("mc_score", "eighty", "'eighty' is not a number"),
        ("mc_score", "101", "101 is above the maximum of 100"),
        ("mc_score", "nan", "'nan' is not a number"),
        ("member", "maybe", "'maybe' is not yes or no"),
        ("email", "ann.example.org", "'ann.example.org' is not an e-mail address"),
        ("portfolio_url", "javascript:alert(1)", "'javascript:alert(1)' is not an http:// or https:// address"),
        ("category", "IMHX", "unknown category 'IMHX'"),
    ],
)
def test_bad_application_cells_are_explained(column, cell, reason):
    header = ["applicant_id", "name", "category"] + ([column] if column != "category" else [])
    row = ["A9", "N", cell if column == "category" else "IMHS"] + ([cell] if column != "category" else [])
    [error] = errors_of("applications", [header, row])
    assert error.startswith(f"row 2, column {column}: {reason}")


def test_unknown_codes_in_a_code_list_are_named():
    assert errors_of("reviewers", [["email", "name", "designations"], ["rev@example.org", "R", "C; X; Q"]]) == [
        "row 2, column designations: unknown codes X, Q (expected C, P, RF, separated by ';')"
    ]


def test_text_longer_than_its_column_is_refused():
    [error] = errors_of("reviewers", [["email", "name"], ["rev@example.org", "N" * 201]])
    assert error == "row 2, column name: at most 200 characters, this has 201"


@pytest.mark.parametrize(
    ("kind", "header", "row", "column", "limit"),
    [
        (
            "essays",
            ["item_id", "applicant_id", "rubric", "response"],
            ["E9", "A1", "c-essay", "r" * 100_001],
            "response",
            100_000,
        ),
        (
            "essays",
            ["item_id", "applicant_id", "rubric", "prompt"],
            ["E9", "A1", "c-essay", "p" * 10_001],
            "prompt",
            10_000,
        ),
        (
            "applications",
            ["applicant_id", "name", "category", "portfolio_summary"],
            ["A9", "N", "IMHS", "s" * 20_001],
            "portfolio_summary",
            20_000,
        ),
        (
            "scores",
            ["item_id", "reviewer_email", "domain", "score", "comment"],
            ["E1", "rev@example.org", "reflection", "2", "c" * 20_001],
            "comment",
            20_000,
        ),
        # APP-<applicant id> must fit an item id's 64 characters.
        ("applications", ["applicant_id", "name", "category"], ["A" * 61, "N", "IMHS"], "applicant_id", 60),
        (
            "conflicts",
            ["reviewer_email", "applicant_id", "reason"],
            ["rev@example.org", "A1", "w" * 501],
            "reason",
            500,
        ),
        ("training", ["applicant_id", "hours", "title"], ["A1", "3", "t" * 301], "title", 300),
        ("references", ["applicant_id", "rater"], ["A1", "r" * 201], "rater", 200),
    ],
)
def test_long_texts_are_refused_past_their_size_naming_row_and_column(kind, header, row, column, limit):
    errors = errors_of(kind, [header, row])
    assert f"row 2, column {column}: at most {limit:,} characters, this has {limit + 1:,}" in errors


def test_long_texts_of_exactly_their_size_are_kept_exactly():
    header = ["item_id", "applicant_id", "rubric", "prompt", "response"]
    validated = validate(
        "essays", header, *by_column(header, [["E9", "A1", "c-essay", " p" * 5_000, "=r\r\n" * 25_000]]), LOOKUPS
    )
    assert validated.errors == []
    assert validated.columns["response"] == ["=r\r\n" * 25_000]  # 100,000 characters as given, line ends too
    assert validated.columns["prompt"] == [" p" * 5_000]


def test_required_values_must_not_be_blank():
    assert errors_of("conflicts", [["reviewer_email", "applicant_id"], ["rev@example.org", " "]]) == [
        "row 2, column applicant_id: required value is missing"
    ]


def test_essay_text_is_kept_exactly_including_formula_like_tokens():
    text = "@PERSON1 said =SUM(A1) and +1 -2\n  indented"
    [values] = values_of("essays", [["item_id", "applicant_id", "rubric", "response"], ["E7", "A1", "C-Essay", text]])
    assert values["response"] == text
    assert values["rubric"] == "c-essay"


def test_submitted_at_accepts_dates_and_converts_offsets_to_utc():
    rows = [
        ["item_id", "reviewer_email", "domain", "score", "submitted_at"],
        ["E1", "rev@example.org", "reflection", "3", "2025-04-01T10:00:00+02:00"],
        ["E1", "rev@example.org", "thinking", "3", "2025-04-01"],
    ]
    assert [v["submitted_at"] for v in values_of("scores", rows)] == [
        datetime(2025, 4, 1, 8, 0),
        datetime(2025, 4, 1, 0, 0),
    ]


# --- duplicates ---


@pytest.mark.parametrize(
    ("kind", "header", "row", "other", "expected"),
    [
        (
            "reviewers",
            ["email", "name"],
            ["rev@example.org", "R"],
            ["new@example.org", "R"],
            "column email: duplicate of row 2 (same email)",
        ),
        (
            "applications",
            ["applicant_id", "name", "category"],
            ["A5", "N", "IMHS"],
            ["A6", "N", "IMHS"],
            "column applicant_id: duplicate of row 2 (same applicant_id)",
        ),
        (
            "essays",
            ["item_id", "applicant_id", "rubric"],
            ["E5", "A1", "c-essay"],
            ["E6", "A1", "c-essay"],
            "column item_id: duplicate of row 2 (same item_id)",
        ),
        (
            "conflicts",
            ["reviewer_email", "applicant_id"],
            ["rev@example.org", "A1"],
            ["rev@example.org", "A2"],
            "column reviewer_email: duplicate of row 2 (same reviewer_email, applicant_id)",
        ),
    ],
)
def test_duplicate_ids_in_one_file_are_errors(kind, header, row, other, expected):
    assert errors_of(kind, [header, row, other, row]) == [f"row 4, {expected}"]


def test_duplicate_ids_match_after_normalising_case():
    assert errors_of("reviewers", [["email", "name"], ["rev@example.org", "R"], ["REV@example.org", "R"]]) == [
        "row 3, column email: duplicate of row 2 (same email)"
    ]


def test_the_same_score_twice_is_a_duplicate():
    rows = [
        ["item_id", "reviewer_email", "domain", "score"],
        ["E1", "rev@example.org", "reflection", 2],
        ["E1", "rev@example.org", "thinking", 3],
        ["E1", "rev@example.org", "Reflection", 4],
    ]
    assert errors_of("scores", rows) == [
        "row 4, column item_id: duplicate of row 2 (same item_id, reviewer_email, domain)"
    ]


# --- references ---


def test_an_existing_coordinator_cannot_be_imported_as_a_reviewer():
    assert errors_of("reviewers", [["email", "name"], ["boss@example.org", "Boss"]]) == [
        "row 2, column email: boss@example.org belongs to a coordinator account, not a reviewer"
    ]


def test_an_application_category_needs_an_application_rubric():
    assert errors_of("applications", [["applicant_id", "name", "category"], ["A7", "N", "IMHM-P"]]) == [
        "row 2, column category: no application rubric covers category IMHM-P"
    ]


def test_an_assigned_application_cannot_change_rubric():
    only_c = dict(RUBRICS, **{"s-application": rubric("s-application", "application", ("IMHS",), ("reflection",))})
    only_c["c-application"] = rubric("c-application", "application", ("IMHM-C",), ("reflection",))
    lookups = Lookups(items=LOOKUPS.items, rubrics=only_c)
    assert errors_of("applications", [["applicant_id", "name", "category"], ["A1", "N", "IMHS"]], lookups) == [
        "row 2, column category: cannot change to IMHS: the application is already assigned under rubric c-application"
    ]


def test_essay_references_are_checked():
    rows = [
        ["item_id", "applicant_id", "rubric"],
        ["E8", "A404", "c-essay"],
        ["E9", "A1", "no-such-rubric"],
        ["E10", "A1", "c-application"],
        ["E11", "A2", "c-essay"],
        ["APP-X", "A1", "c-essay"],
        ["E2", "A2", "s-essay"],
    ]
    assert errors_of("essays", rows) == [
        "row 2, column applicant_id: no applicant 'A404' in this cycle (import applications first)",
        "row 3, column rubric: unknown rubric 'no-such-rubric'",
        "row 4, column rubric: 'c-application' is an application rubric, not an essay rubric",
        "row 5, column rubric: 'c-essay' is for IMHM-C; applicant A2 applies for IMHS",
        "row 6, column item_id: 'APP-X': the APP- prefix is reserved for application items",
    ]


def test_an_assigned_essay_cannot_move_to_another_applicant():
    rows = [["item_id", "applicant_id", "rubric"], ["E2", "A1", "c-essay"]]
    assert "E2 is already assigned" in errors_of("essays", rows)[0]


def test_conflict_references_are_checked():
    rows = [
        ["reviewer_email", "applicant_id"],
        ["nobody@example.org", "A1"],
        ["rev@example.org", "A404"],
        ["boss@example.org", "A2"],
    ]
    assert errors_of("conflicts", rows) == [
        "row 2, column reviewer_email: no reviewer or committee member with e-mail nobody@example.org (import them "
        "first)",
        "row 3, column applicant_id: no applicant 'A404' in this cycle",
        "row 4, column reviewer_email: boss@example.org is a coordinator account, who sees every applicant; a "
        "conflict names a reviewer or a committee member",
    ]


def test_score_references_and_scale_are_checked():
    rows = [
        ["item_id", "reviewer_email", "domain", "score"],
        ["E404", "rev@example.org", "reflection", 2],
        ["E1", "ghost@example.org", "reflection", 2],
        ["E1", "rev@example.org", "leading_people", 2],
        ["E1", "rev@example.org", "reflection", 5],
        ["E1", "rev@example.org", "thinking", 0],
        ["E1", "conflicted@example.org", "reflection", 2],
        ["E1", "conflicted@example.org", "thinking", 2],
        ["GONE", "rev@example.org", "reflection", 2],
    ]
    assert errors_of("scores", rows) == [
        "row 2, column item_id: no item 'E404' in this cycle",
        "row 3, column reviewer_email: no reviewer with e-mail ghost@example.org (import reviewers first)",
        "row 4, column domain: unknown domain 'leading_people' for rubric c-essay (expected reflection, thinking)",
        "row 5, column score: 5 is outside the c-essay scale 1–4",
        "row 6, column score: 0 is outside the c-essay scale 1–4",
        "row 7, column reviewer_email: conflicted@example.org has a declared conflict with the applicant of E1",
        "row 8, column reviewer_email: conflicted@example.org has a declared conflict with the applicant of E1",
        "row 9, column item_id: GONE uses rubric 'retired-rubric', which is not loaded",
    ]


def test_a_read_must_score_every_domain_of_its_rubric():
    rows = [["item_id", "reviewer_email", "domain", "score"], ["E1", "rev@example.org", "thinking", 3]]
    assert errors_of("scores", rows) == [
        "row 2, column domain: the read of E1 by rev@example.org has no score for reflection "
        "(a submitted read needs every domain)"
    ]


def test_a_complete_scores_file_validates_on_its_rubric_scale():
    rows = [
        ["item_id", "reviewer_email", "domain", "score", "comment"],
        ["E1", "rev@example.org", "reflection", 1, "thin"],
        ["E1", "rev@example.org", "thinking", "4", None],
        ["E2", "rev@example.org", "reflection", 6, ""],
    ]
    assert [(v["domain"], v["score"], v["comment"]) for v in values_of("scores", rows)] == [
        ("reflection", 1, "thin"),
        ("thinking", 4, None),
        ("reflection", 6, None),
    ]


def test_errors_are_sorted_by_row_then_column_order():
    rows = [["email", "name", "max_load"], ["bad", "", "x"], ["rev@example.org", "R", "-3"]]
    assert errors_of("reviewers", rows) == [
        "row 2, column email: 'bad' is not an e-mail address",
        "row 2, column name: required value is missing",
        "row 2, column max_load: 'x' is not a whole number",
        "row 3, column max_load: -3 is below the minimum of 0",
    ]


def test_a_blank_template_lists_the_required_columns_first_then_the_optional_ones():
    from app.imports.validate import template_header

    # The import contract (README, "Spreadsheet formats"), written out by hand.
    assert template_header("conflicts") == ["reviewer_email", "applicant_id", "reason"]
    assert template_header("scores") == [
        "item_id",
        "reviewer_email",
        "domain",
        "score",
        "comment",
        "submitted_at",
        "round",
    ]
    assert template_header("reviewers") == ["email", "name", "endorsements", "designations", "max_load", "organization"]
    assert template_header("applications")[:3] == ["applicant_id", "name", "category"]
    assert {"mc_score", "portfolio_summary", "rsc_hours", "member"} <= set(template_header("applications"))


def test_a_read_with_as_many_rows_as_domains_still_needs_each_domain():
    """Two rows for a two-domain rubric are not enough when one domain is repeated or left blank."""
    repeated = [
        ["item_id", "reviewer_email", "domain", "score"],
        ["E1", "rev@example.org", "reflection", 3],
        ["E1", "rev@example.org", "reflection", 2],
    ]
    blank = [
        ["item_id", "reviewer_email", "domain", "score"],
        ["E1", "rev@example.org", "reflection", 3],
        ["E1", "rev@example.org", None, 2],
    ]
    missing = "the read of E1 by rev@example.org has no score for thinking (a submitted read needs every domain)"
    assert errors_of("scores", repeated) == [
        f"row 2, column domain: {missing}",
        "row 3, column item_id: duplicate of row 2 (same item_id, reviewer_email, domain)",
    ]
    assert errors_of("scores", blank) == [
        f"row 2, column domain: {missing}",
        "row 3, column domain: required value is missing",
    ]
