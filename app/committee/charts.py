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
LIGHT_TEXT_FROM = 3  # index in LEVEL_FILLS from which labels are white
EXACT_FILL, ADJACENT_FILL = "#1d5c8c", "#9cc0de"
INK, MUTED, GRID = "#1f2933", "#52606d", "#d9dde2"

ROW_HEIGHT = 26
ROW_GAP = 12
TOP = 28  # room for the axis labels
CHAR_WIDTH = 7.0  # rough width of one character at 13 px, to decide whether a label fits
LINE_HEIGHT = 14  # between the two lines of a wrapped domain name


@dataclass(frozen=True)
class Layout:
    """Where a chart puts its parts. ``wide`` has each domain's name left of its bar (wrapped onto two lines when
    long); ``narrow``, for a phone, puts the name above the bar so the picture is narrow enough to be drawn
    near its own size, and its text stays legible (at 390 px the wide one shrank its text to ~5 px)."""

    name: str
    label_width: float  # room for a domain name left of the bar (0: the name goes above it)
    bar_width: float
    note_width: float  # room for "n = 120" or "100%" right of the bar
    name_height: float  # room above each bar for its name (narrow)

    @property
    def width(self) -> float:
        return self.label_width + self.bar_width + self.note_width

    def row_top(self, row: int) -> float:
        return TOP + self.name_height + row * (ROW_HEIGHT + ROW_GAP + self.name_height)

    def bottom(self, rows: int) -> float:
        return self.row_top(rows) - ROW_GAP - self.name_height


WIDE = Layout("wide", label_width=200, bar_width=460, note_width=90, name_height=0)
NARROW = Layout("narrow", label_width=0, bar_width=270, note_width=70, name_height=18)
LAYOUTS = (WIDE, NARROW)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str  # the number this bar stands for, in words


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"  # start | middle | end
    fill: str = INK
    size: int = 13
    title: str = ""  # the full text, when ``text`` is shortened


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
    legend: tuple[tuple[str, str], ...]  # (fill, what it means)
    table_headers: tuple[str, ...]
    table_rows: tuple[tuple[str, ...], ...]
    layout: str = "wide"


def _fits(text: str, width: float) -> bool:
    return len(text) * CHAR_WIDTH + 6 <= width


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def level_fill(index: int) -> str:
    return LEVEL_FILLS[min(index, len(LEVEL_FILLS) - 1)]


def _axis_anchor(position: float, left: float) -> str:
    """An axis label centred on its line, except at an edge of a picture without a name column (narrow), where
    centring would cut it in half."""
    if not left and position in (0, 1):
        return "start" if position == 0 else "end"
    return "middle"


def wrap_label(text: str, width: float, lines: int = 2) -> tuple[str, ...]:
    """A domain name in at most ``lines`` lines of ``width``, broken between words; the last line ends in "…"
    when the name is longer still (the whole name then goes into the label's title)."""
    room = max(int((width - 6) / CHAR_WIDTH), 4)
    words, out, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= room or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines or any(len(line) > room for line in out):
        kept = out[:lines]
        last = " ".join(out[lines - 1 :])
        kept[-1] = (last[: room - 1].rstrip(" ,") + "…") if len(last) > room else last
        return tuple(kept)
    return tuple(out)


def _domain_name(layout: Layout, row_y: float, name: str) -> list[Label]:
    """A domain's name: left of its bar, vertically centred on one or two lines (wide); or above it (narrow)."""
    if layout.label_width == 0:
        shown = wrap_label(name, layout.width, lines=1)[0]
        return [Label(2, row_y - 5, shown, "start", INK, 13, name if shown != name else "")]
    lines = wrap_label(name, layout.label_width - 10)
    full = name if " ".join(lines) != name else ""
    middle = row_y + ROW_HEIGHT / 2 + 4
    first = middle - (len(lines) - 1) * LINE_HEIGHT / 2
    return [
        Label(layout.label_width - 10, first + i * LINE_HEIGHT, line, "end", INK, 13 if len(lines) == 1 else 12, full)
        for i, line in enumerate(lines)
    ]


