"""Bulk work: thousands of small rows written in one DB-API ``executemany``, and the cyclic collector paused.

SQLAlchemy's own executemany passes every row through the statement
compiler's parameter machinery before converting its values; for the audit
rows of a 5,000-item reconciliation that took longer than SQLite took to
write them. Here the statement is compiled once, each value
goes through its column type's own bind processor (so JSON, enums and
datetimes are stored exactly as the ORM stores them), and values shared by
every row are converted once.
"""

import gc
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.sql.dml import UpdateBase

from app.extensions import db

BATCH = 500  # ids per IN (...) list, well under every database's parameter limit
CHUNK_ROWS = 500  # rows per multi-row INSERT on SQLite (fewer rows a statement ran slower, more no faster)


def execute_many(statement: UpdateBase, rows: Sequence[Mapping[str, Any]], **shared: Any) -> None:
    """Run an INSERT or UPDATE once per row on the session's connection, in the session's transaction.

    Every row has the same keys; ``shared`` holds the values that are the
    same in every row (the time of the change, its author). Python-side
    column defaults are not applied: the statement's every parameter needs a
    value. Connection events still fire, so statement counters see the write.
    On SQLite an INSERT goes as multi-row ``VALUES`` statements (see
    ``_insert_in_chunks``); elsewhere, and for an UPDATE, as one executemany.
    """
    if not rows:
        return
    compiled, names = _compiled(statement, [*rows[0], *shared])
    own = [name for name in names if name not in shared]
    _check_given(names, rows[0], shared)
    pick = itemgetter(*own) if own else None
    values: list[tuple] = (
        [()] * len(rows) if pick is None else list(map(pick, rows)) if len(own) > 1 else [(pick(row),) for row in rows]
    )
    _execute(compiled, names, own, values, shared)


def execute_values(statement: UpdateBase, columns: Sequence[str], rows: Sequence[tuple], **shared: Any) -> None:
    """``execute_many`` for rows given as tuples of ``columns``' values, in that order (no mapping per row: a
    36,000-row import builds its score rows with ``zip`` this way)."""
    if not rows:
        return
    compiled, names = _compiled(statement, [*columns, *shared])
    unknown = [name for name in columns if name not in names]
    if unknown:
        raise ValueError(f"execute_values: {', '.join(unknown)} is not a parameter of the statement")
    _check_given(names, columns, shared)
    _execute(compiled, names, list(columns), rows, shared)


def _compiled(statement: UpdateBase, keys: list[str]) -> tuple[Any, list[str]]:
    compiled = statement.compile(dialect=db.session.connection().dialect, column_keys=keys)
    return compiled, list(compiled.positiontup) if compiled.positional else list(compiled.binds)


def _check_given(names: list[str], given: Collection[str], shared: Mapping[str, Any]) -> None:
    missing = [name for name in names if name not in given and name not in shared]
    if missing:
        raise ValueError(f"execute_many: no value for {', '.join(missing)} (column defaults are not applied)")


def _execute(compiled: Any, names: list[str], own: list[str], rows: Sequence[tuple], shared: Mapping[str, Any]) -> None:
    """Convert and send ``rows`` (each the values of ``own``, in that order) with the ``shared`` values."""
    connection = db.session.connection()
    dialect = connection.dialect

    def processor(name: str):
        return compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)

    constants = {}
    for name, value in shared.items():
        convert = processor(name)
        constants[name] = convert(value) if convert else value
    # Only the values whose column type needs it go through Python one by one; the rest stay as they came.
    converters = [(index, convert) for index, name in enumerate(own) if (convert := processor(name))]
    if converters:
        rows = _converted(rows, converters)
    if dialect.name == "sqlite" and _insert_in_chunks(connection, compiled.string, names, constants, own, rows):
        return
    if compiled.positional:
        positions = [(own.index(name), None) if name in own else (None, constants[name]) for name in names]
        params: list = [tuple(row[at] if at is not None else constant for at, constant in positions) for row in rows]
    else:
        params = [{**dict(zip(own, row, strict=True)), **constants} for row in rows]
    connection.exec_driver_sql(compiled.string, params)


