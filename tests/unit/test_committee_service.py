"""Committee services: the board, the side-by-side comparison, final scores, decisions, conflicts and audit."""

import pytest
from sqlalchemy import delete, select, text

from app.assignment.models import Assignment, AssignmentSource
from app.audit.models import AuditEntry
from app.committee import board, charts, decisions
from app.committee.comparison import item_comparison
from app.committee.errors import CommitteeInputError, StaleEdit
from app.committee.models import CommitteeResolution, Decision
from app.cycles.models import Application, Cycle, Item, ItemState
from app.extensions import db
from app.people.models import Role, User
from app.reconcile.models import ItemOutcome
from app.reports import cycle_figures
from app.requirements.models import RequirementFinal
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus, Read, ReadStatus, Score
from tests import committee_world
from tests import factories as f
from tests.committee_world import essay_scores
from tests.factories import ESSAY_DOMAINS

pytestmark = pytest.mark.seeded(seed=committee_world.build)


@pytest.fixture
def world(app, seeded):
    with app.app_context():
        yield seeded


def _item(world, name):
    return db.session.get(Item, world[name])


def _member(world):
    return db.session.get(User, world["ids"]["noah"])


def _audit(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _form_scores(**overrides):
    return {key: str(value) for key, value in essay_scores(3, **overrides).items()}


# ---- the side-by-side comparison ----


def test_the_comparison_shows_each_read_per_domain_with_comments_and_flags_the_discrepant_domain(world):
    comparison = item_comparison(_item(world, "split"))
    assert [read.label for read in comparison.reads] == ["Read 1", "Read 2"]
    assert [read.reviewer_name for read in comparison.reads] == ["Ann Reader", "Ben Reader"]
    reflection = next(row for row in comparison.domains if row.key == "reflection")
    assert [cell.score for cell in reflection.cells] == [1, 3]
    assert [cell.comment for cell in reflection.cells] == [
        "Feelings are not examined at all.",
        "Notices the parallel process.",
    ]
    assert reflection.spread == 2 and reflection.discrepant
    assert comparison.discrepant_keys == ["reflection"]
    assert "Reads differ by 2 on Reflection; the rubric tolerates 1." in comparison.differences


def test_the_comparison_states_the_rubrics_rule_in_words(world):
    rule = item_comparison(_item(world, "split")).rule
    # imhm-c-essay.toml: tolerance 1, mean, domain_min 2, mean_min 2.5, third reader on.
    assert "differ by at most 1 point" in rule
    assert "averaged" in rule
    assert "every domain at least 2 and a mean of at least 2.5" in rule
    assert "third reader" in rule


def test_reads_that_split_on_pass_and_fail_are_said_so(world):
    # Read 1 has Reflection 1 (below the domain minimum 2): fail; read 2 is all 3s: pass.
    differences = item_comparison(_item(world, "split")).differences
    assert "The reads disagree on the result: read 1 fails, read 2 passes." in differences


def test_the_form_is_prefilled_with_the_mean_of_the_reads_or_the_combined_scores(world):
    split = item_comparison(_item(world, "split"))
    # (1 + 3) / 2 = 2 on Reflection, 3 elsewhere.
    assert split.prefill == essay_scores(3, reflection=2)
    assert split.prefill_source.startswith("the mean of the reads")
    agreed = item_comparison(_item(world, "agreed"))
    assert agreed.prefill == {key: 3.5 for key in ESSAY_DOMAINS}
    assert agreed.prefill_source == "the combined scores"


# ---- final scores ----


def test_resolving_records_the_scores_decides_the_item_and_audits_before_and_after(world):
    maya = world["ids"]["maya"]
    item = _item(world, "split")
    resolution = decisions.resolve_item(
        item, _form_scores(reflection=2), "  Reflection is emerging.  ", actor_id=maya, expected_version=None
    )
    db.session.commit()

    assert resolution.version == 1
    assert resolution.scores == essay_scores(3, reflection=2)
    # Mean (5 × 3 + 2) / 6 = 2.83 ≥ 2.5 and every domain ≥ 2: a pass under imhm-c-essay.
    assert resolution.result == "pass"
    assert resolution.rationale == "Reflection is emerging."
    assert resolution.decided_by_id == maya
    assert item.state == ItemState.DECIDED
    outcome = db.session.scalar(select(ItemOutcome).where(ItemOutcome.item_pk == item.id))
    assert outcome.combined == {key: float(value) for key, value in essay_scores(3, reflection=2).items()}
    assert outcome.mean == pytest.approx(17 / 6) and outcome.result == "pass"

    (entry,) = _audit("committee.resolve")
    assert entry.actor_id == maya and entry.item_key == "E-1" and entry.cycle_id == world["cycle"]
    assert entry.before is None
    assert entry.after == {
        "scores": essay_scores(3, reflection=2),
        "result": "pass",
        "rationale": "Reflection is emerging.",
        "version": 1,
    }
    (evaluation,) = _audit("item.evaluate")
    assert evaluation.before["state"] == "committee" and evaluation.after["state"] == "decided"
    assert evaluation.after["outcome"]["result"] == "pass" and evaluation.note == "decided by the committee"


def test_deciding_an_item_withdraws_its_further_reads_not_yet_submitted_and_keeps_the_submitted_ones(world):
    """A third reader still at work when the committee decides would otherwise keep the item in their queue."""
    item = _item(world, "split")
    cara = f.make_user(Role.REVIEWER, email="cara@example.org", name="Cara Third")
    dev = f.make_user(Role.REVIEWER, email="dev@example.org", name="Dev Extra")
    eve = f.make_user(Role.REVIEWER, email="eve@example.org", name="Eve Late")
    drafting = f.assign(item, cara, AssignmentSource.THIRD_READER)
    draft = Read(assignment_id=drafting.id, status=ReadStatus.DRAFT)
    db.session.add(draft)
    db.session.flush()
    db.session.add(Score(read_id=draft.id, domain_key="reflection", score=2))
    f.submitted_read(f.assign(item, dev, AssignmentSource.EXTRA_READ), essay_scores(3), number=3)
    f.assign(item, eve, AssignmentSource.THIRD_READER)  # not opened yet: no read
    db.session.commit()

    decisions.resolve_item(
        item, _form_scores(), "Settled in the meeting.", actor_id=world["ids"]["maya"], expected_version=None
    )
    db.session.commit()

    readers = db.session.scalars(
        select(User.email).join(Assignment, Assignment.reviewer_id == User.id).where(Assignment.item_pk == item.id)
    ).all()
    # Ann and Ben's first reads and Dev's submitted extra read stay; Cara's draft and Eve's empty read go.
    assert sorted(readers) == ["ann@example.org", "ben@example.org", "dev@example.org"]
    withdrawn = _audit("assignment.withdraw")
    assert [(entry.before["reviewer"], entry.before["source"]) for entry in withdrawn] == [
        ("cara@example.org", "third_reader"),
        ("eve@example.org", "third_reader"),
    ]
    assert withdrawn[0].before["read"]["scores"] == {"reflection": 2} and withdrawn[1].before["read"] is None
    assert {entry.note for entry in withdrawn} == {"the committee decided the item"}
    assert {entry.actor_id for entry in withdrawn} == {world["ids"]["maya"]}


def test_a_final_score_below_the_domain_minimum_fails_the_item(world):
    # 1.5 on Reflection is below imhm-c-essay's domain minimum of 2, though the mean (16.5 / 6 = 2.75) is enough.
    resolution = decisions.resolve_item(
        _item(world, "split"),
        _form_scores(reflection=1.5),
        "Too thin on reflection.",
        actor_id=world["ids"]["maya"],
        expected_version=None,
    )
    assert resolution.scores["reflection"] == 1.5
    assert resolution.result == "fail"


def test_changing_saved_scores_bumps_the_version_and_audits_the_old_values(world):
    item = _item(world, "split")
    decisions.resolve_item(
        item, _form_scores(reflection=2), "First view.", actor_id=world["ids"]["maya"], expected_version=None
    )
    db.session.commit()
    second = decisions.resolve_item(
        item, _form_scores(reflection=3), "After discussion.", actor_id=world["ids"]["noah"], expected_version=1
    )
    db.session.commit()
    assert second.version == 2 and second.decided_by_id == world["ids"]["noah"]
    entries = _audit("committee.resolve")
    assert entries[1].before == {
        "scores": essay_scores(3, reflection=2),
        "result": "pass",
        "rationale": "First view.",
        "version": 1,
    }
    assert entries[1].after["version"] == 2 and entries[1].after["rationale"] == "After discussion."
    # Already decided: the second decision changes the outcome, not the state.
    assert [(e.before["state"], e.after["state"]) for e in _audit("item.evaluate")] == [
        ("committee", "decided"),
        ("decided", "decided"),
    ]


@pytest.mark.parametrize("rationale", ["", "   ", None, "\n\t"])
def test_a_rationale_is_required_and_nothing_is_written_without_one(world, rationale):
    item = _item(world, "split")
    with pytest.raises(CommitteeInputError) as refused:
        decisions.resolve_item(item, _form_scores(), rationale, actor_id=world["ids"]["maya"], expected_version=None)
    assert "rationale" in refused.value.problems
    db.session.rollback()
    assert db.session.scalar(select(CommitteeResolution)) is None
    assert _item(world, "split").state == ItemState.COMMITTEE
    assert _audit("committee.resolve") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", "Reflection: 5 is outside the scale 1–4"),
        ("0", "Reflection: 0 is outside the scale 1–4"),
        ("-1", "Reflection: -1 is outside the scale 1–4"),
        ("2.25", "Reflection: use whole or half points (e.g. 2.5), not 2.25"),
        ("three", "Reflection: 'three' is not a number"),
        ("", "Reflection: a final score is required"),
    ],
)
def test_scores_outside_the_scale_or_between_half_points_are_refused_by_domain(world, value, message):
    with pytest.raises(CommitteeInputError) as refused:
        decisions.resolve_item(
            _item(world, "split"),
            {**_form_scores(), "reflection": value},
            "Because.",
            actor_id=world["ids"]["maya"],
            expected_version=None,
        )
    assert refused.value.problems == {"reflection": message}
    db.session.rollback()
    assert db.session.scalar(select(CommitteeResolution)) is None


