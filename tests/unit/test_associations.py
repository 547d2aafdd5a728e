"""The ASSOCIATION setting: each association's overlay packs load over the base packs and change exactly what
that association does differently; an unknown association stops the app; the Part 1 pass mark per pack."""

import dataclasses
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.rubrics.loader import RubricError, load_rubrics, parse_rubric
from app.rubrics.registry import ASSOCIATIONS, SHIPPED_DIR, part1_pass_mark
from tests.conftest import build_app, close_app

REPO = Path(__file__).resolve().parents[2]
ENDORSED = ("IFS", "ECFS", "IMHS", "ECMHS", "IMHM-C", "IMHM-P", "IMHM-RF", "ECMHM-C", "ECMHM-P", "ECMHM-RF")


@pytest.fixture(scope="module")
def base():
    return load_rubrics([SHIPPED_DIR])


def overlay(code: str):
    return load_rubrics([SHIPPED_DIR, SHIPPED_DIR / "associations" / code])


def lines(rubric) -> dict:
    return {requirement.key: requirement for requirement in rubric.requirements}


def assert_only_changed(base_rubric, rubric, changed_fields: set[str], lines_changed: dict[str, dict]):
    """The overlay equals the base pack except ``changed_fields`` of the rubric and the listed line fields."""
    for name in (
        "key",
        "title",
        "kind",
        "categories",
        "designation",
        "scale_min",
        "scale_max",
        "labels",
        "pass_rule",
        "reconcile",
        "domains",
        "mc_pass_mark",
    ):
        if name not in changed_fields:
            assert getattr(rubric, name) == getattr(base_rubric, name), name
    old, new = lines(base_rubric), lines(rubric)
    for key, fields in lines_changed.items():
        if key not in old:
            continue
        for name, value in fields.items():
            assert getattr(new[key], name) == value, (key, name)
        unchanged = {f.name for f in dataclasses.fields(new[key])} - set(fields)
        assert {n: getattr(new[key], n) for n in unchanged} == {n: getattr(old[key], n) for n in unchanged}, key
    assert {key: line for key, line in new.items() if key not in lines_changed} == {
        key: line for key, line in old.items() if key not in lines_changed
    }


def test_the_base_packs_check_what_every_association_shares(base):
    imhs = lines(base["imhs-application"])
    assert imhs["rsc_hours"].provider_endorsements == ("IMHM-C", "ECMHM-C")
    assert (imhs["rsc_hours"].exclude_peer, imhs["rsc_hours"].window_years) == (True, 2)
    assert imhs["work_experience"].kinds == ("direct_service", "internship")
    assert (imhs["work_experience"].internship_max_years, imhs["work_experience"].with_infant_and_parent) == (1, True)
    for rubric in base.values():
        if rubric.kind == "application":
            references = lines(rubric)["references"]
            assert (references.minimum, references.min_endorsed, references.endorsements) == (3, 1, ENDORSED)
    clinical = lines(base["imhm-c-application"])
    assert clinical["rsc_hours"].provider_endorsements == ("IMHM-C",)
    assert clinical["rsc_hours_about_providing"].about_providing is True
    assert "dei_hours" not in clinical and not clinical["rsc_hours"].majority_from_one_source


def test_virginia_adds_three_dei_hours_and_the_source_rule_for_mentor_clinical(base):
    rubrics = overlay("VAIMH")
    clinical = rubrics["imhm-c-application"]
    assert clinical.source.parent.name == "VAIMH"
    dei = lines(clinical)["dei_hours"]
    assert (dei.figure, dei.topic, dei.minimum, dei.unit) == ("training_hours", "dei", 3, "hours")
    keys = [line.key for line in clinical.requirements]
    assert keys.index("dei_hours") == keys.index("rsc_training_hours") + 1
    rsc = lines(clinical)["rsc_hours"]
    assert_only_changed(
        base["imhm-c-application"],
        clinical,
        set(),
        {"dei_hours": {}, "rsc_hours": {"majority_from_one_source": True, "label": rsc.label}},
    )
    assert rsc.exclude_peer is True  # peer supervision never counts in Virginia either
    assert {key: r for key, r in rubrics.items() if key != "imhm-c-application"} == {
        key: r for key, r in base.items() if key != "imhm-c-application"
    }


