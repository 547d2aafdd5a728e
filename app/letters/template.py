"""A decision letter template: a .docx whose text holds ``{{ field }}`` placeholders (docs/letters.md).

The template is read once: its parts with placeholders (the body, headers,
footers, foot- and endnotes) are parsed, each placeholder is gathered into
one run (Word splits text into runs wherever formatting, spelling marks or
an edit's history change, so ``{{ name }}`` may be spread over several), and
the part is cut into literal XML and fields. A letter is then the literal
pieces joined with the escaped values, and the template's other parts copied
as they are: no XML is parsed per letter, which keeps 2,000 letters to a few
seconds.

Fields are plain values, never expressions: an association's template can
say nothing but what the product fills in, and a misspelt field is refused,
named, before any letter is written.
"""

import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.errors import InputError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The parts of a document whose text a reader sees and a template may fill.
TEXT_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
# A template is a small document: more than this, unpacked, is not a letter (and not read into memory).
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
# Characters XML 1.0 cannot carry at all (a pasted rationale may hold them); tab and newline are handled apart.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REPEAT = "letter-repeat"


class TemplateError(InputError):
    """The template cannot be used; the problem names the file, and the field when one is wrong."""


@dataclass(frozen=True)
class _Repeat:
    """A paragraph written once per entry of a list field."""

    field: str
    pieces: tuple  # str (literal XML) | _Field


@dataclass(frozen=True)
class _Field:
    name: str


@dataclass(frozen=True)
class LetterTemplate:
    """A compiled template: the parts to fill, as pieces, and an archive of the other parts as they were."""

    name: str
    filled: Mapping[str, tuple]  # part name → pieces: str | _Field | _Repeat
    base: bytes  # a zip of every part that holds no field
    fields: frozenset[str]  # every field the template uses

    def render(self, values: Mapping[str, str], lists: Mapping[str, Sequence[str]]) -> bytes:
        """One letter: ``values`` fill the plain fields, ``lists`` the repeated paragraphs (one per entry)."""
        buffer = io.BytesIO(self.base)
        buffer.seek(0, io.SEEK_END)
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for part, pieces in self.filled.items():
                archive.writestr(part, "".join(_fill(pieces, values, lists, None)).encode("utf-8"))
        return buffer.getvalue()


def _fill(
    pieces: Iterable, values: Mapping[str, str], lists: Mapping[str, Sequence[str]], entry: str | None
) -> Iterable[str]:
    for piece in pieces:
        if isinstance(piece, str):
            yield piece
        elif isinstance(piece, _Field):
            yield run_text(entry if entry is not None and piece.name in lists else values.get(piece.name, ""))
        else:
            for item in lists.get(piece.field, ()):
                yield from _fill(piece.pieces, values, lists, item)