def test_a_missing_domain_and_a_missing_rationale_are_reported_together(world):
    scores = _form_scores()
    del scores["thinking"]
    with pytest.raises(CommitteeInputError) as refused:
        decisions.resolve_item(_item(world, "split"), scores, "", actor_id=None, expected_version=None)
    assert set(refused.value.problems) == {"thinking", "rationale"}


def test_extra_fields_next_to_the_scores_are_ignored(world):
    resolution = decisions.resolve_item(
        _item(world, "split"),
        {**_form_scores(), "bonus": "4", "result": "pass"},
        "Fine.",
        actor_id=None,
        expected_version=None,
    )
    assert set(resolution.scores) == set(ESSAY_DOMAINS)


def test_the_committee_may_override_an_agreed_item(world):
    item = _item(world, "agreed")
    resolution = decisions.resolve_item(
        item,
        _form_scores(reflection=2, thinking=2),
        "Over-generous reads.",
        actor_id=world["ids"]["maya"],
        expected_version=None,
    )
    # (4 × 3 + 2 + 2) / 6 = 2.67: still a pass, now on the committee's scores.
    assert resolution.result == "pass"
    assert item.state == ItemState.DECIDED
    (evaluation,) = _audit("item.evaluate")
    assert (evaluation.before["state"], evaluation.after["state"]) == ("agreed", "decided")
    outcome = db.session.scalar(select(ItemOutcome).where(ItemOutcome.item_pk == item.id))
    assert outcome.mean == pytest.approx(16 / 6)


