"""Requirement rules over plain records, each limit at, just below and just above it.

Every expected figure is worked out by hand in the comment beside it (days
counted with both ends included, a year of 365.25 days, figures rounded to
two decimals before they are compared with the minimum).
"""

from datetime import date

import pytest

from app.requirements.records import Portfolio, ReferenceEntry, RscEntry, TrainingEntry, WorkPeriod
from app.requirements.rules import MANUAL, MET, NOT_MET, UNKNOWN, evaluate, evaluate_line
from app.rubrics.model import Requirement

UNTIL = date(2027, 4, 30)
D = date.fromisoformat


def line(figure=None, minimum=None, **rules) -> Requirement:
    unit = {"hours": "hours", "years": "years", "count": "count"}.get(rules.pop("unit", None))
    return Requirement(key="line", label="A line", figure=figure, minimum=minimum, unit=unit, **rules)


def check(requirement, until=UNTIL, **portfolio):
    return evaluate_line(requirement, Portfolio(**portfolio), until)


def rsc(hours, provider="Ann Lee", endorsement="IMHM-C", start=None, end=None, **more) -> RscEntry:
    return RscEntry(
        hours=hours,
        provider=provider,
        provider_endorsement=endorsement,
        started_on=D(start) if start else None,
        ended_on=D(end) if end else None,
        **more,
    )


# ----------------------------------------------------------------------------- training


@pytest.mark.parametrize(("hours", "expected"), [(29.99, NOT_MET), (30, MET), (30.01, MET)])
def test_training_hours_at_and_around_the_minimum(hours, expected):
    # Two entries adding up to the figure: 20 + (hours - 20).
    result = check(line("training_hours", 30), training=[TrainingEntry(20), TrainingEntry(round(hours - 20, 2))])
    assert (result.check, result.figure, result.minimum, result.source) == (expected, hours, 30, "records")
    assert "2 entries" in result.evidence


@pytest.mark.parametrize(("dei", "expected"), [(2.5, NOT_MET), (3, MET), (3.5, MET)])
def test_a_topic_counts_only_training_of_that_topic(dei, expected):
    entries = [TrainingEntry(40, "general"), TrainingEntry(dei, "dei"), TrainingEntry(15, "rsc")]
    result = check(line("training_hours", 3, topic="dei"), training=entries)
    assert (result.check, result.figure) == (expected, dei)
    assert "55 h on other topics not counted" in result.evidence  # 40 general + 15 RS/C


def test_figures_are_rounded_to_two_decimals_before_the_comparison():
    # 0.1 + 0.2 is 0.30000000000000004 in binary; 14.7 + 0.3 = 15.0 exactly as rounded.
    result = check(
        line("training_hours", 15, topic="rsc"),
        training=[TrainingEntry(14.7, "rsc"), TrainingEntry(0.1, "rsc"), TrainingEntry(0.2, "rsc")],
    )
    assert result.figure == 15.0 and result.check == MET


def test_a_topic_line_without_training_records_falls_back_to_its_column():
    result = check(line("training_hours", 3, topic="dei"), figures={"dei_hours": 2, "training_hours": 90})
    assert (result.check, result.figure, result.source) == (NOT_MET, 2, "column")
    assert "dei_hours column" in result.evidence
    rsc_line = check(line("training_hours", 15, topic="rsc"), figures={"rsc_training_hours": 15})
    assert (rsc_line.check, rsc_line.figure) == (MET, 15)


def test_training_records_override_the_column():
    # The column says 40, the records 12: the records count.
    result = check(line("training_hours", 30), figures={"training_hours": 40}, training=[TrainingEntry(12)])
    assert (result.check, result.figure, result.source) == (NOT_MET, 12, "records")


def test_no_records_and_no_column_is_unknown():
    result = check(line("training_hours", 30), figures={})
    assert (result.check, result.figure) == (UNKNOWN, None)
    assert "training_hours" in result.evidence


# ----------------------------------------------------------------------------- RS/C hours


