"""Reads: autosave upserts, ordering, locking, submit validation, numbering, outcome and reopen."""

import threading
from datetime import date

import pytest
from sqlalchemy import select

from app.assignment.models import Assignment
from app.audit.models import AuditEntry
from app.cycles.models import ItemState
from app.extensions import db
from app.reconcile.models import ItemOutcome
from app.rubrics.model import PassRule
from app.scoring import service
from app.scoring.models import Read, ReadStatus, Score
from app.scoring.outcome import apply_pass_rule
from app.scoring.saves import SaveOutcome
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.factories import ESSAY_DOMAINS
from tests.queries import recorded_statements, selects
from tests.rubric_text import levels, rubric_toml

APPLICATION_RUBRIC = rubric_toml(
    "test-application",
    "application",
    ["TEST-APP"],
    {"reflection": "Reflection", "thinking": "Thinking"},
    levels("none", "some", "clear", "deep"),
    title="Test application review",
    pass_rule={"domain_min": 2, "mean_min": 2.5},
    requirements=[
        {"key": "training", "label": "Training hours", "figure": "training_hours", "min_hours": 30},
        {"key": "references", "label": "Three references", "figure": "references_received", "min_count": 3},
    ],
)


@pytest.fixture
def app(tmp_path):
    app = build_app(tmp_path, rubrics={"test-application": APPLICATION_RUBRIC})
    yield app
    close_app(app)


def essay_assignment(reviewer=None, item=None):
    if item is None:
        cycle = f.make_cycle()
        item = f.make_essay(cycle, f.make_applicant(cycle))
    return f.assign(item, reviewer or f.make_user())


def application_assignment():
    cycle = f.make_cycle()
    applicant = f.make_applicant(cycle, category="TEST-APP")
    return f.assign(f.make_application_item(cycle, applicant, rubric_key="test-application"), f.make_user())


TAB = "unit-test-window"


def window(seq, tab=TAB, base_version=0):
    """The window fields of one save, checked as a request's are."""
    return service.window_save(tab, seq, base_version)


def score_all(read, values, start_seq=1):
    for seq, (key, value) in enumerate(zip(ESSAY_DOMAINS, values, strict=True), start=start_seq):
        service.save_domain(read, key, value, None, window(seq))


def stored(read_id):
    return {
        s.domain_key: (s.score, s.comment, s.seq)
        for s in db.session.scalars(select(Score).where(Score.read_id == read_id))
    }


def test_open_read_creates_one_draft_and_returns_it_again(ctx):
    assignment = essay_assignment()
    assert service.find_read(assignment) is None
    first = service.open_read(assignment)
    second = service.open_read(assignment)
    assert first.id == second.id and first.status == ReadStatus.DRAFT
    assert db.session.scalar(select(db.func.count()).select_from(Read)) == 1


def test_saving_the_same_domain_twice_keeps_one_row_with_the_newest_values(ctx):
    read = service.open_read(essay_assignment())
    assert service.save_domain(read, "reflection", "2", "first thought", window(1)).outcome.stored
    assert service.save_domain(read, "reflection", "3", "second thought", window(2)).outcome.stored
    assert stored(read.id) == {"reflection": (3, "second thought", 2)}


def test_repeating_a_save_is_harmless(ctx):
    read = service.open_read(essay_assignment())
    assert service.save_domain(read, "thinking", 4, "ok", window(7)).outcome is SaveOutcome.STORE
    assert service.save_domain(read, "thinking", 4, "ok", window(7)).outcome is SaveOutcome.ALREADY_STORED
    assert stored(read.id) == {"thinking": (4, "ok", 7)}


def test_a_late_older_save_never_overwrites_a_newer_one(ctx):
    read = service.open_read(essay_assignment())
    service.save_domain(read, "reflection", 4, "newer", window(9))
    assert service.save_domain(read, "reflection", 1, "older", window(8)).outcome is SaveOutcome.SUPERSEDED
    assert stored(read.id) == {"reflection": (4, "newer", 9)}


