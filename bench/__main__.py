"""``make bench`` (= ``python -m bench``): every step against its floor, side by side, and the scaling row.

Each measurement runs in a fresh child process (``bench.child``), floor and
ours alternating, on a fresh copy of the database where the step writes. The
ratio is taken on process CPU seconds, which the other work on a shared
machine does not inflate; wall seconds are shown beside it.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.child import CYCLE_NAME as CYCLE
from bench.generate import SEED, write_workbooks

OUT = Path(__file__).resolve().parent / "out"
cycle_seed = SEED  # `--seed N` measures another cycle from the generator, one the code was never tuned on
ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")


@dataclass
class Row:
    step: str
    floor_cpu: float | None
    ours_cpu: float
    floor_wall: float | None
    ours_wall: float
    limit: float | None  # ratio target (None: absolute target, see ``target``)
    target: str
    note: str = ""
    passed: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours_cpu / self.floor_cpu if self.floor_cpu else None

    @property
    def wall_ratio(self) -> float | None:
        return self.ours_wall / self.floor_wall if self.floor_wall else None

    def verdict(self) -> str:
        passed = self.passed if self.passed is not None else (self.ratio is not None and self.ratio <= self.limit)
        return "pass" if passed else "FAIL"


@dataclass
class Scale:
    factor: int
    directory: Path
    counts: dict = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def instance(self) -> str:
        return str(self.path("instance"))


def child(step: str, **arguments) -> dict:
    """Run one step in a fresh interpreter; its last output line is the JSON result."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.child", step, json.dumps(arguments)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench step {step} failed:\n{completed.stderr[-3000:]}{completed.stdout[-1000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def command(scale: "Scale", database: str, *arguments: str) -> dict:
    """One ``flask`` command as a coordinator runs it, in a process of its own: its CPU seconds (user + system,
    start-up included), wall seconds and peak resident memory, from the kernel's account of the process."""
    environment = {
        **os.environ,
        "ENDORSEMENT_INSTANCE": scale.instance,
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": f"sqlite:///{Path(database).resolve()}",
    }
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(FLASK), "--app", "app", *arguments], cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            raise SystemExit(f"flask {' '.join(arguments)} failed:\n{output.read().decode()[-3000:]}")
    return {"cpu": usage.ru_utime + usage.ru_stime, "seconds": wall, "peak_kib": usage.ru_maxrss}


def measure_startup(scale: "Scale", repeats: int) -> dict:
    """What every command costs before its own work: ``flask --help`` builds the app and lists the commands."""
    log(f"start-up of a command x{repeats}")
    runs = [command(scale, str(scale.path("base.sqlite3")), "--help") for _ in range(repeats)]
    return {"cpu": median(runs, "cpu"), "seconds": median(runs, "seconds"), "peak_kib": median(runs, "peak_kib")}


def without_startup(runs: list[dict], startup: dict) -> list[dict]:
    return [{**run, "cpu": run["cpu"] - startup["cpu"], "seconds": run["seconds"] - startup["seconds"]} for run in runs]


def fresh_copy(source: Path, target: Path) -> str:
    """Copy a checkpointed database; a stale -wal or -shm beside the target would corrupt the copy."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return str(target)


def median(results: list[dict], key: str) -> float:
    return statistics.median(result[key] for result in results)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the batch path -----------------------------------------------------------------------------------


def prepare(factor: int) -> Scale:
    scale = Scale(factor, OUT / f"scale{factor}")
    log(f"{factor}x: workbooks")
    scale.counts = write_workbooks(factor, scale.directory, seed=cycle_seed)
    scale.path("instance").mkdir(parents=True, exist_ok=True)
    log(f"{factor}x: importing reviewers, applications, essays, conflicts")
    child(
        "setup_base",
        database=fresh_copy_target(scale.path("base.sqlite3")),
        instance=scale.instance,
        workbooks=str(scale.directory),
    )
    return scale


def fresh_copy_target(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return str(path)


def measure_assignment(scale: Scale, repeats: int) -> tuple[Row, dict]:
    log(f"{scale.factor}x: auto-assignment x{repeats}")
    runs = [
        child(
            "assign",
            database=fresh_copy(scale.path("base.sqlite3"), scale.path("work.sqlite3")),
            instance=scale.instance,
        )
        for _ in range(repeats)
    ]
    last = runs[-1]
    wall = median(runs, "seconds")
    gap = last["max_load"] - last["lower_bound"]
    proof = "proven optimal" if last["optimal"] else f"proven lower bound {last['lower_bound']}"
    row = Row(
        "auto-assignment (5,000 items x 2 reads, 150 reviewers, blind across items)",
        None,
        median(runs, "cpu"),
        None,
        wall,
        None,
        "no shortfall; max load within 1 of the bound; <= 10 s wall",
        note=f"{last['reads']} reads, loads {last['min_load']}-{last['max_load']} ({proof}), "
        f"{last['shortfalls']} shortfalls, {seconds(wall)} wall",
        passed=last["blind"] and last["shortfalls"] == 0 and gap <= 1 and wall <= 10,
    )
    return row, last


def measure_import(scale: Scale, repeats: int, with_floor: bool) -> tuple[list[dict], list[dict], list[dict]]:
    log(f"{scale.factor}x: scores import x{repeats}{' with floor' if with_floor else ''}, in process and by flask")
    workbook = str(scale.path("scores.xlsx"))
    floors, ours, cli = [], [], []
    for _ in range(repeats):
        if with_floor:
            floors.append(child("floor_import", workbook=workbook))
        ours.append(
            child(
                "import_scores",
                database=fresh_copy(scale.path("base.sqlite3"), scale.path("work.sqlite3")),
                instance=scale.instance,
                workbook=workbook,
            )
        )
        cli.append(
            command(
                scale,
                fresh_copy(scale.path("base.sqlite3"), scale.path("work.sqlite3")),
                "import",
                "scores",
                workbook,
                "--cycle",
                CYCLE,
            )
        )
    # The last import's database goes on: auto-assign the applications, as a coordinator would next.
    fresh_copy(scale.path("work.sqlite3"), scale.path("scored.sqlite3"))
    child("assign", database=str(scale.path("scored.sqlite3")), instance=scale.instance)
    return floors, ours, cli


def measure_reconcile(scale: Scale, repeats: int, with_floor: bool) -> tuple[list[dict], list[dict], list[dict]]:
    log(f"{scale.factor}x: reconciliation x{repeats}{' with floor' if with_floor else ''}, in process and by flask")
    floors, ours, cli = [], [], []
    for _ in range(repeats):
        if with_floor:
            floors.append(
                child("floor_reconcile", database=fresh_copy(scale.path("scored.sqlite3"), scale.path("work.sqlite3")))
            )
        cli.append(
            command(
                scale,
                fresh_copy(scale.path("scored.sqlite3"), scale.path("work.sqlite3")),
                "reconcile",
                "--cycle",
                CYCLE,
            )
        )
        ours.append(
            child(
                "reconcile",
                database=fresh_copy(scale.path("scored.sqlite3"), scale.path("work.sqlite3")),
                instance=scale.instance,
            )
        )
    fresh_copy(scale.path("work.sqlite3"), scale.path("reconciled.sqlite3"))
    return floors, ours, cli


def measure_export(scale: Scale, repeats: int, with_floor: bool) -> tuple[list[dict], list[dict], list[dict]]:
    log(f"{scale.factor}x: export x{repeats}{' with floor' if with_floor else ''}, in process and by flask")
    arguments = {
        "database": str(scale.path("reconciled.sqlite3")),
        "instance": scale.instance,
        "out": str(scale.path("export.xlsx")),
    }
    ours = [child("export", **arguments)]
    floors, cli = [], []
    if with_floor:
        cells = str(scale.path("export-cells.pickle"))
        child("read_back_cells", workbook=arguments["out"], cells=cells)
    for run in range(repeats):
        if with_floor:
            floors.append(child("floor_export", cells=cells, out=str(scale.path("floor.xlsx"))))
        cli.append(
            command(
                scale, arguments["database"], "export", "--cycle", CYCLE, "--out", str(scale.path("export-cli.xlsx"))
            )
        )
        if run < repeats - 1:
            ours.append(child("export", **arguments))
    return floors, ours, cli


def measure_requirements(repeats: int) -> Row:
    """Every requirement line of 2,000 applications with 20 records each: under 1 s, and within 10x the floor."""
    return requirement_runs(repeats)[0]


def requirement_runs(repeats: int) -> tuple[Row, list[dict], list[dict]]:
    """The requirement-evaluation row, with each run of the floor and of ours (alternating)."""
    log(f"requirement evaluation x{repeats} with floor")
    floors, ours = [], []
    for _ in range(repeats):
        floors.append(child("floor_requirements"))
        ours.append(child("requirements"))
    last = ours[-1]
    row = ratio_row(
        f"requirement evaluation ({last['applications']:,} applications x 20 records, {last['lines']:,} lines)",
        floors,
        ours,
        10.0,
        ", ".join(f"{n:,} {check}" for check, n in sorted(last["checks"].items())),
    )
    row.target = "<= 1 s CPU and <= 10x floor"
    row.passed = row.ours_cpu <= 1.0 and row.ratio is not None and row.ratio <= 10.0
    return row, floors, ours


def measure_letters(scale: Scale, repeats: int) -> Row:
    """One decision letter per application of the reconciled 1x cycle (2,000), into a folder: <= 30 s CPU."""
    log(f"letters x{repeats}")
    runs = [
        child(
            "letters",
            database=fresh_copy(scale.path("reconciled.sqlite3"), scale.path("letters.sqlite3")),
            instance=scale.instance,
            out=str(scale.path("letters")),
        )
        for _ in range(repeats)
    ]
    cpu = median(runs, "cpu")
    return Row(
        f"decision letters ({runs[-1]['letters']:,} .docx files from the default templates)",
        None,
        cpu,
        None,
        median(runs, "seconds"),
        None,
        "<= 30 s CPU",
        passed=cpu <= 30,
    )


def ratio_row(step: str, floors: list[dict], ours: list[dict], limit: float, note: str = "") -> Row:
    return Row(
        step,
        median(floors, "cpu"),
        median(ours, "cpu"),
        median(floors, "seconds"),
        median(ours, "seconds"),
        limit,
        f"<= {limit:g}x floor",
        note,
    )


# --- the web rows -------------------------------------------------------------------------------------

WEB_LIMITS = {"reviewer autosave": 3.0}


def measure_web(scales: dict[int, Scale], requests: int, runs: int) -> tuple[list[Row], dict]:
    log(f"web rows at 1x: {runs} runs of {requests} request pairs")
    one = scales[1]
    result = child(
        "web",
        database=fresh_copy(one.path("reconciled.sqlite3"), one.path("web.sqlite3")),
        instance=one.instance,
        requests=requests,
        runs=runs,
    )
    largest = max(scales)
    counts = {}
    if largest != 1:
        log(f"web rows at {largest}x: queries per request")
        big = scales[largest]
        counts = child(
            "web",
            database=fresh_copy(big.path("reconciled.sqlite3"), big.path("web.sqlite3")),
            instance=big.instance,
            requests=3,
            runs=1,
        )["rows"]
    rows = []
    for name, row in result["rows"].items():
        limit = WEB_LIMITS.get(name, 5.0)
        queries = f"{row['queries']} queries/request at 1x"
        same_queries = True
        if counts:
            queries += f", {counts[name]['queries']} at {largest}x"
            same_queries = counts[name]["queries"] == row["queries"]
        runs_ = row["runs"]
        web_row = Row(
            f"{name} (p95)",
            median(runs_, "floor_cpu"),
            median(runs_, "page_cpu"),
            median(runs_, "floor_wall"),
            median(runs_, "page_wall"),
            limit,
            f"p95 <= {limit:g}x floor" + ("" if name == "reviewer autosave" else "; same queries"),
            queries,
        )
        if not same_queries:
            web_row.passed = False
        rows.append(web_row)
    return rows, result


# --- report ----------------------------------------------------------------------------------------------


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    import os

    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def table(rows: list[Row]) -> str:
    lines = [
        "| step | floor (CPU) | ours (CPU) | ratio | wall ratio | target | result | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.step} | {seconds(row.floor_cpu)} | {seconds(row.ours_cpu)} | {times(row.ratio)} | "
            f"{times(row.wall_ratio)} | {row.target} | {row.verdict()} | {row.note} |"
        )
    return "\n".join(lines)


def scaling_table(scaling: dict[str, dict[int, list[dict]]], factors: list[int]) -> str:
    lines = [
        "| step | " + " | ".join(f"{f}x (CPU)" for f in factors) + " | 4x / 1x | target | result |",
        "|---|" + "---|" * len(factors) + "---|---|---|",
    ]
    for step, by_factor in scaling.items():
        cpu = {f: median(by_factor[f], "cpu") for f in factors}
        growth = cpu[4] / cpu[1] if 4 in cpu and 1 in cpu else None
        verdict = "—" if growth is None else ("pass" if growth <= 4.5 else "FAIL")
        lines.append(
            f"| {step} | " + " | ".join(seconds(cpu[f]) for f in factors) + f" | {times(growth)} | <= 4.5 | {verdict} |"
        )
    return "\n".join(lines)


def scored_one() -> Scale:
    """The 1x cycle imported and auto-assigned, as the full run has it before reconciliation; built once, then kept
    in ``bench/out`` (delete ``scale1/counts.json`` to rebuild it)."""
    scale = Scale(1, OUT / "scale1")
    if scale.path("scored.sqlite3").exists() and scale.path("counts.json").exists():
        scale.counts = json.loads(scale.path("counts.json").read_text())
        return scale
    scale = prepare(1)
    log("1x: scores import, then auto-assignment")
    child(
        "import_scores",
        database=fresh_copy(scale.path("base.sqlite3"), scale.path("work.sqlite3")),
        instance=scale.instance,
        workbook=str(scale.path("scores.xlsx")),
    )
    fresh_copy(scale.path("work.sqlite3"), scale.path("scored.sqlite3"))
    child("assign", database=str(scale.path("scored.sqlite3")), instance=scale.instance)
    scale.path("counts.json").write_text(json.dumps(scale.counts))
    return scale


def reconciled_one() -> Scale:
    """The 1x cycle reconciled, as the web rows run on it: ``scored_one`` reconciled once, then kept in
    ``bench/out`` (delete ``scale1/reconciled.sqlite3`` to rebuild it)."""
    scale = scored_one()
    if not scale.path("reconciled.sqlite3").exists():
        log("1x: reconciliation")
        work = fresh_copy(scale.path("scored.sqlite3"), scale.path("work.sqlite3"))
        child("reconcile", database=work, instance=scale.instance)
        fresh_copy(Path(work), scale.path("reconciled.sqlite3"))
    return scale


def web_only(requests: int, repeats: int) -> None:
    """The web rows alone at 1x, each run's p95 ratio listed (a few minutes the first time, then one or two)."""
    scale = reconciled_one()
    load_before = os.getloadavg()[0]
    rows, result = measure_web({1: scale}, requests, repeats)
    print(f"\nWeb rows, {time.strftime('%Y-%m-%d %H:%M')}; {machine()} (load {load_before:.1f} at the start)")
    print(f"median of {repeats} run(s) of {requests} floor/page request pairs; ratio = p95 CPU, page / floor\n")
    print(table(rows))
    print()
    for name, row in result["rows"].items():
        ratios = " / ".join(f"{run['page_cpu'] / run['floor_cpu']:.2f}x" for run in row["runs"])
        print(f"{name}: {ratios}")


def requirements_only(repeats: int) -> None:
    """The requirement-evaluation row alone, floor and ours alternating, each run listed (well under a minute)."""
    load_before = os.getloadavg()[0]
    row, floors, ours = requirement_runs(repeats)
    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"\nRequirement evaluation, {started}; {machine()} (load {load_before:.1f} at the start)")
    print(f"median of {repeats} run(s), floor and ours alternating, each in a fresh process\n")
    print(table([row]))
    print(f"\nfloor runs (CPU): {', '.join(seconds(run['cpu']) for run in floors)}")
    print(f"our runs (CPU): {', '.join(seconds(run['cpu']) for run in ours)}")
    ratios = " / ".join(f"{run['cpu'] / floor['cpu']:.2f}x" for floor, run in zip(floors, ours, strict=True))
    print(f"ratios: {ratios}")


