"""Bar-chart geometry for server-rendered SVG: plain numbers in, shapes and labels out.

No Flask, no database: the committee board and the coordinator console feed
counts in and render the result with ``committee/_chart.html``. Colours are
SVG presentation attributes (the CSP forbids inline styles); every bar carries
its number in a ``<title>`` and every chart comes with a table of the same
numbers, so nothing is told by colour alone.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Light to dark blue for the scale levels; dark segments get white labels.
LEVEL_FILLS = ("#dbe8f3", "#a9c8e2", "#6b9fcb", "#35709f", "#1d4f78", "#0f3351")
LIGHT_TEXT_FROM = 3          # index in LEVEL_FILLS from which labels are white
EXACT_FILL, ADJACENT_FILL = "#1d5c8c", "#9cc0de"
INK, MUTED, GRID = "#1f2933", "#52606d", "#d9dde2"

LABEL_WIDTH = 200            # room for a domain name on the left
BAR_WIDTH = 460
NOTE_WIDTH = 90              # room for "n = 120" or "100%" on the right
ROW_HEIGHT = 26
ROW_GAP = 12
TOP = 28                     # room for the axis labels
CHAR_WIDTH = 7.0             # rough width of one character at 13 px, to decide whether a label fits


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str               # the number this bar stands for, in words


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"    # start | middle | end
    fill: str = INK
    size: int = 13


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    title: str
    description: str
    rects: tuple[Rect, ...]
    labels: tuple[Label, ...]
    lines: tuple[Line, ...]
    legend: tuple[tuple[str, str], ...]     # (fill, what it means)
    table_headers: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]


def _fits(text: str, width: float) -> bool:
    return len(text) * CHAR_WIDTH + 6 <= width


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def level_fill(index: int) -> str:
    return LEVEL_FILLS[min(index, len(LEVEL_FILLS) - 1)]


def score_distribution(title: str, domains: Sequence[tuple[str, Mapping[int, int]]], scale: Sequence[int],
                       labels: Mapping[int, str] | None = None) -> Chart:
    """One bar per domain, split into the share of scores at each level of the scale (stacked to 100%).

    ``domains`` holds ``(domain name, {level: count})``. A domain without scores
    gets an empty track and "no scores".
    """
    labels = labels or {}
    levels = list(scale)
    rects, texts, lines = [], [], []
    rows = []
    for position in (0, 0.5, 1):
        x = LABEL_WIDTH + position * BAR_WIDTH
        lines.append(Line(x, TOP - 6, x, TOP + len(domains) * (ROW_HEIGHT + ROW_GAP) - ROW_GAP))
        texts.append(Label(x, TOP - 10, _percent(position), "middle", MUTED, 12))
    for row, (name, counts) in enumerate(domains):
        y = TOP + row * (ROW_HEIGHT + ROW_GAP)
        total = sum(counts.get(level, 0) for level in levels)
        texts.append(Label(LABEL_WIDTH - 10, y + ROW_HEIGHT / 2 + 4, name, "end"))
        x = float(LABEL_WIDTH)
        for index, level in enumerate(levels):
            count = counts.get(level, 0)
            if not total or not count:
                continue
            width = count / total * BAR_WIDTH
            level_name = f"{level} ({labels[level]})" if level in labels else str(level)
            rects.append(Rect(x, y, width, ROW_HEIGHT, level_fill(index),
                              f"{name}: {count} of {total} scores at level {level_name}, {_percent(count / total)}"))
            if _fits(str(count), width):
                texts.append(Label(x + width / 2, y + ROW_HEIGHT / 2 + 4, str(count), "middle",
                                   "#ffffff" if index >= LIGHT_TEXT_FROM else INK, 12))
            x += width
        if not total:
            rects.append(Rect(LABEL_WIDTH, y, BAR_WIDTH, ROW_HEIGHT, "#f1f3f5", f"{name}: no scores yet"))
        texts.append(Label(LABEL_WIDTH + BAR_WIDTH + 10, y + ROW_HEIGHT / 2 + 4,
                           f"n = {total}" if total else "no scores", "start", MUTED, 12))
        rows.append((name, *(str(counts.get(level, 0)) for level in levels), str(total)))
    height = TOP + len(domains) * (ROW_HEIGHT + ROW_GAP) - ROW_GAP + 8
    legend = tuple((level_fill(i), f"{level}" + (f" · {labels[level]}" if level in labels else ""))
                   for i, level in enumerate(levels))
    description = ("Share of submitted scores at each level of the scale, one bar per domain: "
                   + "; ".join(f"{row[0]}: " + ", ".join(f"level {level} {count}" for level, count
                                                         in zip(levels, row[1:-1])) for row in rows) + ".")
    headers = ("Domain", *(f"{level}" + (f" {labels[level]}" if level in labels else "") for level in levels),
               "Scores")
    return Chart(LABEL_WIDTH + BAR_WIDTH + NOTE_WIDTH, height, title, description, tuple(rects), tuple(texts),
                 tuple(lines), legend, headers, tuple(rows))


def agreement(title: str, domains: Sequence[tuple[str, float | None, float | None, int]]) -> Chart:
    """Two bars per domain: exact agreement and agreement within one point, from 0 to 100%.

    ``domains`` holds ``(domain name, exact share, adjacent share, paired items)``;
    a share of None (no paired reads yet) is drawn as "no pairs".
    """
    bar = ROW_HEIGHT / 2 - 1
    group = ROW_HEIGHT + ROW_GAP
    rects, texts, lines, rows = [], [], [], []
    for position in (0, 0.25, 0.5, 0.75, 1):
        x = LABEL_WIDTH + position * BAR_WIDTH
        lines.append(Line(x, TOP - 6, x, TOP + len(domains) * group - ROW_GAP))
        texts.append(Label(x, TOP - 10, _percent(position), "middle", MUTED, 12))
    for row, (name, exact, adjacent, pairs) in enumerate(domains):
        y = TOP + row * group
        texts.append(Label(LABEL_WIDTH - 10, y + ROW_HEIGHT / 2 + 4, name, "end"))
        if exact is None or adjacent is None:
            texts.append(Label(LABEL_WIDTH + 6, y + ROW_HEIGHT / 2 + 4, "no pairs of reads yet", "start", MUTED, 12))
            rows.append((name, "–", "–", str(pairs)))
            continue
        for offset, share, fill, what in ((0, exact, EXACT_FILL, "exact agreement"),
                                          (bar + 2, adjacent, ADJACENT_FILL, "within one point")):
            width = share * BAR_WIDTH
            rects.append(Rect(LABEL_WIDTH, y + offset, width, bar, fill,
                              f"{name}: {what} {_percent(share)} of {pairs} paired items"))
            texts.append(Label(LABEL_WIDTH + width + 6, y + offset + bar - 2, _percent(share), "start", INK, 11))
        rows.append((name, _percent(exact), _percent(adjacent), str(pairs)))
    height = TOP + len(domains) * group - ROW_GAP + 8
    description = ("Agreement between reads 1 and 2 per domain: "
                   + "; ".join(f"{name} exact {e}, within one point {a}, {n} items" for name, e, a, n in rows) + ".")
    return Chart(LABEL_WIDTH + BAR_WIDTH + NOTE_WIDTH, height, title, description, tuple(rects), tuple(texts),
                 tuple(lines), ((EXACT_FILL, "Exact agreement"), (ADJACENT_FILL, "Within one point")),
                 ("Domain", "Exact", "Within one point", "Paired items"), tuple(rows))


def rubric_pictures(figures) -> tuple[Chart, Chart]:
    """The two pictures of one rubric's figures (``service.RubricFigures``): scores per domain, and agreement."""
    return (score_distribution(f"Scores per domain · {figures.title}",
                               [(d.name, d.distribution) for d in figures.domains], figures.scale, figures.labels),
            agreement(f"Agreement per domain · {figures.title}",
                      [(d.name, d.exact, d.adjacent, d.pairs) for d in figures.domains]))


