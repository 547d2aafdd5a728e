"""The app's loaded rubrics, and the association's licensed indicator text."""
import tomllib
from pathlib import Path

from flask import Flask, current_app

from app.rubrics.loader import RubricError, load_rubrics
from app.rubrics.model import Rubric

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "rubrics"
INDICATORS_FILE = "indicators.toml"


def rubric_directories(app: Flask) -> list[Path]:
    """Shipped packs first, then instance/rubrics/ (which wins on equal key)."""
    return [Path(app.config.get("RUBRICS_DIR", SHIPPED_DIR)), Path(app.instance_path) / "rubrics"]


def load_for_app(app: Flask) -> dict[str, Rubric]:
    rubrics = load_rubrics(rubric_directories(app))
    app.extensions["rubrics"] = rubrics
    app.extensions["indicators"] = load_indicators(Path(app.instance_path) / INDICATORS_FILE)
    return rubrics


def all_rubrics() -> dict[str, Rubric]:
    return current_app.extensions["rubrics"]


def get_rubric(key: str) -> Rubric:
    """The rubric with this key; KeyError when there is none."""
    return all_rubrics()[key]


def application_rubric_for(category: str) -> Rubric | None:
    """The application rubric covering a category (SPEC §2: one per category)."""
    for rubric in all_rubrics().values():
        if rubric.kind == "application" and category in rubric.categories:
            return rubric
    return None


def load_indicators(path: Path) -> dict[str, dict[str, str]]:
    """Licensed indicator text from instance/indicators.toml, never committed.

    ``[domains.<domain_key>] text = "…"`` applies to every rubric;
    ``[rubrics.<rubric_key>.<domain_key>] text = "…"`` to one rubric only.
    Returns ``{"*": {domain: text}, rubric_key: {domain: text}}``.
    """
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError([f"{path.name}: file: cannot be read ({exc})"]) from exc
    indicators: dict[str, dict[str, str]] = {"*": {}}
    problems = []
    for domain_key, table in data.get("domains", {}).items():
        if not isinstance(table, dict) or not isinstance(table.get("text"), str):
            problems.append(f"{path.name}: domains.{domain_key}: needs text = \"…\"")
            continue
        indicators["*"][domain_key] = table["text"]
    for rubric_key, domains in data.get("rubrics", {}).items():
        for domain_key, table in (domains or {}).items():
            if not isinstance(table, dict) or not isinstance(table.get("text"), str):
                problems.append(f"{path.name}: rubrics.{rubric_key}.{domain_key}: needs text = \"…\"")
                continue
            indicators.setdefault(rubric_key, {})[domain_key] = table["text"]
    if problems:
        raise RubricError(problems)
    return indicators


def indicator_text(rubric_key: str, domain_key: str) -> str | None:
    """The association's licensed text for a domain of a rubric, when configured."""
    indicators = current_app.extensions.get("indicators", {})
    return indicators.get(rubric_key, {}).get(domain_key) or indicators.get("*", {}).get(domain_key)
