"""The package's layers, read from the source: which module may import which.

- ``mlb_assets/lib`` is framework-free: no Dagster, and nothing from ``defs`` or
  ``resources`` (the Dagster layers sit on top of it, never under it).
- ``resources`` never import ``defs``.
- A domain under ``mlb_assets/defs`` (ingestion, markets, features, models, betting,
  operations) never imports another domain; what they share lives in the shared
  ``defs`` modules (:data:`SHARED_DEFS`) or in ``lib`` (``lib/names.py``).
- The replay server and synthetic books (``mlb_assets/replay``) are development tools:
  nothing in ``lib`` or ``defs`` imports them; they are reached through configuration
  (``resources/sources.py``) or the command line only.
- No import cycles among the package's modules, lazy imports inside functions included.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlb_assets"
SHARED_DEFS = {
    "mlb_assets.defs",
    "mlb_assets.defs.automation",
    "mlb_assets.defs.catalog",
    "mlb_assets.defs.jobs",
    "mlb_assets.defs.partitions",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imported(path: Path) -> Iterator[str]:
    """Every module name an import statement of the file names, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _internal_imports(name: str) -> set[str]:
    return {target for target in _imported(MODULES[name]) if target in MODULES} - {name}


def _domain(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) >= 4 and parts[:2] == ["mlb_assets", "defs"]:
        return parts[2]
    return None


def test_the_layers_are_read_from_real_modules() -> None:
    # Guards the test itself: an empty scan would pass every rule below.
    assert "mlb_assets.lib.names" in MODULES
    assert {_domain(n) for n in MODULES} >= {"ingestion", "markets", "models", "betting"}
    assert "mlb_assets.lib.names" in _internal_imports("mlb_assets.defs.betting.assets")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("mlb_assets.lib")))
def test_lib_is_framework_free(name: str) -> None:
    imports = set(_imported(MODULES[name]))
    forbidden = {
        i
        for i in imports
        if i.split(".")[0] == "dagster" or i.startswith(("mlb_assets.defs", "mlb_assets.resources"))
    }
    assert not forbidden, f"{name} imports {sorted(forbidden)}"


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if n.startswith(("mlb_assets.lib", "mlb_assets.defs")))
)
def test_the_production_path_does_not_reach_the_replay_tools(name: str) -> None:
    reached = sorted(i for i in _imported(MODULES[name]) if i.startswith("mlb_assets.replay"))
    assert not reached, f"{name} imports {reached}"


def test_resources_do_not_import_definitions() -> None:
    offenders = {
        name: sorted(i for i in _internal_imports(name) if i.startswith("mlb_assets.defs"))
        for name in MODULES
        if name.startswith("mlb_assets.resources")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_no_domain_imports_another() -> None:
    offenders = {}
    for name in MODULES:
        own = _domain(name)
        if own is None:
            continue
        crossing = sorted(
            target
            for target in _internal_imports(name)
            if target.startswith("mlb_assets.defs")
            and target not in SHARED_DEFS
            and _domain(target) not in (None, own)
        )
        if crossing:
            offenders[name] = crossing
    assert not offenders, f"domains importing other domains: {offenders}"


def test_no_import_cycles() -> None:
    graph = {name: _internal_imports(name) for name in MODULES}
    cycles = _cycles(graph)
    assert not cycles, f"import cycles: {cycles}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
