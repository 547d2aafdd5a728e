"""TOML text of small rubric packs for tests, so each test module states only what its rubric needs."""

import json
from pathlib import Path
from typing import Any


def levels(*texts: str) -> dict[int, str]:
    """Descriptors for the levels 1, 2, … in order."""
    return dict(enumerate(texts, start=1))


def rubric_toml(
    key: str,
    kind: str,
    categories: list[str],
    domains: dict[str, str],
    descriptors: dict[int, str],
    *,
    pass_rule: dict[str, Any],
    title: str | None = None,
    reconcile: dict[str, Any] | None = None,
    requirements: list[dict[str, Any]] = (),
) -> str:
    """A version-1 pack whose scale runs over ``descriptors``' levels; every domain (key → name) shares them."""
    lines = [
        "[rubric]",
        f"key = {_value(key)}",
        f"title = {_value(title or key)}",
        f"kind = {_value(kind)}",
        f"categories = {_value(categories)}",
        "version = 1",
        "[scale]",
        f"min = {min(descriptors)}",
        f"max = {max(descriptors)}",
        *_table("[pass]", pass_rule),
    ]
    if reconcile:
        lines += _table("[reconcile]", reconcile)
    inline = "{ " + ", ".join(f"{level} = {_value(text)}" for level, text in descriptors.items()) + " }"
    for domain_key, name in domains.items():
        lines += ["[[domains]]", f"key = {_value(domain_key)}", f"name = {_value(name)}", f"descriptors = {inline}"]
    for requirement in requirements:
        lines += _table("[[requirements]]", requirement)
    return "\n".join(lines) + "\n"


def write_rubrics(instance_path: Path, rubrics: dict[str, str]) -> None:
    """Write packs (key → TOML text) into ``instance_path``/rubrics/, where the app finds local packs."""
    folder = instance_path / "rubrics"
    folder.mkdir(parents=True, exist_ok=True)
    for key, text in rubrics.items():
        (folder / f"{key}.toml").write_text(text, encoding="utf-8")


def _table(header: str, values: dict[str, Any]) -> list[str]:
    return [header, *(f"{name} = {_value(value)}" for name, value in values.items())]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string
    return str(value)
