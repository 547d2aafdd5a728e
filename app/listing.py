"""Lists for a person to read on the command line: rows as left-aligned columns under a header."""

from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """The header and rows as lines of left-aligned columns two spaces apart (``users list``, ``cycles list``,
    ``committee list``)."""
    cells = [[str(value) for value in row] for row in [header, *rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(header))]
    return ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip() for row in cells]