@pytest.mark.parametrize(("hours", "expected"), [(49.99, NOT_MET), (50, MET), (50.01, MET)])
def test_rsc_hours_at_and_around_the_minimum(hours, expected):
    result = check(line("rsc_hours", 50), rsc=[rsc(hours)])
    assert (result.check, result.figure) == (expected, hours)


def test_peer_supervision_is_left_out_only_under_exclude_peer():
    entries = [rsc(46), rsc(4, provider="Co Worker", peer=True)]
    strict = check(line("rsc_hours", 50, exclude_peer=True), rsc=entries)
    assert (strict.check, strict.figure) == (NOT_MET, 46)
    assert "4 h from a peer" in strict.evidence
    lenient = check(line("rsc_hours", 50), rsc=entries)
    assert (lenient.check, lenient.figure) == (MET, 50)


def test_only_providers_with_a_listed_endorsement_count():
    entries = [rsc(40, "A", "IMHM-C"), rsc(6, "B", "IMHS"), rsc(5, "C", None), rsc(3, "D", "imhm-c")]
    result = check(line("rsc_hours", 50, provider_endorsements=("IMHM-C",)), rsc=entries)
    # 40 + 3 (lower-case code) count; 6 (IMHS) + 5 (no endorsement) do not.
    assert (result.check, result.figure) == (NOT_MET, 43)
    assert "11 h from a provider without IMHM-C not counted" in result.evidence


VETTED_RULE = {"provider_endorsements": ("IMHM-C", "ERS"), "accept_vetted_until": D("2027-12-21")}


@pytest.mark.parametrize(
    ("ended", "counted"), [("2027-12-20", True), ("2027-12-21", True), ("2027-12-22", False), (None, False)]
)
def test_a_vetted_provider_counts_when_the_entry_ended_on_or_before_the_date(ended, counted):
    entries = [rsc(45, "A", "ERS"), rsc(5, "V", "vetted", start="2027-06-01", end=ended)]
    result = check(line("rsc_hours", 50, **VETTED_RULE), rsc=entries)
    assert (result.figure, result.check) == ((50, MET) if counted else (45, NOT_MET))
    if ended is None:
        assert "vetted provider without an end date" in result.evidence
    elif not counted:
        assert "vetted provider ending after 21 December 2027" in result.evidence


def test_a_vetted_provider_counts_without_a_date_only_when_vetted_is_listed():
    entries = [rsc(45, "A"), rsc(5, "V", "Vetted")]
    assert check(line("rsc_hours", 50, provider_endorsements=("IMHM-C",)), rsc=entries).figure == 45
    assert check(line("rsc_hours", 50, provider_endorsements=("IMHM-C", "vetted")), rsc=entries).figure == 50


def test_about_providing_counts_only_entries_marked_so():
    entries = [rsc(20, about_providing=True), rsc(4.5, about_providing=True), rsc(10, about_providing=False), rsc(8)]
    result = check(line("rsc_hours_about_providing", 25, about_providing=True), rsc=entries)
    assert (result.check, result.figure) == (NOT_MET, 24.5)  # 20 + 4.5; blank and "no" left out
    assert "18 h not about the RS/C the applicant provides" in result.evidence


def test_an_rsc_line_without_log_entries_uses_its_column_and_names_the_unchecked_rules():
    requirement = line("rsc_hours", 50, provider_endorsements=("IMHM-C",), exclude_peer=True, window_years=2)
    result = check(requirement, figures={"rsc_hours": 52, "rsc_hours_about_providing": 20})
    assert (result.check, result.figure, result.source) == (MET, 52, "column")
    for words in ("rsc_hours column", "IMHM-C", "peer", "2-year span", "not checked"):
        assert words in result.evidence
    about = check(
        line("rsc_hours_about_providing", 25, about_providing=True),
        figures={"rsc_hours": 52, "rsc_hours_about_providing": 20},
    )
    assert (about.check, about.figure) == (NOT_MET, 20)
    assert "not checked" not in about.evidence  # the column is exactly the hours about providing


def test_rsc_log_entries_override_the_column():
    result = check(line("rsc_hours", 50), figures={"rsc_hours": 60}, rsc=[rsc(30)])
    assert (result.check, result.figure) == (NOT_MET, 30)


# ----------------------------------------------------------------------------- the span of years