def test_the_decided_item_stays_decided_when_the_cycle_is_reconciled_again(world):
    from app.reconcile.service import reconcile_cycle

    item = _item(world, "split")
    decisions.resolve_item(item, _form_scores(reflection=2), "Settled.", actor_id=None, expected_version=None)
    db.session.commit()
    reconcile_cycle(db.session.get(Cycle, world["cycle"]))
    assert _item(world, "split").state == ItemState.DECIDED
    outcome = db.session.scalar(select(ItemOutcome).where(ItemOutcome.item_pk == item.id))
    assert outcome.result == "pass" and outcome.combined["reflection"] == 2


# ---- optimistic concurrency ----


def test_saving_without_having_seen_a_colleagues_save_is_stale(world):
    item = _item(world, "split")
    decisions.resolve_item(
        item, _form_scores(reflection=2), "Maya's view.", actor_id=world["ids"]["maya"], expected_version=None
    )
    db.session.commit()
    with pytest.raises(StaleEdit) as stale:
        decisions.resolve_item(
            item, _form_scores(reflection=3), "Noah's view.", actor_id=world["ids"]["noah"], expected_version=None
        )
    assert stale.value.current_version == 1
    assert stale.value.current["rationale"] == "Maya's view."
    assert stale.value.current["scores"]["reflection"] == 2
    assert stale.value.current["decided_by"] == "Maya Member"
    db.session.rollback()
    assert db.session.scalar(select(CommitteeResolution)).rationale == "Maya's view."
    assert len(_audit("committee.resolve")) == 1


