"""A synthetic review cycle of the size bench/README.md describes, written as the five import workbooks.

At scale 1: 150 reviewers (designations, endorsements, some caps, organizations), 2,000
applications (500 Specialist, 1,500 Mentor across C, P and RF), 3,000 Mentor
essays (two per Mentor applicant), declared conflicts, and a scores workbook
with two blind reads of every essay, six domains each: 36,000 score rows.
Scale N multiplies every count by N. The data is coherent: every read in the
scores workbook is by a reviewer the assignment rule allows (designation, no
declared conflict, not the same organization, not the applicant's advisor),
and the two reads of an essay disagree about as often as human raters do.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

SEED = 20240508
GENERATOR_VERSION = 5  # bump when the data changes, so cached workbooks are rebuilt

ESSAY_DOMAINS = {  # the shipped essay packs (docs/spec-summary.md)
    "imhm-c-essay": (
        "theoretical_foundations",
        "direct_service_skills",
        "working_with_others",
        "reflection",
        "thinking",
        "communicating",
    ),
    "imhm-p-essay": (
        "theoretical_foundations",
        "law_regulation_policy",
        "systems_expertise",
        "administration",
        "thinking",
        "communicating",
    ),
    "imhm-rf-essay": (
        "theoretical_foundations",
        "research_evaluation",
        "leading_people",
        "reflection",
        "thinking",
        "communicating",
    ),
}
ESSAY_RUBRIC = {"C": "imhm-c-essay", "P": "imhm-p-essay", "RF": "imhm-rf-essay"}
# Applicants per scale unit, by category; Mentor applicants write two essays each.
CATEGORY_MIX = (("IMHS", 350), ("ECMHS", 150), ("IMHM-C", 700), ("IMHM-P", 300), ("ECMHM-P", 100), ("IMHM-RF", 400))
DESIGNATION_OF = {"IMHM-C": "C", "IMHM-P": "P", "ECMHM-P": "P", "IMHM-RF": "RF"}
ESSAYS_PER_MENTOR = 2
REVIEWERS_PER_UNIT = 150
# Designation sets reviewers hold, with weights: enough holders of each for its share of essay reads.
DESIGNATION_SETS = (
    (("C",), 30),
    (("P",), 14),
    (("RF",), 14),
    (("C", "P"), 12),
    (("C", "RF"), 12),
    (("P", "RF"), 6),
    (("C", "P", "RF"), 6),
    ((), 6),
)
ORGANIZATIONS_PER_UNIT = 60
CONFLICTS_PER_UNIT = 300
CAPPED_SHARE = 0.15  # reviewers with a max_load
COMMENT_SHARE = 0.1  # score rows with a comment
WORDS = (
    "caregiver infant relationship reflective supervision attachment regulation observation family "
    "culture trauma loss development assessment plan safety partnership policy system research evidence "
    "leadership mentoring practice parallel process curiosity pacing repair attunement community"
).split()


@dataclass(frozen=True)
class Reviewer:
    email: str
    name: str
    designations: tuple[str, ...]
    endorsements: tuple[str, ...]
    organization: str | None
    max_load: int | None


@dataclass(frozen=True)
class Applicant:
    applicant_id: str
    name: str
    category: str
    organization: str | None
    advisor_email: str | None


@dataclass
class Cycle:
    scale: int
    reviewers: list[Reviewer] = field(default_factory=list)
    applicants: list[Applicant] = field(default_factory=list)
    essays: list[tuple[str, Applicant, str]] = field(default_factory=list)  # item_id, applicant, rubric key
    conflicts: set[tuple[str, str]] = field(default_factory=set)  # reviewer e-mail, applicant_id

    def counts(self) -> dict[str, int]:
        return {
            "reviewers": len(self.reviewers),
            "applications": len(self.applicants),
            "essays": len(self.essays),
            "conflicts": len(self.conflicts),
            "score_rows": sum(2 * len(ESSAY_DOMAINS[rubric]) for _, _, rubric in self.essays),
        }


def build_cycle(scale: int, seed: int = SEED) -> Cycle:
    """The people, applications and essays of a cycle ``scale`` times the base size."""
    rng = random.Random(seed * 100 + scale)
    cycle = Cycle(scale)
    organizations = [f"Organization {n:03d}" for n in range(ORGANIZATIONS_PER_UNIT * scale)]
    sets, weights = zip(*DESIGNATION_SETS, strict=True)
    for n in range(1, REVIEWERS_PER_UNIT * scale + 1):
        capped = rng.random() < CAPPED_SHARE
        designations = rng.choices(sets, weights)[0]
        cycle.reviewers.append(
            Reviewer(
                email=f"reviewer{n:04d}@bench.example.org",
                name=f"Reviewer {n:04d}",
                designations=designations,
                endorsements=endorsements_for(designations, rng),
                organization=rng.choice(organizations) if rng.random() < 0.8 else None,
                max_load=rng.randint(40, 60) if capped else None,
            )
        )
    number = 0
    for category, per_unit in CATEGORY_MIX:
        for _ in range(per_unit * scale):
            number += 1
            advisor = rng.choice(cycle.reviewers).email if rng.random() < 0.05 else None
            cycle.applicants.append(
                Applicant(
                    applicant_id=f"A{number:06d}",
                    name=f"Applicant {number:06d}",
                    category=category,
                    organization=rng.choice(organizations) if rng.random() < 0.9 else None,
                    advisor_email=advisor,
                )
            )
    rng.shuffle(cycle.applicants)
    essay_number = 0
    for applicant in cycle.applicants:
        designation = DESIGNATION_OF.get(applicant.category)
        if designation is None:
            continue
        for _ in range(ESSAYS_PER_MENTOR):
            essay_number += 1
            cycle.essays.append((f"E{essay_number:07d}", applicant, ESSAY_RUBRIC[designation]))
    while len(cycle.conflicts) < CONFLICTS_PER_UNIT * scale:
        cycle.conflicts.add((rng.choice(cycle.reviewers).email, rng.choice(cycle.applicants).applicant_id))
    return cycle


def endorsements_for(designations: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """A Mentor endorsement (Infant or, one in five, Early Childhood) per designation held; a reviewer who
    scores no Mentor essays is a Specialist."""
    if not designations:
        return (rng.choice(("IMHS", "IMHS", "IMHS", "ECMHS")),)
    return tuple(("ECMHM-" if rng.random() < 0.2 else "IMHM-") + code for code in designations)


def eligible(
    reviewer: Reviewer, applicant: Applicant, designation: str | None, conflicts: set[tuple[str, str]]
) -> bool:
    """The assignment rule (docs/spec-summary.md, "Assignment"), restated independently of the product's code."""
    return (
        (designation is None or designation in reviewer.designations)
        and (reviewer.email, applicant.applicant_id) not in conflicts
        and not (reviewer.organization and reviewer.organization == applicant.organization)
        and reviewer.email != applicant.advisor_email
    )


