"""Where the rubric packs and migrations that ship with the app are.

In the repository they sit at the top level (``rubrics/``, ``migrations/``),
the layout users and scripts know. An installed wheel carries them inside the
package as ``app/_shipped/…`` (setup.py maps them there), so the app works
from any directory without the checkout.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The shipped ``rubrics`` or ``migrations`` folder of this installation."""
    inside = _PACKAGE / "_shipped" / name
    return inside if inside.is_dir() else _PACKAGE.parent / name