def test_saving_over_a_newer_version_is_stale_and_carries_the_current_version(world):
    item = _item(world, "split")
    decisions.resolve_item(item, _form_scores(), "v1", actor_id=None, expected_version=None)
    db.session.commit()
    decisions.resolve_item(item, _form_scores(reflection=2), "v2", actor_id=None, expected_version=1)
    db.session.commit()
    with pytest.raises(StaleEdit) as stale:
        decisions.resolve_item(item, _form_scores(reflection=4), "late", actor_id=None, expected_version=1)
    assert stale.value.current_version == 2 and stale.value.current["rationale"] == "v2"


def test_a_colleagues_write_between_the_check_and_the_update_is_caught_by_the_version_column(world):
    item = _item(world, "split")
    decisions.resolve_item(item, _form_scores(), "v1", actor_id=None, expected_version=None)
    db.session.commit()
    resolution = db.session.scalar(select(CommitteeResolution))
    assert resolution.version == 1  # loaded: the session now believes version 1
    # Another member's save lands behind the session's back, as on a second worker.
    db.session.connection().execute(
        text("UPDATE committee_resolutions SET version = 2, rationale = 'theirs' WHERE id = :id"), {"id": resolution.id}
    )
    with pytest.raises(StaleEdit) as stale:
        decisions.resolve_item(item, _form_scores(reflection=2), "mine", actor_id=None, expected_version=1)
    assert stale.value.current_version == 2 and stale.value.current["rationale"] == "theirs"


# ---- decisions ----


def test_a_decision_is_recorded_with_its_rationale_and_audited(world):
    application = db.session.get(Application, world["ada"])
    decision = decisions.record_decision(
        application, "endorse", "All parts passed.", actor_id=world["ids"]["maya"], expected_version=None
    )
    db.session.commit()
    assert (decision.decision.value, decision.rationale, decision.version) == ("endorse", "All parts passed.", 1)
    (entry,) = _audit("decision.record")
    assert entry.item_key == "APP-A-1" and entry.cycle_id == world["cycle"] and entry.before is None
    assert entry.after == {"decision": "endorse", "rationale": "All parts passed.", "version": 1}

    decisions.record_decision(
        application, "revise", "Portfolio needs a reference.", actor_id=world["ids"]["noah"], expected_version=1
    )
    db.session.commit()
    second = _audit("decision.record")[1]
    assert second.before == {"decision": "endorse", "rationale": "All parts passed.", "version": 1}
    assert second.after["decision"] == "revise" and second.after["version"] == 2


@pytest.mark.parametrize(
    ("choice", "rationale", "fields"),
    [
        ("maybe", "Because.", {"decision"}),
        ("", "Because.", {"decision"}),
        ("endorse", " ", {"rationale"}),
        (None, None, {"decision", "rationale"}),
    ],
)
def test_a_decision_needs_a_known_value_and_a_rationale(world, choice, rationale, fields):
    with pytest.raises(CommitteeInputError) as refused:
        decisions.record_decision(
            db.session.get(Application, world["ada"]), choice, rationale, actor_id=None, expected_version=None
        )
    assert set(refused.value.problems) == fields
    db.session.rollback()
    assert db.session.scalar(select(Decision)) is None


def test_a_stale_decision_is_refused_with_the_colleagues_decision(world):
    application = db.session.get(Application, world["ada"])
    decisions.record_decision(
        application, "endorse", "Maya: endorse.", actor_id=world["ids"]["maya"], expected_version=None
    )
    db.session.commit()
    with pytest.raises(StaleEdit) as stale:
        decisions.record_decision(
            application, "not_endorsed", "Noah: no.", actor_id=world["ids"]["noah"], expected_version=None
        )
    assert stale.value.current_version == 1
    assert stale.value.current["decision"] == "endorse" and stale.value.current["decided_by"] == "Maya Member"