def score_distribution(
    title: str,
    domains: Sequence[tuple[str, Mapping[int, int]]],
    scale: Sequence[int],
    labels: Mapping[int, str] | None = None,
    layout: Layout = WIDE,
) -> Chart:
    """One bar per domain, split into the share of scores at each level of the scale (stacked to 100%).

    ``domains`` holds ``(domain name, {level: count})``. A domain without scores
    gets an empty track and "no scores". A segment wide enough is labelled with
    its share ("40%"), never with its count, which would read like a score; the
    counts are in each segment's title and in the table under the chart.
    """
    labels = labels or {}
    levels = list(scale)
    rects, texts, lines = [], [], []
    rows = []
    left, bar_width = layout.label_width, layout.bar_width
    for position in (0, 0.5, 1):
        x = left + position * bar_width
        lines.append(Line(x, TOP - 6, x, layout.bottom(len(domains))))
        texts.append(Label(x, TOP - 10, _percent(position), _axis_anchor(position, left), MUTED, 12))
    for row, (name, counts) in enumerate(domains):
        y = layout.row_top(row)
        total = sum(counts.get(level, 0) for level in levels)
        texts += _domain_name(layout, y, name)
        x = float(left)
        for index, level in enumerate(levels):
            count = counts.get(level, 0)
            if not total or not count:
                continue
            width = count / total * bar_width
            level_name = f"{level} ({labels[level]})" if level in labels else str(level)
            rects.append(
                Rect(
                    x,
                    y,
                    width,
                    ROW_HEIGHT,
                    level_fill(index),
                    f"{name}: {count} of {total} scores at level {level_name}, {_percent(count / total)}",
                )
            )
            share = _percent(count / total)
            if _fits(share, width):
                texts.append(
                    Label(
                        x + width / 2,
                        y + ROW_HEIGHT / 2 + 4,
                        share,
                        "middle",
                        "#ffffff" if index >= LIGHT_TEXT_FROM else INK,
                        12,
                    )
                )
            x += width
        if not total:
            rects.append(Rect(left, y, bar_width, ROW_HEIGHT, "#f1f3f5", f"{name}: no scores yet"))
        texts.append(
            Label(
                left + bar_width + 8,
                y + ROW_HEIGHT / 2 + 4,
                f"n = {total}" if total else "no scores",
                "start",
                MUTED,
                12,
            )
        )
        rows.append((name, *(str(counts.get(level, 0)) for level in levels), str(total)))
    height = layout.bottom(len(domains)) + 8
    legend = tuple(
        (level_fill(i), f"{level}" + (f" · {labels[level]}" if level in labels else ""))
        for i, level in enumerate(levels)
    )
    description = (
        "Share of submitted scores at each level of the scale, one bar per domain: "
        + "; ".join(
            f"{row[0]}: " + ", ".join(f"level {level} {count}" for level, count in zip(levels, row[1:-1], strict=True))
            for row in rows
        )
        + "."
    )
    headers = ("Domain", *(f"{level}" + (f" {labels[level]}" if level in labels else "") for level in levels), "Scores")
    return Chart(
        layout.width,
        height,
        title,
        description,
        tuple(rects),
        tuple(texts),
        tuple(lines),
        legend,
        headers,
        tuple(rows),
        layout.name,
    )


def agreement(
    title: str, domains: Sequence[tuple[str, float | None, float | None, int]], layout: Layout = WIDE
) -> Chart:
    """Two bars per domain: exact agreement and agreement within one point, from 0 to 100%.

    ``domains`` holds ``(domain name, exact share, adjacent share, paired items)``;
    a share of None (no paired reads yet) is drawn as "no pairs".
    """
    bar = ROW_HEIGHT / 2 - 1
    rects, texts, lines, rows = [], [], [], []
    left, bar_width = layout.label_width, layout.bar_width
    for position in (0, 0.25, 0.5, 0.75, 1):
        x = left + position * bar_width
        lines.append(Line(x, TOP - 6, x, layout.bottom(len(domains))))
        texts.append(Label(x, TOP - 10, _percent(position), _axis_anchor(position, left), MUTED, 12))
    for row, (name, exact, adjacent, pairs) in enumerate(domains):
        y = layout.row_top(row)
        texts += _domain_name(layout, y, name)
        if exact is None or adjacent is None:
            texts.append(Label(left + 6, y + ROW_HEIGHT / 2 + 4, "no pairs of reads yet", "start", MUTED, 12))
            rows.append((name, "–", "–", str(pairs)))
            continue
        for offset, share, fill, what in (
            (0, exact, EXACT_FILL, "exact agreement"),
            (bar + 2, adjacent, ADJACENT_FILL, "within one point"),
        ):
            width = share * bar_width
            rects.append(
                Rect(left, y + offset, width, bar, fill, f"{name}: {what} {_percent(share)} of {pairs} paired items")
            )
            texts.append(Label(left + width + 6, y + offset + bar - 2, _percent(share), "start", INK, 11))
        rows.append((name, _percent(exact), _percent(adjacent), str(pairs)))
    height = layout.bottom(len(domains)) + 8
    description = (
        "Agreement between reads 1 and 2 per domain: "
        + "; ".join(f"{name} exact {e}, within one point {a}, {n} items" for name, e, a, n in rows)
        + "."
    )
    return Chart(
        layout.width,
        height,
        title,
        description,
        tuple(rects),
        tuple(texts),
        tuple(lines),
        ((EXACT_FILL, "Exact agreement"), (ADJACENT_FILL, "Within one point")),
        ("Domain", "Exact", "Within one point", "Paired items"),
        tuple(rows),
        layout.name,
    )


# One picture drawn twice: (wide, narrow).
Picture = tuple[Chart, Chart]


def rubric_pictures(figures) -> tuple[Picture, Picture]:
    """The two pictures of one rubric's figures (``service.RubricFigures``), scores per domain and agreement,
    each drawn in both layouts (wide, narrow): the page shows the one that fits the window."""

    def distribution(layout: Layout) -> Chart:
        return score_distribution(
            f"Scores per domain · {figures.title}",
            [(d.name, d.distribution) for d in figures.domains],
            figures.scale,
            figures.labels,
            layout,
        )

    def agreeing(layout: Layout) -> Chart:
        return agreement(
            f"Agreement per domain · {figures.title}",
            [(d.name, d.exact, d.adjacent, d.pairs) for d in figures.domains],
            layout,
        )

    return (distribution(WIDE), distribution(NARROW)), (agreeing(WIDE), agreeing(NARROW))


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
        rects.append(
            Rect(
                x,
                SPARK_HEIGHT - height,
                SPARK_BAR,
                height,
                BELOW_FILL if below else ABOVE_FILL,
                f"{label}: {_percent(share)}"
                + (f", below {_percent(threshold)}" if below and threshold is not None else ""),
            )
        )
    if threshold is not None:
        y = SPARK_HEIGHT - threshold * SPARK_HEIGHT
        lines.append(Line(0, y, width, y, MUTED))
    description = "; ".join(f"{label}: {'no scores' if share is None else _percent(share)}" for label, share in windows)
    return Chart(width, SPARK_HEIGHT, title, description or "no reads yet", tuple(rects), (), tuple(lines), (), (), ())
