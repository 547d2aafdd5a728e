"""axe-core in the browser tests: every page a role can reach has no accessibility violation.

The vendored file (tests/browser/vendor/README.md) is evaluated inside the page through Playwright, which the
page's Content-Security-Policy does not govern, so the app keeps its strict policy under test.
"""

from functools import cache
from pathlib import Path

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, focusable scrolling regions…).
RUN_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}


# What htmx still has to bring in after the load event: an element that fetches itself on load (the dashboards'
# score pictures) stays until its answer is swapped in, and the classes mark a request, swap or settle under way.
HTMX_BUSY = '[hx-trigger="load"], .htmx-request, .htmx-swapping, .htmx-settling'


def settled(page) -> None:
    """Wait until htmx has brought in and settled what the page loads after itself.

    Playwright's "networkidle" waited half a second of silence after every page (about 25 s over the
    accessibility pass, docs/development.md "Tests"); and a part that never arrives now fails the test
    instead of being checked as the placeholder it left.
    """
    page.wait_for_function("(busy) => !document.querySelector(busy)", arg=HTMX_BUSY)


@cache
def _source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """Each axe violation on the page as it is now, as one line: rule, help text and up to three elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate(
        """(options) => axe.run(document, options).then(result => result.violations.map(v =>
        `${v.id} (${v.impact}): ${v.help} — ` + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))""",
        RUN_OPTIONS,
    )
    return [f"{page.url}: {line}" for line in found]
