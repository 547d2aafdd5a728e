"""What is checked in a workbook's XML before calamine parses it, and what calamine does not tell us.

calamine (Rust) parses without ever expanding a DTD, but two things are ours
to bound (docs/imports.md, "Reading workbooks"):

- **Declarations.** A part that declares a DTD is refused outright, so a
  billion-laughs or XXE file is named as such instead of failing somewhere
  inside the parser; a part in UTF-16 is refused too, so the byte checks here
  cannot be walked around.
- **The area of the sheet.** calamine builds the first sheet as one dense
  grid from its top-left to its bottom-right cell, so two cells, one in A1
  and one in XFD1048576, would ask for 17 billion cells and abort the whole
  process. The furthest row and column any cell can land on are found here
  first, from the cell references in the XML, and held to the row and cell
  limits. Files as Excel, LibreOffice, Google Sheets, openpyxl and XlsxWriter
  write them (every cell carries ``r="A1"`` as its first attribute) are
  bounded by a few byte searches; anything else is walked tag by tag.

calamine does not expose number formats either: a percent-formatted cell
(86 % typed, 0.86 stored) comes back as 0.86. ``percent_cells`` finds such
cells from the styles part, for the few columns where it matters.
"""

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from posixpath import dirname, join, normpath

from defusedxml import ElementTree

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

