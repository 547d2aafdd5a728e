"""What the committee's pages refuse: input that cannot be accepted, and a save over a colleague's newer one."""

from typing import Any

from app.errors import InputError


class CommitteeInputError(InputError):
    """What the member entered (or a board filter) cannot be accepted; ``problems`` maps each field to why."""


class StaleEdit(Exception):
    """Someone saved a newer version since the member opened the form.

    ``current`` holds what is saved now (plain data), ``current_version`` its version.
    """

    def __init__(self, current_version: int, current: dict[str, Any]):
        self.current_version = current_version
        self.current = current
        super().__init__(f"a newer version ({current_version}) was saved in the meantime")