def test_a_two_year_span_holds_730_days_and_not_731():
    # 2 x 365.25 = 730.5 days, so at most 730 whole days: 2025-03-01 .. 2027-02-28 is 365 + 365 = 730 days.
    fits = [rsc(20, start="2025-03-01", end="2025-06-01"), rsc(30, "B", start="2027-01-01", end="2027-02-28")]
    result = check(line("rsc_hours", 50, window_years=2), rsc=fits)
    assert (result.check, result.figure) == (MET, 50)
    assert "best 2-year span 1 March 2025 to 28 February 2027" in result.evidence
    # One day more (731 days): the two entries no longer share a span; the 30 hours are the better one.
    too_long = [fits[0], rsc(30, "B", start="2027-01-01", end="2027-03-01")]
    result = check(line("rsc_hours", 50, window_years=2), rsc=too_long)
    assert (result.check, result.figure) == (NOT_MET, 30)
    assert "20 h outside the best span" in result.evidence


def test_a_one_year_span_holds_365_days():
    # floor(365.25) = 365 days: 2025 fits, leap year 2024 (366 days) does not.
    assert (
        check(line("rsc_hours", 50, window_years=1), rsc=[rsc(50, start="2025-01-01", end="2025-12-31")]).figure == 50
    )
    result = check(line("rsc_hours", 50, window_years=1), rsc=[rsc(50, start="2024-01-01", end="2024-12-31")])
    assert (result.figure, result.check) == (0, NOT_MET)
    assert "50 h in entries longer than the 1-year span" in result.evidence


def test_the_span_with_the_most_hours_counts_and_the_earliest_wins_a_tie():
    entries = [
        rsc(20, "Early", start="2019-01-01", end="2019-06-30"),
        rsc(20, "Late", start="2024-01-01", end="2024-06-30"),
        rsc(10, "Later", start="2025-01-01", end="2025-02-01"),
    ]
    result = check(line("rsc_hours", 50, window_years=2), rsc=entries)
    # 2024 + 2025 entries share a span (30 h) and beat either alone (20 h).
    assert result.figure == 30 and "1 January 2024 to 1 February 2025" in result.evidence
    tie = check(line("rsc_hours", 50, window_years=2, majority_from_one_source=True), rsc=entries[:2])
    assert tie.figure == 20 and "1 January 2019 to 30 June 2019" in tie.evidence and "Early gave 20 h" in tie.evidence


def test_under_a_window_an_entry_without_both_dates_does_not_count():
    entries = [rsc(40, start="2025-01-01", end="2025-12-31"), rsc(10, start="2025-05-01"), rsc(5)]
    result = check(line("rsc_hours", 50, window_years=2), rsc=entries)
    assert (result.figure, result.check) == (40, NOT_MET)
    assert "15 h without both dates" in result.evidence
    # Without the window the dates do not matter.
    assert check(line("rsc_hours", 50), rsc=entries).figure == 55


def test_an_entry_starting_inside_but_ending_after_the_span_does_not_count():
    entries = [rsc(40, start="2025-01-01", end="2025-03-31"), rsc(15, "B", start="2026-06-01", end="2027-01-10")]
    # From 2025-01-01 a 730-day span ends 2026-12-31; the second entry ends 10 days later.
    result = check(line("rsc_hours", 50, window_years=2), rsc=entries)
    assert result.figure == 40


# ----------------------------------------------------------------------------- sources of the hours


def test_majority_from_one_source_with_one_or_two_providers():
    requirement = line("rsc_hours", 50, majority_from_one_source=True)
    assert check(requirement, rsc=[rsc(50)]).check == MET
    assert check(requirement, rsc=[rsc(26, "A"), rsc(24, "B")]).check == MET  # 26 of 50 is more than half
    exactly_half = check(requirement, rsc=[rsc(25, "A"), rsc(25, "B")])
    assert (exactly_half.check, exactly_half.figure) == (NOT_MET, 50)
    assert "no provider gave more than half" in exactly_half.evidence


