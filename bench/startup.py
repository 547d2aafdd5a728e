"""``python -m bench.startup``: what a command costs before it does anything, against the stack's own imports.

The floor is a fresh interpreter importing the libraries the app is built on
(flask, flask_sqlalchemy, flask_migrate, flask_wtf, flask_login, sqlalchemy,
openpyxl) and nothing else. Ours is ``flask --app app …`` as a coordinator
runs it: ``--help`` (which builds the app to list the commands), every
command's ``--help`` (the app is built before the command is found), the
``endorsement`` console script, and three commands that run (``rubrics
check``, ``db current``, ``reconcile`` of an empty cycle). Every run is a
child process of its own, floor and ours alternating; the figure is the
child's CPU seconds (user + system, from ``wait4``), the median of the
repeats. The target: at most 1.6x the floor. bench/README.md has the results.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out" / "startup"
BIN = Path(sys.executable).parent
STACK = ("flask", "flask_sqlalchemy", "flask_migrate", "flask_wtf", "flask_login", "sqlalchemy", "openpyxl")
FLOOR = [sys.executable, "-c", f"import {', '.join(STACK)}"]
LIMIT = 1.6
CYCLE = "Start-up bench"


@dataclass(frozen=True)
class Run:
    cpu: float
    wall: float


def run(command: list[str], environment: dict[str, str]) -> Run:
    """One child process; its own CPU seconds as the kernel counted them."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{output.read().decode()[-3000:]}")
    return Run(usage.ru_utime + usage.ru_stime, wall)


def deployment() -> dict[str, str]:
    """An instance folder and a migrated database of its own, with one empty cycle."""
    instance = OUT / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    environment = {key: value for key, value in os.environ.items() if key not in ("FLASK_APP", "PYTHONPATH")}
    environment.update(
        {
            "ENDORSEMENT_INSTANCE": str(instance),
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": f"sqlite:///{OUT / 'startup.sqlite3'}",
            "LOG_LEVEL": "WARNING",
        }
    )
    run(flask("db", "upgrade"), environment)
    subprocess.run(flask("cycles", "create", CYCLE), cwd=ROOT, env=environment, capture_output=True)  # once
    return environment


def flask(*arguments: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "app", *arguments]


def commands(environment: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(label, argv) of everything measured: the help pages, the console script and three real runs."""
    help_page = subprocess.run(
        flask("--help"), cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    ).stdout
    listing = help_page.split("Commands:", 1)[1].splitlines()
    names = [line.split()[0] for line in listing if line.startswith("  ") and not line.startswith("   ")]
    measured = [("flask --help", flask("--help")), ("endorsement --help", [str(BIN / "endorsement"), "--help"])]
    measured += [(f"flask {name} --help", flask(name, "--help")) for name in names]
    measured += [
        ("flask rubrics check", flask("rubrics", "check")),
        ("flask db current", flask("db", "current")),
        ("flask reconcile (empty cycle)", flask("reconcile", "--cycle", CYCLE)),
    ]
    return measured


def measure(repeats: int) -> list[dict]:
    environment = deployment()
    measured = commands(environment)
    floors: list[Run] = []
    ours: dict[str, list[Run]] = {label: [] for label, _ in measured}
    for repeat in range(repeats):
        print(f"[{time.strftime('%H:%M:%S')}] run {repeat + 1} of {repeats}", file=sys.stderr, flush=True)
        for label, argv in measured:
            floors.append(run(FLOOR, environment))
            ours[label].append(run(argv, environment))
    floor_cpu = statistics.median(r.cpu for r in floors)
    floor_wall = statistics.median(r.wall for r in floors)
    rows = []
    for label, runs in ours.items():
        cpu, wall = statistics.median(r.cpu for r in runs), statistics.median(r.wall for r in runs)
        rows.append(
            {
                "command": label,
                "floor_cpu": floor_cpu,
                "cpu": cpu,
                "ratio": cpu / floor_cpu,
                "wall_ratio": wall / floor_wall,
                "passed": cpu / floor_cpu <= LIMIT,
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| command | floor (CPU) | ours (CPU) | ratio | wall ratio | target | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| `{row['command']}` | {row['floor_cpu']:.2f} s | {row['cpu']:.2f} s | {row['ratio']:.2f}x | "
            f"{row['wall_ratio']:.2f}x | <= {LIMIT}x floor | {'pass' if row['passed'] else 'FAIL'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command, and of the floor beside it")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    arguments = parser.parse_args()
    rows = measure(arguments.repeats)
    if arguments.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"\nStart-up, {time.strftime('%Y-%m-%d %H:%M')}; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}; median of {arguments.repeats}; floor: import {', '.join(STACK)}"
    )
    print(table(rows))
    if not all(row["passed"] for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