def test_a_concurrent_decision_write_is_caught_by_the_version_column(world):
    application = db.session.get(Application, world["ada"])
    decisions.record_decision(application, "endorse", "v1", actor_id=None, expected_version=None)
    db.session.commit()
    decision = db.session.scalar(select(Decision))
    db.session.connection().execute(
        text("UPDATE decisions SET version = 2, rationale = 'theirs' WHERE id = :id"), {"id": decision.id}
    )
    with pytest.raises(StaleEdit) as stale:
        decisions.record_decision(application, "revise", "mine", actor_id=None, expected_version=1)
    assert stale.value.current_version == 2 and stale.value.current["rationale"] == "theirs"


# ---- the applications overview ----


def test_the_overview_sets_part1_against_the_pass_mark_and_suggests_a_decision(app, world):
    assert app.config["PART1_PASS_MARK"] == 80.0
    decisions.resolve_item(_item(world, "split"), _form_scores(), "Pass on all.", actor_id=None, expected_version=None)
    decisions.record_decision(
        db.session.get(Application, world["bo"]),
        "not_endorsed",
        "Part 1 below the mark.",
        actor_id=world["ids"]["noah"],
        expected_version=None,
    )
    db.session.commit()
    cycle = db.session.get(Cycle, world["cycle"])
    ada, bo = decisions.applications(cycle, _member(world))

    # Ada: portfolio agreed pass, MC 85 ≥ 80, her only essay decided pass, every line's final met → endorse.
    assert (ada.applicant_id, ada.category, ada.mc_score, ada.part1) == ("A-1", "IMHM-C", 85, "pass")
    assert ada.portfolio.item_id == "APP-A-1" and ada.portfolio_result == "pass"
    assert [(e.item_id, e.result) for e in ada.essays] == [("E-1", "pass")]
    assert str(ada.requirements_met) == "12 of 12"
    assert ada.essay_result == "pass" and ada.suggested == "endorse" and ada.decision is None
    # Bo: MC 70 < 80 fails Part 1 → not endorsed, whatever else; no portfolio item.
    assert bo.part1 == "fail" and bo.portfolio is None and bo.suggested == "not_endorsed"
    assert bo.decision["decision"] == "not_endorsed" and bo.decision["decided_by"] == "Noah Member"
    assert bo.decision["rationale"] == "Part 1 below the mark."
    # One line's final result not met: everything else passes, but the suggestion is to revise.
    final = db.session.scalar(
        select(RequirementFinal).filter_by(application_id=world["ada"], requirement_key="rsc_hours")
    )
    final.status = CheckStatus.NOT_MET
    db.session.commit()
    ada, _ = decisions.applications(cycle, _member(world))
    assert (str(ada.requirements_met), ada.suggested) == ("11 of 12", "revise")


def test_an_essay_not_yet_settled_gives_no_essay_result_and_no_suggestion(world):
    rows = decisions.applications(db.session.get(Cycle, world["cycle"]), _member(world))
    ada = rows[0]
    assert [(e.item_id, e.state, e.result) for e in ada.essays] == [("E-1", "committee", None)]
    assert ada.essay_result is None and ada.suggested is None


# ---- the board ----


def _cycle(world):
    return db.session.get(Cycle, world["cycle"])


def test_the_board_opens_on_the_open_disagreements(world):
    assert board.BoardFilters.parse({}).state == "open"
    page = board.board_page(_cycle(world), board.BoardFilters.parse({}), _member(world))
    assert [row.item_id for row in page.rows] == ["E-1"]
    assert page.total == 1 and page.counts["agreed"] == 2  # the counts still cover every state


def test_the_board_lists_items_needing_the_committee_first_with_counts_per_state(world):
    page = board.board_page(_cycle(world), board.BoardFilters.parse({"state": "all"}), _member(world))
    assert [row.item_id for row in page.rows] == ["E-1", "APP-A-1", "E-2"]
    assert page.counts["committee"] == 1 and page.counts["agreed"] == 2 and page.open_count == 1
    first = page.rows[0]
    assert (first.state, first.reads, first.discrepant_domains, first.category) == (
        "committee",
        2,
        ("Reflection",),
        "IMHM-C",
    )
    assert page.categories == ["IMHM-C"]
    assert page.rubrics == [
        ("imhm-c-application", get_rubric("imhm-c-application").title),
        ("imhm-c-essay", get_rubric("imhm-c-essay").title),
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"state": "committee"}, ["E-1"]),
        ({"state": "open"}, ["E-1"]),
        ({"state": "agreed"}, ["APP-A-1", "E-2"]),
        ({"state": "decided"}, []),
        ({"rubric": "imhm-c-essay", "state": "all"}, ["E-1", "E-2"]),
        ({"rubric": "imhm-c-essay"}, ["E-1"]),
        ({"rubric": "imhm-c-application", "state": "agreed"}, ["APP-A-1"]),
        ({"category": "IMHS", "state": "all"}, []),
        ({"category": "IMHM-C", "state": "all"}, ["E-1", "APP-A-1", "E-2"]),
        ({"category": "IMHM-C", "rubric": "imhm-c-essay", "state": "agreed"}, ["E-2"]),
    ],
)
def test_the_board_filters_by_state_rubric_and_category(world, args, expected):
    page = board.board_page(_cycle(world), board.BoardFilters.parse(args), _member(world))
    assert [row.item_id for row in page.rows] == expected
    assert page.total == len(expected)


