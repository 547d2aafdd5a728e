"""Calibration figures against an independent computation: scikit-learn's Cohen's kappa, and hand-worked cases.

The end-to-end test scores validity essays through the ``scores`` import for four reviewer profiles
(accurate, severe, lenient, noisy), exports the workbook and compares every Calibration cell with figures
computed here from the same scores, without the product's code.
"""

import io
import random
from datetime import datetime, timedelta

import openpyxl
import pytest
from sklearn.metrics import cohen_kappa_score

from app.calibration.figures import (
    MIN_FLAGGED_READS,
    ScoredRead,
    Thresholds,
    against_co_readers,
    against_expert,
    drift,
    drift_words,
    expert_flags,
)
from app.extensions import db
from app.reports import co_reader_reads
from tests import factories as f
from tests.rubric_text import levels, rubric_toml
from tests.unit.imported_cycle import app_with_only, imported

SCALE4, SCALE6 = (1, 2, 3, 4), (1, 2, 3, 4, 5, 6)


def read(pairs, rubric="r4", scale=SCALE4):
    return ScoredRead(rubric, scale, tuple(pairs))


def sk_kappa(pairs, scale):
    return cohen_kappa_score(
        [own for own, _ in pairs], [other for _, other in pairs], weights="quadratic", labels=list(scale)
    )


# --- the pure figures, by hand ----------------------------------------------------------------------


def test_exact_adjacent_and_mean_difference_pool_every_domain_score():
    reads = [read([(3, 3), (2, 3)]), read([(4, 2), (1, 1)])]
    figures = against_expert(reads)
    # differences 0, -1, +2, 0: exact 2 of 4, adjacent 3 of 4, mean +1/4
    assert (figures.reads, figures.scores, figures.exact, figures.adjacent, figures.mean_difference) == (
        2,
        4,
        0.5,
        0.75,
        0.25,
    )
    assert figures.kappa == pytest.approx(sk_kappa([(3, 3), (2, 3), (4, 2), (1, 1)], SCALE4))


def test_kappa_uses_the_full_scale_even_when_levels_go_unused():
    # Level 3 unused: on the full scale 2 and 4 are two points apart, on the levels used only one.
    pairs = [(1, 1), (2, 2), (4, 4), (1, 2), (2, 4), (4, 1), (2, 2)]
    assert against_expert([read(pairs)]).kappa == pytest.approx(sk_kappa(pairs, SCALE4))
    assert sk_kappa(pairs, SCALE4) != pytest.approx(sk_kappa(pairs, (1, 2, 4)))


def test_kappa_over_rubrics_of_different_scales_is_averaged_weighted_by_scores():
    narrow = [(1, 1), (2, 3), (4, 4), (3, 3)]
    wide = [(6, 5), (1, 2), (3, 3), (5, 5), (2, 4), (4, 4)]
    figures = against_expert([read(narrow), read(wide, "r6", SCALE6)])
    expected = (sk_kappa(narrow, SCALE4) * 4 + sk_kappa(wide, SCALE6) * 6) / 10
    assert figures.kappa == pytest.approx(expected)


def test_an_undefined_kappa_is_none_and_raises_no_flag():
    # Reviewer and expert always 3: no variation, chance disagreement zero.
    reads = [read([(3, 3), (3, 3)]) for _ in range(6)]
    figures = against_expert(reads)
    assert figures.kappa is None and figures.adjacent == 1.0
    assert expert_flags(figures, Thresholds()) == ()


def test_flags_need_five_validity_reads_and_name_each_threshold_crossed():
    # Every score two points above the expert's: adjacent 0, mean +2.
    lenient = [read([(3, 1), (4, 2)]) for _ in range(MIN_FLAGGED_READS - 1)]
    assert expert_flags(against_expert(lenient), Thresholds()) == ()
    lenient.append(read([(4, 2), (3, 1)]))
    figures = against_expert(lenient)
    assert figures.kappa == pytest.approx(sk_kappa([p for r in lenient for p in r.pairs], SCALE4))
    assert expert_flags(figures, Thresholds()) == (
        "adjacent agreement 0% is below 90%",
        "mean difference +2.00 from the expert scores is beyond ±0.5 (lenient)",
        f"weighted kappa {figures.kappa:.2f} is below 0.6",
    )
    severe = [read([(1, 2), (2, 2), (3, 4), (2, 2)]) for _ in range(5)]  # mean -0.5: on the line, not beyond
    assert expert_flags(against_expert(severe), Thresholds(min_kappa=-1)) == ()
    assert expert_flags(against_expert(severe), Thresholds(max_mean_difference=0.4, min_kappa=-1)) == (
        "mean difference -0.50 from the expert scores is beyond ±0.4 (severe)",
    )