def test_racing_saves_leave_exactly_the_highest_sequence(app):
    with app.app_context():
        assignment = essay_assignment()
        service.open_read(assignment)
        db.session.commit()
        assignment_id = assignment.id
    errors = []

    def save(seq):
        with app.app_context():
            try:
                from app.assignment.models import Assignment

                read = service.open_read(db.session.get(Assignment, assignment_id))
                service.save_domain(read, "thinking", 1 + seq % 4, f"text {seq}", window(seq))
                db.session.commit()
            except Exception as exc:  # reported below; a thread cannot fail the test itself
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(seq,)) for seq in (5, 12, 3, 9, 11, 1, 7, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        rows = db.session.scalars(select(Score)).all()
        assert [(r.domain_key, r.score, r.comment, r.seq) for r in rows] == [("thinking", 1, "text 12", 12)]


@pytest.mark.parametrize(
    ("domain", "score", "seq", "message"),
    [
        ("empathy", 3, 1, "'empathy' is not a domain of rubric imhm-c-essay"),
        ("reflection", 5, 1, "score: 5 is outside the scale 1–4"),
        ("reflection", 0, 1, "score: 0 is outside the scale 1–4"),
        ("reflection", "three", 1, "score: 'three' is not a whole number"),
        ("reflection", 3, 0, "seq: must be between 1 and"),
        ("reflection", 3, "x", "seq: 'x' is not a whole number"),
    ],
)
def test_bad_saves_are_refused_with_a_message_naming_the_field(ctx, domain, score, seq, message):
    read = service.open_read(essay_assignment())
    with pytest.raises(service.ScoringError, match=message.replace("(", r"\(")):
        service.save_domain(read, domain, score, None, window(seq))
    assert stored(read.id) == {}


def test_an_empty_score_clears_the_domain_but_keeps_the_comment(ctx):
    read = service.open_read(essay_assignment())
    service.save_domain(read, "reflection", 3, "note", window(1))
    service.save_domain(read, "reflection", "", "note", window(2))
    assert stored(read.id) == {"reflection": (None, "note", 2)}


def test_score_changes_are_audited_with_before_and_after_but_comment_edits_are_not(ctx):
    read = service.open_read(essay_assignment())
    service.save_domain(read, "reflection", 2, "a", window(1))
    service.save_domain(read, "reflection", 2, "ab", window(2))
    service.save_domain(read, "reflection", 3, "ab", window(3))
    service.save_domain(read, "reflection", 1, "ab", window(2))  # late: ignored, so not audited
    db.session.flush()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "score.save").order_by(AuditEntry.id)
    ).all()
    assert [(e.before, e.after) for e in entries] == [
        ({"reflection": None}, {"reflection": 2}),
        ({"reflection": 2}, {"reflection": 3}),
    ]


def test_overall_comment_keeps_the_newest(ctx):
    read = service.open_read(essay_assignment())
    assert service.save_overall_comment(read, "draft two", window(4)).outcome is SaveOutcome.STORE
    assert service.save_overall_comment(read, "draft one", window(3)).outcome is SaveOutcome.SUPERSEDED
    db.session.refresh(read)
    assert (read.overall_comment, read.overall_seq) == ("draft two", 4)


def test_submit_names_every_domain_still_unscored(ctx):
    read = service.open_read(essay_assignment())
    for seq, key in enumerate(ESSAY_DOMAINS[:3], start=1):
        service.save_domain(read, key, 3, None, window(seq))
    with pytest.raises(service.IncompleteRead) as caught:
        service.submit(read)
    assert caught.value.problems == [
        "Score every domain before submitting; still open: Reflection, Thinking, Communicating."
    ]
    assert read.status == ReadStatus.DRAFT


def test_submit_locks_the_read_and_refuses_further_saves(ctx):
    read = service.open_read(essay_assignment())
    score_all(read, [3, 3, 3, 3, 3, 3])
    service.submit(read)
    assert read.status == ReadStatus.SUBMITTED and read.submitted_at is not None
    with pytest.raises(service.ReadLocked):
        service.save_domain(read, "reflection", 1, None, window(99))
    with pytest.raises(service.ReadLocked):
        service.save_overall_comment(read, "late", window(99))
    with pytest.raises(service.ReadLocked):
        service.submit(read)
    assert stored(read.id)["reflection"] == (3, None, 4)


