"""Turning an untrusted upload into a header and rows (SECURITY.md items 15–17).

The type is decided by the bytes, never by the uploaded name, and the name is
only ever used in messages. A workbook is checked from its zip directory
(size, entry count, total uncompressed size) before any XML is parsed, and
openpyxl parses with defusedxml so entity tricks (billion laughs, XXE) fail.
"""
import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.xml
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 .xls (and other Office binaries)
UTF8_BOM = codecs.BOM_UTF8
# Openpyxl and zipfile raise these for a workbook whose parts are missing or malformed.
WORKBOOK_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError,
                   IndexError, AttributeError, EOFError, OSError, SyntaxError, NotImplementedError)


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
        return cls(max_bytes=config["IMPORT_MAX_BYTES"], max_zip_entries=config["IMPORT_MAX_ZIP_ENTRIES"],
                   max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED"], max_cells=config["IMPORT_MAX_CELLS"],
                   max_rows=config["IMPORT_MAX_ROWS"])


@dataclass(frozen=True)
class Table:
    """A header and the data rows under it; ``rows`` pairs each row with its spreadsheet row number."""
    file_format: str  # "xlsx" | "csv"
    header_row: int
    header: tuple[Any, ...]
    rows: list[tuple[int, tuple[Any, ...]]]


def ensure_defused_xml() -> None:
    """Refuse to parse workbooks unless openpyxl is using defusedxml (it silently falls back otherwise)."""
    if not openpyxl.xml.DEFUSEDXML:
        raise ImportFileError("defusedxml is not active for openpyxl (is it installed, and is "
                              "OPENPYXL_DEFUSEDXML unset?); refusing to read workbooks without it")


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
        raise ImportFileError(f"{filename}: is an old-format Excel (.xls) or other Office binary file; "
                              "save it as .xlsx or .csv")
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<table", b"<!--")):
        raise ImportFileError(f"{filename}: is an HTML or XML document, not a spreadsheet "
                              "(save it as .xlsx or .csv)")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(f"{filename}: is named like an Excel workbook but is not one "
                              "(an .xlsx file is a zip archive)")


def read_csv(data: bytes, filename: str, limits: ImportLimits) -> Table:
    """UTF-8 CSV (with or without BOM); the first record is the header."""
    text = _decode_utf8(data, filename)
    nul = text.find("\x00")
    if nul >= 0:
        raise ImportFileError(f"{filename}: line {text.count(chr(10), 0, nul) + 1}: contains a NUL byte "
                              "(a binary file, or text saved as UTF-16?)")
    reader = csv.reader(io.StringIO(text, newline=""))
    records = _numbered(reader, filename, lambda: reader.line_num)
    return _collect("csv", records, filename, limits)


def _decode_utf8(data: bytes, filename: str) -> str:
    body = data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        line = data.count(b"\n", 0, offset) + 1
        raise ImportFileError(f"{filename}: is not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset} "
                              f"(line {line}); save the CSV as 'CSV UTF-8'") from None


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
    """The first worksheet of a workbook, after checking the archive from its directory."""
    ensure_defused_xml()
    _check_zip_directory(data, filename, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except (DefusedXmlException, *WORKBOOK_ERRORS) as exc:
        raise _workbook_error(filename, "is not a readable Excel workbook", exc) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{filename}: the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        # The stored dimension is untrusted; without it rows are not padded to a claimed width.
        sheet.reset_dimensions()
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        return _collect("xlsx", _guard_xlsx_rows(rows, filename), filename, limits)
    finally:
        workbook.close()


def _guard_xlsx_rows(rows: Iterator[tuple[int, tuple[Any, ...]]], filename: str
                     ) -> Iterator[tuple[int, tuple[Any, ...]]]:
    try:
        for number, values in rows:
            for column, value in enumerate(values, start=1):
                if isinstance(value, str) and "\x00" in value:
                    raise ImportFileError(f"{filename}: row {number}, column {get_column_letter(column)}: "
                                          "contains a NUL character")
            yield number, values
    except (DefusedXmlException, *WORKBOOK_ERRORS) as exc:
        raise _workbook_error(filename, "the worksheet cannot be read", exc) from None


def _check_zip_directory(data: bytes, filename: str, limits: ImportLimits) -> None:
    """Entry count and total uncompressed size, from the central directory, before anything is inflated.

    zipfile stops inflating an entry at its declared size and then fails the
    CRC check, so a directory that understates sizes cannot smuggle a bomb.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ImportFileError(f"{filename}: is a damaged or truncated zip archive, not a readable "
                              f"workbook ({_describe(exc)})") from None
    if len(entries) > limits.max_zip_entries:
        raise ImportFileError(f"{filename}: the workbook archive has {len(entries):,} entries, more than "
                              f"the limit of {limits.max_zip_entries:,}")
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed:
        raise ImportFileError(f"{filename}: the workbook would unpack to {total:,} bytes, more than the "
                              f"limit of {limits.max_uncompressed:,} (a zip bomb?)")
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names:
        raise ImportFileError(f"{filename}: is a zip archive but not an Excel workbook "
                              "(no [Content_Types].xml)")


def _collect(file_format: str, records: Iterator[tuple[int, tuple[Any, ...]]], filename: str,
             limits: ImportLimits) -> Table:
    """Header = the first non-blank row; blank rows are skipped; rows and cells are counted as they arrive."""
    header: tuple[Any, ...] | None = None
    header_row = 0
    rows: list[tuple[int, tuple[Any, ...]]] = []
    cells = 0
    for number, values in records:
        if number > limits.max_rows + 1:
            raise ImportFileError(f"{filename}: has more than {limits.max_rows:,} rows (the limit)")
        cells += len(values)
        if cells > limits.max_cells:
            raise ImportFileError(f"{filename}: has more than {limits.max_cells:,} cells (the limit)")
        if _is_blank(values):
            continue
        if header is None:
            header, header_row = values, number
        else:
            rows.append((number, values))
    if header is None:
        raise ImportFileError(f"{filename}: file is empty (no header row)")
    if not rows:
        raise ImportFileError(f"{filename}: has a header but no data rows")
    return Table(file_format=file_format, header_row=header_row, header=header, rows=rows)


def _is_blank(values: tuple[Any, ...]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _workbook_error(filename: str, problem: str, exc: BaseException) -> ImportFileError:
    """openpyxl wraps parser failures in ValueError; a defusedxml refusal anywhere in the chain is named as such."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return ImportFileError(f"{filename}: the workbook contains forbidden XML (entity declarations or "
                                   f"external references: {type(cause).__name__}); it was not read")
        cause = cause.__cause__ or cause.__context__
    return ImportFileError(f"{filename}: {problem} ({_describe(exc)})")


def _describe(exc: BaseException) -> str:
    """The exception's first line: openpyxl's messages go on with advice that does not apply here."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
