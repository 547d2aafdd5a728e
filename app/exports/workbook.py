"""Writing sheets of plain rows to an .xlsx workbook in openpyxl's write-only mode.

Write-only mode streams rows to disk, so memory stays flat however large the
cycle. Only cells that need it become styled ``WriteOnlyCell`` objects: the
header, numbers with a display format, and user text that a spreadsheet
would otherwise read as a formula.
"""
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A cell starting with one of these is read as a formula (or a DDE payload) by some spreadsheet.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")
FORMATS = {
    "percent": "0.0%",
    "decimal": "0.00",
    "ratio": "0.000",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "date": "yyyy-mm-dd",
}
HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class Column:
    """A sheet column: its header, width in characters, and what its values are.

    ``kind`` is ``text`` (user text, neutralised), ``number`` (as is), or one of
    ``FORMATS`` (a number or date shown with that format).
    """
    title: str
    width: float = 14
    kind: str = "text"


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def inert_text(value: str) -> str:
    """User text without the control characters an .xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def write_workbook(sheets: Iterable[Sheet], out: str | IO[bytes]) -> None:
    """Write the sheets, in order, to a path or a binary file object."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    workbook.save(out)


def _write_sheet(workbook: Workbook, sheet: Sheet) -> None:
    ws = workbook.create_sheet(sheet.title)
    # Write-only sheets need the panes and widths before the first row is written.
    ws.freeze_panes = "A2"
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, column.title)
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    convert = _row_converter(ws, sheet.columns)
    last_row = 1
    for values in sheet.rows:
        ws.append(convert(values))
        last_row += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{last_row}"


def _row_converter(ws, columns: Sequence[Column]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function turning one row of plain values into what ``ws.append`` writes.

    Kept to a couple of checks per cell: exports are benchmarked against bare
    openpyxl writing the same values.
    """
    text_columns = [i for i, column in enumerate(columns) if column.kind == "text"]
    formatted = [(i, _format_style(ws, FORMATS[column.kind])) for i, column in enumerate(columns)
                 if column.kind in FORMATS]
    triggers = FORMULA_TRIGGERS

    def convert(values: Sequence[Any]) -> list[Any]:
        row = list(values)
        for i in text_columns:
            value = row[i]
            if value.__class__ is str and value and (value[0] in triggers or not value.isprintable()):
                row[i] = _text_cell(ws, value)
        for i, style in formatted:
            value = row[i]
            if value is not None:
                row[i] = Cell(ws, 1, 1, _whole_seconds(value), style_array=style)
        return row

    return convert


def _format_style(ws, number_format: str):
    """The style of a cell showing ``number_format``, resolved once per column instead of once per cell."""
    template = WriteOnlyCell(ws)
    template.number_format = number_format
    return template._style


def _text_cell(ws, value: str) -> Any:
    """Text a spreadsheet must show as typed: never a formula, its first character kept."""
    value = inert_text(value)
    if not value or value[0] not in FORMULA_TRIGGERS:
        return value
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"       # openpyxl would otherwise store "=…" as a formula
    cell.quotePrefix = True    # and Excel keeps it text when the cell is edited
    return cell


def _whole_seconds(value: Any) -> Any:
    """Times are shown to the second; the stored microseconds would only clutter the cell."""
    return value.replace(microsecond=0) if isinstance(value, datetime) else value