def test_the_board_pages_through_items(world):
    first = board.board_page(_cycle(world), board.BoardFilters(state=None), _member(world), per_page=2)
    second = board.board_page(_cycle(world), board.BoardFilters(state=None, page=2), _member(world), per_page=2)
    assert first.pages == 2 and [r.item_id for r in first.rows] == ["E-1", "APP-A-1"]
    assert [r.item_id for r in second.rows] == ["E-2"]


def test_a_category_filtered_page_starts_inside_the_second_state(world):
    # Committee: E-1; agreed: APP-A-1, E-2. Page 2 of two per page skips E-1 and APP-A-1.
    second = board.board_page(
        _cycle(world), board.BoardFilters(state=None, category="IMHM-C", page=2), _member(world), per_page=2
    )
    assert (second.total, second.pages, [r.item_id for r in second.rows]) == (3, 2, ["E-2"])


def test_the_board_reads_states_afresh_and_keeps_to_its_own_cycle(world):
    cycle = _cycle(world)
    every_item = board.BoardFilters(state=None)
    board.board_page(cycle, every_item, _member(world))
    _item(world, "portfolio").state = ItemState.COMMITTEE
    db.session.flush()
    page = board.board_page(cycle, every_item, _member(world))
    # APP-A-1 sorts before E-1 among committee items; E-2 is the only agreed one left.
    assert [(r.item_id, r.state) for r in page.rows] == [
        ("APP-A-1", "committee"),
        ("E-1", "committee"),
        ("E-2", "agreed"),
    ]
    assert (page.counts["committee"], page.counts["agreed"], page.open_count) == (2, 1, 2)
    other = board.board_page(db.session.get(Cycle, world["other_cycle"]), every_item, _member(world))
    assert (other.rows, other.total) == ([], 0)


def test_board_links_carry_only_the_filters_that_differ_from_the_defaults():
    filters = board.BoardFilters(state="agreed", category="IMHM C", page=3)
    assert filters.query_string(page=2) == "?state=agreed&category=IMHM+C&page=2"
    assert filters.query_string(state="open", category=None, page=1) == ""  # the open disagreements: the default
    assert filters.query_string(state=None, category=None, page=1) == "?state=all"


@pytest.mark.parametrize(
    ("args", "field"), [({"state": "nonsense"}, "state"), ({"page": "0"}, "page"), ({"page": "x"}, "page")]
)
def test_bad_board_filters_are_refused_by_name(args, field):
    with pytest.raises(CommitteeInputError) as refused:
        board.BoardFilters.parse(args)
    assert set(refused.value.problems) == {field}


def test_cycle_figures_count_scores_per_level_and_agreement_of_reads_one_and_two(world):
    (figures,) = cycle_figures(_cycle(world))  # the portfolio has no reads
    assert figures.key == "imhm-c-essay" and figures.scale == (1, 2, 3, 4)
    by_key = {d.key: d for d in figures.domains}
    # E-1: 1 and 3 on Reflection; E-2: 3 and 4.
    assert by_key["reflection"].distribution == {1: 1, 2: 0, 3: 2, 4: 1}
    assert (by_key["reflection"].pairs, by_key["reflection"].exact, by_key["reflection"].adjacent) == (2, 0.0, 0.5)
    # Thinking: E-1 3 and 3 (exact), E-2 3 and 4 (adjacent).
    assert by_key["thinking"].distribution == {1: 0, 2: 0, 3: 3, 4: 1}
    assert (by_key["thinking"].exact, by_key["thinking"].adjacent) == (0.5, 1.0)


