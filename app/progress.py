"""How a long operation says how far it has got: one shape for the command line's bar and a background job's row.

A service that may run for long (an import, assignment, reconciliation, the
export, the letters) takes a ``Progress`` and calls ``start`` for each phase
(with the number of steps when it knows them) and ``advance`` as it goes. The
base class does nothing, so a service called without one pays nothing; the
command line's bar is ``app.cli.TerminalProgress``, a background job's is
``app.jobs.service.JobProgress`` (docs/operations.md, "Long operations").
"""


class Progress:
    """Reports nothing: what a service gets when nobody is watching."""

    def start(self, label: str, total: int | None = None) -> None:
        """A new phase: ``label`` in words, ``total`` steps when known (else the phase shows its label only)."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more of the current phase are done."""

    def finish(self) -> None:
        """The operation is over (done or failed)."""


NO_PROGRESS = Progress()
