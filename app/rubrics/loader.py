"""Loading and validating rubric packs (the format: docs/spec-summary.md, "Rubric packs").

Every problem is reported as ``file: key: problem`` and loading stops the
app rather than guessing, because a wrong rubric silently changes scores.
"""

import re
import tomllib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.requirements.records import ERS, TRAINING_TOPICS, VETTED, WORK_KINDS
from app.rubrics.model import (
    CATEGORY_CODES,
    COMBINE_RULES,
    DESIGNATIONS,
    FIGURES,
    KINDS,
    MINIMUM_FIELDS,
    RULE_KEYS,
    RULES_BY_RECORDS,
    Domain,
    Figure,
    PassRule,
    ReconcileRule,
    Requirement,
    Rubric,
)

# Rubric, domain and requirement keys end up in spreadsheets and URLs.
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
# The keys each table may hold: a misspelt setting must not silently fall back to a default.
ALLOWED_KEYS = {
    "top": ("rubric", "scale", "pass", "reconcile", "exam", "domains", "requirements"),
    "[rubric]": ("key", "title", "kind", "categories", "designation", "version"),
    "[scale]": ("min", "max", "labels"),
    "[pass]": ("domain_min", "mean_min", "total_min"),
    "[reconcile]": ("combine", "tolerance", "third_reader", "near_cut_margin"),
    "[exam]": ("mc_pass_mark",),
    "domain": ("key", "name", "areas", "descriptors"),
    "requirement": ("key", "label", "figure", "must_be_yes", *MINIMUM_FIELDS, *RULE_KEYS),
}


