"""Whether one autosave of one field is stored: a plain decision over what is stored and what arrived.

Every scoring page is a *window* with its own random id (``tab``) and numbers
its saves 1, 2, 3… (``seq``); every stored field carries a version that goes
up by one with each stored change, the window that wrote it and that
window's ``seq``. A save says which version its window last saw
(``base_version``). Then:

- the window that wrote the field last stores a newer save of its own
  (higher ``seq``) whatever version it saw: nothing of anyone else's is lost;
- the version moves only when the content changes, so re-sending what is
  stored never makes another window's next save look stale;
- the same save arriving twice (a retry) is acknowledged again, not redone;
- a late, older save of that same window is never stored over its newer one;
- any other window stores only if it saw the stored version; if not, and
  its text differs, it is told the field changed in another window, with
  what is stored now, and keeps its own text to save over it or drop.

So a save is acknowledged only when what it carries is what is stored.
See docs/security-hardening.md ("Autosave from two windows").
"""

import enum
from collections.abc import Hashable
from dataclasses import dataclass


class SaveOutcome(enum.StrEnum):
    STORE = "store"  # write it as the next version
    ALREADY_STORED = "already_stored"  # exactly this is stored: acknowledge without writing
    SUPERSEDED = "superseded"  # a late, older save of the window that wrote a newer one
    CONFLICT = "conflict"  # another window changed the field since this one last saw it

    @property
    def stored(self) -> bool:
        """Whether what the save carries is stored once the decision is carried out (so it may be acknowledged)."""
        return self in (SaveOutcome.STORE, SaveOutcome.ALREADY_STORED)


@dataclass(frozen=True)
class StoredField:
    version: int
    tab: str | None  # the window that wrote it last; None for an import or a row from before windows
    seq: int
    content: tuple[Hashable, ...]


@dataclass(frozen=True)
class IncomingSave:
    tab: str
    seq: int
    base_version: int
    content: tuple[Hashable, ...]


def decide(stored: StoredField | None, incoming: IncomingSave) -> SaveOutcome:
    """What to do with ``incoming`` given what is ``stored`` (None: the field was never saved)."""
    if stored is None:
        return SaveOutcome.STORE
    if stored.tab == incoming.tab:
        if incoming.seq > stored.seq:
            return SaveOutcome.STORE
        if incoming.seq == stored.seq and incoming.content == stored.content:
            return SaveOutcome.ALREADY_STORED
        return SaveOutcome.SUPERSEDED
    if incoming.base_version == stored.version:
        return SaveOutcome.STORE
    if incoming.content == stored.content:
        return SaveOutcome.ALREADY_STORED
    return SaveOutcome.CONFLICT
