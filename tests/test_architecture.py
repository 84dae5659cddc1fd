"""The shape of the code, checked: no import cycles, and the layer contracts of pyproject.toml.

Anyone can run the same checks by hand: ``.venv/bin/lint-imports`` (the contracts under
``[tool.importlinter]`` in pyproject.toml) and ``pytest tests/test_architecture.py`` (cycles).
Imports inside functions and ``TYPE_CHECKING`` blocks count: an import hidden there to dodge a
cycle is still a cycle.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected set of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def _parent_imports_removed(graph: grimp.ImportGraph) -> grimp.ImportGraph:
    """A package's ``__init__`` importing its own submodules is how a package presents itself,
    not a cycle between layers; those edges are left out (a submodule importing its package's
    ``__init__`` back still shows)."""
    for module in list(graph.modules):
        for imported in list(graph.find_modules_directly_imported_by(module)):
            if imported.startswith(module + "."):
                graph.remove_import(importer=module, imported=imported)
    return graph


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(name)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.one")
    graph.add_import(importer="a.three", imported="a.one")
    assert _cycles(graph) == [["a.one", "a.two"]]


def test_no_module_imports_itself_back_through_others() -> None:
    graph = _parent_imports_removed(grimp.build_graph(*PACKAGES, cache_dir=None))
    assert _cycles(graph) == []


def test_the_layer_contracts_hold() -> None:
    # In a process of its own: import-linter reconfigures logging (dictConfig), which would
    # silence every logger of this test session that already exists.
    linter = Path(sys.executable).with_name("lint-imports")
    checked = subprocess.run([str(linter), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
