"""The plan as data: looking tasks up, reading plan files that are not plans, writing it back."""

from __future__ import annotations

import pytest

from podium.plans.model import Check, Plan, Task, dump_plan, estimate_minutes

PLAN = Plan(
    "shop",
    (
        Task("api", "Build the API"),
        Task("ui", "Build the UI", after=("api",)),
        Task("docs", "Write docs", after=("api", "ui")),
    ),
)


def test_a_task_is_found_by_id_and_an_unknown_one_is_named() -> None:
    assert PLAN.task("ui").goal == "Build the UI"
    with pytest.raises(KeyError, match="no task 'web' in plan 'shop'"):
        PLAN.task("web")


def test_deps_keep_plan_order() -> None:
    assert list(PLAN.deps().items()) == [("api", ()), ("ui", ("api",)), ("docs", ("api", "ui"))]


def test_an_unknown_complexity_is_estimated_as_medium() -> None:
    assert estimate_minutes(Task("a", "x", complexity="epic")) == 20.0


def test_dump_writes_only_what_differs_from_the_defaults() -> None:
    plan = Plan(
        "p",
        (
            Task("a", "x", agent="claude"),
            Task("b", "y", agent="codex", estimated_minutes=15.0, budget_usd=2.5),
            Task("c", "z", agent="claude", checks=(Check("file_contains", "a.txt", "hi"),)),
        ),
        agent="claude",
    )
    assert dump_plan(plan) == (
        "name: p\n"
        "agent: claude\n"
        "tasks:\n"
        "- id: a\n"
        "  goal: x\n"
        "- id: b\n"
        "  goal: y\n"
        "  estimated_minutes: 15\n"
        "  agent: codex\n"
        "  budget_usd: 2.5\n"
        "- id: c\n"
        "  goal: z\n"
        "  checks:\n"
        "  - file_contains:\n"
        "      path: a.txt\n"
        "      text: hi\n"
    )