DECLARATION = re.compile(rb"<!(?i:doctype|entity)")
# What may stand before a document's DTD or root element: a byte order mark, white space, processing
# instructions (the XML declaration) and comments (XML 1.0, section 2.8, "prolog").
PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
# An attribute r however XML lets it be spelled: after a space or a quote, spaces around "=", either quote.
ATTRIBUTE_R = rb"""[\s"']r\s*=\s*["']"""
REFERENCE = re.compile(ATTRIBUTE_R + rb"([A-Za-z]*)([0-9]*)")
COLUMN_LETTERS = re.compile(ATTRIBUTE_R + rb"([A-Za-z]+)")
PLAIN_COLUMN_LETTERS = re.compile(rb' r="([A-Za-z]+)')  # the usual spelling, enough for a guess
CELL_TAG_SPELLED_OTHERWISE = re.compile(rb'<c(?! r="|[\w.:-])')  # the usual spelling first: one step for most tags
PREFIXED_C_TAG = re.compile(rb":c[\s/>]")
# Before an attribute name XML puts a space, and a lenient parser may take a quote; anything else (``for="…"``
# in a cell's text) is not an attribute r.
BEFORE_AN_ATTRIBUTE = frozenset(b" \t\r\n\"'")
CELL_TAG = re.compile(rb"""<(/?)([^\s/>]+)((?:[^>"']|"[^"]*"|'[^']*')*?)(/?)>""")
ATTRIBUTE = re.compile(rb"""([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
SKIPPED_MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
BUILT_IN_PERCENT_FORMATS = frozenset({9, 10})
WIDTH_GUESS_SPAN = 65_536  # bytes of the sheet's first cells the width is guessed from

# A part's content: the reader inflates each part into one bytearray (readers._inflated), percent_cells reads bytes.
Part = bytes | bytearray


class UnsafeWorkbook(ValueError):
    """A part of the workbook may not be parsed; the message says why, without the file name."""


@dataclass(frozen=True)
class Extent:
    """The furthest row and column (1-based) a cell of the sheet can occupy."""

    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def check_part(name: str, content: Part) -> None:
    """Refuse a part that declares a DTD or is in UTF-16 (which calamine would decode but bytes searches miss).

    A DTD, and with it every entity declaration, can only stand in the prolog,
    before the root element, so only the prolog is looked at, not the 11 MB
    of a scores sheet. A ``<!DOCTYPE`` further in is no DTD, only bad XML:
    calamine's parser skips it and, expanding no entity it was not built
    with, refuses the first reference to one (docs/imports.md).
    """
    if content.startswith(UTF16_STARTS):
        raise UnsafeWorkbook(f"part {name} is saved in UTF-16; save the workbook again from Excel or LibreOffice")
    prolog_end = prolog.end() if (prolog := PROLOG.match(content)) else 0  # it always matches (all optional)
    if DECLARATION.match(content, prolog_end):
        raise UnsafeWorkbook(
            f"the workbook contains forbidden XML (a DTD or entity declaration in {name}); it was not read"
        )


def is_worksheet(content: Part) -> bool:
    return b"sheetData" in content


def sheet_extent(xml: Part, max_rows: int, max_cells: int) -> Extent:
    """An upper bound of the area calamine gives the sheet: the furthest row and column any cell reaches.

    The bound is exact whenever it is over ``max_rows`` rows or ``max_cells``
    cells, so a refusal can say how far the cells reach.
    """
    # calamine reads cells from <sheetData> to </sheetData>; a look-alike in text only widens the span.
    start, end = xml.find(b"sheetData"), xml.rfind(b"sheetData")
    if _every_cell_placed_by_r(xml, start, end):
        bound = _bound_by_references(xml, start, end, max_rows, max_cells)
        if bound.rows <= max_rows and bound.cells <= max_cells:
            return bound
    # Walked tag by tag: exact, and text that merely looks like an attribute r (`` r="ZZ9"`` in a cell) is text.
    furthest_row = furthest_column = 0
    for row, column, _ in cells(xml):
        furthest_row, furthest_column = max(furthest_row, row), max(furthest_column, column)
    return Extent(furthest_row, furthest_column)


def _bound_by_references(xml: Part, start: int, end: int, max_rows: int, max_cells: int) -> Extent:
    """The furthest row and column of the attributes r between ``start`` and ``end``, or an upper bound of them
    within the limits; text that looks like an attribute r only makes it larger."""
    # Guess the width from the sheet's first cells, then prove it with one search that also bounds the rows: no
    # attribute r, however spelled, lies further right than the guess, nor further down than the rows that many
    # columns may fill. The search starts at every "r" of the sheet, so it is one pass whatever the spelling.
    first_cells = PLAIN_COLUMN_LETTERS.findall(xml, start, min(end, start + WIDTH_GUESS_SPAN))
    guess = max(map(column_number, set(first_cells)), default=0)
    enough_rows = min(max_rows, max_cells // max(guess, 1))
    # After the letters within the guess (taken possessively), a letter lies further right; digits further down.
    beyond = rb"""r\s*=\s*["'](?:%s)?+(?:[A-Za-z]|(?:%s)["'])""" % (
        _letters_at_most(guess),
        _numbers_above(enough_rows),
    )
    if enough_rows > 0 and not _attribute_r(re.compile(beyond), xml, start, end):
        return Extent(enough_rows, guess)
    columns = max(map(column_number, set(COLUMN_LETTERS.findall(xml, start, end))), default=0)
    enough_rows = min(max_rows, max_cells // max(columns, 1))
    below = rb"""r\s*=\s*["'][A-Za-z]*+(?:%s)["']""" % _numbers_above(enough_rows)
    if enough_rows > 0 and not _attribute_r(re.compile(below), xml, start, end):
        return Extent(enough_rows, columns)  # no reference lies further down
    rows = {digits for _, digits in REFERENCE.findall(xml, start, end) if digits}
    return Extent(max(map(int, rows), default=0), columns)


def _attribute_r(pattern: re.Pattern[bytes], xml: Part, start: int, end: int) -> bool:
    """Whether ``pattern`` (starting at the ``r``) matches an attribute r between ``start`` and ``end``.

    The pattern starts with the letter itself, which the search finds fast,
    rather than with the space before it, which would be tried at every byte.
    A match that is no attribute (``a="xr='r='XFD1'"``) is passed by one byte,
    not by its length: an attribute r may begin inside it.
    """
    while match := pattern.search(xml, start, end):
        if xml[match.start() - 1] in BEFORE_AN_ATTRIBUTE:
            return True
        start = match.start() + 1
    return False


def _every_cell_placed_by_r(xml: Part, start: int, end: int) -> bool:
    """Between ``start`` and ``end``, every cell tag starts ``<c r="``: no cell is placed by counting from the one
    before it, so the attributes r alone say where calamine puts every cell.

    A ``<c`` followed by neither a name character (``<col>``, ``<color>``) nor
    `` r="`` is a cell tag spelled otherwise (a tab before its r, no r at all),
    and a prefixed ``<x:c>`` is one too; such a sheet is walked tag by tag.
    A second attribute r, or one spelled with single quotes or spaces around
    its ``=``, is found by the searches in ``sheet_extent`` whatever its spelling.
    """
    return not (CELL_TAG_SPELLED_OTHERWISE.search(xml, start, end) or PREFIXED_C_TAG.search(xml, start, end))


def _numbers_above(limit: int) -> bytes:
    """A pattern for the decimal numbers greater than ``limit`` (leading zeros count as greater: safe side).

    A number with fewer digits than ``limit`` is never greater, and most of a
    sheet's references are such numbers: the lookahead turns them away in one
    step, before the alternatives are tried one by one (the area check's
    proving search ~12 ms less on a 36,000-row sheet; bench/README.md, "Scores
    import, ninth session").
    """
    digits = str(limit)
    above = [rb"[0-9]{%d,}" % (len(digits) + 1)]
    for position, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - position - 1
            any_rest = rb"[0-9]{%d}" % rest if rest else b""
            above.append(digits[:position].encode() + rb"[%d-9]" % (int(digit) + 1) + any_rest)
    return rb"(?=[0-9]{%d})(?:%s)" % (len(digits), b"|".join(above))


def _letters_at_most(number: int) -> bytes:
    """A pattern for the letters (either case) of the columns up to column ``number`` (1-based), the longest
    first. Taken possessively (``(?:…)?+``), it takes a reference's letters whole when they lie within
    ``number`` and leaves a letter after what it took when they lie further right."""
    letters = column_letters(number)
    if not letters:
        return rb"(?!)"  # no column: nothing lies within it
    alike = [b"[%s%s]" % (letter.encode(), letter.lower().encode()) for letter in letters]
    same_length = [b"".join(alike)]
    for position, letter in enumerate(letters):
        if letter != "A":
            before = chr(ord(letter) - 1)
            rest = len(letters) - position - 1
            any_rest = rb"[A-Za-z]{%d}" % rest if rest else b""  # an empty repeat still costs every match a step
            same_length.append(
                b"".join(alike[:position]) + b"[A-%sa-%s]" % (before.encode(), before.lower().encode()) + any_rest
            )
    shorter = [rb"[A-Za-z]{1,%d}" % (len(letters) - 1)] if len(letters) > 1 else []
    return b"|".join(same_length + shorter)


def cells(xml: Part) -> Iterator[tuple[int, int, dict[bytes, bytes]]]:
    """(row, column, attributes) of every cell tag, 1-based, positioned as calamine positions them.

    Where calamine would take one of several readings, the larger is taken: a
    self-closing cell counts (calamine skips it), and of two ``r`` attributes
    the further one.
    """
    row_index, column_index = 1, 1
    for closing, name, raw_attributes, self_closing in CELL_TAG.findall(SKIPPED_MARKUP.sub(b"", xml)):
        local = name.rpartition(b":")[2]
        if local == b"row":
            if closing:
                row_index, column_index = row_index + 1, 1
            elif not self_closing:
                references = [reference(value) for value in _attributes(raw_attributes).get(b"r", ())]
                row_index = max((row for row, _ in references), default=row_index)
        elif local == b"c" and not closing:
            attributes = _attributes(raw_attributes)
            references = [reference(value) for value in attributes.get(b"r", ())]
            if references:
                row, column_index = max(row for row, _ in references), max(column for _, column in references)
            else:
                row = row_index
            yield row, column_index, {key: values[-1] for key, values in attributes.items()}
            column_index += 1


def _attributes(raw: bytes) -> dict[bytes, list[bytes]]:
    found: dict[bytes, list[bytes]] = {}
    for key, double_quoted, single_quoted in ATTRIBUTE.findall(raw):
        found.setdefault(key, []).append(double_quoted or single_quoted)
    return found


def reference(value: bytes) -> tuple[int, int]:
    """``b"AB12"`` → (12, 28); what is not a reference counts as (0, 0) (calamine refuses it)."""
    match = re.fullmatch(rb"([A-Za-z]*)([0-9]*)", value)
    if not match:
        return 0, 0
    letters, digits = match.groups()
    return int(digits or 0), column_number(letters)


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- what calamine does not expose: percent formats -------------------------------------------------


@dataclass
class WorkbookParts:
    """The parts a reader needs by name: the first worksheet and the styles, resolved as Excel resolves them."""

    archive: zipfile.ZipFile
    first_sheet: str | None = None
    styles: str | None = None
    _percent_styles: frozenset[int] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, archive: zipfile.ZipFile) -> "WorkbookParts":
        parts = cls(archive)
        try:
            workbook = _workbook_part(archive)
            relations = _relations(archive, workbook)
            sheets = ElementTree.fromstring(archive.read(workbook)).find(f"{MAIN_NS}sheets")
            first = sheets[0].get(OFFICE_REL_ID) if sheets is not None and len(sheets) else None
            parts.first_sheet = relations.get(first) if first else None
            parts.styles = next((target for kind, target in relations.items() if kind == "styles"), None)
        except (KeyError, IndexError, ElementTree.ParseError):
            pass  # calamine will say what is wrong with the workbook
        return parts

    def percent_styles(self) -> frozenset[int]:
        """Indexes of the cell formats that show a number as a percentage."""
        if self._percent_styles is None:
            self._percent_styles = _percent_styles(self.archive.read(self.styles)) if self.styles else frozenset()
        return self._percent_styles

    def percent_cells(self, column: int) -> frozenset[int]:
        """Row numbers (1-based) whose cell in ``column`` (0-based) is formatted as a percentage."""
        styles = self.percent_styles()
        if not styles or self.first_sheet is None:
            return frozenset()
        wanted = column + 1
        return frozenset(
            row
            for row, at, attributes in cells(self.archive.read(self.first_sheet))
            if at == wanted and int(attributes.get(b"s", b"0") or 0) in styles
        )


def _workbook_part(archive: zipfile.ZipFile) -> str:
    for relation in ElementTree.fromstring(archive.read("_rels/.rels")).iter(f"{REL_NS}Relationship"):
        if relation.get("Type", "").endswith("/officeDocument"):
            return relation.get("Target", "").lstrip("/")
    raise KeyError("officeDocument")


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id → target part, and "styles" → the styles part."""
    folder = dirname(part)
    path = join(folder, "_rels", part.rpartition("/")[2] + ".rels")
    found = {}
    for relation in ElementTree.fromstring(archive.read(path)).iter(f"{REL_NS}Relationship"):
        target = relation.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else normpath(join(folder, target))
        found[relation.get("Id")] = target
        if relation.get("Type", "").endswith("/styles"):
            found["styles"] = target
    return found


def _percent_styles(styles_xml: bytes) -> frozenset[int]:
    root = ElementTree.fromstring(styles_xml)
    percent_formats = set(BUILT_IN_PERCENT_FORMATS)
    for number_format in root.iter(f"{MAIN_NS}numFmt"):
        if _shows_percent(number_format.get("formatCode", "")):
            percent_formats.add(int(number_format.get("numFmtId", "-1")))
    cell_formats = root.find(f"{MAIN_NS}cellXfs")
    if cell_formats is None:
        return frozenset()
    return frozenset(
        index
        for index, cell_format in enumerate(cell_formats.iter(f"{MAIN_NS}xf"))
        if int(cell_format.get("numFmtId", "0")) in percent_formats
    )


def _shows_percent(code: str) -> bool:
    """A format code with a ``%`` outside quotes, brackets and escapes (``0.0%``, not ``0 "%"``)."""
    return "%" in re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code)