def reconcile_only(repeats: int) -> None:
    """The reconciliation rows alone, side by side in one run: its floor, ``flask reconcile`` with start-up
    subtracted, and the in-process step (a few minutes the first time, then well under one)."""
    scale = scored_one()
    startup = measure_startup(scale, max(repeats, 3))
    floors, ours, cli = measure_reconcile(scale, repeats, True)
    name = f"reconciliation ({scale.counts['applications'] + scale.counts['essays']:,} items)"
    rows = [
        ratio_row(f"{name}, `flask` command, start-up subtracted", floors, without_startup(cli, startup), 8.0),
        ratio_row(f"{name}, in process", floors, ours, 8.0),
    ]
    print(f"\nReconciliation, {time.strftime('%Y-%m-%d %H:%M')}; {machine()}; median of {repeats} run(s)\n")
    print(table(rows))
    runs = " / ".join(seconds(run["cpu"]) for run in without_startup(cli, startup))
    print(f"\nflask runs (start-up {seconds(startup['cpu'])} subtracted): {runs}")
    print(f"in-process runs: {' / '.join(seconds(run['cpu']) for run in ours)}")
    print(f"floor runs: {' / '.join(seconds(run['cpu']) for run in floors)}")
    print(f"peak RSS of flask reconcile: {max(run['peak_kib'] for run in cli) / 1024:.0f} MiB")


