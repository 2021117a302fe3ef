"""The package's layers, read from the source with ``ast`` (nothing is imported).

README "Layout" draws them: routes/, cli and commands on top; workflow; store/
(queries only) with report/ and presentation beside it; the pure core; models,
db and settings at the bottom.  Each layer imports only those below it, and no
two modules import each other, directly or around a loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "audit"


@dataclass(frozen=True)
class Import:
    target: str  # the audit module imported (a package when no module is named)
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom) -> str | None:
    """The absolute module an ``from … import`` names (relative ones too)."""
    if node.level == 0:
        return node.module
    package = module.split(".")
    if MODULES[module].name != "__init__.py":
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(module: str) -> Iterator[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    nested = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, functions)
        for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        in_function = id(node) in nested
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "audit" or alias.name.startswith("audit."):
                    yield Import(alias.name, node.lineno, in_function)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            if base is None or not (base == "audit" or base.startswith("audit.")):
                continue
            for alias in node.names:
                # ``from audit.store import sql`` imports the module audit.store.sql.
                named = f"{base}.{alias.name}"
                yield Import(named if named in MODULES else base, node.lineno, in_function)


IMPORTS = {module: list(_imports(module)) for module in MODULES}
GRAPH = {module: {i.target for i in found} - {module} for module, found in IMPORTS.items()}


def _within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(importers: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    forbidden = tuple(forbidden)
    return [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{found.line}: imports {found.target}"
        for module in sorted(MODULES)
        if _within(module, importers)
        for found in IMPORTS[module]
        if _within(found.target, forbidden)
    ]


def _cycles() -> list[list[str]]:
    """One loop per strongly connected group of modules (Tarjan), as a path back to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(GRAPH[module]):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    return [_loop(group) for group in groups]


def _loop(group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(GRAPH[module] & group):
            if target == start:
                return [*paths[module], start]
            if target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    raise AssertionError(f"no loop through {start} in {sorted(group)}")


STORE = ("audit.store",)
REPORT = ("audit.report",)
WORKFLOW = ("audit.workflow",)
ROUTES = ("audit.routes",)
TOP = ("audit.routes", "audit.cli", "audit.commands", "audit.app")
GROUND = (
    "audit.models",
    "audit.db",
    "audit.sqlite_backend",
    "audit.migrations",
    "audit.settings",
    "audit.i18n",
    "audit.errors",
    "audit.auth",
)
PURE_CORE = (
    "audit.checklist",
    "audit.facts",
    "audit.answers",
    "audit.scoring",
    "audit.compare",
    "audit.presentation",
    "audit.redaction",
    "audit.wave_plan",
    "audit.onboarding",
    "audit.corrective",
)


def test_the_graph_sees_the_package() -> None:
    # A parser that found nothing would pass every rule below.
    assert {"audit.cli", "audit.store.sql", "audit.routes.hq_api"} <= set(MODULES)
    assert "audit.store.sql" in GRAPH["audit.store.checklists"]


def test_no_module_imports_itself_back_through_a_loop() -> None:
    loops = [" -> ".join(loop) for loop in _cycles()]
    assert loops == [], "import cycles:\n" + "\n".join(loops)


def test_store_imports_no_formatting_workflow_or_top_layer() -> None:
    # report/ and presentation sit beside store: neither imports the other.
    forbidden = (*REPORT, "audit.presentation", *WORKFLOW, *TOP)
    assert _violations(STORE, forbidden) == []


def test_report_imports_no_store_models_workflow_or_routes() -> None:
    forbidden = (*STORE, *ROUTES, *WORKFLOW, "audit.models")
    assert _violations(REPORT, forbidden) == []


def test_the_pure_core_imports_no_database_formatting_or_http() -> None:
    forbidden = (*STORE, "audit.models", "audit.db", *ROUTES, *WORKFLOW, *REPORT)
    assert _violations(PURE_CORE, forbidden) == []


def test_workflow_imports_nothing_from_the_top_layer() -> None:
    assert _violations(WORKFLOW, TOP) == []


def test_the_ground_floor_imports_only_the_ground_floor() -> None:
    found = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{i.line}: imports {i.target}"
        for module in sorted(MODULES)
        if _within(module, GROUND)
        for i in IMPORTS[module]
        if not _within(i.target, GROUND)
    ]
    assert found == []


def test_nothing_imports_the_command_line_entry_point() -> None:
    # cli.py resolves each command's module when it runs, so an import of cli
    # back from below would be a loop the graph above cannot see.
    found = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{i.line}"
        for module in sorted(MODULES)
        if module != "audit.__main__"
        for i in IMPORTS[module]
        if i.target == "audit.cli"
    ]
    assert found == []


def test_routes_import_at_module_level_only() -> None:
    found = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}"
        for module in sorted(MODULES)
        if _within(module, ROUTES)
        for line in _function_level_import_lines(module)
    ]
    assert found == []


def _function_level_import_lines(module: str) -> list[int]:
    """Every import inside a function, of any package (not only audit's)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines.extend(
                child.lineno
                for child in ast.walk(node)
                if isinstance(child, (ast.Import, ast.ImportFrom))
            )
    return sorted(set(lines))


def test_only_settings_reads_the_environment() -> None:
    readers = []
    for module, path in sorted(MODULES.items()):
        if module == "audit.settings":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv", "environb")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(a.name in ("environ", "getenv", "environb") for a in node.names)
            )
            if named:
                readers.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert readers == []


@pytest.mark.parametrize(
    ("graph", "loop"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": set(), "c": {"a", "b"}}, None),
    ],
)
def test_the_loop_finder_reports_the_path(monkeypatch, graph, loop) -> None:
    monkeypatch.setattr(f"{__name__}.GRAPH", graph)
    monkeypatch.setattr(f"{__name__}.MODULES", dict.fromkeys(graph, PACKAGE))
    assert _cycles() == ([loop] if loop else [])
