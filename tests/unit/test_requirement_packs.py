"""Requirement rule keys in rubric packs: every key read with its type, and every bad value refused
with a message naming the file, the key and the problem."""

from datetime import date
from pathlib import Path

import pytest

from app.rubrics.loader import parse_rubric

PACK = """\
[rubric]
key = "test-app"
title = "Test application"
kind = "application"
categories = ["IMHS"]
version = 1

[scale]
min = 1
max = 4

[pass]
mean_min = 2.5

[[domains]]
key = "alpha"
name = "Alpha"
descriptors = { 1 = "a1", 2 = "a2", 3 = "a3", 4 = "a4" }

[[requirements]]
key = "line"
label = "A requirement"
"""


def parse(tmp_path: Path, line: str):
    path = tmp_path / "pack.toml"
    path.write_text(PACK + line + "\n", encoding="utf-8")
    return parse_rubric(path)


def only_line(tmp_path: Path, line: str):
    rubric, problems = parse(tmp_path, line)
    assert problems == []
    return rubric.requirements[0]


def test_every_rule_key_is_read_with_its_type(tmp_path):
    rsc = only_line(
        tmp_path,
        """figure = "rsc_hours"
min_hours = 50
provider_endorsements = ["imhm-c", "ERS", "Vetted"]
accept_vetted_until = 2027-12-21
exclude_peer = true
about_providing = true
window_years = 2
majority_from_one_source = true""",
    )
    assert rsc.provider_endorsements == ("IMHM-C", "ERS", "vetted")
    assert rsc.accept_vetted_until == date(2027, 12, 21)
    assert (rsc.exclude_peer, rsc.about_providing, rsc.window_years, rsc.majority_from_one_source) == (
        True,
        True,
        2,
        True,
    )
    assert rsc.rules == (
        "provider_endorsements",
        "accept_vetted_until",
        "exclude_peer",
        "about_providing",
        "window_years",
        "majority_from_one_source",
    )
    references = only_line(
        tmp_path,
        """figure = "references_received"
min_count = 3
min_endorsed = 1
endorsements = ["IMHS", "vetted"]""",
    )
    assert (references.min_endorsed, references.endorsements) == (1, ("IMHS", "vetted"))
    work = only_line(
        tmp_path,
        """figure = "work_years"
min_years = 2
kinds = ["direct_service", "internship"]
internship_max_years = 1
with_infant_and_parent = true""",
    )
    assert (work.kinds, work.internship_max_years, work.with_infant_and_parent) == (
        ("direct_service", "internship"),
        1,
        True,
    )
    training = only_line(tmp_path, 'figure = "training_hours"\nmin_hours = 3\ntopic = "dei"')
    assert training.topic == "dei"


def test_a_figure_named_for_a_topic_or_rsc_about_providing_implies_that_rule(tmp_path):
    assert only_line(tmp_path, 'figure = "dei_hours"\nmin_hours = 3').topic == "dei"
    assert only_line(tmp_path, 'figure = "rsc_training_hours"\nmin_hours = 15').topic == "rsc"
    assert only_line(tmp_path, 'figure = "rsc_hours_about_providing"\nmin_hours = 25').about_providing is True


def test_the_new_figures_need_no_code(tmp_path):
    providers = only_line(tmp_path, 'figure = "rsc_providers"\nmin_count = 2\nexclude_peer = true')
    assert (providers.figure, providers.minimum, providers.unit) == ("rsc_providers", 2, "count")
    endorsed = only_line(tmp_path, 'figure = "references_endorsed"\nmin_count = 1\nendorsements = ["IMHM-C"]')
    assert endorsed.endorsements == ("IMHM-C",)