def test_submit_numbers_reads_in_the_order_each_item_receives_them(ctx):
    cycle = f.make_cycle()
    item = f.make_essay(cycle, f.make_applicant(cycle))
    other_item = f.make_essay(cycle, f.make_applicant(cycle))
    first, second = (service.open_read(essay_assignment(item=item)) for _ in range(2))
    elsewhere = service.open_read(essay_assignment(item=other_item))
    for read in (second, elsewhere, first):
        score_all(read, [3, 3, 3, 3, 3, 3])
        service.submit(read)
    assert (second.number, first.number, elsewhere.number) == (1, 2, 1)


def item_entries(item):
    """The item's state audit entries, oldest first, as (before, after, actor)."""
    return [
        (e.before, e.after, e.actor_id)
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "item.evaluate", AuditEntry.object_id == item.id)
            .order_by(AuditEntry.id)
        )
    ]


def test_the_first_save_moves_an_assigned_item_into_review_without_a_reconciliation(ctx):
    assignment = essay_assignment()
    item = assignment.item
    item.state = ItemState.ASSIGNED
    read = service.open_read(assignment, actor_id=assignment.reviewer_id)
    assert item.state == ItemState.IN_REVIEW
    assert item_entries(item) == [({"state": "assigned"}, {"state": "in_review"}, assignment.reviewer_id)]

    # Every later save finds the read with one query and leaves the item alone.
    with recorded_statements(db.engine) as statements:
        again = service.open_read(assignment, actor_id=assignment.reviewer_id)
    assert again.id == read.id and len(selects(statements)) == 1 and "items" not in statements[-1]
    service.save_domain(again, "reflection", 3, None, window(1))
    assert len(item_entries(item)) == 1


def test_the_first_save_leaves_an_item_further_along_where_it_is(ctx):
    assignment = essay_assignment()
    assignment.item.state = ItemState.ADJUDICATING  # a third reader starting
    service.open_read(assignment)
    assert assignment.item.state == ItemState.ADJUDICATING and item_entries(assignment.item) == []


def test_submit_evaluates_the_item_at_once(ctx):
    cycle = f.make_cycle(readers=2)
    item = f.make_essay(cycle, f.make_applicant(cycle))
    first, second = (service.open_read(essay_assignment(item=item)) for _ in range(2))
    score_all(first, [3, 3, 3, 4, 4, 4])
    service.submit(first)
    assert item.state == ItemState.IN_REVIEW  # one of its two reads
    score_all(second, [4, 4, 3, 3, 4, 3])
    service.submit(second, actor_id=second.assignment.reviewer_id)
    # Both within 1 on every domain: agreed, each domain the mean of the two.
    assert item.state == ItemState.AGREED
    outcome = db.session.scalar(select(ItemOutcome).where(ItemOutcome.item_pk == item.id))
    assert outcome.combined == dict(zip(ESSAY_DOMAINS, [3.5, 3.5, 3.0, 3.5, 4.0, 3.5], strict=True))
    assert outcome.result == "pass" and outcome.mean == pytest.approx(21 / 6)
    *_, (before, after, actor) = item_entries(item)
    assert (before["state"], after["state"], actor) == ("in_review", "agreed", second.assignment.reviewer_id)
    assert before["outcome"] is None and after["outcome"]["combined"] == outcome.combined


def test_a_discrepant_submit_waits_for_reconciliation_to_ask_for_a_third_reader(ctx):
    cycle = f.make_cycle(readers=2)
    item = f.make_essay(cycle, f.make_applicant(cycle))
    first, second = (service.open_read(essay_assignment(item=item)) for _ in range(2))
    score_all(first, [1, 3, 3, 3, 3, 3])
    score_all(second, [4, 3, 3, 3, 3, 3])  # 3 apart on the first domain
    service.submit(first)
    service.submit(second)
    assert item.state == ItemState.DISCREPANT
    assert db.session.scalar(select(db.func.count()).select_from(Assignment)) == 2  # no third reader yet


