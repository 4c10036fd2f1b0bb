"""The package layout's walls: decisions stay pure, front ends go through `podium.api`, and no
module imports itself back through another. Read from the source's imports, as Python sees them
(imports under `if TYPE_CHECKING:` count for the walls, not for circles)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Decisions: pure functions of their inputs. They never touch the store, git or a process.
DECISIONS = (
    "podium.plans",
    "podium.scheduling",
    "podium.routing.router",
    "podium.routing.prices",
    "podium.evolve.facts",
    "podium.evolve.proposals",
    "podium.evolve.tomledit",
    "podium.evolve.changes",
    "podium.evolve.wording",
)
EDGES = (
    "podium.store",
    "podium.git",
    "podium.agents.runner",
    "podium.runs",
    "podium.executors",
    "podium.landing",
    "subprocess",
    "sqlite3",
    "asyncio",
    "multiprocessing",
)
# Front ends call the library API; below it they see only errors, each other and the
# scripted model server (the demo's stand-in for a provider).
FRONT_ENDS = ("podium.ui",)
FRONT_END_MAY_IMPORT = ("podium.api", "podium.errors", "podium.ui", "podium.testing")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / "podium").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, only for type checking) for each import in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(node: ast.AST, typing_only: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), True)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, typing_only
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    yield (full if full in known else base), child.lineno, typing_only
            yield from walk(child, typing_only)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), False)


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {dep for dep, _, typing in imports(name, path, known) if dep in known and not typing}
        for name, path in known.items()
    }


def test_decisions_never_import_the_store_git_or_processes() -> None:
    known = modules()
    bad = [
        f"{path.relative_to(SRC)}:{line}: {name} imports {dep}"
        for name, path in known.items()
        if within(name, DECISIONS)
        for dep, line, _ in imports(name, path, known)
        if within(dep, EDGES)
    ]
    assert bad == []


def test_front_ends_import_nothing_below_the_api() -> None:
    known = modules()
    bad = [
        f"{path.relative_to(SRC)}:{line}: {name} imports {dep}"
        for name, path in known.items()
        if within(name, FRONT_ENDS)
        for dep, line, _ in imports(name, path, known)
        if dep.startswith("podium.") and dep in known and not within(dep, FRONT_END_MAY_IMPORT)
    ]
    assert bad == []


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    # A package's __init__ importing its own modules is not a circle of concepts.
    edges = {
        name: {d for d in deps if not name.startswith(d + ".")} for name, deps in graph().items()
    }
    assert circles(edges) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_circle_finder_finds_circles(
    edges: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert circles(edges) == expected