def run_text(value: str) -> str:
    """A value as the inside of a ``<w:t>``: escaped, line breaks and tabs as Word's own elements."""
    text = escape(_NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n")))
    return text.replace("\n", '</w:t><w:br/><w:t xml:space="preserve">').replace(
        "\t", '</w:t><w:tab/><w:t xml:space="preserve">'
    )


def load_template(data: bytes, name: str, fields: Iterable[str], list_fields: Iterable[str]) -> LetterTemplate:
    """Compile a .docx template; ``TemplateError`` names the file and what is wrong (an unknown field first)."""
    repeated = frozenset(list_fields)
    known = frozenset(fields) | repeated
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TemplateError.of(name, "is not a Word document (.docx)") from None
    if sum(info.file_size for info in infos) > MAX_TEMPLATE_BYTES:
        raise TemplateError.of(
            name,
            f"unpacks to more than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MB; a letter template is a short document",
        )
    if "word/document.xml" not in archive.namelist():
        raise TemplateError.of(name, "is not a Word document (.docx): it has no word/document.xml")
    filled, used = {}, set()
    base = io.BytesIO()
    with zipfile.ZipFile(base, "w") as copied:
        for info in infos:
            content = archive.read(info)
            if TEXT_PARTS.match(info.filename) and b"{{" in content:
                pieces, names = _compile_part(content, name, known, repeated)
                filled[info.filename] = pieces
                used |= names
            else:
                copied.writestr(info, content)
    return LetterTemplate(name, filled, base.getvalue(), frozenset(used))


def _compile_part(content: bytes, name: str, known: frozenset[str], repeated: frozenset[str]):
    from lxml import etree  # loaded when letters are written, not when the app starts (tests/unit/test_startup.py)

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise TemplateError.of(name, f"cannot be read ({exc})") from None
    used: set[str] = set()
    for paragraph in root.iter(f"{{{W}}}p"):
        names = _gather_placeholders(paragraph, name)
        for field in names:
            if field not in known:
                raise TemplateError.of(
                    name, f"unknown field {{{{ {field} }}}}; the fields are {', '.join(sorted(known))}"
                )
        lists = [field for field in names if field in repeated]
        if len(set(lists)) > 1:
            raise TemplateError.of(
                name,
                f"one paragraph holds the lists {{{{ {lists[0]} }}}} and "
                f"{{{{ {lists[1]} }}}}; give each list a paragraph of its own",
            )
        if lists:
            # Marks cut the serialised part around the paragraph to repeat it (docs/letters.md, "Lists").
            paragraph.addprevious(etree.ProcessingInstruction(_REPEAT, "start " + lists[0]))
            paragraph.addnext(etree.ProcessingInstruction(_REPEAT, "end"))
        used.update(names)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode("utf-8")
    return _pieces(xml), used


def _gather_placeholders(paragraph, name: str) -> list[str]:
    """Put each placeholder of the paragraph into the first text element it starts in; its field names."""
    texts = [element for element in paragraph.iter(f"{{{W}}}t") if _paragraph_of(element) is paragraph]
    joined = "".join(element.text or "" for element in texts)
    if "{{" not in joined:
        return []
    found = list(PLACEHOLDER.finditer(joined))
    unclosed = joined.count("{{") - len(found)
    if unclosed:
        start = joined.rfind("{{")
        raise TemplateError.of(name, f"a field is not closed with }}}}: {joined[start : start + 40]!r}")
    names = []
    for match in found:
        field = match.group(1).strip()
        if not FIELD_NAME.match(field):
            raise TemplateError.of(
                name, f"{match.group(0)!r} is not a field (a field is a name such as {{{{ name }}}})"
            )
        names.append(field)
    bounds = []
    offset = 0
    for element in texts:
        length = len(element.text or "")
        bounds.append((offset, offset + length))
        offset += length
    for match in reversed(found):
        _move_into_one_text(texts, bounds, match.start(), match.end(), "{{ " + match.group(1).strip() + " }}")
    return names


def _paragraph_of(element):
    parent = element.getparent()
    while parent is not None and parent.tag != f"{{{W}}}p":
        parent = parent.getparent()
    return parent


def _move_into_one_text(texts, bounds, start: int, end: int, placeholder: str) -> None:
    """The text from ``start`` to ``end`` (offsets in the paragraph's joined text) becomes ``placeholder`` in the
    text element where it starts; the elements it spread over lose their share."""
    first = next(index for index, (low, high) in enumerate(bounds) if low <= start < high)
    for index in range(first, len(texts)):
        low, high = bounds[index]
        if low >= end:
            break
        text = texts[index].text or ""
        cut_from, cut_to = max(start, low) - low, min(end, high) - low
        if index == first:
            texts[index].text = text[:cut_from] + placeholder + text[cut_to:]
            texts[index].set(XML_SPACE, "preserve")
        else:
            texts[index].text = text[:cut_from] + text[cut_to:]


_PIECE = re.compile(r"<\?" + _REPEAT + r" start (\w+)\?>|<\?" + _REPEAT + r" end\?>|\{\{ (\w+) \}\}")


def _pieces(xml: str) -> tuple:
    """The serialised part cut into literal XML, fields and repeated paragraphs."""
    top: list = []
    current = top
    repeat: tuple[str, list] | None = None
    position = 0
    for match in _PIECE.finditer(xml):
        current.append(xml[position : match.start()])
        position = match.end()
        if match.group(1):
            repeat = (match.group(1), [])
            current = repeat[1]
        elif match.group(2):
            current.append(_Field(match.group(2)))
        elif repeat is not None:
            top.append(_Repeat(repeat[0], tuple(piece for piece in repeat[1] if piece != "")))
            current, repeat = top, None
    top.append(xml[position:])
    return tuple(piece for piece in top if piece != "")
