"""What a plan means, checked on plans built in code (the planner's and the API's path)."""

from __future__ import annotations

import pytest

from podium.plans.checks import check_plan, slug
from podium.plans.model import Check, Plan, Task
from podium.plans.yamlpos import Loc, Pos

AGENTS = ("claude", "codex", "command")


def at(loc: Loc) -> Pos:
    """Each message's place spells the path it was located by: `tasks.1.priority:1:1`."""
    return Pos(".".join(map(str, loc)) or "top")


def problems(*tasks: Task, **plan: object) -> list[str]:
    return check_plan(Plan("p", tasks, **plan), AGENTS, at)  # type: ignore[arg-type]


def task(task_id: str = "a", **fields: object) -> Task:
    return Task(task_id, fields.pop("goal", "do it"), agent="claude", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Add JWT auth (v2)", "add-jwt-auth-v2"),
        ("Café crème brûlée", "cafe-creme-brulee"),
        ("  --Already-a-slug--  ", "already-a-slug"),
        ("日本語", ""),
    ],
)
def test_slug_turns_a_title_into_an_id(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_slug_is_cut_at_the_limit_without_a_trailing_dash() -> None:
    assert slug("refactor the payment module now", limit=13) == "refactor-the"


def test_a_sound_plan_has_no_problems() -> None:
    plan_tasks = (task("a", files=("src/**",)), task("b", after=("a",), agents=("codex",)))
    assert problems(*plan_tasks, max_parallel=2, budget_usd=5.0, gates=("pytest -q",)) == []


def test_plan_wide_limits_must_be_positive_and_gates_not_blank() -> None:
    got = problems(task(), max_parallel=0, budget_usd=0.0, gates=("pytest", "  "))
    assert got == [
        "max_parallel:1:1: max_parallel must be at least 1",
        "budget_usd:1:1: budget_usd must be more than 0",
        "gates.1:1:1: gate 2 is empty; give a command line",
    ]


def test_a_plan_without_tasks_and_with_an_unknown_agent_says_both() -> None:
    assert check_plan(Plan("p", (), agent="cursor"), AGENTS, at) == [
        "agent:1:1: unknown agent 'cursor' (known: claude, codex, command)",
        "tasks:1:1: the plan has no tasks; add at least one under 'tasks'",
    ]


def test_a_tasks_estimate_and_budget_must_be_positive() -> None:
    got = problems(task(estimated_minutes=0.0, budget_usd=-1.0))
    assert got == [
        "tasks.0.estimated_minutes:1:1: task 'a' has estimated_minutes 0.0; it must be more than 0",
        "tasks.0.budget_usd:1:1: task 'a' has budget_usd -1.0; it must be more than 0",
    ]


def test_agents_a_task_may_move_to_must_exist() -> None:
    got = problems(task(agents=("codex", "kiro")))
    assert got == [
        "tasks.0.agents:1:1: task 'a' may move to unknown agent 'kiro' "
        "(known: claude, codex, command)"
    ]


def test_a_check_needs_a_path_and_a_command_needs_words() -> None:
    checks = (Check("path_exists"), Check("command", run="   "), Check("glob_exists", path="[ab"))
    got = problems(task(checks=checks))
    assert got == [
        "tasks.0.checks.0:1:1: task 'a' has a bad check: path_exists needs a path",
        "tasks.0.checks.1:1:1: task 'a' has a bad check: the command is empty",
        "tasks.0.checks.2:1:1: task 'a' has a bad check: "
        "glob_exists: '[ab': '[' at column 1 is never closed with ']'",
    ]


def test_an_id_that_slugs_to_nothing_gets_a_placeholder_example() -> None:
    (message,) = problems(task("???"))
    assert message.startswith("tasks.0.id:1:1: task id '???' must be lowercase")
    assert message.endswith("(e.g. 'task-1')")


def test_an_over_long_id_is_refused() -> None:
    (message,) = problems(task("x" * 65))
    assert "at most 64 long" in message


def test_the_known_tasks_listed_for_an_unknown_dependency_stop_at_twenty() -> None:
    many = [task(f"t{i:02}") for i in range(25)]
    got = problems(*many, task("last", after=("nothing",)))
    assert got == [
        "tasks.25.after.0:1:1: task 'last' depends on unknown task 'nothing' (known: "
        + ", ".join(f"t{i:02}" for i in range(20))
        + ", ...)"
    ]


def test_a_lone_task_with_an_unknown_dependency_knows_of_none() -> None:
    assert problems(task("a", after=("b",))) == [
        "tasks.0.after.0:1:1: task 'a' depends on unknown task 'b' (known: none)"
    ]


def test_a_task_after_itself_is_a_cycle() -> None:
    assert problems(task("a"), task("b", after=("b",))) == [
        "tasks.1.after:1:1: dependency cycle: b -> b"
    ]