# ---- chart geometry ----


def test_distribution_bars_are_split_in_proportion_to_the_counts():
    chart = charts.score_distribution(
        "Scores", [("Reflection", {1: 1, 2: 0, 3: 2, 4: 1})], (1, 2, 3, 4), {1: "Not evident", 3: "Demonstrated"}
    )
    widths = [rect.width for rect in chart.rects]
    # 1, 2 and 1 of 4 scores over the 460-pixel track.
    assert widths == [115.0, 230.0, 115.0]
    assert [rect.x for rect in chart.rects] == [200.0, 315.0, 545.0]
    assert chart.rects[1].title == "Reflection: 2 of 4 scores at level 3 (Demonstrated), 50%"
    assert chart.table_rows == (("Reflection", "1", "0", "2", "1", "4"),)
    assert "Reflection: level 1 1, level 2 0, level 3 2, level 4 1" in chart.description


def test_a_domain_without_scores_gets_an_empty_track_and_says_so():
    chart = charts.score_distribution("Scores", [("Thinking", {})], (1, 2, 3, 4))
    assert [rect.title for rect in chart.rects] == ["Thinking: no scores yet"]
    assert any(label.text == "no scores" for label in chart.labels)


def test_agreement_bars_run_from_zero_to_the_whole_track():
    chart = charts.agreement("Agreement", [("Reflection", 0.25, 0.75, 4), ("Thinking", None, None, 0)])
    assert [rect.width for rect in chart.rects] == [115.0, 345.0]
    assert chart.rects[0].title == "Reflection: exact agreement 25% of 4 paired items"
    assert chart.table_rows == (("Reflection", "25%", "75%", "4"), ("Thinking", "–", "–", "0"))
    assert any(label.text == "no pairs of reads yet" for label in chart.labels)


def test_page_slices_take_each_state_in_board_order_from_the_page_offset():
    committee, agreed, assigned = ItemState.COMMITTEE, ItemState.AGREED, ItemState.ASSIGNED
    counts = [(committee, 3), (agreed, 0), (assigned, 10)]
    # Items 0-2 are committee, 3-12 assigned. A page of 5 from item 2: committee's last, then assigned's first four.
    assert board.page_slices(counts, 2, 5) == [(committee, 2, 1), (assigned, 0, 4)]
    assert board.page_slices(counts, 0, 2) == [(committee, 0, 2)]
    assert board.page_slices(counts, 10, 5) == [(assigned, 7, 3)]  # the last page is short
    assert board.page_slices(counts, 13, 5) == []  # past the end


# ---- requirement lines the reads dispute, settled with the final scores ----


def _disputed_portfolio(world):
    """Ada's portfolio read twice: the first requirement line marked met by Ann and not met by Ben, every other
    line met by both."""
    from app.scoring.models import RequirementCheck
    from tests import factories as f
    from tests.committee_world import PORTFOLIO_DOMAINS

    portfolio = _item(world, "portfolio")
    lines = [line.key for line in get_rubric(portfolio.rubric_key).requirements]
    for number, who, first_mark in ((1, "ann", CheckStatus.MET), (2, "ben", CheckStatus.NOT_MET)):
        read = f.submitted_read(
            f.assign(portfolio, db.session.get(User, world["ids"][who])),
            {key: 3 for key in PORTFOLIO_DOMAINS},
            number=number,
        )
        db.session.add_all(
            [
                RequirementCheck(
                    read_id=read.id, requirement_key=key, status=first_mark if key == lines[0] else CheckStatus.MET
                )
                for key in lines
            ]
        )
    portfolio.state = ItemState.COMMITTEE
    db.session.flush()
    return portfolio, lines


