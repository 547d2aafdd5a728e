"""Writing sheets of plain rows to an .xlsx workbook with XlsxWriter in ``constant_memory`` mode.

Each row goes to disk as soon as the next one starts, so memory stays flat
however large the cycle (docs/workbook.md). Every sheet is laid out the same
way: a bold header row, frozen and filtered; each column as wide as its
header and its values need, long text wrapped; set up to print landscape, one
page wide, the header repeated on every page and a footer naming the cycle,
the sheet and the page. User text is always written as text, never as a
formula; text that a spreadsheet would read as one keeps a quote prefix.
XlsxWriter is imported by ``write_workbook``, for an export, not with every
command (docs/development.md, "Start-up").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

# A cell starting with one of these is read as a formula (or a DDE payload) by some spreadsheet.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")
# What an .xlsx file cannot hold: C0 controls other than tab, newline and carriage return.
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMATS = {
    "percent": "0.0%",
    "decimal": "0.00",
    "ratio": "0.000",
    "datetime": 'yyyy-mm-dd hh:mm:ss "UTC"',
    "date": "yyyy-mm-dd",
}
NUMERIC_KINDS = frozenset({"number", *FORMATS})
WRAPPED_WIDTH = 60  # long text wraps at this width instead of widening the sheet
TEXT_WIDTH = 45  # the widest a column of short text (names, e-mails) grows
HEADER_PADDING = 4  # bold type and the filter button need about this much beyond the title's letters
SUMMARY_TITLE = "Summary"


@dataclass(frozen=True)
class Column:
    """A sheet column: its header, the width its values need in characters, and what its values are.

    ``kind`` is ``text`` (user text, neutralised), ``number`` (as is), or one of
    ``FORMATS`` (a number or date shown with that format). A text column is as
    wide as its longest value (``width`` is its least width), up to
    ``TEXT_WIDTH``; ``wrap`` marks long text (rationales, comments), wrapped
    within ``WRAPPED_WIDTH``.
    """

    title: str
    width: float = 14
    kind: str = "text"
    wrap: bool = False

    def fitted_width(self, longest_value: int = 0) -> float:
        """Wide enough for the whole header and the values, text capped at a readable width."""
        values = self.width
        if self.kind == "text":
            values = min(max(self.width, longest_value + 1), WRAPPED_WIDTH if self.wrap else TEXT_WIDTH)
        return max(values, len(self.title) + HEADER_PADDING)


@dataclass(frozen=True)
class Sheet:
    """A table: a header row and the rows under it; ``caution`` names the rows to show in the caution colour."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    caution: Callable[[Sequence[Any]], bool] | None = None


@dataclass(frozen=True)
class Chart:
    """A small native chart of one block's figures: ``kind`` is an XlsxWriter chart type (bar, column, pie)."""

    kind: str
    title: str
    stacked: bool = False


@dataclass(frozen=True)
class Block:
    """One table of the summary: a heading, a header, rows of a label and figures, and maybe a chart of them."""

    heading: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    chart: Chart | None = None
    formats: Sequence[str | None] = ()  # per figure column: a FORMATS key, or None for a plain number


@dataclass(frozen=True)
class Summary:
    """The board-report view: a title, a few lines of text, then blocks of figures with their charts."""

    title: str
    lines: Sequence[str]
    blocks: Sequence[Block] = field(default_factory=list)


