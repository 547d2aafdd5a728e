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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.sql.dml import UpdateBase

from app.extensions import db

BATCH = 500  # ids per IN (...) list, well under every database's parameter limit


def execute_many(statement: UpdateBase, rows: Sequence[Mapping[str, Any]], **shared: Any) -> None:
    """Run an INSERT or UPDATE once per row on the session's connection, in the session's transaction.

    Every row has the same keys; ``shared`` holds the values that are the
    same in every row (the time of the change, its author). Python-side
    column defaults are not applied: the statement's every parameter needs a
    value. Connection events still fire, so statement counters see the write.
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
    # Only the rows' own values that need converting go through Python one by one; the rest is C (itemgetter).
    converters = [(name, convert) for name in names if name not in constants and (convert := processor(name))]
    pick = itemgetter(*names)
    single = len(names) == 1

    def values(row: Mapping[str, Any]) -> tuple:
        merged = {**row, **constants}
        for name, convert in converters:
            merged[name] = convert(merged[name])
        picked = pick(merged)
        return (picked,) if single else picked

    if compiled.positional:
        params: list = [values(row) for row in rows]
    else:
        params = [dict(zip(names, values(row), strict=True)) for row in rows]
    connection.exec_driver_sql(compiled.string, params)


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
