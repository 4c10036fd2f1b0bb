"""Reading Python source with `ast` for the evasion checks: where a test is, how many
assertions each function makes, which bodies are stubs, which excepts swallow errors.

Pure: text in, facts out. Source that does not parse has no functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

Lines = tuple[int, int]
Function = ast.FunctionDef | ast.AsyncFunctionDef
TRUE_CALLS = ("assertTrue", "assert_")
SAME_CALLS = ("assertEqual", "assertEquals", "assertIs", "assertAlmostEqual")
SAME_OPS = (ast.Eq, ast.Is, ast.LtE, ast.GtE)


@dataclass(frozen=True)
class Assertions:
    count: int
    trivial: tuple[int, ...]  # lines of assertions that are true whatever the code does
    lines: Lines  # the function's own lines


def functions(source: str) -> dict[str, Function]:
    """Functions and methods by qualified name (`Class::method`, as pytest ids name them)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return dict(_walk(tree.body, ""))


def _walk(body: Sequence[ast.stmt], prefix: str) -> Iterator[tuple[str, Function]]:
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield from _walk(node.body, f"{prefix}{node.name}::")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node


def _span(node: ast.stmt) -> Lines:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return first, node.end_lineno or node.lineno


def locate(source: str, parts: Sequence[str]) -> Lines | None:
    """The lines of the test a pytest id names (`["TestX", "test_y"]`), if it is there."""
    node = functions(source).get("::".join(parts))
    return _span(node) if node is not None else None


def assertions(source: str) -> dict[str, Assertions]:
    """Each function's assertions: `assert`, `self.assert*(...)`, `pytest.raises(...)`."""
    return {name: _count(fn) for name, fn in functions(source).items()}


def _count(fn: Function) -> Assertions:
    count, trivial = 0, []
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            count += 1
            if _always_true(node.test):
                trivial.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if name.startswith("assert") or name in ("raises", "warns"):
                count += 1
                if _trivial_call(name, node.args):
                    trivial.append(node.lineno)
    return Assertions(count, tuple(trivial), _span(fn))


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_always_true(v) for v in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], SAME_OPS):
        return ast.dump(test.left) == ast.dump(test.comparators[0])
    return False


def _trivial_call(name: str, args: Sequence[ast.expr]) -> bool:
    if name in TRUE_CALLS and args:
        return _always_true(args[0])
    if name in SAME_CALLS and len(args) >= 2:
        return ast.dump(args[0]) == ast.dump(args[1])
    return False


def is_stub(fn: Function) -> bool:
    """A body that only passes, `...`, or raises NotImplementedError (after a docstring)."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return all(_stub_statement(s) for s in body)


def _stub_statement(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return _name(exc) == "NotImplementedError"
    return False


def new_stubs(before: str, after: str) -> list[tuple[str, Lines]]:
    """Functions with a real body on the base that are stubs on the attempt."""
    was, now = functions(before), functions(after)
    return [
        (name, _span(now[name]))
        for name in sorted(was.keys() & now.keys())
        if is_stub(now[name]) and not is_stub(was[name])
    ]


def silent_excepts(source: str) -> list[Lines]:
    """Bare or `except Exception` / `BaseException` handlers whose body does nothing."""
    out = []
    for node in _nodes(source):
        if not isinstance(node, ast.ExceptHandler):
            continue
        if _broad(node.type) and all(_does_nothing(s) for s in node.body):
            out.append((node.lineno, node.end_lineno or node.lineno))
    return out


def _does_nothing(stmt: ast.stmt) -> bool:
    is_constant = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
    return is_constant or isinstance(stmt, ast.Pass | ast.Continue)


def _broad(kind: ast.expr | None) -> bool:
    if kind is None:
        return True
    if isinstance(kind, ast.Tuple):
        return any(_broad(k) for k in kind.elts)
    return _name(kind) in ("Exception", "BaseException")


def statements(source: str) -> list[tuple[Lines, Lines]]:
    """Each statement's own lines, with the lines whose running shows that it ran.

    A simple statement ran when one of its lines did. A `def` or `class` line runs on import,
    so it counts as run only when its body did; other compound statements (`if`, `for`, ...)
    by their first line. Docstrings and other lone constants are not code."""
    out = []
    for node in _nodes(source):
        if not isinstance(node, ast.stmt) or _is_constant(node):
            continue
        body: list[ast.stmt] = getattr(node, "body", [])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            head = (_span(node)[0], max(node.lineno, body[0].lineno - 1))
            out.append((head, (body[0].lineno, node.end_lineno or node.lineno)))
        elif body:
            out.append(((node.lineno, node.lineno), (node.lineno, node.lineno)))
        else:
            out.append((_span(node), _span(node)))
    return out


def _is_constant(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _nodes(source: str) -> Iterator[ast.AST]:
    """Every node of the source's syntax tree; none when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return iter(())
    return ast.walk(tree)