def inert_text(value: str) -> str:
    """User text without the control characters an .xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS.sub("", value)


def write_workbook(sheets: Iterable[Sheet | Summary], out: str | IO[bytes], *, footer: str = "") -> None:
    """Write the sheets, in order, to a path or a binary file object; a ``Summary`` is the sheet it opens on.

    ``footer`` (the cycle's name) is printed at the foot of every page with the sheet's name and the page.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    styles = _Styles(workbook)
    for sheet in sheets:
        if isinstance(sheet, Summary):
            worksheet = workbook.add_worksheet(SUMMARY_TITLE)
            _write_summary(workbook, worksheet, sheet, styles)
            worksheet.activate()
        else:
            worksheet = workbook.add_worksheet(sheet.title)
            _write_table(worksheet, sheet, styles)
        _print_setup(worksheet, footer)
    workbook.close()


class _XfIndex(str):
    """A format's index as XlsxWriter keeps it, but as text that still indexes a list.

    XlsxWriter writes the index into every formatted cell's ``s`` attribute
    after passing it through a regular expression that escapes attribute
    text; an ``int`` makes that raise and catch a TypeError, about 2 µs a cell
    and a fifth of the whole export. The text form writes the same attribute.
    """

    def __index__(self) -> int:
        return int(str(self))  # str() drops the subclass: int() of the subclass would call __index__ again


class _Styles:
    """Every cell format, made once per workbook (XlsxWriter keeps one record per format)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self._by_index: dict[int, Any] = {}
        self.header = self._add({"bold": True, "bottom": 1, "bg_color": "#E8EEF4", "valign": "top"})
        self.title = self._add({"bold": True, "font_size": 14})
        self.quoted_title = self._add({"bold": True, "font_size": 14, "quote_prefix": True})
        self.heading = self._add({"bold": True, "font_size": 12})
        self._made: dict[tuple, Any] = {}

    def _add(self, properties: dict[str, Any]):
        """A new format, its index fixed now, as text; properties equal to an earlier format's give that one."""
        made = self.workbook.add_format(properties)
        index = made._get_xf_index()
        if made.xf_index is None:  # XlsxWriter gave the index of an equal earlier format and none of its own
            return self._by_index[index]
        made.xf_index = _XfIndex(index)
        self._by_index[index] = made
        return made

    def cell(self, kind: str = "text", *, wrap: bool = False, quoted: bool = False, caution: bool = False):
        key = (kind, wrap, quoted, caution)
        if key not in self._made:
            properties: dict[str, Any] = {"valign": "top"}
            if kind in FORMATS:
                properties["num_format"] = FORMATS[kind]
            if wrap:
                properties["text_wrap"] = True
            if quoted:
                properties["quote_prefix"] = True  # Excel keeps "=…" as text even when the cell is edited
            if caution:
                properties["bg_color"] = "#FFF2CC"
            self._made[key] = self._add(properties)
        return self._made[key]


def _write_table(worksheet: Worksheet, sheet: Sheet, styles: _Styles) -> None:
    columns = list(sheet.columns)
    worksheet.freeze_panes(1, 0)
    worksheet.repeat_rows(0)
    for index, column in enumerate(columns):
        worksheet.write_string(0, index, column.title, styles.header)
    writers = [_cell_writer(worksheet, column, styles, caution=False) for column in columns]
    caution_writers = (
        [_cell_writer(worksheet, column, styles, caution=True) for column in columns] if sheet.caution else writers
    )
    longest = [0] * len(columns)
    row_number = 0
    for values in sheet.rows:
        row_number += 1
        row_writers = caution_writers if sheet.caution and sheet.caution(values) else writers
        for index, value in enumerate(values):
            if value is None:
                continue
            row_writers[index](row_number, index, value)
            if value.__class__ is str and len(value) > longest[index]:
                longest[index] = len(value)
    # Widths go into the file when it is closed, so they can follow the values written.
    for index, column in enumerate(columns):
        worksheet.set_column(index, index, column.fitted_width(longest[index]))
    worksheet.autofilter(0, 0, row_number, len(columns) - 1)


def _cell_writer(
    worksheet: Worksheet, column: Column, styles: _Styles, *, caution: bool
) -> Callable[[int, int, Any], Any]:
    """The function writing one non-empty value of ``column``: its type's XlsxWriter call, its format resolved.

    It calls XlsxWriter's undecorated ``_write_*`` methods, which the public ones wrap only to accept "A1"
    references: a third of the per-cell cost of a large export, for rows and columns that are numbers already.
    """
    plain = styles.cell(column.kind, wrap=column.wrap, caution=caution)
    quoted = styles.cell(column.kind, wrap=column.wrap, quoted=True, caution=caution)
    write_string = worksheet._write_string
    if column.kind in NUMERIC_KINDS:
        write_number, write_datetime = worksheet._write_number, worksheet._write_datetime

        def write(row: int, index: int, value: Any) -> Any:
            kind = value.__class__
            if kind is int or kind is float:
                return write_number(row, index, value, plain)
            if isinstance(value, datetime | date):
                return write_datetime(row, index, _whole_seconds(value), plain)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return write_number(row, index, value, plain)
            return _write_text(write_string, row, index, str(value), plain, quoted)
    else:

        def write(row: int, index: int, value: Any) -> Any:
            return _write_text(write_string, row, index, value if value.__class__ is str else str(value), plain, quoted)

    return write


def _write_text(write_string: Callable, row: int, index: int, value: str, plain, quoted) -> Any:
    """Text a spreadsheet must show as typed: never a formula, its first character kept."""
    if not value.isprintable():
        value = inert_text(value)
    if value and value[0] in FORMULA_TRIGGERS:
        return write_string(row, index, value, quoted)
    return write_string(row, index, value, plain)


def _whole_seconds(value: date | datetime) -> date | datetime:
    """Times are shown to the second; the stored microseconds would only clutter the cell."""
    return value.replace(microsecond=0) if isinstance(value, datetime) and value.microsecond else value


def _print_setup(worksheet: Worksheet, footer: str) -> None:
    """Landscape, one page wide however many long, and a footer: the cycle, the sheet, the page."""
    worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)
    worksheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    cycle = footer.replace("&", "&&")  # & starts a control code in Excel's header and footer language
    worksheet.set_footer(f"&L{cycle}&C&A&RPage &P of &N")