BAD = [
    # (line, the key named, words of the problem)
    ('figure = "rsc_hours"\nmin_hours = 50\nwindow_years = 0', "window_years", "must be more than 0, got 0"),
    ('figure = "rsc_hours"\nmin_hours = 50\nwindow_years = -1', "window_years", "must be more than 0"),
    ('figure = "rsc_hours"\nmin_hours = 50\nwindow_years = "2"', "window_years", "must be a number"),
    ('figure = "rsc_hours"\nmin_hours = 50\nwindow_yrs = 2', "window_yrs", "unknown key"),
    ('figure = "rsc_hours"\nmin_hours = 50\nexclude_peer = "yes"', "exclude_peer", "must be true or false"),
    ('figure = "rsc_hours"\nmin_hours = 50\nabout_providing = 1', "about_providing", "must be true or false"),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nmajority_from_one_source = "true"',
        "majority_from_one_source",
        "must be true or false",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nprovider_endorsements = "IMHM-C"',
        "provider_endorsements",
        "must be a non-empty list",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nprovider_endorsements = []',
        "provider_endorsements",
        "must be a non-empty list",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nprovider_endorsements = ["IMHM_C"]',
        "provider_endorsements",
        "unknown 'IMHM_C'",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nprovider_endorsements = ["IMHS", "imhs"]',
        "provider_endorsements",
        "IMHS is listed twice",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nprovider_endorsements = ["IMHM-C"]\naccept_vetted_until = "2027-12-21"',
        "accept_vetted_until",
        "must be a date written without quotes",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\nprovider_endorsements = ["IMHM-C"]\n'
        "accept_vetted_until = 2027-12-21T10:00:00",
        "accept_vetted_until",
        "must be a date",
    ),
    (
        'figure = "rsc_hours"\nmin_hours = 50\naccept_vetted_until = 2027-12-21',
        "accept_vetted_until",
        "needs provider_endorsements",
    ),
    (
        'figure = "references_received"\nmin_count = 3\nmin_endorsed = 0\nendorsements = ["IMHS"]',
        "min_endorsed",
        "must be at least 1",
    ),
    (
        'figure = "references_received"\nmin_count = 3\nmin_endorsed = 1.5\nendorsements = ["IMHS"]',
        "min_endorsed",
        "must be a whole number",
    ),
    ('figure = "references_received"\nmin_count = 3\nmin_endorsed = 1', "min_endorsed", "needs endorsements"),
    ('figure = "references_received"\nmin_count = 3\nendorsements = ["IMHS"]', "endorsements", "needs min_endorsed"),
    ('figure = "references_endorsed"\nmin_count = 1', "requirement 'line'", "needs endorsements"),
    ('figure = "work_years"\nmin_years = 2\nkinds = ["volunteering"]', "kinds", "unknown 'volunteering'"),
    (
        'figure = "work_years"\nmin_years = 2\nkinds = ["direct_service"]\ninternship_max_years = 1',
        "internship_max_years",
        'does not include "internship"',
    ),
    ('figure = "work_years"\nmin_years = 2\ninternship_max_years = -1', "internship_max_years", "at least 0"),
    (
        'figure = "work_years"\nmin_years = 2\nwith_infant_and_parent = "both"',
        "with_infant_and_parent",
        "must be true or false",
    ),
    ('figure = "training_hours"\nmin_hours = 3\ntopic = "ethics"', "topic", "must be one of general, dei, rsc"),
    ('figure = "dei_hours"\nmin_hours = 3\ntopic = "rsc"', "topic", 'dei_hours already means topic = "dei"'),
    # A rule on a figure it does not apply to, or on a line without a figure.
    (
        'figure = "work_years"\nmin_years = 2\nwindow_years = 2',
        "window_years",
        "applies to rsc_hours / rsc_hours_about_providing / rsc_providers lines, not to work_years",
    ),
    ('figure = "rsc_hours"\nmin_hours = 50\ntopic = "rsc"', "topic", "not to rsc_hours"),
    ('figure = "training_hours"\nmin_hours = 30\nkinds = ["internship"]', "kinds", "not to training_hours"),
    ("exclude_peer = true", "exclude_peer", "needs the figure it applies to"),
    # A minimum in the wrong unit.
    ('figure = "work_years"\nmin_hours = 2', "min_hours", "work_years is counted in years: use min_years"),
    ('figure = "references_received"\nmin_hours = 3', "min_hours", "use min_count"),
    ('figure = "ethics_signed"\nmin_count = 1', "min_count", "yes/no figure: use must_be_yes"),
    ('figure = "rsc_hours"\nmust_be_yes = true', "must_be_yes", "use min_hours"),
]


@pytest.mark.parametrize(("line", "key", "words"), BAD, ids=[case[1] + ": " + case[2][:30] for case in BAD])
def test_a_bad_rule_is_refused_naming_file_key_and_problem(tmp_path, line, key, words):
    rubric, problems = parse(tmp_path, line)
    assert rubric is None
    assert any(
        problem.startswith("pack.toml: requirement 'line'") and key in problem.split(":")[1] and words in problem
        for problem in problems
    ), problems
