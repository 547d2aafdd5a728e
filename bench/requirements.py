"""The requirement-evaluation row: every requirement line of 2,000 applications with 20 portfolio records each.

The portfolios are plain records (``app.requirements.records``) built from a
fixed seed before the clock starts; the packs are the shipped ones with
Virginia's overlay (so the sources rule is evaluated too). Only the
evaluation is timed; loading the records from the database is part of the
export row.

The floor is the least any evaluation must do: for each line, one pass over
the records of the kind it counts, adding their hours (or counting them),
comparing the sum with the minimum, and one sentence of evidence naming both. Ours also applies the line's rules
(providers, peers, the best span of years, overlapping work, sources) and
writes a sentence of evidence per line.
"""

import random
from datetime import date, timedelta

CATEGORY_MIX = (
    ("IMHS", 350),
    ("ECMHS", 150),
    ("IMHM-C", 700),
    ("IMHM-P", 300),
    ("ECMHM-P", 100),
    ("IMHM-RF", 400),
)  # as bench.generate: 2,000 applications at 1x
RECORDS = {"training": 6, "rsc": 6, "references": 3, "work": 5}  # 20 per application
PROVIDERS = ("Mia Ruiz", "Kay Moss", "Ed Yu", "Jo Bell", "Sam Ng", "Ana Diaz")
ENDORSEMENTS = ("IMHM-C", "IMHM-C", "IMHM-C", "ECMHM-C", "IMHS", None, "vetted", "ERS")
UNTIL = date(2027, 4, 30)
SEED = 15


def workload(seed: int = SEED) -> list[tuple[tuple, object]]:
    """(requirement lines, portfolio) per application, in a fixed order."""
    from pathlib import Path

    from app.requirements.records import Portfolio, ReferenceEntry, RscEntry, TrainingEntry, WorkPeriod
    from app.rubrics.loader import load_rubrics

    shipped = Path(__file__).resolve().parents[1] / "rubrics"
    rubrics = load_rubrics([shipped, shipped / "associations" / "VAIMH"])
    lines = {
        code: rubric.requirements
        for rubric in rubrics.values()
        if rubric.kind == "application"
        for code in rubric.categories
    }
    rng = random.Random(seed)

    def day(start: date, span_days: int) -> date:
        return start + timedelta(days=rng.randrange(span_days))

    work = []
    for category, count in CATEGORY_MIX:
        for _ in range(count):
            training = tuple(
                TrainingEntry(
                    rng.choice((1.5, 3, 6, 7.5, 12)),
                    rng.choice(("general", "general", "dei", "rsc")),
                    "Course",
                    day(date(2022, 1, 1), 1500),
                )
                for _ in range(RECORDS["training"])
            )
            rsc = []
            for _ in range(RECORDS["rsc"]):
                started = day(date(2023, 1, 1), 1200)
                rsc.append(
                    RscEntry(
                        rng.choice((4, 6, 8, 10, 12.5)),
                        rng.choice(PROVIDERS),
                        rng.choice(ENDORSEMENTS),
                        "individual",
                        rng.random() < 0.6,
                        rng.random() < 0.1,
                        started if rng.random() < 0.95 else None,
                        started + timedelta(days=rng.randrange(30, 300)),
                    )
                )
            references = tuple(
                ReferenceEntry(f"Rater {n}", "colleague", rng.choice((None, "IMHS", "IMHM-C", "vetted")))
                for n in range(RECORDS["references"])
            )
            periods = []
            for _ in range(RECORDS["work"]):
                started = day(date(2019, 1, 1), 2500)
                ended = None if rng.random() < 0.2 else started + timedelta(days=rng.randrange(90, 900))
                periods.append(
                    WorkPeriod(
                        started,
                        ended,
                        rng.choice(
                            ("direct_service", "direct_service", "internship", "leadership", "policy", "university")
                        ),
                        None,
                        rng.random() < 0.8,
                    )
                )
            figures = {
                "ethics_signed": True,
                "agreement_signed": rng.random() < 0.95,
                "member": True,
                "leadership_years": rng.choice((1, 2, 3, 4)),
            }
            work.append((lines[category], Portfolio(figures, training, tuple(rsc), references, tuple(periods))))
    return work


def evaluate_all(seed: int = SEED) -> dict:
    from app.requirements.rules import evaluate
    from bench.child import Clock

    work = workload(seed)
    with Clock() as clock:
        results = [evaluate(lines, portfolio, UNTIL) for lines, portfolio in work]
    checks: dict[str, int] = {}
    for application in results:
        for result in application:
            checks[result.check] = checks.get(result.check, 0) + 1
    return clock.result(
        applications=len(work),
        lines=sum(checks.values()),
        checks=checks,
        records=sum(sum(len(getattr(p, kind)) for kind in RECORDS) for _, p in work),
    )


def floor_evaluate_all(seed: int = SEED) -> dict:
    """Per line: one pass over the records of its kind, summing hours (or counting), against the minimum."""
    from app.rubrics.model import FIGURES
    from bench.child import Clock

    work = workload(seed)
    plan = [
        [(FIGURES[line.figure].records if line.figure else None, line.minimum or 0) for line in lines]
        for lines, _ in work
    ]
    with Clock() as clock:
        results = []
        for (_, portfolio), lines in zip(work, plan, strict=True):
            for kind, minimum in lines:
                if kind == "training" or kind == "rsc":
                    value = sum(entry.hours for entry in getattr(portfolio, kind))
                elif kind is not None:
                    value = len(getattr(portfolio, kind))
                else:
                    value = 0
                results.append((value >= minimum, f"{value:g} of {minimum:g} counted"))
    return clock.result(met=sum(met for met, _ in results))
