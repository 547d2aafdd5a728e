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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
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
    connection = db.session.connection()
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=[*rows[0], *shared])
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)

    def processor(name: str):
        return compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)

    missing = [name for name in names if name not in rows[0] and name not in shared]
    if missing:
        raise ValueError(f"execute_many: no value for {', '.join(missing)} (column defaults are not applied)")
    constants = {}
    for name, value in shared.items():
        convert = processor(name)
        constants[name] = convert(value) if convert else value
    own = [name for name in names if name not in constants]
    # Only the rows' own values that need converting go through Python one by one; the rest is C (itemgetter).
    converters = [(index, convert) for index, name in enumerate(own) if (convert := processor(name))]
    values = _row_values(own, converters)
    if dialect.name == "sqlite" and _insert_in_chunks(connection, compiled.string, names, constants, own, rows, values):
        return
    if compiled.positional:
        positions = [(own.index(name), None) if name in own else (None, constants[name]) for name in names]
        params: list = [
            tuple(row_values[at] if at is not None else constant for at, constant in positions)
            for row_values in map(values, rows)
        ]
    else:
        params = [{**dict(zip(own, values(row), strict=True)), **constants} for row in rows]
    connection.exec_driver_sql(compiled.string, params)


def _row_values(own: list[str], converters: list[tuple[int, Any]]) -> Callable[[Mapping[str, Any]], tuple]:
    """A function from a row to its own values (in ``own``'s order), converted where the column type says so."""
    if not own:
        return lambda row: ()
    pick = itemgetter(*own)
    single = len(own) == 1

    def picked(row: Mapping[str, Any]) -> tuple:
        found = pick(row)
        return (found,) if single else found

    if not converters:
        return picked

    def converted(row: Mapping[str, Any]) -> tuple:
        found = list(picked(row))
        for index, convert in converters:
            found[index] = convert(found[index])
        return tuple(found)

    return converted


def _insert_in_chunks(
    connection: Any,
    sql: str,
    names: list[str],
    constants: dict[str, Any],
    own: list[str],
    rows: Sequence[Mapping[str, Any]],
    values: Callable[[Mapping[str, Any]], tuple],
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
    shared = list(constants)
    limit = connection.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(CHUNK_ROWS, (limit - len(shared)) // len(own)))

    @cache  # each chunk size's text is built once, and only when used: one audit row must not build 500 rows' text
    def statement(count: int) -> str:
        groups = []
        for row in range(count):
            first = len(shared) + row * len(own) + 1
            number = {name: first + index for index, name in enumerate(own)}
            number.update((name, index + 1) for index, name in enumerate(shared))
            groups.append("(" + ", ".join(f"?{number[name]}" for name in names) + ")")
        return f"{head} VALUES {', '.join(groups)}"

    head_values = [constants[name] for name in shared]
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        connection.exec_driver_sql(
            statement(len(chunk)), tuple(chain(head_values, chain.from_iterable(map(values, chunk))))
        )
    return True


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


def expire_loaded(model: type, key: str, pks: Iterable[int], attributes: Sequence[str] | None = None) -> None:
    """Objects of ``model`` already in the session would still show the values a bulk write replaced."""
    wanted = set(pks)
    if not wanted:
        return
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and vars(obj).get(key) in wanted:  # an expired one reloads anyway
            db.session.expire(obj, attributes)
