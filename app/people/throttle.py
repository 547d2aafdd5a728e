"""How long a sign-in must wait after failures: plain decisions over counts and times, no database.

A few failures are free; after that each further attempt waits a delay that
doubles with every failure, up to a ceiling. Nothing is ever locked for good,
and the counts that decide it are kept per bucket (an e-mail from unknown
devices, an e-mail from one known device, a client address), so one bucket's
failures never delay another's. See docs/security-hardening.md ("Sign-in limits").
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limit:
    """``free`` failures within ``window`` cost nothing; the next waits ``first_delay``, then twice as long…"""

    free: int
    window: timedelta
    first_delay: timedelta
    max_delay: timedelta

    def delay_after(self, failures: int) -> timedelta:
        """The wait owed after ``failures`` failures inside the window (zero while they are free)."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 32)  # 2**32 first delays is past any ceiling
        return min(self.max_delay, self.first_delay * 2**doublings)


def wait_seconds(limit: Limit, failures: int, last_failure: datetime | None, now: datetime) -> int:
    """Whole seconds (rounded up) before another attempt may be checked; 0 when it may be checked now."""
    delay = limit.delay_after(failures)
    if last_failure is None or not delay:
        return 0
    remaining = last_failure + delay - now
    if remaining <= timedelta(0):
        return 0
    return int(-(-remaining.total_seconds() // 1))


def describe_wait(seconds: int) -> str:
    """ "45 seconds", "3 minutes": how a wait reads in a message."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