def test_majority_from_one_source_fails_with_three_providers():
    result = check(line("rsc_hours", 50, majority_from_one_source=True), rsc=[rsc(40, "A"), rsc(6, "B"), rsc(4, "C")])
    # 40 of 50 is a majority, but the rest comes from two others.
    assert (result.check, result.figure) == (NOT_MET, 50)
    assert "3 providers" in result.evidence


def test_providers_are_told_apart_by_trimmed_case_insensitive_name():
    entries = [rsc(30, "Ann Lee"), rsc(10, "  ann lee "), rsc(6, "B"), rsc(4, "ANN LEE")]
    result = check(line("rsc_hours", 50, majority_from_one_source=True), rsc=entries)
    assert result.check == MET and "Ann Lee gave 44 h of 50" in result.evidence
    providers = check(line("rsc_providers", 2, unit="count"), rsc=entries)
    assert (providers.figure, providers.check) == (2, MET)


def test_the_sources_rule_counts_only_the_hours_the_line_counts():
    # The third provider is a peer: without the peer's hours two providers remain, 30 of 50 from A.
    entries = [rsc(30, "A"), rsc(20, "B"), rsc(5, "C", peer=True)]
    strict = check(line("rsc_hours", 50, exclude_peer=True, majority_from_one_source=True), rsc=entries)
    assert (strict.check, strict.figure) == (MET, 50)
    lenient = check(line("rsc_hours", 50, majority_from_one_source=True), rsc=entries)
    assert lenient.check == NOT_MET


@pytest.mark.parametrize(("providers", "expected"), [(1, NOT_MET), (2, MET), (3, MET)])
def test_rsc_provider_count(providers, expected):
    entries = [rsc(10, f"Provider {n}") for n in range(providers)] + [rsc(10, "Peer", peer=True)]
    result = check(line("rsc_providers", 2, unit="count", exclude_peer=True), rsc=entries)
    assert (result.figure, result.check) == (providers, expected)


# ----------------------------------------------------------------------------- references


def refs(*endorsements):
    return [ReferenceEntry(f"Rater {n}", rater_endorsement=code) for n, code in enumerate(endorsements)]


@pytest.mark.parametrize(("received", "expected"), [(2, NOT_MET), (3, MET), (4, MET)])
def test_references_received_against_the_count(received, expected):
    result = check(line("references_received", 3, unit="count"), references=refs(*[None] * received))
    assert (result.figure, result.check) == (received, expected)


def test_min_endorsed_is_a_further_condition_the_figure_stays_the_number_received():
    requirement = line("references_received", 3, unit="count", min_endorsed=1, endorsements=("IMHS", "IMHM-C"))
    none = check(requirement, references=refs(None, "IFS", None))
    assert (none.figure, none.check) == (3, NOT_MET)
    assert "0 from a rater holding IMHS or IMHM-C, 1 needed" in none.evidence
    one = check(requirement, references=refs(None, "imhm-c", None))
    assert (one.figure, one.check) == (3, MET)
    assert check(requirement, references=refs("IMHS", "IMHM-C")).check == NOT_MET  # two received, three needed


def test_vetted_raters_count_only_when_listed():
    plain = line("references_received", 3, unit="count", min_endorsed=1, endorsements=("IMHS",))
    assert check(plain, references=refs(None, None, "vetted")).check == NOT_MET
    with_vetted = line("references_received", 3, unit="count", min_endorsed=1, endorsements=("IMHS", "vetted"))
    assert check(with_vetted, references=refs(None, None, "Vetted")).check == MET


def test_a_reference_without_a_received_date_counts():
    entries = [ReferenceEntry("A", received_on=D("2027-01-02")), ReferenceEntry("B"), ReferenceEntry("C")]
    assert check(line("references_received", 3, unit="count"), references=entries).figure == 3


def test_references_without_records_use_the_column():
    requirement = line("references_received", 3, unit="count", min_endorsed=1, endorsements=("IMHS",))
    result = check(requirement, figures={"references_received": 3})
    assert (result.check, result.figure, result.source) == (MET, 3, "column")
    assert "3 references received from the references_received column" in result.evidence
    assert "endorsed raters (IMHS) not checked" in result.evidence


