"""Turning an untrusted upload into a header and rows (docs/security.md, requirements 15–17;
docs/imports.md).

The type is decided by the bytes, never by the uploaded name, and the name is
only ever used in messages. A workbook is checked from its zip directory
(size, entry count, total uncompressed size), then part by part (no DTD, the
first sheet's area within the row and cell limits, see ``workbook_guard``)
before calamine parses it; calamine never expands entities either.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import compress, islice
from pathlib import Path
from typing import Any

import python_calamine

from app.imports.workbook_guard import (
    Extent,
    UnsafeWorkbook,
    WorkbookParts,
    check_part,
    column_letters,
    is_worksheet,
    sheet_extent,
)

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 .xls (and other Office binaries)
UTF8_BOM = codecs.BOM_UTF8
CHUNK_ROWS = 4_096  # rows taken from calamine or csv at a time and turned into columns
INFLATE_STEP = 1 << 20  # bytes of a part inflated at a time into its one buffer


def no_percent_cells(column: int) -> frozenset[int]:
    return frozenset()


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class ImportLimits:
    """Bounds on an untrusted spreadsheet, checked before and while it is parsed."""

    max_bytes: int
    max_zip_entries: int
    max_uncompressed: int
    max_cells: int
    max_rows: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ImportLimits":
        return cls(
            max_bytes=config["IMPORT_MAX_BYTES"],
            max_zip_entries=config["IMPORT_MAX_ZIP_ENTRIES"],
            max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED"],
            max_cells=config["IMPORT_MAX_CELLS"],
            max_rows=config["IMPORT_MAX_ROWS"],
        )


@dataclass(frozen=True)
class Table:
    """A header and the data rows under it, column by column.

    ``columns[i][k]`` is the cell under header position ``i`` in the data row
    numbered ``numbers[k]`` (its spreadsheet row number); a row shorter than
    the widest (a ragged CSV) has None there. A column holds each distinct
    value once, however many rows repeat it (``Cells``).
    """

    file_format: str  # "xlsx" | "csv"
    header_row: int
    header: tuple[Any, ...]  # one cell per column
    numbers: Sequence[int]
    columns: list[list[Any]]
    # Column index (0-based) → the row numbers whose cell there is formatted as a percentage (xlsx only).
    percent_cells: Callable[[int], frozenset[int]] = no_percent_cells


def read_upload(source: bytes | Path, filename: str, limits: ImportLimits) -> Table:
    """Read an upload (its bytes, or a path to them) declared as ``filename``.

    Raises ImportFileError naming ``filename`` when the file is empty, too big,
    of the wrong type, corrupt, malicious or over a limit.
    """
    data = _load_bytes(source, filename, limits)
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data, filename, limits)
    _refuse_non_text(data, filename)
    return read_csv(data, filename, limits)


def _load_bytes(source: bytes | Path, filename: str, limits: ImportLimits) -> bytes:
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > limits.max_bytes:
        raise ImportFileError(f"{filename}: file is {size:,} bytes, more than the limit of {limits.max_bytes:,}")
    data = source.read_bytes() if isinstance(source, Path) else bytes(source)
    if len(data) > limits.max_bytes:  # the file grew between stat and read
        raise ImportFileError(f"{filename}: file is more than the limit of {limits.max_bytes:,} bytes")
    if not data.strip(b" \t\r\n" + UTF8_BOM):
        raise ImportFileError(f"{filename}: file is empty")
    return data


def _refuse_non_text(data: bytes, filename: str) -> None:
    """Anything that is not a zip workbook must be CSV text; say clearly what it is instead."""
    head = data[:1024].lstrip(UTF8_BOM + b" \t\r\n").lower()
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(
            f"{filename}: is an old-format Excel (.xls) or other Office binary file; save it as .xlsx or .csv"
        )
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<table", b"<!--")):
        raise ImportFileError(f"{filename}: is an HTML or XML document, not a spreadsheet (save it as .xlsx or .csv)")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            f"{filename}: is named like an Excel workbook but is not one (an .xlsx file is a zip archive)"
        )


def read_csv(data: bytes, filename: str, limits: ImportLimits) -> Table:
    """UTF-8 CSV (with or without BOM); the first record is the header."""
    text = _decode_utf8(data, filename)
    nul = text.find("\x00")
    if nul >= 0:
        raise ImportFileError(
            f"{filename}: line {text.count(chr(10), 0, nul) + 1}: contains a NUL byte "
            "(a binary file, or text saved as UTF-16?)"
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    return _collect("csv", _records(reader, filename, lambda: reader.line_num), filename, limits)


def _decode_utf8(data: bytes, filename: str) -> str:
    body = data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        line = data.count(b"\n", 0, offset) + 1
        raise ImportFileError(
            f"{filename}: is not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset} "
            f"(line {line}); save the CSV as 'CSV UTF-8'"
        ) from None


def _records(reader: Iterable[list[str]], filename: str, line_of) -> Iterator[list[str]]:
    """CSV records; each is one row as a spreadsheet shows them (a quoted newline stays in one row)."""
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFileError(f"{filename}: line {line_of()}: is not valid CSV ({exc})") from None


def read_xlsx(data: bytes, filename: str, limits: ImportLimits) -> Table:
    """The first worksheet of a workbook, after checking the archive, its XML and the sheet's area."""
    archive = _open_checked_archive(data, filename, limits)
    cells = _first_sheet_cells(data, filename)
    _refuse_nul_characters(cells, filename)
    if cells.height > limits.max_rows + 1:
        raise _too_many_rows(filename, limits)
    if cells.count > limits.max_cells:
        raise _too_many_cells(filename, limits)
    table = _table("xlsx", cells, filename)
    return replace(table, percent_cells=WorkbookParts.of(archive).percent_cells)


