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