@pytest.mark.parametrize(("endorsed", "expected"), [(0, NOT_MET), (1, MET), (2, MET)])
def test_endorsed_references_as_a_figure_of_their_own(endorsed, expected):
    requirement = line("references_endorsed", 1, unit="count", endorsements=("IMHM-C",))
    result = check(requirement, references=refs(*["IMHM-C"] * endorsed, None, None))
    assert (result.figure, result.check) == (endorsed, expected)
    assert check(requirement, figures={"references_received": 3}).check == UNKNOWN  # no column to fall back to


# ----------------------------------------------------------------------------- work


def work(start, end=None, kind="direct_service", both=True) -> WorkPeriod:
    return WorkPeriod(D(start), D(end) if end else None, kind, with_infant_and_parent=both)


@pytest.mark.parametrize(
    ("end", "figure", "expected"),
    [
        ("2026-12-29", 1.99, NOT_MET),  # 728 days / 365.25 = 1.9932
        ("2026-12-30", 2.0, MET),  # 729 days = 1.9959, rounded 2.00: the figure shown is the figure checked
        ("2026-12-31", 2.0, MET),  # 730 days = 1.9986
        ("2027-01-01", 2.0, MET),  # 731 days = 2.0014
        ("2027-01-04", 2.01, MET),  # 734 days = 2.0096
    ],
)
def test_work_years_at_and_around_two_years(end, figure, expected):
    result = check(line("work_years", 2), work=[work("2025-01-01", end)])
    assert (result.figure, result.check) == (figure, expected)


def test_overlapping_periods_count_once():
    # 2024-01-01..2024-12-31 and 2024-07-01..2025-06-30: together 2024-01-01..2025-06-30 = 366 + 181 = 547 days.
    result = check(line("work_years", 2), work=[work("2024-01-01", "2024-12-31"), work("2024-07-01", "2025-06-30")])
    assert result.figure == round(547 / 365.25, 2) == 1.5
    assert "overlapping periods counted once" in result.evidence


def test_an_internship_overlapping_other_work_counts_as_that_work_and_at_most_its_limit():
    periods = [work("2023-01-01", "2023-12-31", "internship"), work("2023-07-01", "2024-12-31")]
    # Direct service 2023-07-01..2024-12-31 = 184 + 366 = 550 days; the internship outside it
    # 2023-01-01..2023-06-30 = 181 days. Together 731 days = 2.0014 years.
    requirement = line("work_years", 2, kinds=("direct_service", "internship"), internship_max_years=1)
    assert check(requirement, work=periods).figure == 2.0
    # At most a quarter year from internships: 550 + 91.3125 days = 1.7558 years.
    capped = check(
        line("work_years", 2, kinds=("direct_service", "internship"), internship_max_years=0.25), work=periods
    )
    assert (capped.figure, capped.check) == (1.76, NOT_MET)


@pytest.mark.parametrize(
    ("internship_days_end", "figure"),
    [
        # Internship 2022-01-01..end, then two years' direct service 2024-01-01..2024-12-31 (366 days).
        ("2022-12-31", 2.0),  # 365 internship days + 366 = 731 days = 2.0014
        ("2023-06-30", 2.0),  # 546 internship days capped at 365.25: 731.25 days = 2.0021
    ],
)
def test_internship_years_beyond_the_limit_do_not_count(internship_days_end, figure):
    periods = [work("2022-01-01", internship_days_end, "internship"), work("2024-01-01", "2024-12-31")]
    requirement = line("work_years", 2, kinds=("direct_service", "internship"), internship_max_years=1)
    result = check(requirement, work=periods)
    assert result.figure == figure and result.check == MET


def test_only_work_of_the_listed_kinds_counts():
    periods = [work("2024-01-01", "2024-12-31"), work("2020-01-01", "2021-12-31", "leadership")]
    result = check(line("work_years", 2, kinds=("direct_service",)), work=periods)
    assert result.figure == round(366 / 365.25, 2) == 1.0
    assert "1 period of another kind (leadership) not counted" in result.evidence