def reconcile_scaling(repeats: int) -> None:
    """``flask reconcile`` on the scored 1x, 2x and 4x cycles that a full run left in ``bench/out``: peak RSS and
    CPU (start-up subtracted) at each size, the sizes alternating, as the full run's scaling rows measure them."""
    scales = [Scale(factor, OUT / f"scale{factor}") for factor in (1, 2, 4)]
    missing = [str(scale.path("scored.sqlite3")) for scale in scales if not scale.path("scored.sqlite3").exists()]
    if missing:
        raise SystemExit(f"no scored cycle at {', '.join(missing)}: run `make bench` once first")
    startup = measure_startup(scales[0], max(repeats, 3))
    runs: dict[int, list[dict]] = {scale.factor: [] for scale in scales}
    for _ in range(repeats):
        for scale in scales:
            database = fresh_copy(scale.path("scored.sqlite3"), scale.path("work.sqlite3"))
            runs[scale.factor].append(command(scale, database, "reconcile", "--cycle", CYCLE))
    print(f"\n`flask reconcile` at 1x, 2x, 4x, {time.strftime('%Y-%m-%d %H:%M')}; {machine()}; {repeats} run(s) each")
    print(f"start-up (`flask --help`): {seconds(startup['cpu'])} CPU, peak {startup['peak_kib'] / 1024:.0f} MiB")
    for factor, factor_runs in runs.items():
        cpu = " / ".join(seconds(run["cpu"]) for run in without_startup(factor_runs, startup))
        peak = max(run["peak_kib"] for run in factor_runs) / 1024
        print(f"{factor}x: peak RSS {peak:.0f} MiB; CPU, start-up subtracted: {cpu}")
    one, four = (median(without_startup(runs[factor], startup), "cpu") for factor in (1, 4))
    print(f"4x/1x CPU (medians): {four / one:.2f}; load averages {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1x only, one run of each step, fewer requests")
    parser.add_argument("--repeats", type=int, default=None, help="runs per step (default 3, 1 with --quick)")
    parser.add_argument("--requests", type=int, default=None, help="request pairs per web run (default 200)")
    parser.add_argument(
        "--reconcile-only",
        action="store_true",
        help="only the 1x reconciliation rows (floor, flask, in process), reusing a scored 1x cycle if one is built",
    )
    parser.add_argument(
        "--reconcile-scaling",
        action="store_true",
        help="only `flask reconcile` at 1x, 2x and 4x (peak RSS, CPU), on the scored cycles a full run left",
    )
    parser.add_argument(
        "--web-only",
        action="store_true",
        help="only the web rows at 1x (autosave, queue, scoring page, board), reusing a reconciled 1x cycle if built",
    )
    parser.add_argument(
        "--requirements-only",
        action="store_true",
        help="only the requirement-evaluation row: floor and ours alternating, each run listed",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the scores import at 1x: floor, `flask import scores` and in process, side by side",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="another cycle of the same size from the generator (an unseen one), built and kept in bench/out/seedN/",
    )
    options = parser.parse_args()
    if options.seed is not None and options.seed != SEED:
        global OUT, cycle_seed
        OUT, cycle_seed = OUT / f"seed{options.seed}", options.seed
    repeats = options.repeats or (1 if options.quick else 3)
    if options.import_only:
        main_import_only(options.repeats or 3)
        return
    if options.reconcile_only:
        reconcile_only(repeats)
        return
    if options.reconcile_scaling:
        reconcile_scaling(repeats)
        return
    requests = options.requests or (40 if options.quick else 200)
    if options.web_only:
        web_only(requests, repeats)
        return
    if options.requirements_only:
        requirements_only(options.repeats or 5)
        return
    factors = [1] if options.quick else [1, 2, 4]
    started = time.time()

    scales = {factor: prepare(factor) for factor in factors}
    rows = []
    one = scales[1]
    counts = one.counts
    assignment_row, _ = measure_assignment(one, repeats)
    startup = measure_startup(one, max(repeats, 3))
    steps = ("scores import", "reconciliation", "export")
    scaling: dict[str, dict[int, list[dict]]] = {step: {} for step in steps}
    cli_scaling: dict[str, dict[int, list[dict]]] = {step: {} for step in steps}
    memory: dict[str, dict[int, dict]] = {step: {} for step in steps}
    names = {
        "scores import": f"scores import ({counts['score_rows']:,} rows)",
        "reconciliation": f"reconciliation ({counts['applications'] + counts['essays']:,} items)",
        "export": "export (workbook)",
    }
    limits = {"scores import": 3.0, "reconciliation": 8.0, "export": 1.5}
    cli_rows = []
    for factor, scale in scales.items():
        for step, measure in zip(steps, (measure_import, measure_reconcile, measure_export), strict=True):
            floors, ours, cli = measure(scale, repeats, factor == 1)
            scaling[step][factor] = ours
            cli_scaling[step][factor] = without_startup(cli, startup)
            memory[step][factor] = max(run["peak_kib"] for run in cli)
            if step == "export":
                memory["export (in process)"] = {**memory.get("export (in process)", {}), factor: ours[-1]}
            if factor != 1:
                continue
            note = (
                ", ".join(f"{n} {state}" for state, n in ours[-1]["states"].items()) if step == "reconciliation" else ""
            )
            rows.append(ratio_row(f"{names[step]}, in process", floors, ours, limits[step], note))
            cli_rows.append(
                ratio_row(
                    f"{names[step]}, `flask` command, start-up subtracted",
                    floors,
                    without_startup(cli, startup),
                    limits[step],
                    f"command {seconds(median(cli, 'cpu'))} CPU with start-up",
                )
            )
            if step == "scores import":
                rows.append(assignment_row)
    rows = cli_rows + rows
    rows.append(measure_requirements(repeats))
    rows.append(measure_letters(one, repeats))
    web_rows, _ = measure_web(scales, requests, repeats if not options.quick else 1)
    rows.extend(web_rows)

    print(f"\nEndorsement Review benchmark, {time.strftime('%Y-%m-%d %H:%M')}; {machine()}")
    print(
        f"Cycle at 1x: {counts['applications']:,} applications + {counts['essays']:,} essays, "
        f"{counts['reviewers']} reviewers, {counts['conflicts']} conflicts, {counts['score_rows']:,} score rows; "
        f"median of {repeats} run(s); ratio = ours / floor on process CPU seconds.\n"
    )
    print(table(rows))
    print(
        f"\nStart-up of a command (`flask --help`: the app built, every command listed): "
        f"{seconds(startup['cpu'])} CPU, peak {startup['peak_kib'] / 1024:.0f} MiB; subtracted from each command.\n"
    )
    print("In process:\n")
    print(scaling_table(scaling, factors))
    print("\nThrough `flask`, start-up subtracted:\n")
    print(scaling_table(cli_scaling, factors))
    print()
    for step in steps:
        peaks = ", ".join(f"{memory[step][factor] / 1024:.0f} MiB at {factor}x" for factor in factors)
        print(f"`flask` {step}: peak RSS {peaks}")
    for factor, result in memory["export (in process)"].items():
        print(
            f"export in process at {factor}x: peak RSS {result['peak_kib'] / 1024:.0f} MiB "
            f"(process {result['rss_before_kib'] / 1024:.0f} MiB before the export)"
        )
    print(f"\n(bench took {(time.time() - started) / 60:.1f} minutes)")


