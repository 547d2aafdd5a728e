"""Recording the SQL statements a piece of code sends, for tests that bound the number of queries."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent through ``engine`` inside the block, in order."""
    statements: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def selects(statements: list[str]) -> list[str]:
    """The queries among ``statements`` (transaction control such as BEGIN IMMEDIATE is not a query)."""
    return [statement for statement in statements if statement.lstrip().upper().startswith("SELECT")]
