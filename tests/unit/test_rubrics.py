"""Rubric packs: the shipped packs match their contract (docs/spec-summary.md), every problem names its cause,
instance overrides and licensed indicator text, ``flask rubrics check``, and the copyright check."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import StartupError
from app.rubrics.loader import RubricError, load_rubrics, parse_rubric
from app.rubrics.model import FIGURES
from app.rubrics.registry import SHIPPED_DIR, get_rubric, indicator_text
from tests.factories import ESSAY_DOMAINS

REPO = Path(__file__).resolve().parents[2]
OVERLAP_TOOL = REPO.parent / "shared" / "tools" / "guideline-overlap"

# ----------------------------------------- the shipped packs' contract, written out by hand
POLICY_SIX = (
    "theoretical_foundations",
    "law_regulation_policy",
    "systems_expertise",
    "administration",
    "thinking",
    "communicating",
)
RF_SIX = ("theoretical_foundations", "research_evaluation", "leading_people", "reflection", "thinking", "communicating")
# Application packs: which domains, in any order (written alphabetically, so that no list here
# reads like a run of the guideline documents).
SPECIALIST_EIGHT = frozenset(
    {
        "communicating",
        "direct_service_skills",
        "law_regulation_policy",
        "reflection",
        "systems_expertise",
        "theoretical_foundations",
        "thinking",
        "working_with_others",
    }
)
MENTOR_TAGGED_A = SPECIALIST_EIGHT | {"leading_people"}
POLICY_2025 = MENTOR_TAGGED_A | {"administration"}

SHIPPED = {
    # key: (kind, categories, designation, domain keys)
    "imhs-essay": ("essay", ("IMHS", "ECMHS"), None, ESSAY_DOMAINS),
    "imhm-c-essay": ("essay", ("IMHM-C", "ECMHM-C"), "C", ESSAY_DOMAINS),
    "imhm-p-essay": ("essay", ("IMHM-P", "ECMHM-P"), "P", POLICY_SIX),
    "imhm-rf-essay": ("essay", ("IMHM-RF", "ECMHM-RF"), "RF", RF_SIX),
    "imhs-application": ("application", ("IMHS", "ECMHS"), None, SPECIALIST_EIGHT),
    "imhm-c-application": ("application", ("IMHM-C",), "C", MENTOR_TAGGED_A),
    "imhm-p-application": ("application", ("IMHM-P",), "P", MENTOR_TAGGED_A | {"administration"}),
    "imhm-rf-application": ("application", ("IMHM-RF",), "RF", MENTOR_TAGGED_A | {"research_evaluation"}),
    "ecmhm-p-application": ("application", ("ECMHM-P",), "P", POLICY_2025),
    # Not among the contract's keys: the Early Childhood Clinical and Research/Faculty applicants sit the essays above,
    # so their applications need a pack too (the Mentor domains by analogy with the Infant packs).
    "ecmhm-c-application": ("application", ("ECMHM-C",), "C", MENTOR_TAGGED_A),
    "ecmhm-rf-application": ("application", ("ECMHM-RF",), "RF", MENTOR_TAGGED_A | {"research_evaluation"}),
}

# The minimums the associations publish, written out by hand, that each application pack must check:
# figure → minimum.
REQUIRED_MINIMUMS = {
    "imhs-application": {"training_hours": 30, "work_years": 2, "rsc_hours": 50, "references_received": 3},
    "imhm-c-application": {
        "training_hours": 30,
        "rsc_training_hours": 15,
        "work_years": 2,
        "leadership_years": 3,
        "rsc_hours": 50,
        "rsc_hours_about_providing": 25,
        "references_received": 3,
    },
    "imhm-p-application": {"training_hours": 30, "work_years": 3, "references_received": 3},
    "imhm-rf-application": {"training_hours": 30, "work_years": 3, "references_received": 3},
    "ecmhm-p-application": {"training_hours": 33, "work_years": 3, "leadership_years": 3, "references_received": 3},
    "ecmhm-c-application": {
        "training_hours": 30,
        "rsc_training_hours": 15,
        "work_years": 2,
        "leadership_years": 3,
        "rsc_hours": 50,
        "rsc_hours_about_providing": 25,
        "references_received": 3,
    },
    "ecmhm-rf-application": {"training_hours": 30, "work_years": 3, "references_received": 3},
}
SIGNED_FIGURES = {"ethics_signed", "agreement_signed", "member"}


@pytest.fixture(scope="module")
def shipped():
    return load_rubrics([SHIPPED_DIR])


def test_exactly_the_spec_packs_are_shipped(shipped):
    assert set(shipped) == set(SHIPPED)
    assert sorted(p.stem for p in SHIPPED_DIR.glob("*.toml")) == sorted(SHIPPED)


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_shipped_pack_matches_the_spec_table(shipped, key):
    kind, categories, designation, domain_keys = SHIPPED[key]
    rubric = shipped[key]
    assert rubric.source.name == f"{key}.toml"
    assert (rubric.kind, rubric.categories, rubric.designation) == (kind, categories, designation)
    if isinstance(domain_keys, frozenset):
        assert set(rubric.domain_keys) == domain_keys and len(rubric.domain_keys) == len(domain_keys)
    else:
        assert rubric.domain_keys == domain_keys  # the contract's essay domains, in its order


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_shipped_pack_uses_the_default_scale_pass_and_reconcile_rules(shipped, key):
    rubric = shipped[key]
    assert rubric.scale == (1, 2, 3, 4)
    assert rubric.labels == {1: "Not evident", 2: "Emerging", 3: "Demonstrated", 4: "Exemplary"}
    assert (rubric.pass_rule.domain_min, rubric.pass_rule.mean_min, rubric.pass_rule.total_min) == (2, 2.5, None)
    reconcile = rubric.reconcile
    assert (reconcile.combine, reconcile.tolerance, reconcile.third_reader, reconcile.near_cut_margin) == (
        "mean",
        1,
        True,
        0.0,
    )
    for domain in rubric.domains:
        assert set(domain.descriptors) == {1, 2, 3, 4}
        assert domain.name and domain.areas


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_every_shipped_pack_says_where_licensed_text_goes(key):
    head = (SHIPPED_DIR / f"{key}.toml").read_text(encoding="utf-8").split("[rubric]")[0]
    assert "own words" in head and "instance/indicators.toml" in head


def test_no_two_domains_share_a_descriptor_within_a_pack(shipped):
    for rubric in shipped.values():
        texts = [text for domain in rubric.domains for text in domain.descriptors.values()]
        assert len(texts) == len(set(texts)), rubric.key


def test_essay_and_application_descriptors_are_written_for_their_kind(shipped):
    essay_texts = {t for r in shipped.values() if r.kind == "essay" for d in r.domains for t in d.descriptors.values()}
    application_texts = {
        t for r in shipped.values() if r.kind == "application" for d in r.domains for t in d.descriptors.values()
    }
    assert not essay_texts & application_texts
    # Essay levels judge a written answer to a vignette; application levels judge a whole portfolio.
    assert not any("portfolio" in text.lower() for text in essay_texts)
    assert not any(word in text.lower() for text in application_texts for word in ("vignette", "the answer"))


@pytest.mark.parametrize("key", sorted(REQUIRED_MINIMUMS))
def test_application_pack_checks_the_category_requirements(shipped, key):
    rubric = shipped[key]
    minimums = {r.figure: r.minimum for r in rubric.requirements if r.minimum is not None}
    assert minimums == REQUIRED_MINIMUMS[key]
    assert {r.figure for r in rubric.requirements if r.must_be_yes} == SIGNED_FIGURES
    assert "education" in {r.key for r in rubric.requirements}
    assert all(r.figure in FIGURES for r in rubric.requirements if r.figure)


def test_essay_packs_have_no_requirements(shipped):
    assert all(not r.requirements for r in shipped.values() if r.kind == "essay")


def test_every_application_category_has_exactly_one_application_rubric(app):
    from app.rubrics.registry import application_rubric_for

    with app.app_context():
        for category, key in [
            ("IMHS", "imhs-application"),
            ("ECMHS", "imhs-application"),
            ("IMHM-C", "imhm-c-application"),
            ("IMHM-P", "imhm-p-application"),
            ("IMHM-RF", "imhm-rf-application"),
            ("ECMHM-P", "ecmhm-p-application"),
            ("ECMHM-C", "ecmhm-c-application"),
            ("ECMHM-RF", "ecmhm-rf-application"),
        ]:
            assert application_rubric_for(category).key == key


# ---------------------------------------------------------------- validation messages
VALID = """\
[rubric]
key = "test-essay"
title = "Test essay"
kind = "essay"
categories = ["IMHM-C"]
designation = "C"
version = 1