def test_a_reopened_read_moves_an_agreed_item_back_into_review_and_drops_its_combined_score(ctx):
    coordinator = f.make_user("coordinator")
    cycle = f.make_cycle(readers=2)
    item = f.make_essay(cycle, f.make_applicant(cycle))
    first, second = (service.open_read(essay_assignment(item=item)) for _ in range(2))
    for read in (first, second):
        score_all(read, [3, 3, 3, 3, 3, 3])
        service.submit(read)
    assert item.state == ItemState.AGREED

    service.reopen(second, coordinator.id, "scored the wrong vignette")
    assert item.state == ItemState.IN_REVIEW
    outcome = db.session.scalar(select(ItemOutcome).where(ItemOutcome.item_pk == item.id))
    assert outcome.combined is None and outcome.result is None and outcome.mean is None
    *_, (before, after, actor) = item_entries(item)
    assert (before["state"], after["state"], actor) == ("agreed", "in_review", coordinator.id)
    assert before["outcome"]["combined"] == dict.fromkeys(ESSAY_DOMAINS, 3.0)

    service.submit(second)
    assert item.state == ItemState.AGREED


@pytest.mark.parametrize(
    ("scores", "result", "mean"),
    [
        ([3, 3, 2, 2, 3, 2], "pass", 2.5),  # 15 / 6: exactly on the line, every domain ≥ 2
        ([4, 4, 4, 4, 4, 1], "fail", 21 / 6),  # a 1 fails whatever the mean
        ([2, 2, 3, 2, 3, 2], "fail", 14 / 6),  # mean 2.33 < 2.5
    ],
)
def test_submit_returns_the_outcome_under_the_rubric_pass_rule(ctx, scores, result, mean):
    read = service.open_read(essay_assignment())
    score_all(read, scores)
    outcome = service.submit(read)
    assert outcome.result == result
    assert outcome.mean == pytest.approx(mean)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "read.submit"))
    assert entry.after["result"] == result and entry.after["scores"] == dict(zip(ESSAY_DOMAINS, scores, strict=True))


def test_failing_outcome_says_which_domains_are_below_the_minimum():
    scores = {"a": 1, "b": 4, "c": 1, "d": 4}  # mean 2.5: only the domain minimum fails
    outcome = apply_pass_rule(
        PassRule(domain_min=2, mean_min=2.5), scores, {"a": "Reflection", "b": "Thinking", "c": "Communicating"}
    )
    assert outcome.result == "fail"
    assert outcome.reasons == ("below 2 in Reflection, Communicating",)


def test_total_rule_counts_the_sum():
    assert apply_pass_rule(PassRule(total_min=10), {"a": 4, "b": 3, "c": 3}).result == "pass"
    assert apply_pass_rule(PassRule(total_min=10), {"a": 4, "b": 3, "c": 2}).reasons == ("total 9 is below 10",)


def test_reopen_returns_the_read_to_draft_with_an_audited_reason(ctx):
    coordinator = f.make_user("coordinator")
    read = service.open_read(essay_assignment())
    score_all(read, [3, 3, 3, 3, 3, 3])
    service.submit(read)
    with pytest.raises(service.ScoringError, match="reason"):
        service.reopen(read, coordinator.id, "  ")
    service.reopen(read, coordinator.id, "Reviewer scored the wrong vignette")
    assert read.status == ReadStatus.DRAFT and read.submitted_at is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "read.reopen"))
    assert (entry.actor_id, entry.note, entry.after) == (
        coordinator.id,
        "Reviewer scored the wrong vignette",
        {"status": "draft"},
    )
    assert service.save_domain(read, "reflection", 2, None, window(50)).outcome.stored
    service.submit(read)
    assert read.number == 1  # keeps its place in the submission order
    with pytest.raises(service.ScoringError, match="not submitted"):
        service.reopen(service.open_read(essay_assignment()), coordinator.id, "why")


def test_application_submit_needs_every_requirement_marked_and_fails_on_an_unmet_one(ctx):
    read = service.open_read(application_assignment())
    service.save_domain(read, "reflection", 3, None, window(1))
    service.save_domain(read, "thinking", 3, None, window(2))
    service.save_requirement(read, "training", "met", "42 hours logged", window(3))
    with pytest.raises(service.IncompleteRead, match="still open: Three references"):
        service.submit(read)
    service.save_requirement(read, "references", "more_info", "only two letters", window(4))
    outcome = service.submit(read)
    assert outcome.result == "fail"
    assert outcome.reasons == ("requirements not met: Three references",)


