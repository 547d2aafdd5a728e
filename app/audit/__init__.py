"""The append-only audit log."""

from app.audit import guard  # noqa: F401  (attaches the append-only DDL to the table)