def test_north_carolina_accepts_ers_and_vetted_providers_until_2027_12_21(base):
    rubrics = overlay("NCIMHA")
    specialist = rubrics["imhs-application"]
    rsc, references = lines(specialist)["rsc_hours"], lines(specialist)["references"]
    assert_only_changed(
        base["imhs-application"],
        specialist,
        set(),
        {
            "rsc_hours": {
                "provider_endorsements": ("IMHM-C", "ECMHM-C", "ERS"),
                "accept_vetted_until": date(2027, 12, 21),
                "label": rsc.label,
            },
            "references": {"endorsements": (*ENDORSED, "vetted"), "label": references.label},
        },
    )
    assert {key: r for key, r in rubrics.items() if key != "imhs-application"} == {
        key: r for key, r in base.items() if key != "imhs-application"
    }


def test_arizona_names_level_three_its_membership_and_the_internship_way(base):
    rubrics = overlay("ITMHCA")
    specialist = rubrics["imhs-application"]
    assert specialist.title.startswith("Level III")
    assert rubrics["imhs-essay"].title.startswith("Level III") and "ITMHCA" in rubrics["imhs-essay"].title
    assert_only_changed(base["imhs-essay"], rubrics["imhs-essay"], {"title"}, {})
    membership, work, references = (lines(specialist)[key] for key in ("membership", "work_experience", "references"))
    assert "another infant mental health association" in membership.label
    assert "one year of supervised graduate internship and one year" in work.label
    assert_only_changed(
        base["imhs-application"],
        specialist,
        {"title"},
        {
            "membership": {"label": membership.label},
            "work_experience": {"label": work.label},
            "references": {"endorsements": (*ENDORSED, "vetted"), "label": references.label},
        },
    )
    assert (work.kinds, work.internship_max_years) == (("direct_service", "internship"), 1)


def test_every_overlay_has_the_key_of_a_base_pack_and_says_what_it_changes():
    for code in ASSOCIATIONS[1:]:
        folder = SHIPPED_DIR / "associations" / code
        assert list(folder.glob("*.toml")), code
        for path in folder.glob("*.toml"):
            assert (SHIPPED_DIR / path.name).exists(), path
            head = path.read_text(encoding="utf-8").split("[rubric]")[0]
            assert code in head and ("What differs" in head or "only the" in head)


@pytest.mark.parametrize("code", ASSOCIATIONS)
def test_the_setting_layers_the_association_over_the_base(tmp_path, code):
    app = build_app(tmp_path, ASSOCIATION=code)
    try:
        rubrics = app.extensions["rubrics"]
        assert ("dei_hours" in lines(rubrics["imhm-c-application"])) is (code == "VAIMH")
        assert ("ERS" in lines(rubrics["imhs-application"])["rsc_hours"].provider_endorsements) is (code == "NCIMHA")
        assert rubrics["imhs-application"].title.startswith("Level III") is (code == "ITMHCA")
    finally:
        close_app(app)


def test_instance_packs_still_win_over_the_association(tmp_path):
    text = (SHIPPED_DIR / "associations" / "VAIMH" / "imhm-c-application.toml").read_text(encoding="utf-8")
    local = text.replace("min_hours = 3\n", "min_hours = 5\n", 1)
    assert local != text
    app = build_app(tmp_path, rubrics={"imhm-c-application": local}, ASSOCIATION="VAIMH")
    try:
        assert lines(app.extensions["rubrics"]["imhm-c-application"])["dei_hours"].minimum == 5
    finally:
        close_app(app)


def test_an_unknown_association_is_refused_naming_the_valid_ones(tmp_path):
    with pytest.raises(RubricError) as caught:
        build_app(tmp_path, ASSOCIATION="MIAIMH")
    assert caught.value.problems == [
        "ASSOCIATION: unknown association 'MIAIMH' (expected one of MI-AIMH, VAIMH, ITMHCA, NCIMHA)"
    ]