def _first_sheet_cells(data: bytes, filename: str) -> "Cells":
    """The first sheet's cells from A1, taken from calamine a chunk of rows at a time.

    calamine builds the whole sheet's grid before it gives the first row; that
    grid is gone when this returns, so it and the Python values are never both
    held whole (docs/imports.md, "Memory").
    """
    cells = Cells()
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            if not workbook.sheet_names:
                raise ImportFileError(f"{filename}: the workbook has no worksheet")
            sheet = workbook.get_sheet_by_index(0)
            rows = sheet.iter_rows()
            while chunk := list(islice(rows, CHUNK_ROWS)):
                cells.extend(chunk)
            # The rows start at row 1 but at the sheet's first used column: from A1, a row's place in the list is
            # its row number and a cell's place its column, as in a grid read with skip_empty_area=False.
            if sheet.start is not None:
                cells.indent(sheet.start[1], "")
    except ImportFileError:
        raise
    except BaseException as exc:  # calamine's errors (XmlError, ZipError, …) and a Rust panic, not an interrupt
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise ImportFileError(f"{filename}: is not a readable Excel workbook ({_describe(exc)})") from None
    return cells


def _open_checked_archive(data: bytes, filename: str, limits: ImportLimits) -> zipfile.ZipFile:
    """The archive, once its directory, every part's XML and the first sheet's area are within bounds.

    zipfile stops inflating an entry at its declared size and then fails the
    CRC check, so a directory that understates sizes cannot smuggle a bomb.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ImportFileError(
            f"{filename}: is a damaged or truncated zip archive, not a readable workbook ({_describe(exc)})"
        ) from None
    if len(entries) > limits.max_zip_entries:
        raise ImportFileError(
            f"{filename}: the workbook archive has {len(entries):,} entries, more than "
            f"the limit of {limits.max_zip_entries:,}"
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed:
        raise ImportFileError(
            f"{filename}: the workbook would unpack to {total:,} bytes, more than the "
            f"limit of {limits.max_uncompressed:,} (a zip bomb?)"
        )
    if "[Content_Types].xml" not in {entry.filename for entry in entries}:
        raise ImportFileError(f"{filename}: is a zip archive but not an Excel workbook (no [Content_Types].xml)")
    for entry in entries:
        try:
            content = _inflated(archive, entry)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise ImportFileError(
                f"{filename}: is a damaged or truncated zip archive, not a readable workbook ({_describe(exc)})"
            ) from None
        try:
            check_part(entry.filename, content)
        except UnsafeWorkbook as exc:
            raise ImportFileError(f"{filename}: {exc}") from None
        if is_worksheet(content):
            _check_extent(sheet_extent(content, limits.max_rows + 1, limits.max_cells), filename, limits)
    return archive


def _inflated(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytearray:
    """An entry's content, inflated a step at a time into one buffer of its declared size.

    ``ZipFile.read`` inflates a part in one call, and zlib joins its output
    blocks at the end: two copies of the sheet at once (92 MB for the 46 MB
    sheet of a 144,000-row scores file). Stepwise, ``zipfile`` still stops at
    the declared size and checks the CRC once the entry ends.
    """
    content = bytearray(entry.file_size)
    filled = 0
    with archive.open(entry) as stream:
        while filled < len(content) and (step := stream.read(INFLATE_STEP)):
            content[filled : filled + len(step)] = step
            filled += len(step)
    del content[filled:]  # an entry shorter than declared (its CRC was checked at its end)
    return content


def _check_extent(extent: Extent, filename: str, limits: ImportLimits) -> None:
    """The whole area is built in memory at once, so it is held to the limits before it exists."""
    reach = f"cells reach row {extent.rows:,} and column {column_letters(extent.columns)}"
    if extent.rows > limits.max_rows + 1:
        raise ImportFileError(
            f"{filename}: has more than {limits.max_rows:,} rows (the limit): {reach}; delete "
            "what lies beyond your data and save again"
        )
    if extent.cells > limits.max_cells:
        raise ImportFileError(
            f"{filename}: has more than {limits.max_cells:,} cells (the limit): {reach}; "
            "delete what lies beyond your data and save again"
        )


def _refuse_nul_characters(cells: "Cells", filename: str) -> None:
    # One search over the distinct texts; the cell is looked for only when there is one.
    if not cells.hold("\x00"):
        return
    for row in range(cells.height):
        for column, values in enumerate(cells.columns, start=1):
            value = values[row]
            if value.__class__ is str and "\x00" in value:
                raise ImportFileError(
                    f"{filename}: row {row + 1}, column {column_letters(column)}: contains a NUL character"
                )


class Cells:
    """A sheet's cells column by column (``columns[i][k]``: row ``k``, column ``i``, 0-based), filled a chunk of
    rows at a time.

    calamine and csv give every cell an object of its own (216,000 strings for
    a 36,000-row scores file, most of them repeats); a column keeps the first
    object of each distinct value and shares it. Numbers are matched with their
    type: ``True``, ``1`` and ``1.0`` are equal in Python but not the same cell.
    A row shorter than the others has None in the columns it lacks.
    """

    def __init__(self) -> None:
        self.columns: list[list[Any]] = []
        self.height = 0
        self.count = 0  # cells, as the rows gave them
        self._distinct: list[dict[Any, Any]] = []

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        lengths = list(map(len, rows))
        for _ in range(max(lengths) - len(self.columns)):
            self.columns.append([None] * self.height)
            self._distinct.append({})
        if min(lengths) < len(self.columns):
            padding = (None,) * len(self.columns)
            rows = [(*row, *padding[len(row) :]) for row in rows]
        for column, distinct, values in zip(self.columns, self._distinct, zip(*rows, strict=True), strict=True):
            column.extend(_shared(values, distinct))
        self.height += len(rows)
        self.count += sum(lengths)

    def indent(self, width: int, value: Any) -> None:
        """``width`` columns of ``value`` before the first."""
        self.columns[:0] = [[value] * self.height for _ in range(width)]
        self._distinct[:0] = [{value: value} for _ in range(width)]
        self.count += width * self.height

    def hold(self, character: str) -> bool:
        """Whether a cell's text holds ``character``: one search over every column's distinct texts."""
        texts = [value for distinct in self._distinct for value in distinct.values() if value.__class__ is str]
        return character in "".join(texts)


# The only cell types a value of another type can equal (True == 1 == 1.0); text, None, dates, times and durations
# equal nothing of another type.
NUMBER_TYPES = frozenset({bool, int, float})


def _shared(values: tuple[Any, ...], distinct: dict[Any, Any]) -> Iterator[Any]:
    """``values`` with each one replaced by the first equal value of the column seen so far, matched with its type
    when the chunk holds a number (a key ``(type, value)``, which no other key equals)."""
    if NUMBER_TYPES.isdisjoint(map(type, values)):
        return map(distinct.setdefault, values, values)
    return map(distinct.setdefault, zip(map(type, values), values, strict=True), values)


def _collect(file_format: str, records: Iterator[list[str]], filename: str, limits: ImportLimits) -> Table:
    """Records counted as they arrive, so a huge CSV stops at the limit rather than at its end."""
    cells = Cells()
    chunk: list[list[str]] = []
    count = 0
    for number, values in enumerate(records, start=1):
        if number > limits.max_rows + 1:
            raise _too_many_rows(filename, limits)
        count += len(values)
        if count > limits.max_cells:
            raise _too_many_cells(filename, limits)
        chunk.append(values)
        if len(chunk) == CHUNK_ROWS:
            cells.extend(chunk)
            chunk = []
    cells.extend(chunk)
    return _table(file_format, cells, filename)


def _too_many_rows(filename: str, limits: ImportLimits) -> ImportFileError:
    return ImportFileError(f"{filename}: has more than {limits.max_rows:,} rows (the limit)")


def _too_many_cells(filename: str, limits: ImportLimits) -> ImportFileError:
    return ImportFileError(f"{filename}: has more than {limits.max_cells:,} cells (the limit)")


def _table(file_format: str, cells: Cells, filename: str) -> Table:
    """Header = the first non-blank row; blank rows are skipped; every row keeps its number (1-based)."""
    blank = _blank_rows(cells)
    header_at = next((row for row in range(cells.height) if row not in blank), None)
    if header_at is None:
        raise ImportFileError(f"{filename}: file is empty (no header row)")
    columns = cells.columns
    header = tuple(column[header_at] for column in columns)
    numbers: Sequence[int]
    if any(row > header_at for row in blank):
        keep = [row > header_at and row not in blank for row in range(cells.height)]
        numbers = list(compress(range(1, cells.height + 1), keep))
        for column in columns:
            column[:] = compress(column, keep)
    else:  # the usual file: the header, then only data rows; each column loses its first cells in place
        numbers = range(header_at + 2, cells.height + 1)
        for column in columns:
            del column[: header_at + 1]
    if not numbers:
        raise ImportFileError(f"{filename}: has a header but no data rows")
    return Table(file_format=file_format, header_row=header_at + 1, header=header, numbers=numbers, columns=columns)


def _blank_rows(cells: Cells) -> set[int]:
    """The rows (0-based) whose every cell is empty.

    Only a row whose first cell is empty can be blank; the distinct first
    values (a few thousand item ids for 36,000 rows) are looked at once each,
    and only the rows starting with an empty one are looked at whole.
    """
    if not cells.columns:
        return set(range(cells.height))
    firsts = cells.columns[0]
    empty_firsts = {value for value in set(firsts) if _is_empty(value)}
    if not empty_firsts:
        return set()
    return {
        row
        for row, first in enumerate(firsts)
        if first in empty_firsts and all(_is_empty(column[row]) for column in cells.columns)
    }


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _describe(exc: BaseException) -> str:
    """The exception's first line: parsers' messages can go on with advice that does not apply here."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