def test_a_disputed_requirement_line_is_settled_in_the_same_save_as_the_scores(world):
    from tests.committee_world import PORTFOLIO_DOMAINS

    portfolio, lines = _disputed_portfolio(world)
    comparison = item_comparison(portfolio)
    assert comparison.disputed_line_keys == [lines[0]]
    scores = {key: "3" for key in PORTFOLIO_DOMAINS}
    member = _member(world)
    with pytest.raises(CommitteeInputError) as refused:
        decisions.resolve_item(
            portfolio,
            scores | {PORTFOLIO_DOMAINS[0]: ""},
            "",
            actor_id=member.id,
            expected_version=None,
            lines={},
            disputed_lines=comparison.disputed_line_keys,
        )
    # Every problem at once: the score, the disputed line, the rationale.
    assert set(refused.value.problems) == {PORTFOLIO_DOMAINS[0], "line_" + lines[0], "rationale"}
    with pytest.raises(CommitteeInputError, match="'maybe' is not met, not_met or more_info"):
        decisions.resolve_item(
            portfolio,
            scores,
            "why",
            actor_id=member.id,
            expected_version=None,
            lines={lines[0]: "maybe"},
            disputed_lines=comparison.disputed_line_keys,
        )

    resolution = decisions.resolve_item(
        portfolio,
        scores,
        "The supervisor's letter does not cover the hours.",
        actor_id=member.id,
        expected_version=None,
        lines={lines[0]: "not_met"},
        disputed_lines=comparison.disputed_line_keys,
    )
    # Every domain at 3 meets the pass rule, but a portfolio passes only when every line's final result is met.
    assert resolution.result == "fail" and portfolio.state == ItemState.DECIDED
    application_id = world["ada"]
    final = db.session.scalar(
        select(RequirementFinal).filter_by(application_id=application_id, requirement_key=lines[0])
    )
    assert (final.status, final.rationale, final.decided_by_id) == (
        CheckStatus.NOT_MET,
        "The supervisor's letter does not cover the hours.",
        member.id,
    )
    entry = _audit("committee.resolve")[-1]
    # The world recorded every line met; the committee now says the first is not.
    assert entry.before["lines"][lines[0]] == "met" and entry.after["lines"][lines[0]] == "not_met"
    row = next(r for r in decisions.applications(_cycle(world), member) if r.application_id == application_id)
    assert (row.requirements_met.met, row.requirements_met.total) == (len(lines) - 1, len(lines))
    assert item_comparison(portfolio).line_finals[lines[0]] == "not_met"


def test_a_committee_decided_portfolio_passes_only_when_every_line_s_final_result_is_met(world):
    """Without a Final of its own, a line takes the mark the reads agree on: both reads say the first line is
    not met, so the committee's passing scores give a fail until the committee records that line met."""
    from app.scoring.models import RequirementCheck
    from tests.committee_world import PORTFOLIO_DOMAINS

    portfolio, lines = _disputed_portfolio(world)
    db.session.execute(delete(RequirementFinal).where(RequirementFinal.application_id == world["ada"]))
    for check in db.session.scalars(select(RequirementCheck).where(RequirementCheck.requirement_key == lines[0])):
        check.status = CheckStatus.NOT_MET  # Ann now agrees with Ben
    db.session.flush()
    scores = {key: "3" for key in PORTFOLIO_DOMAINS}
    count = len(lines)

    preview = decisions.preview_resolution(portfolio, scores)
    assert preview.result == "fail"
    assert preview.thresholds[-1] == (f"every requirement line met ({count - 1} of {count})", False)
    assert decisions.preview_resolution(portfolio, scores, {lines[0]: "met"}).result == "pass"

    member = _member(world)
    unsettled = decisions.resolve_item(portfolio, scores, "Hours short.", actor_id=member.id, expected_version=None)
    assert unsettled.result == "fail"
    outcome = db.session.scalar(select(ItemOutcome).where(ItemOutcome.item_pk == portfolio.id))
    assert outcome.result == "fail"
    settled = decisions.resolve_item(
        portfolio,
        scores,
        "The missing hours arrived.",
        actor_id=member.id,
        expected_version=unsettled.version,
        lines={lines[0]: "met"},
    )
    assert settled.result == "pass"


def test_a_stale_save_writes_neither_scores_nor_line_finals(world):
    from tests.committee_world import PORTFOLIO_DOMAINS

    portfolio, lines = _disputed_portfolio(world)
    member, scores = _member(world), {key: "3" for key in PORTFOLIO_DOMAINS}
    decisions.resolve_item(
        portfolio,
        scores,
        "first",
        actor_id=member.id,
        expected_version=None,
        lines={lines[0]: "met"},
        disputed_lines=[lines[0]],
    )
    with pytest.raises(StaleEdit):
        decisions.resolve_item(
            portfolio,
            scores,
            "second",
            actor_id=member.id,
            expected_version=None,
            lines={lines[0]: "not_met"},
            disputed_lines=[lines[0]],
        )
    assert decisions.line_finals_of(world["ada"])[lines[0]] == "met"
