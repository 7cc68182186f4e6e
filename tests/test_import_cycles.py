"""No import cycles in the library or the policy pack, between modules or between subpackages.

The graph is read from the source with `ast`, without importing anything:

- absolute and relative imports both count, and so do imports inside functions: a deferred import
  still runs, and deferring it only hides the cycle until that function is first called;
- imports under ``if TYPE_CHECKING:`` do not: they never run, and they exist precisely so that a
  module can name a type of a module that imports it (annotations are not dependencies at runtime).

Two graphs are checked. Between modules, a cycle can make an import fail half-way depending on
which module is imported first. Between the library's subpackages and top-level modules (``settings``,
``addons``, ``platform``...), a cycle means two layers each need the other: the stack-file schema
must build on the library, never the reverse. The same graph shows which library modules still
import the stack-file schema (settings/ or pydantic): that list may only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from .conftest import PROJECT_DIR

PACKAGES = {"kubeboard_infra": PROJECT_DIR / "components", "kubeboard_policy": PROJECT_DIR / "policy"}


def module_files(package: str, folder: Path) -> dict[str, Path]:
    """Every module of `package` (whose source is `folder`) by dotted name; packages by their own name."""
    modules: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([package, *parts])] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: anywhere, functions included, but not under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _runtime_imports(node)


def imported_modules(name: str, is_package: bool, source: str, known: Iterable[str]) -> set[str]:
    """The modules among `known` that module `name` imports (an imported module's packages included)."""
    known = set(known)
    # A module's own package is where `.` points; a package's `.` is the package itself.
    here = name.split(".") if is_package else name.split(".")[:-1]
    targets: set[str] = set()
    for node in _runtime_imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            candidates = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for candidate in candidates:
            parts = candidate.split(".")
            # Importing a.b.c runs a, a.b and a.b.c.
            for end in range(1, len(parts) + 1):
                target = ".".join(parts[:end])
                if target in known:
                    targets.add(target)
    # Its own packages are already running when a module runs: that is no dependency.
    ancestors = {".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 2)}
    return targets - ancestors


def import_graph(packages: Mapping[str, Path]) -> dict[str, set[str]]:
    files: dict[str, Path] = {}
    for package, folder in packages.items():
        files |= module_files(package, folder)
    return {
        name: imported_modules(name, path.name == "__init__.py", path.read_text(encoding="utf-8"), files)
        for name, path in files.items()
    }


def layer_graph(graph: Mapping[str, set[str]], package: str) -> dict[str, set[str]]:
    """`graph` with each module of `package` folded into its top-level subpackage or module."""

    def layer(module: str) -> str | None:
        parts = module.split(".")
        return ".".join(parts[:2]) if parts[0] == package and len(parts) > 1 else None

    layers: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = layer(module)
        if source is None:
            continue
        layers.setdefault(source, set())
        for target in targets:
            folded = layer(target)
            if folded is not None and folded != source:
                layers[source].add(folded)
    return layers


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected group of nodes that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(group, graph) for group in sorted(groups)]


def _cycle_through(group: list[str], graph: Mapping[str, Iterable[str]]) -> list[str]:
    """A shortest path from the group's first node back to itself, inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, ())):
                if target == start:
                    return [*paths[node], start]
                if target in members and target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"{group} is not strongly connected")


def _describe(cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle) for cycle in cycles)


# --- the finder itself --------------------------------------------------------------------------


def test_finder_reports_each_cycle_once_and_nothing_for_a_tree() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"d"}, "e": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "d"]]


def test_imports_are_read_relative_absolute_in_functions_but_not_under_type_checking() -> None:
    known = {"p", "p.a", "p.b", "p.c", "p.d", "p.sub", "p.sub.e", "p.f"}
    source = """
from typing import TYPE_CHECKING
from . import a
import p.sub.e
from .b import thing
if TYPE_CHECKING:
    from .c import Type
else:
    from .f import other
def later():
    from .d import x
"""
    assert imported_modules("p.mod", False, source, known) == {"p.a", "p.b", "p.d", "p.sub", "p.sub.e", "p.f"}
    # In a package's __init__, `.` is the package itself; `..` its parent.
    assert imported_modules("p.sub", True, "from . import e\nfrom .. import a", known) == {"p.sub.e", "p.a"}


def test_layers_fold_modules_into_their_subpackage() -> None:
    graph = {
        "k.settings": {"k.settings.addons"},
        "k.settings.addons": {"k.addons"},
        "k.addons": {"k.addons.contract"},
        "k.addons.catalog": {"k.settings.addons"},
    }
    assert find_cycles(graph) == []  # no module waits for itself...
    # ...but the two layers each need the other.
    assert find_cycles(layer_graph(graph, "k")) == [["k.addons", "k.settings", "k.addons"]]


# --- the code base ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGES)


def test_the_graph_sees_the_library_and_the_policy_pack(graph: dict[str, set[str]]) -> None:
    assert "kubeboard_infra.platform_args" in graph["kubeboard_infra.settings.platform_args"]
    assert "kubeboard_infra.addons.catalog" in graph["kubeboard_infra.platform"]
    assert any(module.startswith("kubeboard_policy.") for module in graph)


def test_no_module_imports_itself_through_others(graph: dict[str, set[str]]) -> None:
    cycles = find_cycles(graph)
    assert not cycles, "import cycles between modules:\n" + _describe(cycles)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_two_subpackages_need_each_other(graph: dict[str, set[str]], package: str) -> None:
    layers = layer_graph(graph, package)
    assert layers
    cycles = find_cycles(layers)
    assert not cycles, f"import cycles between the parts of {package}:\n" + _describe(cycles)


# --- the library never needs the stack-file schema ----------------------------------------------

# Where the stack-file schema (settings/, pydantic) may be imported: the schema itself, the offline
# plan and the CLI that read stack files (the stack program maps the schema with settings.platform_args).
SCHEMA_READERS = (
    "kubeboard_infra.settings",
    "kubeboard_infra.plan",
    "kubeboard_infra.cli",
)


def _reads_the_schema(targets: set[str], source: str) -> bool:
    if any(target.startswith("kubeboard_infra.settings") for target in targets):
        return True
    for node in _runtime_imports(ast.parse(source)):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if not getattr(node, "level", 0) and any(name.split(".")[0] == "pydantic" for name in names):
            return True
    return False


def test_no_library_module_imports_the_stack_file_schema(graph: dict[str, set[str]]) -> None:
    files = module_files("kubeboard_infra", PACKAGES["kubeboard_infra"])
    library = [m for m in files if not any(m == r or m.startswith(f"{r}.") for r in SCHEMA_READERS)]
    assert "kubeboard_infra.addons.catalog" in library
    readers = {m for m in library if _reads_the_schema(graph[m], files[m].read_text(encoding="utf-8"))}
    assert readers == set(), (
        "library modules importing settings/ or pydantic (take Args instead): " + ", ".join(sorted(readers))
    )


def test_the_schema_check_sees_pydantic_and_settings_imports() -> None:
    known = {"kubeboard_infra.settings", "kubeboard_infra.settings.addons"}
    assert _reads_the_schema(set(), "def f():\n    from pydantic import BaseModel")
    assert not _reads_the_schema(set(), "from .pydantic_free import x")
    targets = imported_modules("kubeboard_infra.x", False, "from .settings.addons import A", known)
    assert _reads_the_schema(targets, "")
