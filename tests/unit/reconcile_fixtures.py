"""Small rubric packs for reconciliation and export tests, written into a test app's instance/rubrics/."""

from pathlib import Path

from tests.rubric_text import levels, rubric_toml, write_rubrics

FOUR_LEVELS = levels("none", "some", "clear", "rich")
PASS = {"domain_min": 2, "mean_min": 2.5}

TEST_ESSAY = rubric_toml(
    "t-essay",
    "essay",
    ["TEST"],
    {"insight": "Insight", "clarity": "Clarity"},
    FOUR_LEVELS,
    title="Test essay",
    pass_rule=PASS,
    reconcile={"combine": "mean", "tolerance": 1, "third_reader": True},
)

TEST_APPLICATION = rubric_toml(
    "t-application",
    "application",
    ["TEST"],
    {"evidence": "Evidence", "practice": "Practice"},
    FOUR_LEVELS,
    title="Test application",
    pass_rule=PASS,
    requirements=[
        {"key": "hours", "label": "Training hours", "figure": "training_hours", "min_hours": 10},
        {"key": "ethics", "label": "Code of Ethics signed", "figure": "ethics_signed", "must_be_yes": True},
    ],
)

# The ASAP prompt-1 essays: one holistic score on 1–6, the official result is the sum of two reads.
ASAP_HOLISTIC = rubric_toml(
    "asap-holistic",
    "essay",
    ["IMHS"],
    {"holistic": "Holistic"},
    levels("1", "2", "3", "4", "5", "6"),
    title="ASAP set 1, holistic",
    pass_rule={"domain_min": 1},
    reconcile={"combine": "sum", "tolerance": 1, "third_reader": True},
)


def write_test_rubrics(instance_path: Path) -> None:
    write_rubrics(
        instance_path, {"t-essay": TEST_ESSAY, "t-application": TEST_APPLICATION, "asap-holistic": ASAP_HOLISTIC}
    )
