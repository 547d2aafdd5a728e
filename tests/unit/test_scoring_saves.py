"""The autosave decision for one field: two windows, retries, late saves (plain data, no database)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from app.scoring.saves import IncomingSave, SaveOutcome, StoredField, decide

A, B = "window-a", "window-b"


def stored(version, tab, seq, content):
    return StoredField(version=version, tab=tab, seq=seq, content=(content,))


def save(tab, seq, base_version, content):
    return IncomingSave(tab=tab, seq=seq, base_version=base_version, content=(content,))


def test_a_first_save_is_stored():
    assert decide(None, save(A, 1, 0, "x")) is SaveOutcome.STORE


def test_the_window_that_wrote_last_stores_its_next_save_whatever_version_it_saw():
    # its acknowledgement of version 3 was lost, so it still thinks it is on version 2
    assert decide(stored(3, A, 7, "old"), save(A, 8, 2, "new")) is SaveOutcome.STORE


def test_a_retry_of_the_stored_save_is_acknowledged_without_writing():
    assert decide(stored(3, A, 7, "same"), save(A, 7, 2, "same")) is SaveOutcome.ALREADY_STORED


def test_a_late_older_save_of_the_same_window_is_never_stored():
    assert decide(stored(3, A, 7, "newer"), save(A, 5, 1, "older")) is SaveOutcome.SUPERSEDED
    assert not SaveOutcome.SUPERSEDED.stored


def test_the_probes_second_tab_is_told_instead_of_being_acknowledged():
    """Tab 1 saved seq 1, 2, 3; tab 2, opened before, saves its seq 1 with another score."""
    field = stored(3, A, 3, "tab one's third save")
    assert decide(field, save(B, 1, 0, "tab two's text")) is SaveOutcome.CONFLICT


def test_another_window_that_saw_the_stored_version_stores_the_latest_edit():
    assert decide(stored(3, A, 3, "a"), save(B, 1, 3, "b")) is SaveOutcome.STORE


def test_another_window_sending_what_is_stored_anyway_is_not_a_conflict():
    assert decide(stored(3, A, 3, "same"), save(B, 4, 1, "same")) is SaveOutcome.ALREADY_STORED


def test_an_imported_value_is_overwritten_only_by_a_window_that_saw_it():
    imported = stored(0, None, 0, "paper score")
    assert decide(imported, save(A, 1, 0, "typed")) is SaveOutcome.STORE


# ---- any interleaving of two windows' edits, retries and late deliveries ----

events = st.lists(
    st.tuples(st.sampled_from([A, B]), st.sampled_from(["edit", "deliver", "retry", "late"]), st.booleans()),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(events)
def test_in_any_interleaving_nothing_acknowledged_is_lost_and_no_one_overwrites_unseen_text(script):
    """Simulate the server field and two windows. Each window edits (a new save), delivers its newest
    save, retries a delivered one, or has an older save arrive late; acknowledgements may be lost."""
    field: StoredField | None = None
    windows = {tab: {"seq": 0, "base": 0, "sent": []} for tab in (A, B)}
    acknowledged: list[tuple] = []  # (tab, seq, content) of every save answered "stored"
    counter = 0
    for tab, action, ack_arrives in script:
        window = windows[tab]
        if action == "edit" or not window["sent"]:
            counter += 1
            window["seq"] += 1
            window["sent"].append(save(tab, window["seq"], window["base"], f"{tab} text {counter}"))
            incoming = window["sent"][-1]
        elif action == "deliver":
            incoming = window["sent"][-1]
        elif action == "retry":
            incoming = window["sent"][-1]
        else:
            incoming = window["sent"][0]
        outcome = decide(field, incoming)
        seen_version = field.version if field else 0
        if outcome is SaveOutcome.STORE:
            if field is not None and field.tab != tab:
                # another window's text is replaced only by a window that saw exactly that version
                assert incoming.base_version == field.version
            if field is not None and field.tab == tab:
                assert incoming.seq > field.seq  # a window's own saves are stored in order
            changed = field is None or field.content != incoming.content
            field = StoredField(seen_version + changed, tab, incoming.seq, incoming.content)
        if outcome.stored:
            assert field.content == incoming.content  # acknowledged ⇒ what it carries is stored
            acknowledged.append((tab, incoming.seq, incoming.content))
            if ack_arrives:
                window["base"] = max(window["base"], field.version)
    if field is not None and acknowledged:
        # the stored value is the one most recently acknowledged
        assert acknowledged[-1][2] == field.content