def flask(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASK_APP": "app", **environment}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # two `flask` processes
def test_the_setting_comes_from_the_environment_and_an_unknown_one_stops_the_app(tmp_path):
    instance = {"ENDORSEMENT_INSTANCE": str(tmp_path / "instance")}
    good = flask("rubrics", "check", ASSOCIATION="VAIMH", **instance)
    assert good.returncode == 0, good.stderr
    assert "association VAIMH" in good.stdout
    assert "imhm-c-application" in good.stdout and "13 requirements" in good.stdout
    bad = flask("rubrics", "check", ASSOCIATION="Virginia", **instance)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "expected one of MI-AIMH, VAIMH, ITMHCA, NCIMHA" in bad.stderr


# ----------------------------------------------------------------------------- the Part 1 pass mark

EXAM_PACK = (SHIPPED_DIR / "imhs-application.toml").read_text(encoding="utf-8")


def with_exam(table: str) -> str:
    return EXAM_PACK.replace("[reconcile]", table + "\n\n[reconcile]", 1)


def test_the_part1_pass_mark_comes_from_the_category_pack_else_the_setting(tmp_path):
    app = build_app(
        tmp_path, rubrics={"imhs-application": with_exam("[exam]\nmc_pass_mark = 70")}, PART1_PASS_MARK=75.0
    )
    try:
        with app.app_context():
            assert part1_pass_mark("IMHS") == part1_pass_mark("ECMHS") == 70
            assert part1_pass_mark("IMHM-C") == 75
            assert part1_pass_mark(None) == 75
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("[exam]\nmc_pass_mark = 101", "[exam] mc_pass_mark: is a percentage, at most 100"),
        ("[exam]\nmc_pass_mark = -1", "[exam] mc_pass_mark: must be at least 0"),
        ('[exam]\nmc_pass_mark = "70"', "[exam] mc_pass_mark: must be a number"),
        ("[exam]\npass_mark = 70", "[exam] pass_mark: unknown key"),
    ],
)
def test_a_bad_pass_mark_is_refused(tmp_path, table, words):
    path = tmp_path / "pack.toml"
    path.write_text(with_exam(table), encoding="utf-8")
    rubric, problems = parse_rubric(path)
    assert rubric is None and any(problem.startswith(f"pack.toml: {words}") for problem in problems), problems


def test_an_essay_pack_sets_no_pass_mark(tmp_path):
    path = tmp_path / "pack.toml"
    essay = (SHIPPED_DIR / "imhs-essay.toml").read_text(encoding="utf-8")
    path.write_text(essay.replace("[reconcile]", "[exam]\nmc_pass_mark = 70\n\n[reconcile]", 1), encoding="utf-8")
    assert "pack.toml: [exam]: only application rubrics set the Part 1 pass mark" in parse_rubric(path)[1]


# ----------------------------------------------------------------------------- every category with essays


def test_every_category_with_an_essay_pack_has_an_application_pack(base):
    with_essays = {code for r in base.values() if r.kind == "essay" for code in r.categories}
    with_application = {code for r in base.values() if r.kind == "application" for code in r.categories}
    assert with_essays <= with_application
    assert {"ECMHM-C", "ECMHM-RF"} <= with_application


def test_early_childhood_clinical_and_research_applicants_import_with_the_shipped_packs(tmp_path):
    from app.cycles.models import Item
    from app.extensions import db
    from app.imports.service import import_file
    from tests import factories
    from tests.unit.import_files import csv_bytes

    app = build_app(tmp_path)
    try:
        with app.app_context():
            cycle = factories.make_cycle("Spring")
            rows = [["applicant_id", "name", "category"], ["C1", "Cam", "ECMHM-C"], ["R1", "Rae", "ECMHM-RF"]]
            result = import_file("applications", csv_bytes(rows), "applications.csv", cycle)
            assert result.ok, result.report()
            assert dict(db.session.execute(db.select(Item.item_id, Item.rubric_key)).all()) == {
                "APP-C1": "ecmhm-c-application",
                "APP-R1": "ecmhm-rf-application",
            }
    finally:
        close_app(app)