def main_import_only(repeats: int) -> None:
    """The scores import's three rows alone (a few minutes rather than half an hour), with the load averages."""
    started = time.time()
    scale = prepare(1)
    startup = measure_startup(scale, max(repeats, 3))
    floors, ours, cli = measure_import(scale, repeats, with_floor=True)
    name = f"scores import ({scale.counts['score_rows']:,} rows)"
    rows = [
        ratio_row(
            f"{name}, `flask` command, start-up subtracted",
            floors,
            without_startup(cli, startup),
            3.0,
            f"command {seconds(median(cli, 'cpu'))} CPU with start-up",
        ),
        ratio_row(f"{name}, in process", floors, ours, 3.0),
    ]
    print(f"\nScores import only, {time.strftime('%Y-%m-%d %H:%M')}; {machine()}")
    print(f"median of {repeats} runs, floor and ours alternating; ratio = ours / floor on process CPU seconds.\n")
    print(table(rows))
    for label, runs in (("floor", floors), ("in process", ours), ("flask", without_startup(cli, startup))):
        print(f"{label} runs (CPU): {', '.join(seconds(run['cpu']) for run in runs)}")
    print(f"`flask --help` start-up: {seconds(startup['cpu'])} CPU (subtracted)")
    print(f"`flask` peak RSS {median(cli, 'peak_kib') / 1024:.0f} MiB; load averages {os.getloadavg()}")
    print(f"(took {(time.time() - started) / 60:.1f} minutes)")


if __name__ == "__main__":
    main()
