"""The import graph runs routes → services → models, with no two areas importing each other.

Two kinds of module are the shared ground floor that any area may import either way: models (``app/models.py``
gathers them for the metadata) and plain-data modules that import nothing of the app (rubric data, record
vocabularies, chart geometry). Models stand on that floor only. Every other import between areas (a service,
an engine, a page) must go one way.
"""

import ast
import sys
from pathlib import Path

import app

APP = Path(app.__file__).parent
# Modules that gather every area by design: the application factory and the metadata's list of models.
GATHERERS = {"app", "app.models"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in APP.rglob("*.py"):
        parts = ("app", *path.relative_to(APP).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(path: Path) -> set[str]:
    """Every ``app.…`` module the file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "app":
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # "from app.x import y"
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "app")
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {imported for imported in _imports(path) if imported in modules and imported not in GATHERERS}
        for name, path in modules.items()
        if name not in GATHERERS
    }


def _area(module: str) -> str:
    return module.split(".")[1]


def _is_models(module: str) -> bool:
    return module.endswith(".models")


def _shared_floor(graph: dict[str, set[str]]) -> set[str]:
    """Models, and the modules that import nothing of the app."""
    return {module for module, imports in graph.items() if _is_models(module) or not imports}


def test_models_import_only_models_and_plain_data():
    graph = _graph()
    floor = _shared_floor(graph)
    wrong = {
        (module, imported)
        for module, imports in graph.items()
        if _is_models(module)
        for imported in imports
        if imported not in floor
    }
    assert not wrong, f"models importing more than models and plain data: {sorted(wrong)}"


def test_nothing_but_an_areas_own_registration_imports_its_routes():
    wrong = {
        (module, imported)
        for module, imports in _graph().items()
        for imported in imports
        if imported.endswith(".routes") and module != imported.rsplit(".", 1)[0]
    }
    assert not wrong, f"routes imported by other modules: {sorted(wrong)}"


def test_no_two_areas_import_each_other_beyond_the_shared_floor():
    graph = _graph()
    floor = _shared_floor(graph)
    edges: dict[str, set[str]] = {}
    for module, imports in graph.items():
        for imported in imports:
            if _area(imported) != _area(module) and imported not in floor:
                edges.setdefault(_area(module), set()).add(_area(imported))
    cycles = []

    def visit(area: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(area, ())):
            if nxt == path[0]:
                cycles.append(" → ".join([*path, nxt]))
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its smallest area
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert not cycles, f"areas importing each other: {cycles}"


def test_the_check_sees_a_cycle_when_there_is_one(tmp_path, monkeypatch):
    """The graph check itself: two areas whose services import each other are a cycle it reports."""
    for area, other in (("one", "two"), ("two", "one")):
        (tmp_path / area).mkdir()
        (tmp_path / area / "__init__.py").write_text("")
        (tmp_path / area / "service.py").write_text(f"from app.{other}.service import thing\nfrom app.base import x\n")
    (tmp_path / "base.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "APP", tmp_path)
    try:
        test_no_two_areas_import_each_other_beyond_the_shared_floor()
    except AssertionError as refused:
        assert "one → two → one" in str(refused)
    else:
        raise AssertionError("a cycle between two areas went unnoticed")
