"""The task graph: cycles named, order, the longest remaining chain, waves."""

from __future__ import annotations

import pytest

from podium.plans.graph import critical_path, find_cycle, remaining_chain, topo_order, waves

DEPS = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []}


def test_cycle_is_named_as_a_closed_path() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle(DEPS) is None


def test_topological_order_keeps_plan_order_among_equals() -> None:
    assert topo_order(DEPS) == ["a", "e", "b", "c", "d"]
    with pytest.raises(ValueError, match="cycle"):
        topo_order({"a": ["b"], "b": ["a"]})


def test_unknown_dependencies_are_ignored() -> None:
    assert topo_order({"a": ["zz"], "b": ["a"]}) == ["a", "b"]


def test_remaining_chain_and_critical_path() -> None:
    weight = {"a": 10, "b": 5, "c": 30, "d": 1, "e": 50}
    chain = remaining_chain(DEPS, weight)
    assert chain == {"a": 41, "b": 6, "c": 31, "d": 1, "e": 50}
    assert critical_path(DEPS, weight) == ["e"]
    assert critical_path(DEPS, {**weight, "e": 1}) == ["a", "c", "d"]


def test_waves() -> None:
    assert waves(DEPS) == [["a", "e"], ["b", "c"], ["d"]]