[scale]
min = 1
max = 4
labels = { 1 = "Not evident", 2 = "Emerging", 3 = "Demonstrated", 4 = "Exemplary" }

[pass]
domain_min = 2
mean_min = 2.5

[reconcile]
combine = "mean"
tolerance = 1
third_reader = true
near_cut_margin = 0.0

[[domains]]
key = "alpha"
name = "Alpha"
areas = ["one area"]
descriptors = { 1 = "a1", 2 = "a2", 3 = "a3", 4 = "a4" }

[[domains]]
key = "beta"
name = "Beta"
descriptors = { 1 = "b1", 2 = "b2", 3 = "b3", 4 = "b4" }
"""
APPLICATION = VALID.replace('kind = "essay"', 'kind = "application"').replace('"test-essay"', '"test-app"')
REQUIREMENT = '\n[[requirements]]\nkey = "hours"\nlabel = "Training hours"\n'


def write(directory: Path, name: str, text: str | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str | bytes) -> list[str]:
    rubric, problems = parse_rubric(write(tmp_path, "pack.toml", text))
    assert rubric is None
    return problems


def test_the_valid_fixture_is_valid(tmp_path):
    rubric, problems = parse_rubric(write(tmp_path, "pack.toml", VALID))
    assert problems == [] and rubric.domain_keys == ("alpha", "beta")
    rubric, problems = parse_rubric(
        write(tmp_path, "app.toml", APPLICATION + REQUIREMENT + 'figure = "training_hours"\nmin_hours = 30\n')
    )
    assert problems == [] and rubric.requirements[0].minimum == 30 and rubric.requirements[0].unit == "hours"


ERRORS = [
    # (case, text, the key named, words of the problem)
    ("bad TOML", "[rubric\nkey = ", "file", "not valid TOML"),
    ("non-UTF-8", VALID.encode("utf-8").replace(b'"Alpha"', b'"Alpha \xff\xfe"'), "file", "not UTF-8"),
    ("missing [rubric] key", VALID.replace('key = "test-essay"\n', ""), "[rubric] key", "missing"),
    ("rubric key with capitals", VALID.replace('"test-essay"', '"Test Essay"'), "[rubric] key", "lowercase"),
    ("missing title", VALID.replace('title = "Test essay"\n', ""), "[rubric] title", "missing"),
    (
        "bad kind",
        VALID.replace('kind = "essay"', 'kind = "exam"'),
        "[rubric] kind",
        "must be one of essay, application",
    ),
    (
        "bad designation",
        VALID.replace('designation = "C"', 'designation = "X"'),
        "[rubric] designation",
        "must be one of C, P, RF",
    ),
    ("no categories", VALID.replace('["IMHM-C"]', "[]"), "[rubric] categories", "non-empty list"),
    (
        "category twice",
        VALID.replace('["IMHM-C"]', '["IMHM-C", "IMHM-C"]'),
        "[rubric] categories",
        "IMHM-C is listed twice",
    ),
    ("version zero", VALID.replace("version = 1", "version = 0"), "[rubric] version", "at least 1"),
    ("unknown top-level table", VALID + "\n[scoring]\nx = 1\n", "scoring", "unknown key"),
    (
        "unknown [rubric] key",
        VALID.replace("version = 1", 'version = 1\nowner = "me"'),
        "[rubric] owner",
        "unknown key",
    ),
    ("missing [scale]", VALID.replace("[scale]\nmin = 1\nmax = 4\n", "[scale_]\n"), "[scale]", "missing table"),
    ("scale max equal to min", VALID.replace("max = 4", "max = 1"), "[scale] max", "must be greater than min"),
    ("scale max below min", VALID.replace("max = 4", "max = 0"), "[scale] max", "must be greater than min"),
    ("scale bounds not integers", VALID.replace("min = 1", "min = 1.5"), "[scale] min", "must be an integer"),
    ("label missing a level", VALID.replace(', 4 = "Exemplary"', ""), "[scale] labels", "missing levels [4]"),
    ("missing descriptor levels", VALID.replace(', 4 = "a4"', ""), "domain 'alpha' descriptors", "missing levels [4]"),
    (
        "descriptor level outside scale",
        VALID.replace('4 = "a4"', '4 = "a4", 5 = "a5"'),
        "domain 'alpha' descriptors",
        "levels outside the scale [5]",
    ),
    (
        "descriptor level not a number",
        VALID.replace('4 = "a4"', '4 = "a4", high = "x"'),
        "domain 'alpha' descriptors",
        "not a whole number",
    ),
    ("empty descriptor", VALID.replace('"a2"', '""'), "domain 'alpha' descriptors", "level 2 needs a non-empty text"),
    (
        "descriptors missing",
        VALID.replace('descriptors = { 1 = "b1", 2 = "b2", 3 = "b3", 4 = "b4" }\n', ""),
        "domain 'beta' descriptors",
        "missing",
    ),
    ("duplicate domain key", VALID.replace('key = "beta"', 'key = "alpha"'), "domain 'alpha'", "duplicate domain key"),
    ("domain without a name", VALID.replace('name = "Beta"\n', ""), "domain 'beta' name", "missing"),
    ("domain key with spaces", VALID.replace('key = "beta"', 'key = "be ta"'), "[[domains]] #2 key", "lowercase"),
    (
        "unknown domain key",
        VALID.replace('name = "Beta"', 'name = "Beta"\nweight = 2'),
        "domain 'beta' weight",
        "unknown key",
    ),
    ("areas not strings", VALID.replace('["one area"]', "[1, 2]"), "domain 'alpha' areas", "list of strings"),
    ("no domains", VALID.split("[[domains]]")[0], "[[domains]]", "at least one domain"),
    ("missing [pass]", VALID.replace("[pass]\ndomain_min = 2\nmean_min = 2.5\n", ""), "[pass]", "missing table"),
    (
        "empty pass rule",
        VALID.replace("domain_min = 2\nmean_min = 2.5\n", ""),
        "[pass]",
        "needs domain_min, mean_min or total_min",
    ),
    (
        "mean_min and total_min both",
        VALID.replace("mean_min = 2.5", "mean_min = 2.5\ntotal_min = 5"),
        "[pass]",
        "mean_min or total_min, not both",
    ),
    (
        "mean_min outside the scale",
        VALID.replace("mean_min = 2.5", "mean_min = 5"),
        "[pass] mean_min",
        "outside the scale 1–4",
    ),
    (
        "domain_min outside the scale",
        VALID.replace("domain_min = 2", "domain_min = 0"),
        "[pass] domain_min",
        "outside the scale 1–4",
    ),
    (
        "total_min beyond the possible totals",
        VALID.replace("mean_min = 2.5", "total_min = 9"),
        "[pass] total_min",
        "outside the possible totals 2–8",
    ),
    (
        "misspelt pass setting",
        VALID.replace("mean_min = 2.5", "mean_minimum = 2.5"),
        "[pass] mean_minimum",
        "unknown key",
    ),
    (
        "pass minimum not a number",
        VALID.replace("mean_min = 2.5", 'mean_min = "2.5"'),
        "[pass] mean_min",
        "must be a number",
    ),
    (
        "bad combine",
        VALID.replace('combine = "mean"', 'combine = "max"'),
        "[reconcile] combine",
        "must be one of mean, sum, median",
    ),
    (
        "negative tolerance",
        VALID.replace("tolerance = 1", "tolerance = -1"),
        "[reconcile] tolerance",
        "must be at least 0",
    ),
    (
        "third_reader not a boolean",
        VALID.replace("third_reader = true", 'third_reader = "yes"'),
        "[reconcile] third_reader",
        "true or false",
    ),
    (
        "negative near-cut margin",
        VALID.replace("near_cut_margin = 0.0", "near_cut_margin = -0.5"),
        "[reconcile] near_cut_margin",
        "must be at least 0",
    ),
    (
        "misspelt reconcile setting",
        VALID.replace("tolerance = 1", "tolerence = 1"),
        "[reconcile] tolerence",
        "unknown key",
    ),
    (
        "requirements on an essay rubric",
        VALID + REQUIREMENT,
        "[[requirements]]",
        "only application rubrics have requirements",
    ),
    (
        "a minimum without figure",
        APPLICATION + REQUIREMENT + "min_hours = 30\n",
        "requirement 'hours'",
        "needs the figure it checks",
    ),
    (
        "must_be_yes without figure",
        APPLICATION + REQUIREMENT + "must_be_yes = true\n",
        "requirement 'hours'",
        "needs the figure it checks",
    ),
    (
        "unknown figure",
        APPLICATION + REQUIREMENT + 'figure = "hours_total"\nmin_hours = 30\n',
        "requirement 'hours' figure",
        "not a portfolio figure",
    ),
    (
        "two minimums",
        APPLICATION + REQUIREMENT + 'figure = "training_hours"\nmin_hours = 30\nmin_count = 3\n',
        "requirement 'hours'",
        "give one minimum, not min_hours, min_count",
    ),
    (
        "minimum and must_be_yes",
        APPLICATION + REQUIREMENT + 'figure = "member"\nmin_count = 1\nmust_be_yes = true\n',
        "requirement 'hours'",
        "min_count or must_be_yes, not both",
    ),
    (
        "negative minimum",
        APPLICATION + REQUIREMENT + 'figure = "training_hours"\nmin_hours = -3\n',
        "requirement 'hours' min_hours",
        "must be at least 0",
    ),
    (
        "requirement without label",
        APPLICATION + '\n[[requirements]]\nkey = "hours"\n',
        "requirement 'hours' label",
        "missing",
    ),
    (
        "duplicate requirement key",
        APPLICATION + REQUIREMENT + REQUIREMENT,
        "requirement 'hours'",
        "duplicate requirement key",
    ),
    (
        "misspelt requirement setting",
        APPLICATION + REQUIREMENT + 'figure = "training_hours"\nminimum_hours = 3\n',
        "requirement 'hours' minimum_hours",
        "unknown key",
    ),
]


@pytest.mark.parametrize("case,text,where,problem", ERRORS, ids=[e[0] for e in ERRORS])
def test_every_validation_problem_names_the_file_the_key_and_the_problem(tmp_path, case, text, where, problem):
    problems = problems_of(tmp_path, text)
    assert any(p.startswith(f"pack.toml: {where}: ") and problem in p for p in problems), problems


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    text = VALID.replace('kind = "essay"', 'kind = "exam"').replace("tolerance = 1", "tolerance = -1")
    problems = problems_of(tmp_path, text)
    assert len(problems) == 2 and all(p.startswith("pack.toml: ") for p in problems)


def test_duplicate_rubric_key_in_one_directory_is_refused(tmp_path):
    write(tmp_path, "a.toml", VALID)
    write(tmp_path, "b.toml", VALID)
    with pytest.raises(RubricError) as caught:
        load_rubrics([tmp_path])
    assert caught.value.problems == ["b.toml: [rubric] key: 'test-essay' is also defined in a.toml"]


def test_two_application_rubrics_for_one_category_are_refused(tmp_path):
    write(tmp_path, "one.toml", APPLICATION)
    write(tmp_path, "two.toml", APPLICATION.replace('"test-app"', '"test-app-2"'))
    with pytest.raises(RubricError) as caught:
        load_rubrics([tmp_path])
    assert caught.value.problems == [
        "two.toml: [rubric] categories: IMHM-C already has the application rubric 'test-app' (one.toml)"
    ]


def test_problems_in_several_files_are_all_reported(tmp_path):
    write(tmp_path, "good.toml", VALID)
    write(tmp_path, "bad1.toml", "not toml at all [")
    write(tmp_path, "bad2.toml", VALID.replace('"test-essay"', '"other"').replace("max = 4", "max = 1"))
    with pytest.raises(RubricError) as caught:
        load_rubrics([tmp_path])
    assert [p.split(":")[0] for p in caught.value.problems] == ["bad1.toml", "bad2.toml"]


def test_no_rubric_files_at_all_is_an_error(tmp_path):
    with pytest.raises(RubricError, match="no rubric files found"):
        load_rubrics([tmp_path / "empty", tmp_path / "missing"])


def test_a_later_directory_wins_on_equal_key(tmp_path):
    write(tmp_path / "shipped", "test-essay.toml", VALID)
    write(tmp_path / "local", "our-essay.toml", VALID.replace('"Test essay"', '"Our essay"'))
    rubrics = load_rubrics([tmp_path / "shipped", tmp_path / "local"])
    assert rubrics["test-essay"].title == "Our essay"
    assert rubrics["test-essay"].source == tmp_path / "local" / "our-essay.toml"


# ---------------------------------------------------------------- the app, instance/ and the CLI
def make_app(tmp_path: Path, **config):
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "test.sqlite3"),
            **config,
        }
    )


def copy_shipped(tmp_path: Path) -> Path:
    target = tmp_path / "packs"
    shutil.copytree(SHIPPED_DIR, target)
    return target


def test_instance_rubric_overrides_the_shipped_pack_with_the_same_key(tmp_path):
    shipped_text = (SHIPPED_DIR / "imhs-essay.toml").read_text(encoding="utf-8")
    write(
        tmp_path / "instance" / "rubrics",
        "specialist-essay.toml",
        shipped_text.replace('title = "Specialist: exam essay"', 'title = "Our Specialist essay"').replace(
            "mean_min = 2.5", "mean_min = 3"
        ),
    )
    app = make_app(tmp_path)
    with app.app_context():
        rubric = get_rubric("imhs-essay")
        assert rubric.title == "Our Specialist essay" and rubric.pass_rule.mean_min == 3
        assert rubric.source.parent == tmp_path / "instance" / "rubrics"
        assert get_rubric("imhm-c-essay").source.parent == SHIPPED_DIR


def test_app_refuses_to_start_on_a_bad_shipped_pack(tmp_path):
    packs = copy_shipped(tmp_path)
    path = packs / "imhm-p-essay.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('combine = "mean"', 'combine = "average"'), encoding="utf-8"
    )
    with pytest.raises(RubricError) as caught:
        make_app(tmp_path, RUBRICS_DIR=str(packs))
    assert caught.value.problems == [
        "imhm-p-essay.toml: [reconcile] combine: must be one of mean, sum, median, got 'average'"
    ]


def test_app_refuses_to_start_on_a_bad_instance_pack(tmp_path):
    write(tmp_path / "instance" / "rubrics", "local.toml", VALID.replace("max = 4", "max = 1"))
    with pytest.raises(RubricError, match=r"local\.toml: \[scale\] max"):
        make_app(tmp_path)


def test_outside_tests_a_bad_pack_stops_start_up_with_the_messages(tmp_path):
    # Under a WSGI server: one StartupError with every message (the command line prints it and exits 1,
    # tests/unit/test_cli_errors.py).
    write(tmp_path / "instance" / "rubrics", "local.toml", VALID.replace('kind = "essay"', 'kind = "exam"'))
    with pytest.raises(StartupError) as caught:
        make_app(tmp_path, TESTING=False)
    assert "will not start" in str(caught.value)
    assert "local.toml: [rubric] kind: must be one of essay, application" in str(caught.value)


def test_rubrics_check_lists_the_packs_and_exits_0(tmp_path):
    app = make_app(tmp_path, RUBRICS_DIR=str(copy_shipped(tmp_path)))
    result = app.test_cli_runner().invoke(args=["rubrics", "check"])
    assert result.exit_code == 0, result.output
    for key in SHIPPED:
        assert key in result.output
    assert f"{len(SHIPPED)} rubrics OK" in result.output
    assert (
        "categories with an application pack: IMHS, ECMHS, IMHM-C, IMHM-P, IMHM-RF, ECMHM-C, ECMHM-P, ECMHM-RF"
        in result.output
    )
    assert "without one (their applications are refused at import): IFA, ECFA, IFS, ECFS" in result.output


def test_rubrics_check_prints_every_problem_and_exits_1_on_a_bad_pack(tmp_path):
    packs = copy_shipped(tmp_path)
    app = make_app(tmp_path, RUBRICS_DIR=str(packs))
    path = packs / "imhs-application.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("min_hours = 50", "min_hours = 50\nmin_years = 1")
        .replace("tolerance = 1", "tolerance = -2"),
        encoding="utf-8",
    )
    write(packs, "copy.toml", (packs / "imhm-c-essay.toml").read_text(encoding="utf-8"))
    result = app.test_cli_runner().invoke(args=["rubrics", "check"])
    assert result.exit_code == 1
    assert "imhs-application.toml: [reconcile] tolerance: must be at least 0, got -2" in result.output
    assert "imhs-application.toml: requirement 'rsc_hours': give one minimum, not min_hours, min_years" in result.output
    assert "imhm-c-essay.toml: [rubric] key: 'imhm-c-essay' is also defined in copy.toml" in result.output
    assert "rubrics OK" not in result.output


# ---------------------------------------------------------------- licensed indicator text
INDICATORS = """\
[domains.reflection]
text = "Licensed wording about reflection."