def test_application_requirement_marks_are_validated_and_ordered(ctx):
    read = service.open_read(application_assignment())
    with pytest.raises(service.ScoringError, match="status: must be one of met, not_met, more_info"):
        service.save_requirement(read, "training", "maybe", None, window(1))
    with pytest.raises(service.ScoringError, match="'ethics' is not a requirement"):
        service.save_requirement(read, "ethics", "met", None, window(1))
    service.save_requirement(read, "training", "met", None, window(5))
    assert service.save_requirement(read, "training", "not_met", None, window(4)).outcome is SaveOutcome.SUPERSEDED
    assert service.read_content(read).checks == {"training": "met"}


def test_requirement_marks_and_the_overall_comment_are_kept_safe_from_a_second_window_too(ctx):
    read = service.open_read(application_assignment())
    first, second = "first-window", "second-window"
    service.save_requirement(read, "training", "met", "42 hours logged", window(1, tab=first))
    service.save_overall_comment(read, "Ready for the committee", window(2, tab=first))
    mark = service.save_requirement(read, "training", "not_met", "", window(1, tab=second))
    overall = service.save_overall_comment(read, "Not yet", window(2, tab=second))
    assert (mark.outcome, mark.version, mark.theirs) == (
        SaveOutcome.CONFLICT,
        1,
        {"status": "met", "note": "42 hours logged", "reason": ""},
    )
    assert mark.summary == "Met, “42 hours logged”"
    assert (overall.outcome, overall.theirs) == (SaveOutcome.CONFLICT, {"overall_comment": "Ready for the committee"})
    content = service.read_content(read)
    assert (content.checks, content.notes) == ({"training": "met"}, {"training": "42 hours logged"})
    assert (content.overall_comment, content.check_versions, content.overall_version) == (
        "Ready for the committee",
        {"training": 1},
        1,
    )
    # the second window chose "Save mine": it now saw version 1
    assert service.save_overall_comment(read, "Not yet", window(3, tab=second, base_version=1)).version == 2


def test_queue_groups_by_cycle_with_status_and_progress_and_hides_conflicted_items(ctx):
    reviewer = f.make_user()
    spring = f.make_cycle("Spring", due=date(2027, 3, 1))
    autumn = f.make_cycle("Autumn")
    started = f.make_essay(spring, f.make_applicant(spring), item_id="E-2", prompt="Vignette two")
    untouched = f.make_essay(spring, f.make_applicant(spring), item_id="E-1", prompt="Vignette one")
    conflicted_applicant = f.make_applicant(autumn)
    f.assign(f.make_essay(autumn, conflicted_applicant, item_id="E-9"), reviewer)
    done = f.make_essay(autumn, f.make_applicant(autumn), item_id="E-5")
    f.assign(f.make_essay(spring, f.make_applicant(spring), item_id="E-3"), f.make_user())  # someone else's
    read = service.open_read(f.assign(started, reviewer))
    service.save_domain(read, "reflection", 3, None, window(1))
    service.save_domain(read, "thinking", None, "thinking about it", window(2))
    f.assign(untouched, reviewer)
    finished = service.open_read(f.assign(done, reviewer))
    score_all(finished, [3, 3, 3, 3, 3, 3])
    service.submit(finished)
    f.make_conflict(reviewer, conflicted_applicant)

    queue = service.queue_for(reviewer)
    assert [(group.name, group.due) for group in queue] == [("Spring", date(2027, 3, 1)), ("Autumn", None)]
    # In the order the reads were given (app/assignment/queue.py): E-2 before E-1.
    assert [(e.item_id, e.prompt, e.status, e.progress.scored) for e in queue[0].entries] == [
        ("E-2", "Vignette two", "draft", 1),
        ("E-1", "Vignette one", "not_started", 0),
    ]
    assert [(e.item_id, e.status, e.progress.scored, e.progress.domains) for e in queue[1].entries] == [
        ("E-5", "submitted", 6, 6)
    ]
    assert (queue[0].percent, queue[1].percent) == (0, 100)