SPARK_BAR, SPARK_GAP, SPARK_HEIGHT = 10, 3, 24
BELOW_FILL, ABOVE_FILL = "#b42318", "#1d5c8c"


def sparkline(title: str, windows: Sequence[tuple[str, float | None]], threshold: float | None) -> Chart:
    """A small bar per window of reads (its share, 0 to 100%, e.g. adjacent agreement), red below ``threshold``,
    with the threshold as a line: a reviewer's drift in one table cell. Each bar's title says its window and
    share; the table beside it carries the overall numbers."""
    rects, lines = [], []
    width = max(len(windows), 1) * (SPARK_BAR + SPARK_GAP) + SPARK_GAP
    for index, (label, share) in enumerate(windows):
        x = SPARK_GAP + index * (SPARK_BAR + SPARK_GAP)
        if share is None:
            rects.append(Rect(x, SPARK_HEIGHT - 2, SPARK_BAR, 2, GRID, f"{label}: no scores"))
            continue
        height = max(share * SPARK_HEIGHT, 1.5)
        below = threshold is not None and share < threshold
        rects.append(Rect(x, SPARK_HEIGHT - height, SPARK_BAR, height, BELOW_FILL if below else ABOVE_FILL,
                          f"{label}: {_percent(share)}" + (f", below {_percent(threshold)}" if below and threshold
                                                          is not None else "")))
    if threshold is not None:
        y = SPARK_HEIGHT - threshold * SPARK_HEIGHT
        lines.append(Line(0, y, width, y, MUTED))
    description = "; ".join(f"{label}: {'no scores' if share is None else _percent(share)}" for label, share in windows)
    return Chart(width, SPARK_HEIGHT, title, description or "no reads yet", tuple(rects), (), tuple(lines), (), (),
                 ())
