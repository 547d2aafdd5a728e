"""The score pictures' geometry: long domain names wrap (never cut), bars are labelled with shares rather than
counts, and the narrow drawing fits a phone."""

from app.committee import charts
from app.committee.charts import NARROW, WIDE, agreement, score_distribution, wrap_label

LONG = "Law, Regulation, and Agency Policy"


def test_a_long_name_wraps_between_words_and_an_overlong_one_ends_in_an_ellipsis():
    # 190 units hold (190 - 6) / 7 = 26 characters a line.
    assert wrap_label(LONG, 190) == ("Law, Regulation, and", "Agency Policy")
    assert wrap_label("Reflection", 190) == ("Reflection",)
    overlong = "Relationship-based, culturally sensitive practice with infants and families"
    lines = wrap_label(overlong, 190)
    assert len(lines) == 2 and lines[1].endswith("…") and all(len(line) <= 26 for line in lines)


def test_a_wrapped_name_keeps_every_word_and_a_shortened_one_carries_the_full_name():
    chart = score_distribution("Scores", [(LONG, {1: 1, 2: 1})], (1, 2, 3, 4))
    names = [label for label in chart.labels if label.anchor == "end" and label.x == WIDE.label_width - 10]
    assert [label.text for label in names] == ["Law, Regulation, and", "Agency Policy"]
    assert all(label.x - len(label.text) * charts.CHAR_WIDTH >= 0 for label in names)  # nothing left of the picture
    assert names[0].title == ""  # wrapped whole: nothing hidden, so no title needed
    narrow = score_distribution("Scores", [(LONG * 2, {1: 1})], (1, 2, 3, 4), layout=NARROW)
    above = [label for label in narrow.labels if label.x == 2 and label.y > charts.TOP]
    assert above[0].text.endswith("…") and above[0].title == LONG * 2


def test_segments_are_labelled_with_their_share_of_the_scores_not_their_count():
    # 2, 3 and 5 scores at levels 1, 2 and 3: 20%, 30% and 50% of the domain's ten scores.
    chart = score_distribution("Scores", [("Reflection", {1: 2, 2: 3, 3: 5})], (1, 2, 3, 4))
    inside = [label.text for label in chart.labels if label.anchor == "middle" and label.y > charts.TOP]
    assert inside == ["20%", "30%", "50%"]
    assert [rect.title for rect in chart.rects][2] == "Reflection: 5 of 10 scores at level 3, 50%"
    assert chart.table_rows == (("Reflection", "2", "3", "5", "0", "10"),)


def test_the_narrow_drawing_puts_names_above_the_bars_and_fits_a_phone():
    chart = agreement("Agreement", [(LONG, 0.5, 0.75, 4), ("Thinking", 1.0, 1.0, 4)], layout=NARROW)
    assert chart.width == 340 and chart.layout == "narrow"
    first_bar = min(rect.y for rect in chart.rects)
    name = next(label for label in chart.labels if label.text.startswith("Law"))  # one line above the bar
    assert name.y < first_bar and name.x == 2
    assert score_distribution("S", [("A", {1: 1})], (1, 2)).width == 750
