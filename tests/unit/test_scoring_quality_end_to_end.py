"""Scoring quality from outside (issue 17, "How it will be checked"): four reviewer profiles score live and
validity essays through the ``scores`` import, third reads arrive with ``round = 2``, and the exported
``Agreement``, ``Reviewers`` and ``Calibration`` figures are compared with an independent computation —
scikit-learn's weighted kappa, the ``krippendorff`` package, and means worked out here from the imported rows,
never from the product's code. Third reads settle their items by the rule without a fourth reader.
"""

import io
import random
from collections import Counter
from itertools import combinations

import krippendorff
import numpy as np
import openpyxl
import pytest
from sklearn.metrics import cohen_kappa_score

from app.assignment.models import Assignment, AssignmentSource
from app.cycles.models import Item, ItemState
from app.extensions import db
from app.reconcile.service import reconcile_cycle
from tests import factories as f
from tests.unit.imported_cycle import PAPER_ESSAY, app_with_only, imported

DOMAINS = ("reflection", "thinking")
SCALE = [1, 2, 3, 4]
PASS_MEAN, TOLERANCE = 3, 1  # PAPER_ESSAY's pass rule and reconciliation tolerance
PROFILES = {  # how far from an essay's true level each profile scores, drawn per domain score
    "accurate@example.org": lambda rng: rng.choice([0, 0, 0, 0, 1, -1]),
    "severe@example.org": lambda rng: rng.choice([-1, -1, -2, 0]),
    "lenient@example.org": lambda rng: rng.choice([1, 1, 2, 0]),
    "noisy@example.org": lambda rng: rng.randint(-2, 2),
}


@pytest.fixture
def app(tmp_path):
    yield from app_with_only(tmp_path, {"paper-essay": PAPER_ESSAY})


def clamp(score: int) -> int:
    return min(max(score, SCALE[0]), SCALE[-1])


def passes(scores: dict[str, int]) -> bool:
    return sum(scores.values()) / len(scores) >= PASS_MEAN


