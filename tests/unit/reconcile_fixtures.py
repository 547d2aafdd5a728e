"""Small rubric packs for reconciliation and export tests, written into a test app's instance/rubrics/."""
from pathlib import Path

DESCRIPTORS_4 = '{ 1 = "none", 2 = "some", 3 = "clear", 4 = "rich" }'
DESCRIPTORS_6 = '{ 1 = "1", 2 = "2", 3 = "3", 4 = "4", 5 = "5", 6 = "6" }'

TEST_ESSAY = f"""
[rubric]
key = "t-essay"
title = "Test essay"
kind = "essay"
categories = ["TEST"]
version = 1
[scale]
min = 1
max = 4
[pass]
domain_min = 2
mean_min = 2.5
[reconcile]
combine = "mean"
tolerance = 1
third_reader = true
[[domains]]
key = "insight"
name = "Insight"
descriptors = {DESCRIPTORS_4}
[[domains]]
key = "clarity"
name = "Clarity"
descriptors = {DESCRIPTORS_4}
"""

TEST_APPLICATION = f"""
[rubric]
key = "t-application"
title = "Test application"
kind = "application"
categories = ["TEST"]
version = 1
[scale]
min = 1
max = 4
[pass]
domain_min = 2
mean_min = 2.5
[[domains]]
key = "evidence"
name = "Evidence"
descriptors = {DESCRIPTORS_4}
[[domains]]
key = "practice"
name = "Practice"
descriptors = {DESCRIPTORS_4}
[[requirements]]
key = "hours"
label = "Training hours"
figure = "training_hours"
min_hours = 10
[[requirements]]
key = "ethics"
label = "Code of Ethics signed"
figure = "ethics_signed"
must_be_yes = true
"""

# The ASAP prompt-1 essays: one holistic score on 1–6, the official result is the sum of two reads.
ASAP_HOLISTIC = f"""
[rubric]
key = "asap-holistic"
title = "ASAP set 1, holistic"
kind = "essay"
categories = ["IMHS"]
version = 1
[scale]
min = 1
max = 6
[pass]
domain_min = 1
[reconcile]
combine = "sum"
tolerance = 1
third_reader = true
[[domains]]
key = "holistic"
name = "Holistic"
descriptors = {DESCRIPTORS_6}
"""


def write_test_rubrics(instance_path: Path) -> None:
    folder = instance_path / "rubrics"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("t-essay", TEST_ESSAY), ("t-application", TEST_APPLICATION),
                       ("asap-holistic", ASAP_HOLISTIC)):
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
