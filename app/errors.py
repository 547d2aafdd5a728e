"""The one shape of "what the user gave us cannot be accepted": a field (or place) → the reason, in words.

Services raise ``InputError`` (or an area's subclass of it); routes show
``problems`` beside the form fields they name, the command line prints
``str(error)``. Nobody parses a message back into a field. See
docs/architecture.md ("Input errors").
"""

from collections.abc import Mapping

# The key of a problem that belongs to no single field (shown above the form).
GENERAL = ""


class InputError(ValueError):
    """Bad input; ``problems`` maps each field name (or ``GENERAL``) to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str] | str):
        self.problems: dict[str, str] = {GENERAL: problems} if isinstance(problems, str) else dict(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__(self.message)

    @classmethod
    def of(cls, field: str, reason: str) -> "InputError":
        """One problem with one field."""
        return cls({field: reason})

    @property
    def message(self) -> str:
        """Every problem in one line, "field: reason; …", for the command line and logs."""
        return "; ".join(f"{field}: {reason}" if field else reason for field, reason in self.problems.items())

    def __str__(self) -> str:
        return self.message
