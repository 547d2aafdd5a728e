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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import chain
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
    """A header and the data rows under it; ``rows`` pairs each row with its spreadsheet row number."""

    file_format: str  # "xlsx" | "csv"
    header_row: int
    header: tuple[Any, ...]
    rows: list[tuple[int, tuple[Any, ...]]]
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
    records = _numbered(reader, filename, lambda: reader.line_num)
    return _collect("csv", records, filename, limits)


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


def _numbered(reader: Iterable[list[str]], filename: str, line_of) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """CSV records numbered 1, 2, 3… as a spreadsheet shows them (a quoted newline stays in one row)."""
    number = 0
    try:
        for record in reader:
            number += 1
            yield number, tuple(record)
    except csv.Error as exc:
        raise ImportFileError(f"{filename}: line {line_of()}: is not valid CSV ({exc})") from None


def read_xlsx(data: bytes, filename: str, limits: ImportLimits) -> Table:
    """The first worksheet of a workbook, after checking the archive, its XML and the sheet's area."""
    archive = _open_checked_archive(data, filename, limits)
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            if not workbook.sheet_names:
                raise ImportFileError(f"{filename}: the workbook has no worksheet")
            # From A1, so a row's place in the list is its row number (skip_empty_area would shift it).
            grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ImportFileError:
        raise
    except BaseException as exc:  # calamine's errors (XmlError, ZipError, …) and a Rust panic, not an interrupt
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise ImportFileError(f"{filename}: is not a readable Excel workbook ({_describe(exc)})") from None
    _refuse_nul_characters(grid, filename)
    if len(grid) > limits.max_rows + 1:
        raise _too_many_rows(filename, limits)
    if sum(map(len, grid)) > limits.max_cells:
        raise _too_many_cells(filename, limits)
    table = _table("xlsx", list(enumerate(map(tuple, grid), start=1)), filename)
    return replace(table, percent_cells=WorkbookParts.of(archive).percent_cells)


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
            content = archive.read(entry)
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


def _refuse_nul_characters(grid: list[list[Any]], filename: str) -> None:
    # One search over the distinct texts (a set built in C); the cell is looked for only when there is one.
    text = "".join([value for value in set(chain.from_iterable(grid)) if value.__class__ is str])
    if "\x00" not in text:
        return
    for number, values in enumerate(grid, start=1):
        for column, value in enumerate(values, start=1):
            if value.__class__ is str and "\x00" in value:
                raise ImportFileError(
                    f"{filename}: row {number}, column {column_letters(column)}: contains a NUL character"
                )


def _collect(
    file_format: str, records: Iterator[tuple[int, tuple[Any, ...]]], filename: str, limits: ImportLimits
) -> Table:
    """Records counted as they arrive, so a huge CSV stops at the limit rather than at its end."""
    numbered: list[tuple[int, tuple[Any, ...]]] = []
    cells = 0
    for number, values in records:
        if number > limits.max_rows + 1:
            raise _too_many_rows(filename, limits)
        cells += len(values)
        if cells > limits.max_cells:
            raise _too_many_cells(filename, limits)
        numbered.append((number, values))
    return _table(file_format, numbered, filename)


def _too_many_rows(filename: str, limits: ImportLimits) -> ImportFileError:
    return ImportFileError(f"{filename}: has more than {limits.max_rows:,} rows (the limit)")


def _too_many_cells(filename: str, limits: ImportLimits) -> ImportFileError:
    return ImportFileError(f"{filename}: has more than {limits.max_cells:,} cells (the limit)")


def _table(file_format: str, numbered: list[tuple[int, tuple[Any, ...]]], filename: str) -> Table:
    """Header = the first non-blank row; blank rows are skipped.

    Only a row whose first cell is empty can be blank; the distinct first
    values (a few thousand item ids for 36,000 rows) are looked at once each,
    and only the rows starting with an empty one are looked at whole.
    """
    firsts = [values[0] if values else None for _, values in numbered]
    empty_firsts = {value for value in set(firsts) if _is_empty(value)}
    kept = (
        [row for row, first in zip(numbered, firsts, strict=True) if first not in empty_firsts or not _is_blank(row[1])]
        if empty_firsts
        else numbered
    )
    if not kept:
        raise ImportFileError(f"{filename}: file is empty (no header row)")
    (header_row, header), rows = kept[0], kept[1:]
    if not rows:
        raise ImportFileError(f"{filename}: has a header but no data rows")
    return Table(file_format=file_format, header_row=header_row, header=header, rows=rows)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank(values: tuple[Any, ...]) -> bool:
    return all(map(_is_empty, values))


def _describe(exc: BaseException) -> str:
    """The exception's first line: parsers' messages can go on with advice that does not apply here."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