def test_drift_windows_follow_submission_order_and_flag_only_full_enough_windows():
    good = [read([(2, 2), (3, 3)]) for _ in range(10)]
    bad = [read([(4, 1), (4, 2)]) for _ in range(6)]
    tail = [read([(4, 1)]) for _ in range(2)]
    windows = drift(good + bad + tail, Thresholds(window=10, min_kappa=-1))
    assert [(w.first, w.last, w.figures.reads) for w in windows] == [(1, 10, 10), (11, 18, 8)]
    # second window: 6 reads differing by 3 and 2, 2 by 3: 16 pairs, none adjacent; mean (6*5 + 2*3) / 14 …
    second = windows[1].figures
    differences = [3, 2] * 6 + [3, 3]
    assert second.adjacent == 0 and second.mean_difference == pytest.approx(sum(differences) / len(differences))
    assert windows[0].flags == ()
    assert windows[1].flags[0] == "adjacent agreement 0% is below 90%"
    assert drift_words(windows).startswith("reads 11–18: adjacent agreement 0% is below 90%")
    short = drift(good[:3] + bad[:3], Thresholds(window=3))
    assert all(window.flags == () for window in short)  # three reads a window: fewer than five


def test_co_readers_each_read_against_the_mean_of_the_others():
    # One item, three reads: A 4,2  B 2,2  C 3,- (C left thinking unscored).
    items = [[(1, 11, {"refl": 4, "think": 2}), (2, 12, {"refl": 2, "think": 2}), (3, 13, {"refl": 3})]]
    found = co_reader_reads(items, [("r4", SCALE4)])
    assert {reviewer: [r.pairs for _, r in reads] for reviewer, reads in found.items()} == {
        1: [((4, 2.5), (2, 2.0))],
        2: [((2, 3.5), (2, 2.0))],
        3: [((3, 3.0),)],
    }
    a = against_co_readers([r for _, r in found[1]])
    assert (a.exact, a.adjacent, a.mean_difference) == (0.5, 0.5, 0.75)


# --- through the import, the workbook compared with an independent computation --------------------

RUBRICS = {
    "narrow-essay": rubric_toml(
        "narrow-essay",
        "essay",
        ["IMHM-C"],
        {"reflection": "Reflection", "thinking": "Thinking"},
        levels(*(f"Level {n}" for n in range(1, 5))),
        pass_rule={"mean_min": 2.5},
    ),
    "wide-essay": rubric_toml(
        "wide-essay",
        "essay",
        ["IMHM-C"],
        {"communicating": "Communicating", "reflection": "Reflection", "thinking": "Thinking"},
        levels(*(f"Level {n}" for n in range(1, 7))),
        pass_rule={"mean_min": 3.5},
    ),
}
PROFILES = {  # how far from the expert each profile scores, drawn per domain score
    "accurate@example.org": lambda rng: rng.choice([0, 0, 0, 0, 0, 0, 1, -1]),
    "severe@example.org": lambda rng: rng.choice([-1, -1, -1, -2, 0]),
    "lenient@example.org": lambda rng: rng.choice([1, 1, 1, 2, 0]),
    "noisy@example.org": lambda rng: rng.randint(-2, 2),
}


@pytest.fixture
def app(tmp_path):
    yield from app_with_only(tmp_path, RUBRICS)


