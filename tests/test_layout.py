"""The floors of the architecture, checked on the source: ``bot`` → ``handlers`` → {``digests``, ``catalogue``}
→ ``reports``.

A module may import its own package and the floors below it, never one above; ``digests`` and ``catalogue``
share a floor and do not import each other. ``fakes`` (test and demo servers) may be imported only by
``bot.demo``, never by the shipped runtime. Inside a package, its modules and sub-packages import each
other without cycles, and no module imports another module's private (``_name``) names.

Beside the floors: ``fakes`` imports nothing shipped at all (standard library, third-party packages and
itself), so ``bot.demo`` → ``fakes`` closes no cycle; ``bench`` sits on top of everything and may import
any package but ``tests``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Highest floor first; packages on one floor may not import each other either.
FLOORS: list[tuple[str, ...]] = [("bot",), ("handlers",), ("digests", "catalogue"), ("reports",)]
PACKAGES = [p for floor in FLOORS for p in floor]


def floor_of(package: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if package in floor)


def imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules_of(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_nothing_imports_a_higher_floor_or_a_neighbour(package: str) -> None:
    level = floor_of(package)
    above = {p for floor in FLOORS[:level] for p in floor} | (set(FLOORS[level]) - {package})
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & above) for path in modules_of(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_shipped_code_never_imports_the_fakes_or_tests(package: str) -> None:
    allowed = {ROOT / "bot" / "demo.py"}
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules_of(package)
        if p not in allowed and imported_packages(p) & {"fakes", "tests"}
    ]
    assert offenders == []


#: What each helper package beside the floors may never import.
HELPERS: dict[str, set[str]] = {
    "fakes": {*PACKAGES, "migrations", "bench", "tests"},
    "bench": {"tests"},
}


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_helpers_beside_the_floors_import_nothing_above_theirs(helper: str) -> None:
    """``fakes`` is the floor under every other: it imitates Slack and Braze after their documentation and
    imports no shipped package (not even ``reports``' models), so a fake can never agree with our code by
    construction and hide the bug it exists to catch, and ``bot.demo`` may use it without a cycle. The bot's
    settings for the fakes are plain values there (``fakes.settings.settings_values``); the tests and the
    bench build ``Settings`` from them. ``bench`` times the shipped code from above and may import anything
    but the tests."""
    forbidden = HELPERS[helper]
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & forbidden) for path in modules_of(helper)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _module_path(name: str) -> Path | None:
    """The file of module ``name`` (``reports.kinds`` → reports/kinds/__init__.py), or None (a name in one)."""
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks: imports made only for annotations never
    run, so they make no cycle (imports inside functions do run, and count)."""
    nodes: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            test = child.test if isinstance(child, ast.If) else None
            if isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING"):
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return nodes


def _imported_modules(path: Path) -> set[Path]:
    """The project modules ``path`` imports at run time (``from a.b import c`` is ``a.b.c`` when that is a
    module)."""
    found: set[Path] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            if name.split(".")[0] in PACKAGES and (target := _module_path(name)) is not None:
                found.add(target)
    return found


def _unit(package: str, path: Path) -> str:
    """What a module belongs to inside its package: itself, or the sub-package holding it (whose own
    ``__init__`` is a unit apart: a leaf that lower modules may import, like ``reports.kinds``)."""
    parts = path.relative_to(ROOT / package).with_suffix("").parts
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]}.__init__" if parts[1:] == ("__init__",) else parts[0]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_a_package(package: str) -> None:
    """E.g. ``handlers.grammar`` used ``handlers.layout`` while ``handlers.layout`` used ``handlers.grammar``."""
    edges: dict[str, set[str]] = {}
    for path in modules_of(package):
        unit = _unit(package, path)
        targets = {_unit(package, t) for t in _imported_modules(path) if t.is_relative_to(ROOT / package)}
        edges.setdefault(unit, set()).update(targets - {unit})
    cycles: list[list[str]] = []

    def visit(unit: str, trail: list[str]) -> None:
        if unit in trail:
            cycles.append([*trail[trail.index(unit) :], unit])
            return
        for target in sorted(edges.get(unit, ())):
            visit(target, [*trail, unit])

    for unit in sorted(edges):
        visit(unit, [])
    assert cycles == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_private_name_is_imported_across_modules(package: str) -> None:
    offenders = []
    for path in modules_of(package):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in [*PACKAGES, "fakes"]:
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                offenders += [f"{path.relative_to(ROOT)}: {node.module}.{name}" for name in private]
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.relative_to(ROOT)}: {a.name}"
                    for a in node.names
                    if any(part.startswith("_") and not part.startswith("__") for part in a.name.split("."))
                ]
    assert offenders == []


def test_test_modules_never_import_each_other() -> None:
    offenders = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.rsplit(".", 1)[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_test_folders_mirror_the_packages() -> None:
    """A test lives in the folder named after the package it tests (``tests/reports/`` for ``reports``);
    only the architecture and documentation checks stay at the top, beside the shared fixtures."""
    shipped = {*PACKAGES, "fakes", "migrations"}
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name not in ("__pycache__", "mutation")}
    assert folders <= shipped, folders - shipped
    assert sorted(p.name for p in (ROOT / "tests").glob("test_*.py")) == ["test_docs.py", "test_layout.py"]