def test_profiles_through_the_scores_import_match_an_independent_computation_and_third_reads_need_no_fourth(ctx):
    rng = random.Random(1702)
    cycle = f.make_cycle("Checked from outside", readers=2)
    for n in range(1, 7):
        f.make_applicant(cycle, applicant_id=f"A{n}")
    db.session.commit()
    emails = list(PROFILES)
    imported("reviewers", [["email", "name"], *([email, email.split("@")[0].title()] for email in emails)], cycle)
    live = [f"E{n:02}" for n in range(1, 31)]
    validity = [f"E{n:02}" for n in range(31, 39)]  # ids of the same series: nothing tells them apart
    imported(
        "essays",
        [
            ["item_id", "applicant_id", "rubric", "validity"],
            *([item_id, f"A{n % 6 + 1}", "paper-essay", ""] for n, item_id in enumerate(live)),
            *([item_id, "", "paper-essay", "yes"] for item_id in validity),
        ],
        cycle,
    )
    expert = {(item_id, domain): rng.randint(1, 4) for item_id in validity for domain in DOMAINS}
    imported(
        "reference_scores",
        [["item_id", "domain", "score"], *([item_id, domain, score] for (item_id, domain), score in expert.items())],
        cycle,
    )

    # Round 1: each live essay read by a pair of reviewers (the six pairs in turn), read 1 first in the file.
    pairs = list(combinations(emails, 2))
    reads: dict[str, list[tuple[str, dict[str, int]]]] = {}  # item → [(reviewer, scores)] in read order
    for n, item_id in enumerate(live):
        truth = {domain: rng.randint(1, 4) for domain in DOMAINS}
        reads[item_id] = [
            (email, {domain: clamp(truth[domain] + PROFILES[email](rng)) for domain in DOMAINS})
            for email in pairs[n % len(pairs)]
        ]
    # The reads disagree (docs/imports.md, "Third reads"): a domain beyond the tolerance, or a pass/fail split.
    discrepant = {
        item_id: [d for d in DOMAINS if abs(first[1][d] - second[1][d]) > TOLERANCE]
        for item_id, (first, second) in reads.items()
        if any(abs(first[1][d] - second[1][d]) > TOLERANCE for d in DOMAINS) or passes(first[1]) != passes(second[1])
    }
    # Round 2: a paper session's third reader, one of the two who did not read the item.
    thirds = {}
    for item_id in discrepant:
        others = [email for email in emails if email not in {email for email, _ in reads[item_id]}]
        third = others[rng.randrange(2)]
        truth_guess = {d: round(sum(s[d] for _, s in reads[item_id]) / 2) for d in DOMAINS}
        thirds[item_id] = (third, {d: clamp(truth_guess[d] + PROFILES[third](rng)) for d in DOMAINS})
        reads[item_id].append(thirds[item_id])
    # Validity essays: every reviewer reads every one.
    validity_reads = {
        email: {
            item_id: {d: clamp(expert[(item_id, d)] + PROFILES[email](rng)) for d in DOMAINS} for item_id in validity
        }
        for email in emails
    }
    rows = [["item_id", "reviewer_email", "domain", "score", "round"]]
    for item_id in live:
        for email, scores in reads[item_id][:2]:
            rows += [[item_id, email, d, scores[d], ""] for d in DOMAINS]
    for email, by_item in validity_reads.items():
        for item_id, scores in by_item.items():
            rows += [[item_id, email, d, scores[d], ""] for d in DOMAINS]
    for item_id, (email, scores) in thirds.items():
        rows += [[item_id, email, d, scores[d], "2"] for d in DOMAINS]
    imported("scores", rows, cycle)

    counts = reconcile_cycle(cycle)
    db.session.commit()

    # --- third reads settle their items by the rule, and nobody is asked for a fourth read ---------------
    expected_states = {}
    for item_id, item_reads in reads.items():
        if item_id not in discrepant:
            expected_states[item_id] = ItemState.AGREED
            continue
        (_, a), (_, b), (_, third) = item_reads
        settled = discrepant[item_id] or list(DOMAINS)  # a pass/fail split alone settles every domain
        beyond = any(abs(third[d] - a[d]) > TOLERANCE and abs(third[d] - b[d]) > TOLERANCE for d in settled)
        expected_states[item_id] = ItemState.COMMITTEE if beyond else ItemState.RESOLVED
    states = {item.item_id: item.state for item in db.session.scalars(db.select(Item).where(Item.validity.is_(False)))}
    assert states == expected_states
    # The seed gives every outcome: 16 agreed, 13 settled by the third read, 1 third read beyond both originals.
    assert sorted(Counter(expected_states.values()).items()) == [
        (ItemState.AGREED, 16),
        (ItemState.COMMITTEE, 1),
        (ItemState.RESOLVED, 13),
    ]
    assert sum(counts.values()) == len(live)  # the validity essays are counted apart
    sources = db.session.execute(
        db.select(Item.item_id, Assignment.source).join(Assignment, Assignment.item_pk == Item.id)
    ).all()
    assert not [row for row in sources if row.source in (AssignmentSource.THIRD_READER, AssignmentSource.EXTRA_READ)]
    per_item = {item_id: sum(1 for row in sources if row.item_id == item_id) for item_id in live}
    assert per_item == {item_id: 3 if item_id in discrepant else 2 for item_id in live}

    from app.exports.service import export_cycle_bytes

    book = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)), read_only=True)

    def sheet(title):
        header, *body = book[title].iter_rows(values_only=True)
        return [dict(zip(header, row, strict=True)) for row in body]

    # --- Agreement: reads 1 and 2 per domain (kappa by scikit-learn), every read for Krippendorff's alpha ----
    agreement = {row["Domain"]: row for row in sheet("Agreement")}
    assert set(agreement) == {"Reflection", "Thinking"}
    for domain in DOMAINS:
        row = agreement[domain.title()]
        firsts = [reads[item_id][0][1][domain] for item_id in live]
        seconds = [reads[item_id][1][1][domain] for item_id in live]
        table = np.full((3, len(live)), np.nan)
        for column, item_id in enumerate(live):
            for place, (_, scores) in enumerate(reads[item_id]):
                table[place, column] = scores[domain]
        assert row["Items"] == len(live)
        assert row["Exact agreement"] == pytest.approx(np.mean([a == b for a, b in zip(firsts, seconds, strict=True)]))
        assert row["Adjacent agreement"] == pytest.approx(
            np.mean([abs(a - b) <= 1 for a, b in zip(firsts, seconds, strict=True)])
        )
        assert row["Weighted kappa (quadratic)"] == pytest.approx(
            cohen_kappa_score(firsts, seconds, weights="quadratic", labels=SCALE)
        )
        assert row["Krippendorff alpha (ordinal)"] == pytest.approx(
            krippendorff.alpha(reliability_data=table, level_of_measurement="ordinal")
        )
        assert row["Krippendorff alpha (interval)"] == pytest.approx(
            krippendorff.alpha(reliability_data=table, level_of_measurement="interval")
        )
        # Items flagged on the domain: its two original reads beyond the tolerance (a pass/fail split flags none).
        assert row["Discrepancies"] == sum(domain in flagged for flagged in discrepant.values())

    # --- Reviewers: reads counted with the validity ones; mean and severity over live items only ------------
    reviewers = {row["Reviewer"]: row for row in sheet("Reviewers")}
    assert set(reviewers) == set(emails)
    for email in emails:
        mine = [(item_id, scores) for item_id in live for who, scores in reads[item_id] if who == email]
        live_scores = [scores[d] for _, scores in mine for d in DOMAINS]
        differences = [
            scores[d] - np.mean([other[d] for who, other in reads[item_id] if who != email])
            for item_id, scores in mine
            for d in DOMAINS
        ]
        row = reviewers[email]
        assert (row["Assigned"], row["Submitted"], row["Pending"]) == (len(mine) + 8, len(mine) + 8, 0)
        assert row["Mean score"] == pytest.approx(np.mean(live_scores))
        assert row["Severity"] == pytest.approx(np.mean(differences))
    assert reviewers["severe@example.org"]["Severity"] < 0 < reviewers["lenient@example.org"]["Severity"]

    # --- Calibration: each reviewer against the expert scores over their eight validity reads --------------
    calibration = {row["Reviewer"]: row for row in sheet("Calibration")}
    for email in emails:
        own = [validity_reads[email][item_id][d] for item_id in validity for d in DOMAINS]
        ref = [expert[(item_id, d)] for item_id in validity for d in DOMAINS]
        row = calibration[email]
        assert row["Validity reads"] == len(validity)
        assert row["Mean difference"] == pytest.approx(np.mean(np.subtract(own, ref)))
        assert row["Adjacent agreement"] == pytest.approx(np.mean(np.abs(np.subtract(own, ref)) <= 1))
        assert row["Weighted kappa (quadratic)"] == pytest.approx(
            cohen_kappa_score(own, ref, weights="quadratic", labels=SCALE)
        )

    # --- and nowhere an applicant of the validity essays ---------------------------------------------------
    assert sorted(row["Applicant ID"] for row in sheet("Decisions")) == [f"A{n}" for n in range(1, 7)]
    kinds = {row["Item ID"]: row["Kind"] for row in sheet("Items")}
    assert {kinds[item_id] for item_id in validity} == {"Validity"} and "Validity" not in {kinds[i] for i in live}
