"""Telling an htmx request for part of a page from a request for the whole page."""

from app.extensions import htmx


def fragment_request() -> bool:
    """An htmx request for part of a page (not a boosted or history-restoring full page)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request