def test_the_calibration_sheet_matches_an_independent_computation_for_four_reviewer_profiles(ctx):
    rng = random.Random(20261202)
    cycle = f.make_cycle("Calibration check")
    db.session.commit()
    imported("reviewers", [["email", "name"], *([email, email.split("@")[0].title()] for email in PROFILES)], cycle)
    essays = [(f"V{n:02}", "narrow-essay" if n <= 14 else "wide-essay") for n in range(1, 25)]
    imported(
        "essays",
        [
            ["item_id", "applicant_id", "rubric", "validity"],
            *([item_id, "", rubric, "yes"] for item_id, rubric in essays),
        ],
        cycle,
    )
    domains = {"narrow-essay": ("reflection", "thinking"), "wide-essay": ("communicating", "reflection", "thinking")}
    top = {"narrow-essay": 4, "wide-essay": 6}
    expert = {
        (item_id, domain): rng.randint(1, top[rubric]) for item_id, rubric in essays for domain in domains[rubric]
    }
    imported(
        "reference_scores",
        [["item_id", "domain", "score"], *([item_id, domain, score] for (item_id, domain), score in expert.items())],
        cycle,
    )
    start = datetime(2026, 3, 2, 9, 0)
    rows, given = [["item_id", "reviewer_email", "domain", "score", "submitted_at"]], {}
    for email, offset in PROFILES.items():
        order = list(essays)
        rng.shuffle(order)  # each reviewer reads in an order of their own
        for position, (item_id, rubric) in enumerate(order):
            moment = (start + timedelta(minutes=position)).isoformat()
            for domain in domains[rubric]:
                score = min(max(expert[(item_id, domain)] + offset(rng), 1), top[rubric])
                rows.append([item_id, email, domain, score, moment])
                given.setdefault(email, []).append((position, rubric, score, expert[(item_id, domain)]))
    imported("scores", rows, cycle)

    from app.exports.service import export_cycle_bytes

    book = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)), read_only=True)
    header, *body = book["Calibration"].iter_rows(values_only=True)
    assert header[:7] == (
        "Reviewer",
        "Validity reads",
        "Exact agreement",
        "Adjacent agreement",
        "Mean difference",
        "Weighted kappa (quadratic)",
        "Flag",
    )
    sheet = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert sorted(sheet) == sorted(PROFILES)
    scales = {"narrow-essay": list(range(1, 5)), "wide-essay": list(range(1, 7))}
    for email, scores in given.items():
        differences = [own - ref for _, _, own, ref in scores]
        kappas = {
            rubric: (
                cohen_kappa_score(
                    [own for _, r, own, _ in scores if r == rubric],
                    [ref for _, r, _, ref in scores if r == rubric],
                    weights="quadratic",
                    labels=scales[rubric],
                ),
                sum(1 for _, r, _, _ in scores if r == rubric),
            )
            for rubric in scales
        }
        kappa = sum(k * n for k, n in kappas.values()) / sum(n for _, n in kappas.values())
        exact = sum(d == 0 for d in differences) / len(differences)
        adjacent = sum(abs(d) <= 1 for d in differences) / len(differences)
        mean = sum(differences) / len(differences)
        row = sheet[email]
        assert row["Validity reads"] == len(essays)
        assert row["Scores compared"] == len(scores) == 14 * 2 + 10 * 3
        assert row["Exact agreement"] == pytest.approx(exact)
        assert row["Adjacent agreement"] == pytest.approx(adjacent)
        assert row["Mean difference"] == pytest.approx(mean)
        assert row["Weighted kappa (quadratic)"] == pytest.approx(kappa)
        expected_flags = [
            reason
            for reason, tripped in (
                (f"adjacent agreement {adjacent * 100:.0f}% is below 90%", adjacent < 0.9),
                (
                    f"mean difference {mean:+.2f} from the expert scores is beyond ±0.5 "
                    f"({'lenient' if mean > 0 else 'severe'})",
                    abs(mean) > 0.5,
                ),
                (f"weighted kappa {kappa:.2f} is below 0.6", kappa < 0.6),
            )
            if tripped
        ]
        assert row["Flag"] == ("; ".join(expected_flags) or None), email
        # Drift: windows of 10 reads in each reviewer's own submission order.
        windows = []
        for first in range(0, len(essays), 10):
            chunk = [d for position, _, own, ref in scores for d in [own - ref] if first <= position < first + 10]
            windows.append(
                f"reads {first + 1}–{min(first + 10, len(essays))}: "
                f"{sum(abs(d) <= 1 for d in chunk) / len(chunk) * 100:.0f}%"
            )
        assert row["Adjacent by window"] == ", ".join(windows)
    assert sheet["accurate@example.org"]["Flag"] is None
    assert "severe" in sheet["severe@example.org"]["Flag"] and "lenient" in sheet["lenient@example.org"]["Flag"]
    assert "adjacent agreement" in sheet["noisy@example.org"]["Flag"]


