"""The task graph as plain mappings: cycles, topological order, longest remaining chain, waves.

Every function takes `deps`, a mapping from task id to the ids it depends on, in plan order.
Pure and deterministic: ties always break by plan order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Deps = Mapping[str, Sequence[str]]


def find_cycle(deps: Deps) -> list[str] | None:
    """A cycle as a closed path `[a, b, c, a]` (a depends on b ...), or None."""
    colour: dict[str, int] = {}
    for root in deps:
        if colour.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                colour[node] = 1
                path.append(node)
            children = [d for d in deps.get(node, ()) if d in deps]
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if colour.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not colour.get(child):
                    stack.append((child, 0))
            else:
                colour[node] = 2
                path.pop()
    return None


def dependents(deps: Deps) -> dict[str, list[str]]:
    """The reverse graph: for each task, the tasks that depend on it (plan order)."""
    out: dict[str, list[str]] = {t: [] for t in deps}
    for task, needs in deps.items():
        for need in needs:
            if need in out:
                out[need].append(task)
    return out


def topo_order(deps: Deps) -> list[str]:
    """Tasks ordered so each comes after its dependencies (Kahn); plan order among equals."""
    waiting = {t: sum(1 for d in deps[t] if d in deps) for t in deps}
    rev = dependents(deps)
    ready = [t for t in deps if waiting[t] == 0]
    position = {t: i for i, t in enumerate(deps)}
    order: list[str] = []
    while ready:
        order.extend(ready)
        nxt: list[str] = []
        for task in ready:
            for child in rev[task]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    nxt.append(child)
        ready = sorted(nxt, key=position.__getitem__)
    if len(order) != len(deps):
        raise ValueError(f"cycle among {[t for t in deps if waiting[t] > 0]}")
    return order


def remaining_chain(deps: Deps, weight: Mapping[str, float]) -> dict[str, float]:
    """For each task: its weight plus the heaviest chain of tasks waiting behind it."""
    rev = dependents(deps)
    chain: dict[str, float] = {}
    for task in reversed(topo_order(deps)):
        behind = max((chain[d] for d in rev[task]), default=0.0)
        chain[task] = weight.get(task, 0.0) + behind
    return chain


def critical_path(deps: Deps, weight: Mapping[str, float]) -> list[str]:
    """The heaviest chain of dependent tasks, first to last."""
    chain = remaining_chain(deps, weight)
    rev = dependents(deps)
    roots = [t for t in deps if not any(d in deps for d in deps[t])]
    if not roots:
        return []
    node = max(roots, key=lambda t: chain[t])
    path = [node]
    while rev[node]:
        node = max(rev[node], key=lambda t: chain[t])
        path.append(node)
    return path


def waves(deps: Deps) -> list[list[str]]:
    """Tasks grouped by depth: wave 0 needs nothing, wave n needs only earlier waves."""
    depth: dict[str, int] = {}
    for task in topo_order(deps):
        depth[task] = 1 + max((depth[d] for d in deps[task] if d in depth), default=-1)
    out: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for task in deps:
        out[depth[task]].append(task)
    return out