def _converted(rows: Sequence[tuple], converters: list[tuple[int, Any]]) -> list[tuple]:
    """The rows with each converted column mapped through its processor: turned into columns and back by ``zip``
    in C, so a row costs no list and tuple of its own in Python (36,000 score rows, 9,000 audit rows)."""
    columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
    for index, convert in converters:
        columns[index] = map(convert, columns[index])
    return list(zip(*columns, strict=True))


def _insert_in_chunks(
    connection: Any,
    sql: str,
    names: list[str],
    constants: dict[str, Any],
    own: list[str],
    rows: Sequence[tuple],
) -> bool:
    """An INSERT as ``INSERT … VALUES (…), (…), …`` of up to ``CHUNK_ROWS`` rows each; False if ``sql`` is not a
    plain single-row INSERT (then nothing was run).

    SQLite runs one multi-row statement in about half the time executemany
    takes for the same rows (bench/README.md, "Scores import, sixth session").
    The shared values are bound once per statement as numbered parameters
    ``?1…?k`` that every row's tuple names again, so each row binds only its
    own values.
    """
    head, separator, group = sql.rpartition(" VALUES ")
    if not separator or not head.startswith("INSERT") or group != "(" + ", ".join("?" * len(names)) + ")" or not own:
        return False
    shared = tuple(constants)
    limit = connection.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(CHUNK_ROWS, (limit - len(shared)) // len(own)))
    layout = (head, tuple(names), shared, tuple(own))
    head_values = [constants[name] for name in shared]
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        connection.exec_driver_sql(
            _multi_row_insert(layout, len(chunk)), tuple(chain(head_values, chain.from_iterable(chunk)))
        )
    return True


@lru_cache(maxsize=64)
def _multi_row_insert(layout: tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], count: int) -> str:
    """The text of one ``count``-row INSERT, built once per table and size, and only for the sizes used (one
    autosave's audit row must not build the 500-row text)."""
    head, names, shared, own = layout
    own_place = {name: index for index, name in enumerate(own)}
    shared_number = {name: index + 1 for index, name in enumerate(shared)}
    # One row's group with its own values' numbers left open, so each row is one formatting (a 500-row text was
    # 2-3 ms of every fresh process's import per table when each number was formatted on its own).
    group = "(" + ", ".join("?%d" if name in own_place else f"?{shared_number[name]}" for name in names) + ")"
    places = [own_place[name] for name in names if name in own_place]
    first = len(shared) + 1
    groups = (group % tuple(first + row * len(own) + place for place in places) for row in range(count))
    return f"{head} VALUES {', '.join(groups)}"


def plain_rows(statement: Executable, parameters: Mapping[str, Any] | None = None) -> Sequence[Row]:
    """A select's rows as plain tuples, run on the session's connection after flushing what is pending (as
    ``session.execute`` would): the ORM's result machinery costs about three times as much per row, and for a
    column-only select builds nothing more. Fetched all at once: a row at a time costs a driver call per row."""
    db.session.flush()
    return db.session.connection().execute(statement, parameters).all()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a bulk step (reconciling a cycle, writing an import).

    Such a step builds hundreds of thousands of short-lived rows, dicts and
    verdicts, none in reference cycles; their allocation alone triggers full
    collections that walk the whole process heap (a fifth of reconciliation's
    CPU time, a tenth of an import's own work, and growing faster than the
    data). Reference counting still frees them. The pause is process-wide, so
    it is kept to the step itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def return_freed_memory() -> None:
    """Hand the pages the C heap holds free back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A native library's large structure, such as calamine's grid of a whole
    sheet, is many small C allocations. Once it is freed, glibc keeps their
    pages, and Python's own allocator takes fresh pages for its objects rather
    than reusing them, so whatever a step builds next came on top of the grid's
    memory (a scores import's peak: 10 MiB more at 1x, 18 at 2x; bench/README.md,
    "Scores import, ninth session"). It costs about 1 ms for a 46 MB sheet's grid.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes  # only a step that frees a native structure needs it, not every command's start-up

    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):  # not glibc (macOS, musl), or no C library to load
        return None


def expire_loaded(model: type, key: str, pks: Iterable[int], attributes: Sequence[str] | None = None) -> None:
    """Objects of ``model`` already in the session would still show the values a bulk write replaced."""
    wanted = set(pks)
    if not wanted:
        return
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and vars(obj).get(key) in wanted:  # an expired one reloads anyway
            db.session.expire(obj, attributes)