[rubrics.imhm-c-essay.reflection]
text = "Licensed wording for the Clinical essay."
"""


def test_licensed_indicator_text_is_loaded_and_looked_up(tmp_path):
    write(tmp_path / "instance", "indicators.toml", INDICATORS)
    app = make_app(tmp_path)
    with app.app_context():
        assert indicator_text("imhm-c-essay", "reflection") == "Licensed wording for the Clinical essay."
        assert indicator_text("imhs-essay", "reflection") == "Licensed wording about reflection."
        assert indicator_text("imhs-essay", "thinking") is None
    result = app.test_cli_runner().invoke(args=["rubrics", "check"])
    assert result.exit_code == 0 and "licensed indicator text for 2 domain entries" in result.output


def test_without_an_indicator_file_there_is_no_indicator_text(app):
    with app.app_context():
        assert indicator_text("imhm-c-essay", "reflection") is None


@pytest.mark.parametrize(
    "text,message",
    [
        ("[domains.reflection\n", "indicators.toml: file: not valid TOML"),
        (b'[domains.reflection]\ntext = "\xff"\n', "indicators.toml: file: not UTF-8 text"),
        ('[domains.reflection]\nwording = "x"\n', 'indicators.toml: domains.reflection: needs text = "…"'),
        ('[domains.reflektion]\ntext = "x"\n', "indicators.toml: domains.reflektion: no rubric has a domain"),
        (
            '[rubrics.imhm-x-essay.reflection]\ntext = "x"\n',
            "indicators.toml: rubrics.imhm-x-essay: no rubric has the key",
        ),
        (
            '[rubrics.imhs-essay.administration]\ntext = "x"\n',
            "indicators.toml: rubrics.imhs-essay.administration: rubric 'imhs-essay' has no domain 'administration'",
        ),
        ("rubrics = 3\n", "indicators.toml: rubrics: must be a table"),
        ('[rubrics]\nimhs-essay = "x"\n', "indicators.toml: rubrics.imhs-essay: must be a table of domains"),
        ('[notes]\ntext = "x"\n', "indicators.toml: notes: unknown table"),
    ],
    ids=[
        "bad TOML",
        "non-UTF-8",
        "no text",
        "unknown domain",
        "unknown rubric",
        "domain not in rubric",
        "rubrics not a table",
        "rubric not a table",
        "unknown table",
    ],
)
def test_a_bad_indicator_file_stops_start_up_with_a_message(tmp_path, text, message):
    write(tmp_path / "instance", "indicators.toml", text)
    with pytest.raises(RubricError) as caught:
        make_app(tmp_path)
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems


# ---------------------------------------------------------------- copyright
@pytest.mark.skipif(not OVERLAP_TOOL.exists(), reason="../shared/tools/guideline-overlap is not present")
@pytest.mark.parametrize("folder", ["rubrics", "app/demo", "."], ids=["rubrics", "demo", "whole repository"])
def test_shipped_text_repeats_no_guideline_sentences(folder):
    result = subprocess.run(
        [sys.executable, str(OVERLAP_TOOL), str(REPO / folder)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
