"""Building the app loads none of the heavy libraries only some commands need (docs/development.md, "Start-up").

Timing is the benchmark's business (bench/startup.py); this checks the cause, in a fresh interpreter.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Loaded by the function that needs them, never by create_app.
ON_DEMAND = ("numpy", "ortools", "xlsxwriter", "openpyxl", "docx", "lxml", "scipy", "sklearn", "pandas")


@pytest.mark.slow
def test_create_app_leaves_the_heavy_libraries_unloaded(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update({"ENDORSEMENT_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": "startup-test"})
    script = (
        "import sys\nfrom app import create_app\ncreate_app()\n"
        f"print(' '.join(sorted(name for name in {ON_DEMAND!r} if name in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


@pytest.mark.slow
def test_further_readers_are_planned_without_numpy_or_ortools():
    # Reconciliation's one further read per item is planned in plain Python (app/assignment/one_read.py); the
    # general solver, and the libraries it needs, load only for other plans.
    script = (
        "import sys\nfrom app.assignment.engine import ItemDemand, ReviewerCapacity, solve\n"
        "plan = solve([ReviewerCapacity(1, 'a'), ReviewerCapacity(2, 'b', load=2)],\n"
        "             [ItemDemand('E1', 1, (1, 2)), ItemDemand('E2', 1, (1, 2))])\n"
        "print(plan.pairs, ' '.join(name for name in ('numpy', 'ortools') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(('E1', 1), ('E2', 1))"  # b already holds 2: a takes both
