"""YAML text to plain data, plus where every key and value sits, so errors can name a line.

`load_yaml` parses once with PyYAML's SafeLoader: the composed node tree gives positions, the
constructed document gives the data. Paths are tuples of mapping keys and list indexes, the
same shape as a pydantic error `loc`: `("tasks", 3, "goal")`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from podium.errors import PlanError

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Pos:
    """A place in a file; prints as `file:line:col` (1-based)."""

    source: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Positions:
    """Where each value (and each mapping key) of a YAML document starts."""

    source: str
    values: Mapping[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: Mapping[Loc, tuple[int, int]] = field(default_factory=dict)

    def has(self, loc: Loc) -> bool:
        return loc in self.values

    def at(self, loc: Loc, *, key: bool = False) -> Pos:
        """The value at `loc` (or its key), else the nearest enclosing value that exists."""
        if key and loc in self.keys:
            return Pos(self.source, *self.keys[loc])
        while loc and loc not in self.values:
            loc = loc[:-1]
        line, col = self.values.get(loc, (1, 1))
        return Pos(self.source, line, col)


def plan_error(errors: Sequence[str], shown: int = 40) -> PlanError:
    """One PlanError: the first `shown` messages, one per line; every one in `.errors`."""
    lines = list(errors[:shown])
    if len(errors) > shown:
        lines.append(f"... and {len(errors) - shown} more problems")
    exc = PlanError("\n".join(lines), list(errors))
    return exc


def load_yaml(text: str, source: str) -> tuple[Any, Positions]:
    """Parse one YAML document; a syntax error or a repeated key raises a located PlanError.

    With libyaml's parser when PyYAML has it (about 10x faster on a large plan); a document
    it refuses is parsed again by the pure one, whose messages are the ones we show."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return _load(fast, text, source)
        except PlanError:
            pass
    return _load(yaml.SafeLoader, text, source)


def _load(kind: Any, text: str, source: str) -> tuple[Any, Positions]:
    loader = kind(text)
    try:
        node = loader.get_single_node()
        index = _Index(source)
        if node is not None:  # before constructing: merge keys rewrite the node tree
            index.walk(node, (), set())
        if index.duplicates:
            raise plan_error(index.duplicates)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise plan_error([_syntax_message(exc, source)]) from None
    except yaml.YAMLError as exc:
        raise plan_error([f"{source}:1:1: invalid YAML: {exc}"]) from None
    finally:
        loader.dispose()
    return data, Positions(source, index.values, index.keys)


def _syntax_message(exc: yaml.MarkedYAMLError, source: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else f"{source}:1:1"
    problem = exc.problem or "cannot parse"
    context = f" ({exc.context})" if exc.context else ""
    start = exc.context_mark
    if exc.context and start and mark and start.line != mark.line:
        context = f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
    return f"{where}: invalid YAML: {problem}{context}"


def _start(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Index:
    def __init__(self, source: str) -> None:
        self.source = source
        self.values: dict[Loc, tuple[int, int]] = {}
        self.keys: dict[Loc, tuple[int, int]] = {}
        self.duplicates: list[str] = []

    def walk(self, node: yaml.Node, loc: Loc, active: set[int]) -> None:
        if id(node) in active:  # a recursive alias: stop where it loops back
            return
        self.values[loc] = _start(node)
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, (*loc, i), active)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                self._entry(key_node, value_node, loc, active)

    def _entry(self, key_node: yaml.Node, value: yaml.Node, loc: Loc, active: set[int]) -> None:
        name = str(key_node.value)
        child = (*loc, name)
        line, col = _start(key_node)
        if child in self.keys:
            first = self.keys[child][0]
            where = f"{self.source}:{line}:{col}"
            self.duplicates.append(f"{where}: key '{name}' repeated (first on line {first})")
            return
        self.keys[child] = (line, col)
        self.walk(value, child, active)