class RubricError(Exception):
    """One or more rubric files are invalid; ``problems`` lists every message."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Checker:
    """Collects problems in one file so the author sees all of them at once."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def fail(self, where: str, problem: str) -> None:
        self.problems.append(f"{self.path.name}: {where}: {problem}")

    def known_keys(self, table: dict, where: str, allowed: tuple[str, ...]) -> None:
        for name in table:
            if name not in allowed:
                self.fail(f"{where} {name}".strip(), f"unknown key (expected one of {', '.join(allowed)})")

    def identifier(self, table: dict, where: str, name: str) -> str | None:
        value = self.string(table, where, name)
        if value is not None and not KEY_PATTERN.fullmatch(value):
            self.fail(f"{where} {name}", f"{value!r} must use lowercase letters, digits, - and _ only")
            return None
        return value

    def table(self, data: dict, name: str, required: bool = True) -> dict:
        value = data.get(name)
        if value is None:
            if required:
                self.fail(f"[{name}]", "missing table")
            return {}
        if not isinstance(value, dict):
            self.fail(f"[{name}]", "must be a table")
            return {}
        return value

    def string(self, table: dict, where: str, name: str, required: bool = True) -> str | None:
        value = table.get(name)
        if value is None:
            if required:
                self.fail(f"{where} {name}", "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where} {name}", f"must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    def number(
        self, table: dict, where: str, name: str, *, integer: bool = False, minimum: float | None = None
    ) -> float | int | None:
        value = table.get(name)
        if value is None:
            return None
        wanted = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            self.fail(f"{where} {name}", f"must be {'an integer' if integer else 'a number'}, got {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.fail(f"{where} {name}", f"must be at least {minimum}, got {value!r}")
            return None
        return value

    def level_map(self, value: Any, where: str, scale: range | None) -> dict[int, str]:
        """A ``{ 1 = "…", 2 = "…" }`` table whose keys are the scale's levels."""
        if not isinstance(value, dict):
            self.fail(where, "must be a table of level = text")
            return {}
        levels: dict[int, str] = {}
        for raw_level, text in value.items():
            try:
                level = int(raw_level)
            except ValueError:
                self.fail(where, f"level {raw_level!r} is not a whole number")
                continue
            if not isinstance(text, str) or not text.strip():
                self.fail(where, f"level {level} needs a non-empty text")
                continue
            levels[level] = text.strip()
        if scale is not None and levels and set(levels) != set(scale):
            missing = sorted(set(scale) - set(levels))
            extra = sorted(set(levels) - set(scale))
            detail = "; ".join(
                part
                for part in (
                    f"missing levels {missing}" if missing else "",
                    f"levels outside the scale {extra}" if extra else "",
                )
                if part
            )
            self.fail(where, f"must give every level {scale.start}–{scale.stop - 1}: {detail}")
        return levels


def parse_rubric(path: Path) -> tuple[Rubric | None, list[str]]:
    """Parse and validate one rubric file; returns the rubric (or None) and its problems."""
    rubric, problems = _parse_content(path, path.read_bytes())
    return rubric, list(problems)


@lru_cache(maxsize=128)
def _parse_content(path: Path, content: bytes) -> tuple[Rubric | None, tuple[str, ...]]:
    """Rubrics are immutable, so every app built in one process shares the parse of an unchanged file
    (the test suite builds hundreds of apps; parsing the shipped packs was a third of each start)."""
    check = _Checker(path)
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None, (f"{path.name}: file: not UTF-8 text",)
    except tomllib.TOMLDecodeError as exc:
        return None, (f"{path.name}: file: not valid TOML ({exc})",)

    check.known_keys(data, "", ALLOWED_KEYS["top"])
    head = check.table(data, "rubric")
    check.known_keys(head, "[rubric]", ALLOWED_KEYS["[rubric]"])
    key = check.identifier(head, "[rubric]", "key")
    title = check.string(head, "[rubric]", "title")
    kind = check.string(head, "[rubric]", "kind")
    if kind is not None and kind not in KINDS:
        check.fail("[rubric] kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    categories = head.get("categories")
    if (
        not isinstance(categories, list)
        or not categories
        or not all(isinstance(c, str) and c.strip() for c in categories)
    ):
        check.fail("[rubric] categories", "must be a non-empty list of category codes")
        categories = []
    categories = [c.strip() for c in categories]
    for code in sorted({c for c in categories if categories.count(c) > 1}):
        check.fail("[rubric] categories", f"{code} is listed twice")
    designation = head.get("designation")
    if designation is not None and designation not in DESIGNATIONS:
        check.fail("[rubric] designation", f"must be one of {', '.join(DESIGNATIONS)} or absent, got {designation!r}")
    version = check.number(head, "[rubric]", "version", integer=True, minimum=1) or 1

    scale_table = check.table(data, "scale")
    check.known_keys(scale_table, "[scale]", ALLOWED_KEYS["[scale]"])
    scale_min = check.number(scale_table, "[scale]", "min", integer=True)
    scale_max = check.number(scale_table, "[scale]", "max", integer=True)
    scale = None
    if scale_min is None or scale_max is None:
        check.fail("[scale]", "needs integer min and max")
    elif scale_max <= scale_min:
        check.fail("[scale] max", f"must be greater than min ({scale_min}), got {scale_max}")
    else:
        scale = range(scale_min, scale_max + 1)
    labels = check.level_map(scale_table.get("labels", {}), "[scale] labels", scale) if "labels" in scale_table else {}

    pass_rule = _parse_pass(check, check.table(data, "pass"), scale, present=isinstance(data.get("pass"), dict))
    reconcile = _parse_reconcile(check, check.table(data, "reconcile", required=False))
    domains = _parse_domains(check, data.get("domains"), scale)
    requirements = _parse_requirements(check, data.get("requirements"), kind)
    mc_pass_mark = _parse_exam(check, check.table(data, "exam", required=False), kind)
    if scale is not None and pass_rule.total_min is not None and domains:
        lowest, highest = scale.start * len(domains), (scale.stop - 1) * len(domains)
        if not lowest <= pass_rule.total_min <= highest:
            check.fail(
                "[pass] total_min",
                f"{pass_rule.total_min} lies outside the possible totals {lowest}–{highest} of {len(domains)} domains",
            )

    if check.problems:
        return None, tuple(check.problems)
    return Rubric(
        key=key,
        title=title,
        kind=kind,
        categories=tuple(categories),
        designation=designation,
        version=version,
        scale_min=scale_min,
        scale_max=scale_max,
        labels=labels,
        pass_rule=pass_rule,
        reconcile=reconcile,
        domains=domains,
        requirements=requirements,
        mc_pass_mark=mc_pass_mark,
        source=path,
    ), ()


def _parse_pass(check: _Checker, table: dict, scale: range | None, present: bool) -> PassRule:
    check.known_keys(table, "[pass]", ALLOWED_KEYS["[pass]"])
    rule = PassRule(
        domain_min=check.number(table, "[pass]", "domain_min"),
        mean_min=check.number(table, "[pass]", "mean_min"),
        total_min=check.number(table, "[pass]", "total_min"),
    )
    if present and rule.mean_min is None and rule.total_min is None and rule.domain_min is None:
        check.fail("[pass]", "needs domain_min, mean_min or total_min")
    if rule.mean_min is not None and rule.total_min is not None:
        check.fail("[pass]", "give mean_min or total_min, not both")
    if scale is not None:
        for name in ("domain_min", "mean_min"):
            value = getattr(rule, name)
            if value is not None and not scale.start <= value <= scale.stop - 1:
                check.fail(f"[pass] {name}", f"{value} lies outside the scale {scale.start}–{scale.stop - 1}")
    return rule


def _parse_reconcile(check: _Checker, table: dict) -> ReconcileRule:
    check.known_keys(table, "[reconcile]", ALLOWED_KEYS["[reconcile]"])
    combine = table.get("combine", "mean")
    if combine not in COMBINE_RULES:
        check.fail("[reconcile] combine", f"must be one of {', '.join(COMBINE_RULES)}, got {combine!r}")
    tolerance = check.number(table, "[reconcile]", "tolerance", minimum=0)
    third_reader = table.get("third_reader", True)
    if not isinstance(third_reader, bool):
        check.fail("[reconcile] third_reader", f"must be true or false, got {third_reader!r}")
    margin = check.number(table, "[reconcile]", "near_cut_margin", minimum=0)
    return ReconcileRule(
        combine=combine,
        tolerance=1 if tolerance is None else tolerance,
        third_reader=bool(third_reader),
        near_cut_margin=margin or 0.0,
    )


def _parse_exam(check: _Checker, table: dict, kind: str | None) -> float | None:
    """``[exam] mc_pass_mark``: the Part 1 pass mark (percent) for this application pack's categories."""
    if not table:
        return None
    if kind != "application":
        check.fail("[exam]", "only application rubrics set the Part 1 pass mark")
        return None
    check.known_keys(table, "[exam]", ALLOWED_KEYS["[exam]"])
    mark = check.number(table, "[exam]", "mc_pass_mark", minimum=0)
    if mark is not None and mark > 100:
        check.fail("[exam] mc_pass_mark", f"is a percentage, at most 100, got {mark!r}")
        return None
    return mark


def _parse_domains(check: _Checker, raw: Any, scale: range | None) -> tuple[Domain, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail("[[domains]]", "at least one domain is required")
        return ()
    domains, seen = [], set()
    for index, table in enumerate(raw, start=1):
        where = f"[[domains]] #{index}"
        if not isinstance(table, dict):
            check.fail(where, "must be a table")
            continue
        key = check.identifier(table, where, "key")
        if key:
            where = f"domain {key!r}"
            if key in seen:
                check.fail(where, "duplicate domain key")
            seen.add(key)
        check.known_keys(table, where, ALLOWED_KEYS["domain"])
        name = check.string(table, where, "name")
        areas = table.get("areas", [])
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            check.fail(f"{where} areas", "must be a list of strings")
            areas = []
        if "descriptors" not in table:
            check.fail(f"{where} descriptors", "missing")
            descriptors = {}
        else:
            descriptors = check.level_map(table["descriptors"], f"{where} descriptors", scale)
        if key and name:
            domains.append(Domain(key=key, name=name, areas=tuple(areas), descriptors=descriptors))
    return tuple(domains)


def _parse_requirements(check: _Checker, raw: Any, kind: str | None) -> tuple[Requirement, ...]:
    if raw is None:
        return ()
    if kind != "application":
        check.fail("[[requirements]]", "only application rubrics have requirements")
        return ()
    if not isinstance(raw, list):
        check.fail("[[requirements]]", "must be an array of tables")
        return ()
    requirements, seen = [], set()
    for index, table in enumerate(raw, start=1):
        where = f"[[requirements]] #{index}"
        if not isinstance(table, dict):
            check.fail(where, "must be a table")
            continue
        key = check.identifier(table, where, "key")
        if key:
            where = f"requirement {key!r}"
            if key in seen:
                check.fail(where, "duplicate requirement key")
            seen.add(key)
        check.known_keys(table, where, ALLOWED_KEYS["requirement"])
        requirement = _parse_requirement(check, table, where, key)
        if requirement is not None:
            requirements.append(requirement)
    return tuple(requirements)


def _parse_requirement(check: _Checker, table: dict, where: str, key: str | None) -> Requirement | None:
    """One line: its figure, its minimum (in the figure's unit) and the rules of the figure's record kind."""
    label = check.string(table, where, "label")
    figure_name = check.string(table, where, "figure", required=False)
    figure = FIGURES.get(figure_name) if figure_name else None
    if figure_name is not None and figure is None:
        check.fail(f"{where} figure", f"{figure_name!r} is not a portfolio figure (one of {', '.join(FIGURES)})")
    given = [name for name in MINIMUM_FIELDS if name in table]
    if len(given) > 1:
        check.fail(where, f"give one minimum, not {', '.join(given)}")
    minimum = check.number(table, where, given[0], minimum=0) if given else None
    must_be_yes = table.get("must_be_yes", False)
    if not isinstance(must_be_yes, bool):
        check.fail(f"{where} must_be_yes", f"must be true or false, got {must_be_yes!r}")
    if given and must_be_yes is True:
        check.fail(where, f"give {given[0]} or must_be_yes, not both")
    if (given or must_be_yes) and not figure_name:
        check.fail(where, 'a minimum or must_be_yes needs the figure it checks (figure = "…")')
    if figure is not None:
        _check_minimum_fits(check, where, figure, given[0] if given else None, must_be_yes is True)
    rules = _parse_rules(check, table, where, figure, figure_name)
    if not (key and label):
        return None
    return Requirement(
        key=key,
        label=label,
        figure=figure_name,
        minimum=minimum,
        unit=given[0].removeprefix("min_") if given else None,
        must_be_yes=must_be_yes is True,
        **rules,
    )


def _check_minimum_fits(check: _Checker, where: str, figure: Figure, given: str | None, must_be_yes: bool) -> None:
    """``min_hours`` on a figure counted in years would compare two different things."""
    if figure.unit == "yes":
        if given:
            check.fail(f"{where} {given}", f"{figure.name} is a yes/no figure: use must_be_yes = true")
        return
    if must_be_yes:
        check.fail(
            f"{where} must_be_yes", f"{figure.name} is counted in {figure.unit}, not yes/no: use min_{figure.unit}"
        )
    elif given and given != f"min_{figure.unit}":
        counted = "a count" if figure.unit == "count" else f"counted in {figure.unit}"
        check.fail(f"{where} {given}", f"{figure.name} is {counted}: use min_{figure.unit}")


def _parse_rules(
    check: _Checker, table: dict, where: str, figure: Figure | None, figure_name: str | None
) -> dict[str, Any]:
    """The line's rule keys, each valid for the figure's record kind, with the rules the figure's name implies."""
    given = [name for name in RULE_KEYS if name in table]
    allowed = RULES_BY_RECORDS.get(figure.records, ()) if figure is not None else ()
    for name in given:
        if figure_name is None:
            check.fail(f"{where} {name}", 'a rule needs the figure it applies to (figure = "…")')
        elif figure is not None and name not in allowed:
            owners = [f for f in FIGURES.values() if name in RULES_BY_RECORDS.get(f.records, ())]
            check.fail(
                f"{where} {name}", f"applies to {' / '.join(f.name for f in owners)} lines, not to {figure.name}"
            )
    rules: dict[str, Any] = {}
    for name in given:
        value = RULE_PARSERS[name](check, f"{where} {name}", table[name])
        if value is not None:
            rules[name] = value
    if figure is not None:
        for name, implied in figure.implies.items():
            if name in rules and rules[name] != implied:
                check.fail(
                    f"{where} {name}", f"{figure.name} already means {name} = {_toml(implied)}; leave {name} out"
                )
            rules[name] = implied
    _check_rule_pairs(check, where, figure, rules)
    return rules


def _check_rule_pairs(check: _Checker, where: str, figure: Figure | None, rules: dict[str, Any]) -> None:
    """Rules that do nothing without another rule are mistakes worth naming."""
    if "accept_vetted_until" in rules and not rules.get("provider_endorsements"):
        check.fail(
            f"{where} accept_vetted_until", "needs provider_endorsements (without them every provider counts anyway)"
        )
    if "min_endorsed" in rules and not rules.get("endorsements"):
        check.fail(f"{where} min_endorsed", "needs endorsements = [...] (the endorsements a rater must hold)")
    if (
        figure is not None
        and figure.name == "references_received"
        and rules.get("endorsements")
        and "min_endorsed" not in rules
    ):
        check.fail(f"{where} endorsements", "needs min_endorsed (how many raters must hold one)")
    if figure is not None and figure.name == "references_endorsed" and not rules.get("endorsements"):
        check.fail(where, "references_endorsed needs endorsements = [...] (the endorsements that count)")
    kinds = rules.get("kinds")
    if "internship_max_years" in rules and kinds and "internship" not in kinds:
        check.fail(
            f"{where} internship_max_years", 'kinds does not include "internship", so no internship counts anyway'
        )


def _boolean(check: _Checker, where: str, value: Any) -> bool | None:
    if not isinstance(value, bool):
        check.fail(where, f"must be true or false, got {value!r}")
        return None
    return value


def _number_rule(
    *, integer: bool = False, above: float | None = None, minimum: float | None = None
) -> Callable[[_Checker, str, Any], float | None]:
    """A number (or whole number) more than ``above`` / at least ``minimum``."""

    def parse(check: _Checker, where: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            check.fail(where, f"must be {'a whole number' if integer else 'a number'}, got {value!r}")
        elif above is not None and value <= above:
            check.fail(where, f"must be more than {above:g}, got {value!r}")
        elif minimum is not None and value < minimum:
            check.fail(where, f"must be at least {minimum:g}, got {value!r}")
        else:
            return value
        return None

    return parse


def _a_date(check: _Checker, where: str, value: Any) -> date | None:
    if isinstance(value, datetime) or not isinstance(value, date):
        check.fail(where, f"must be a date written without quotes, e.g. 2027-12-21, got {value!r}")
        return None
    return value


def _choice_list(choices: tuple[str, ...], *, upper: bool) -> Callable[[_Checker, str, Any], tuple[str, ...] | None]:
    """A non-empty list of distinct values out of ``choices`` (codes compared in upper case, ``vetted`` as is)."""

    def parse(check: _Checker, where: str, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            check.fail(where, "must be a non-empty list of strings")
            return None
        found, unknown = [], []
        for raw in value:
            word = raw.strip()
            code = VETTED if word.lower() == VETTED else (word.upper() if upper else word)
            if code not in choices:
                unknown.append(raw)
            elif code in found:
                check.fail(where, f"{code} is listed twice")
            else:
                found.append(code)
        if unknown:
            check.fail(where, f"unknown {', '.join(repr(u) for u in unknown)} (expected {', '.join(choices)})")
            return None
        return tuple(found)

    return parse


def _topic(check: _Checker, where: str, value: Any) -> str | None:
    if value not in TRAINING_TOPICS:
        check.fail(where, f"must be one of {', '.join(TRAINING_TOPICS)}, got {value!r}")
        return None
    return value


ENDORSEMENT_CHOICES = (*CATEGORY_CODES, ERS, VETTED)
RULE_PARSERS: dict[str, Callable[[_Checker, str, Any], Any]] = {
    "topic": _topic,
    "provider_endorsements": _choice_list(ENDORSEMENT_CHOICES, upper=True),
    "accept_vetted_until": _a_date,
    "exclude_peer": _boolean,
    "about_providing": _boolean,
    "window_years": _number_rule(above=0),
    "majority_from_one_source": _boolean,
    "min_endorsed": _number_rule(integer=True, minimum=1),
    "endorsements": _choice_list(ENDORSEMENT_CHOICES, upper=True),
    "kinds": _choice_list(WORK_KINDS, upper=False),
    "internship_max_years": _number_rule(minimum=0),
    "with_infant_and_parent": _boolean,
}


def _toml(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else f'"{value}"'


def load_rubrics(directories: Iterable[Path]) -> dict[str, Rubric]:
    """Load every ``*.toml`` in the directories in order; a later directory wins on equal key.

    Raises RubricError listing every problem in every file.
    """
    rubrics: dict[str, Rubric] = {}
    problems: list[str] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        in_this_directory: dict[str, Path] = {}
        for path in sorted(directory.glob("*.toml")):
            rubric, file_problems = parse_rubric(path)
            problems.extend(file_problems)
            if rubric is None:
                continue
            if rubric.key in in_this_directory:
                problems.append(
                    f"{path.name}: [rubric] key: {rubric.key!r} is also defined in {in_this_directory[rubric.key].name}"
                )
                continue
            in_this_directory[rubric.key] = path
            rubrics[rubric.key] = rubric
    problems.extend(_overlapping_application_rubrics(rubrics))
    if problems:
        raise RubricError(problems)
    if not rubrics:
        raise RubricError(["no rubric files found in " + ", ".join(str(d) for d in directories)])
    return rubrics


def _overlapping_application_rubrics(rubrics: dict[str, Rubric]) -> list[str]:
    """An application item uses *the* application rubric of its category, so there may be only one."""
    problems, owner = [], {}
    for rubric in sorted(rubrics.values(), key=lambda r: r.key):
        if rubric.kind != "application":
            continue
        for category in rubric.categories:
            if category in owner:
                first = owner[category]
                problems.append(
                    f"{rubric.source.name}: [rubric] categories: {category} already has the "
                    f"application rubric {first.key!r} ({first.source.name})"
                )
            else:
                owner[category] = rubric
    return problems
