"""The app's loaded rubrics, and the association's licensed indicator text."""

import tomllib
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app

from app.rubrics.loader import RubricError, load_rubrics
from app.rubrics.model import Rubric
from app.shipped import shipped_dir

SHIPPED_DIR = shipped_dir("rubrics")
INDICATORS_FILE = "indicators.toml"
# The associations whose packs ship (the ASSOCIATION setting); the first is the base, with no overlay of its own.
ASSOCIATIONS = ("MI-AIMH", "VAIMH", "ITMHCA", "NCIMHA")
BASE_ASSOCIATION = ASSOCIATIONS[0]


def association_of(app: Flask) -> str:
    """The ASSOCIATION setting; RubricError names the valid values when it is not one of them."""
    code = str(app.config.get("ASSOCIATION") or BASE_ASSOCIATION).strip().upper()
    if code not in ASSOCIATIONS:
        raise RubricError(
            [
                f"ASSOCIATION: unknown association {app.config.get('ASSOCIATION')!r} "
                f"(expected one of {', '.join(ASSOCIATIONS)})"
            ]
        )
    return code


def rubric_directories(app: Flask) -> list[Path]:
    """The base packs, the association's overlay packs, then instance/rubrics/; a later one wins on equal key.

    An overlay pack replaces the base pack of the same key whole (docs/requirements.md, "Associations").
    """
    shipped = Path(app.config.get("RUBRICS_DIR", SHIPPED_DIR))
    directories = [shipped]
    association = association_of(app)
    if association != BASE_ASSOCIATION:
        directories.append(shipped / "associations" / association)
    return directories + [Path(app.instance_path) / "rubrics"]


def load_for_app(app: Flask) -> dict[str, Rubric]:
    rubrics = load_rubrics(rubric_directories(app))
    indicators = load_indicators(Path(app.instance_path) / INDICATORS_FILE, rubrics)
    app.extensions["rubrics"] = rubrics
    app.extensions["indicators"] = indicators
    return rubrics


def all_rubrics() -> dict[str, Rubric]:
    return current_app.extensions["rubrics"]


def get_rubric(key: str) -> Rubric:
    """The rubric with this key; KeyError when there is none."""
    return all_rubrics()[key]


def application_rubric_for(category: str) -> Rubric | None:
    """The application rubric covering a category (one per category)."""
    for rubric in all_rubrics().values():
        if rubric.kind == "application" and category in rubric.categories:
            return rubric
    return None


def part1_pass_mark(category: str | None) -> float:
    """The Part 1 (multiple-choice) pass mark of a category: its application pack's ``[exam] mc_pass_mark``,
    else the PART1_PASS_MARK setting."""
    rubric = application_rubric_for(category) if category else None
    if rubric is not None and rubric.mc_pass_mark is not None:
        return float(rubric.mc_pass_mark)
    return float(current_app.config["PART1_PASS_MARK"])


def load_indicators(path: Path, rubrics: dict[str, Rubric] | None = None) -> dict[str, dict[str, str]]:
    """Licensed indicator text from instance/indicators.toml, never committed.

    ``[domains.<domain_key>] text = "…"`` applies to every rubric;
    ``[rubrics.<rubric_key>.<domain_key>] text = "…"`` to one rubric only.
    Returns ``{"*": {domain: text}, rubric_key: {domain: text}}``. With ``rubrics``
    given, a key that names no loaded rubric or domain is a problem: the text
    would otherwise never be shown and nobody would notice.
    """
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise RubricError([f"{path.name}: file: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError([f"{path.name}: file: not valid TOML ({exc})"]) from exc
    indicators: dict[str, dict[str, str]] = {"*": {}}
    problems = []
    known_domains = {d.key for r in (rubrics or {}).values() for d in r.domains}
    for name in data:
        if name not in ("domains", "rubrics"):
            problems.append(
                f"{path.name}: {name}: unknown table (expected [domains.<domain>] or [rubrics.<rubric>.<domain>])"
            )
    for domain_key, table in _sections(data, "domains", path, problems):
        if rubrics is not None and domain_key not in known_domains:
            problems.append(f"{path.name}: domains.{domain_key}: no rubric has a domain {domain_key!r}")
        elif _text(table, f"domains.{domain_key}", path, problems):
            indicators["*"][domain_key] = table["text"]
    for rubric_key, domains in _sections(data, "rubrics", path, problems):
        if not isinstance(domains, dict):
            problems.append(f"{path.name}: rubrics.{rubric_key}: must be a table of domains")
            continue
        if rubrics is not None and rubric_key not in rubrics:
            problems.append(f"{path.name}: rubrics.{rubric_key}: no rubric has the key {rubric_key!r}")
            continue
        for domain_key, table in domains.items():
            where = f"rubrics.{rubric_key}.{domain_key}"
            if rubrics is not None and domain_key not in rubrics[rubric_key].domain_keys:
                problems.append(f"{path.name}: {where}: rubric {rubric_key!r} has no domain {domain_key!r}")
            elif _text(table, where, path, problems):
                indicators.setdefault(rubric_key, {})[domain_key] = table["text"]
    if problems:
        raise RubricError(problems)
    return indicators


def _sections(data: dict, name: str, path: Path, problems: list[str]) -> list[tuple[str, object]]:
    """The ``key → table`` pairs under ``data[name]``, reporting a value that is not a table."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        problems.append(f"{path.name}: {name}: must be a table")
        return []
    return list(value.items())


def _text(table, where: str, path: Path, problems: list[str]) -> bool:
    if not isinstance(table, dict) or not isinstance(table.get("text"), str) or not table["text"].strip():
        problems.append(f'{path.name}: {where}: needs text = "…"')
        return False
    return True


def indicator_text(rubric_key: str, domain_key: str) -> str | None:
    """The association's licensed text for a domain of a rubric, when configured."""
    indicators = current_app.extensions.get("indicators", {})
    return indicators.get(rubric_key, {}).get(domain_key) or indicators.get("*", {}).get(domain_key)


def rubrics_of(items: Iterable, error: type[Exception] = KeyError) -> dict[str, Rubric]:
    """The rubric of every item, looked up once per key; ``error`` names the first item whose rubric is not loaded."""
    rubrics: dict[str, Rubric] = {}
    for item in items:
        if item.rubric_key not in rubrics:
            try:
                rubrics[item.rubric_key] = get_rubric(item.rubric_key)
            except KeyError:
                raise error(f"item {item.item_id}: rubric {item.rubric_key!r} is not loaded") from None
    return rubrics