# --- the cycle's settings, and what the coordinator and the committee see --------------------------


def test_the_thresholds_are_cycle_settings_changed_on_the_command_line_and_audited(app, runner):
    from app.audit.models import AuditEntry
    from app.cycles.models import Cycle

    with app.app_context():
        f.make_cycle("Spring")
        db.session.commit()
    done = runner.invoke(args=["cycles", "set", "Spring", "--flag-min-adjacent", "0.8", "--drift-window", "5"])
    assert done.exit_code == 0, done.output
    assert "cycle 'Spring': flag-min-adjacent 0.8, drift-window 5" in done.output
    refused = runner.invoke(args=["cycles", "set", "Spring", "--flag-min-kappa", "1.5", "--drift-window", "1"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "flag_min_kappa: must be between -1 and 1, got 1.5" in refused.output
    assert "drift_window: must be between 2 and 1000, got 1" in refused.output
    with app.app_context():
        cycle = db.session.scalar(db.select(Cycle).filter_by(name="Spring"))
        assert (cycle.flag_min_adjacent, cycle.flag_max_mean_difference, cycle.flag_min_kappa, cycle.drift_window) == (
            0.8,
            0.5,
            0.6,
            5,
        )
        [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="cycle.calibration")).all()
        assert (entry.before, entry.after) == (
            {"flag_min_adjacent": 0.9, "drift_window": 10},
            {"flag_min_adjacent": 0.8, "drift_window": 5},
        )


def test_the_dashboard_and_the_board_show_each_reviewer_with_flags_and_drift(app):
    from app.cycles.models import Item, ReferenceScore
    from app.people.models import Role
    from tests.web.helpers import signed_in_client

    password = "a long enough test password"
    with app.app_context():
        cycle = f.make_cycle("Shown")
        f.make_user(Role.COORDINATOR, email="coord@example.org", password=password)
        chair = f.make_user(Role.COMMITTEE, email="chair@example.org", password=password)
        f.add_member(cycle, chair, "committee")
        harsh = f.make_user(email="harsh@example.org", name="Hana Harsh")
        for n in range(6):
            item = Item(cycle_id=cycle.id, item_id=f"E{n}", kind="essay", rubric_key="narrow-essay", validity=True)
            db.session.add(item)
            db.session.flush()
            db.session.add_all(
                [
                    ReferenceScore(item_pk=item.id, domain_key="reflection", score=4),
                    ReferenceScore(item_pk=item.id, domain_key="thinking", score=4),
                ]
            )
            f.submitted_read(f.assign(item, harsh), {"reflection": 1, "thinking": 2})
        db.session.commit()
        cycle_id = cycle.id
    for email, path in (
        ("coord@example.org", f"/console/cycles/{cycle_id}/pictures"),
        ("chair@example.org", f"/committee/cycles/{cycle_id}/pictures"),
    ):
        client = signed_in_client(app, email, password)
        page = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Reviewers against the expert scores" in page, path
        assert "Hana Harsh" in page and "Flagged" in page
        # Scores 1 and 2 against 4: differences -3 and -2, none adjacent, mean -2.50.
        assert "mean difference -2.50 from the expert scores is beyond ±0.5 (severe)" in page
        assert '<svg class="sparkline"' in page and "reads 1–6: 0%, below 90%" in page
        # Hana's count of live reads is of those with a co-reader (none here), and the column says so: a live read
        # submitted before its co-reader's counted 0 under "Live reads", as if it were lost.
        assert ">Live reads compared</th>" in page and "over the live reads compared: those of items" in page
        assert "<script" not in page.split("</header>")[-1]


def test_the_dashboards_severity_is_the_workbooks_and_an_independent_computation(app):
    """Severity against the co-readers: the dashboard's figure (``calibration_rows``, the pictures fragment) and
    the workbook's ``Reviewers`` sheet pair the scores in one place (``reports.co_reader_pairs``); both equal the
    mean of score − the other reads' mean per item and domain, worked out here from the imported rows."""
    from app.exports.service import export_cycle_bytes
    from app.people.models import Role
    from app.reports import calibration_rows
    from tests.web.helpers import signed_in_client

    password = "a long enough test password"
    rng = random.Random(17)
    profiles = {
        "severe@example.org": lambda: rng.choice([-1, -1, 0]),
        "lenient@example.org": lambda: rng.choice([1, 1, 0]),
        "noisy@example.org": lambda: rng.randint(-2, 2),
    }
    with app.app_context():
        cycle = f.make_cycle("Severity", readers=3)
        f.make_user(Role.COORDINATOR, email="coord@example.org", password=password)
        f.make_applicant(cycle, applicant_id="A1")
        db.session.commit()
        imported("reviewers", [["email", "name"], *([email, email.split("@")[0].title()] for email in profiles)], cycle)
        live = [f"E{n:02}" for n in range(1, 13)]
        imported(
            "essays",
            [
                ["item_id", "applicant_id", "rubric", "validity"],
                *([item_id, "A1", "narrow-essay", ""] for item_id in live),
                ["E99", "", "narrow-essay", "yes"],
            ],
            cycle,
        )
        imported(
            "reference_scores",
            [["item_id", "domain", "score"], ["E99", "reflection", 4], ["E99", "thinking", 4]],
            cycle,
        )
        rows = [["item_id", "reviewer_email", "domain", "score"]]
        scores: dict[tuple[str, str], dict[str, int]] = {}
        for item_id in live:
            truth = {domain: rng.randint(1, 4) for domain in ("reflection", "thinking")}
            for email, offset in profiles.items():
                if item_id == "E05" and email == "noisy@example.org":
                    continue  # an item one reader never read: two reads, each the other's only co-read
                for domain, level in truth.items():
                    score = min(max(level + offset(), 1), 4)
                    rows.append([item_id, email, domain, score])
                    scores.setdefault((item_id, domain), {})[email] = score
        # The validity essay, read far from everyone: it must move no severity.
        rows += [["E99", email, domain, 1] for email in profiles for domain in ("reflection", "thinking")]
        imported("scores", rows, cycle)

        expected = {}
        for email in profiles:
            differences = [
                cell[email] - sum(v for k, v in cell.items() if k != email) / (len(cell) - 1)
                for cell in scores.values()
                if email in cell and len(cell) > 1
            ]
            expected[email] = sum(differences) / len(differences)
        book = openpyxl.load_workbook(io.BytesIO(export_cycle_bytes(cycle)), read_only=True)
        header, *body = book["Reviewers"].iter_rows(values_only=True)
        workbook = {row[0]: dict(zip(header, row, strict=True))["Severity"] for row in body}
        dashboard = {row.email: row.co_readers.mean_difference for row in calibration_rows(cycle)}
        cycle_id = cycle.id
    assert set(workbook) == set(dashboard) == set(profiles)
    for email, severity in expected.items():
        assert workbook[email] == pytest.approx(severity, abs=1e-12), email
        assert dashboard[email] == pytest.approx(workbook[email], abs=1e-12), email
    assert expected["severe@example.org"] < 0 < expected["lenient@example.org"]
    page = signed_in_client(app, "coord@example.org", password).get(
        f"/console/cycles/{cycle_id}/pictures", headers={"HX-Request": "true"}
    )
    text = page.get_data(as_text=True)
    for email, severity in expected.items():
        row = text.split(f'<span class="muted">{email}</span>')[1].split("</tr>")[0]
        assert f'<td class="num">{severity:+.2f}</td>' in row, email