def score_rows(cycle: Cycle, seed: int = SEED) -> list[tuple]:
    """Two reads of every essay by eligible reviewers, spread evenly: (item, reviewer, domain, score, comment, at).

    Each essay has a latent quality; each rater adds their own leniency and
    per-domain noise, so most reads agree within a point, some do not, and
    some essays sit on the pass line.
    """
    rng = random.Random(seed * 100 + cycle.scale + 7)
    holders = {code: [r for r in cycle.reviewers if code in r.designations] for code in ESSAY_RUBRIC}
    leniency = {r.email: rng.gauss(0, 0.15) for r in cycle.reviewers}
    load = dict.fromkeys((r.email for r in cycle.reviewers), 0)
    start = datetime(2025, 3, 1, 9, 0)
    rows = []
    for item_id, applicant, rubric in cycle.essays:
        designation = next(code for code, key in ESSAY_RUBRIC.items() if key == rubric)
        pool = [
            r
            for r in rng.sample(holders[designation], min(12, len(holders[designation])))
            if eligible(r, applicant, designation, cycle.conflicts)
        ]
        readers = sorted(pool, key=lambda r: load[r.email])[:2]
        if len(readers) < 2:
            raise RuntimeError(f"{item_id}: fewer than two eligible readers in the sample; widen the sample")
        quality = rng.gauss(2.9, 0.7)
        for reader in readers:
            load[reader.email] += 1
            at = start + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            for domain in ESSAY_DOMAINS[rubric]:
                score = min(4, max(1, round(quality + leniency[reader.email] + rng.gauss(0, 0.4))))
                comment = " ".join(rng.choices(WORDS, k=12)) if rng.random() < COMMENT_SHARE else None
                rows.append((item_id, reader.email, domain, score, comment, at))
    return rows


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."


def _write(path: Path, header: list[str], rows) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)


def write_workbooks(scale: int, out: Path, seed: int = SEED) -> dict[str, int]:
    """The five import workbooks for ``scale`` in ``out``; reused when already written by this version."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    wanted = {"version": GENERATOR_VERSION, "seed": seed, "scale": scale}
    if manifest.exists():
        stored = json.loads(manifest.read_text())
        if {key: stored.get(key) for key in wanted} == wanted:
            return stored["counts"]
    cycle = build_cycle(scale, seed)
    rng = random.Random(seed * 100 + scale + 3)
    _write(
        out / "reviewers.xlsx",
        ["email", "name", "designations", "endorsements", "max_load", "organization"],
        (
            [r.email, r.name, "; ".join(r.designations) or None, "; ".join(r.endorsements), r.max_load, r.organization]
            for r in cycle.reviewers
        ),
    )
    _write(
        out / "applications.xlsx",
        [
            "applicant_id",
            "name",
            "category",
            "email",
            "organization",
            "advisor_email",
            "submitted_on",
            "mc_score",
            "portfolio_summary",
            "training_hours",
            "rsc_training_hours",
            "rsc_hours",
            "rsc_hours_about_providing",
            "work_years",
            "leadership_years",
            "references_received",
            "ethics_signed",
            "agreement_signed",
            "member",
        ],
        (
            [
                a.applicant_id,
                a.name,
                a.category,
                f"{a.applicant_id.lower()}@applicant.example.org",
                a.organization,
                a.advisor_email,
                "2025-01-15",
                rng.randint(60, 100),
                _text(rng, 40),
                rng.randint(20, 120),
                rng.randint(5, 40),
                rng.randint(20, 120),
                rng.randint(10, 60),
                rng.randint(1, 8),
                rng.randint(1, 8),
                rng.choice((2, 3, 3, 3)),
                "yes",
                "yes",
                rng.choice(("yes", "yes", "no")),
            ]
            for a in cycle.applicants
        ),
    )
    _write(
        out / "essays.xlsx",
        ["item_id", "applicant_id", "rubric", "prompt", "response"],
        (
            [item_id, applicant.applicant_id, rubric, _text(rng, 30), _text(rng, 250)]
            for item_id, applicant, rubric in cycle.essays
        ),
    )
    _write(
        out / "conflicts.xlsx",
        ["reviewer_email", "applicant_id", "reason"],
        ([email, applicant_id, "former colleague"] for email, applicant_id in sorted(cycle.conflicts)),
    )
    _write(
        out / "scores.xlsx",
        ["item_id", "reviewer_email", "domain", "score", "comment", "submitted_at"],
        score_rows(cycle, seed),
    )
    counts = cycle.counts()
    manifest.write_text(json.dumps(wanted | {"counts": counts}, indent=2))
    return counts