# --- the summary ----------------------------------------------------------------------------------


def _write_summary(workbook: xlsxwriter.Workbook, worksheet: Worksheet, summary: Summary, styles: _Styles) -> None:
    labels = [len(str(values[0])) for block in summary.blocks for values in block.rows]
    worksheet.set_column(0, 0, min(max([24, *labels]) + 2, WRAPPED_WIDTH))
    figure_titles = [len(title) for block in summary.blocks for title in block.header[1:]]
    worksheet.set_column(
        1, max((len(block.header) for block in summary.blocks), default=2) - 1, max([10, *figure_titles]) + 2
    )
    plain, quoted = styles.cell(), styles.cell(quoted=True)
    _write_text(worksheet.write_string, 0, 0, summary.title, styles.title, styles.quoted_title)
    row = 1
    for line in summary.lines:
        _write_text(worksheet.write_string, row, 0, line, plain, quoted)
        row += 1
    for block in summary.blocks:
        row += 1
        worksheet.write_string(row, 0, block.heading, styles.heading)
        header_row = row + 1
        for index, title in enumerate(block.header):
            worksheet.write_string(header_row, index, title, styles.header)
        for offset, values in enumerate(block.rows, start=1):
            _write_text(worksheet.write_string, header_row + offset, 0, str(values[0]), plain, quoted)
            for index, value in enumerate(values[1:], start=1):
                if value is None:
                    continue
                kind = block.formats[index - 1] if index - 1 < len(block.formats) else None
                worksheet.write_number(header_row + offset, index, value, styles.cell(kind or "number"))
        last_row = header_row + len(block.rows)
        if block.chart is not None and block.rows:
            chart, height_rows = _chart(workbook, block, block.chart, header_row, last_row)
            worksheet.insert_chart(header_row, len(block.header) + 1, chart)
            last_row = max(last_row, header_row + height_rows)
        row = last_row + 1


def _chart(workbook: xlsxwriter.Workbook, block: Block, spec: Chart, header_row: int, last_row: int):
    """The block's chart, sized so that every category keeps its label; and how many rows it covers."""
    options = {"type": spec.kind}
    if spec.stacked:
        options["subtype"] = "stacked"
    chart = workbook.add_chart(options)
    for index in range(1, len(block.header)):
        series: dict[str, Any] = {
            "name": [SUMMARY_TITLE, header_row, index],
            "categories": [SUMMARY_TITLE, header_row + 1, 0, last_row, 0],
            "values": [SUMMARY_TITLE, header_row + 1, index, last_row, index],
        }
        if spec.kind in ("pie", "bar"):
            series["data_labels"] = {"value": True}
        chart.add_series(series)
    chart.set_title({"name": spec.title, "name_font": {"size": 11}})
    if spec.kind == "bar":
        chart.set_y_axis({"reverse": True})  # categories top to bottom, in the table's order
    if spec.kind != "pie":
        chart.set_legend({"position": "bottom"} if len(block.header) > 2 else {"none": True})
    categories = last_row - header_row
    height = 300 if spec.kind != "bar" else max(220, 22 * categories + 70)
    chart.set_size({"width": 440, "height": height})
    return chart, height // 20 + 1