def test_with_infant_and_parent_leaves_out_periods_marked_no_or_left_blank():
    periods = [
        work("2024-01-01", "2024-12-31", both=True),
        work("2022-01-01", "2022-12-31", both=False),
        work("2021-01-01", "2021-12-31", both=None),
    ]
    strict = check(line("work_years", 2, with_infant_and_parent=True), work=periods)
    assert strict.figure == 1.0 and "2 periods not with both the child and the parent" in strict.evidence
    # Without the rule all three count: 366 + 365 + 365 = 1096 days = 3.0007 years.
    assert check(line("work_years", 2), work=periods).figure == 3.0


def test_ongoing_work_counts_to_the_given_date():
    # 2025-05-01 .. 2027-04-30 is 365 + 365 = 730 days.
    result = check(line("work_years", 2), until=D("2027-04-30"), work=[work("2025-05-01")])
    assert (result.figure, result.check) == (2.0, MET)
    assert "ongoing work counted to 30 April 2027" in result.evidence
    earlier = check(line("work_years", 2), until=D("2026-04-30"), work=[work("2025-05-01")])
    assert earlier.figure == 1.0  # 365 days = 0.9993


def test_work_without_records_uses_the_work_years_column():
    requirement = line("work_years", 2, kinds=("direct_service", "internship"), with_infant_and_parent=True)
    result = check(requirement, figures={"work_years": 2.5})
    assert (result.check, result.figure, result.source) == (MET, 2.5, "column")
    assert "kinds of work" in result.evidence and "both the child and the parent" in result.evidence
    assert check(requirement, figures={}).check == UNKNOWN


# ----------------------------------------------------------------------------- yes/no, plain figures, manual


@pytest.mark.parametrize(
    ("value", "expected", "word"), [(True, MET, "Signed"), (False, NOT_MET, "Not signed"), (None, UNKNOWN, None)]
)
def test_yes_no_lines(value, expected, word):
    figures = {} if value is None else {"ethics_signed": value}
    result = check(Requirement("ethics", "Code of Ethics signed", "ethics_signed", must_be_yes=True), figures=figures)
    assert (result.check, result.figure, result.minimum) == (expected, value, "yes")
    if word:
        assert result.evidence.startswith(word)


@pytest.mark.parametrize(("years", "expected"), [(2.99, NOT_MET), (3, MET), (3.01, MET)])
def test_a_column_only_figure_against_its_minimum(years, expected):
    result = check(
        line("leadership_years", 3),
        figures={"leadership_years": years},
        work=[work("2010-01-01", "2020-01-01", "leadership")],
    )
    assert (result.figure, result.check, result.source) == (years, expected, "column")


def test_a_figure_without_a_minimum_is_left_to_the_reviewer():
    result = check(line("leadership_years"), figures={"leadership_years": 4})
    assert (result.check, result.figure) == (MANUAL, 4)


def test_a_line_without_a_figure_is_manual_with_no_evidence():
    result = check(Requirement("education", "Graduate degree"))
    assert (result.check, result.figure, result.minimum, result.evidence) == (MANUAL, None, None, "")


def test_each_line_carries_only_its_own_rules():
    strict = line("rsc_hours", 50, exclude_peer=True)
    lenient = Requirement("rsc_about", "About providing", "rsc_hours", minimum=50, unit="hours")
    entries = [rsc(45), rsc(5, "P", peer=True)]
    first, second = evaluate([strict, lenient], Portfolio(rsc=entries), UNTIL)
    assert (first.figure, second.figure) == (45, 50)


def test_each_requirement_is_evaluated_by_its_own_rules_after_many_others_came_and_went():
    """A line is made ready once per requirement and kept by the requirement's identity: one made after another
    was dropped (and perhaps given the dropped one's address) still counts against its own minimum and topic."""
    portfolio = Portfolio(training=(TrainingEntry(12), TrainingEntry(2, topic="dei")))
    for minimum in range(1, 300):
        topic = "dei" if minimum % 3 == 0 else None
        requirement = line("training_hours", minimum, unit="hours", topic=topic)
        result = evaluate_line(requirement, portfolio, UNTIL)
        hours = 2 if topic else 14
        assert (result.minimum, result.figure, result.check) == (minimum, hours, MET if hours >= minimum else NOT_MET)
        del requirement, result
