"""podium's plan format on its own: the raw mapping to a Plan, and pydantic's words made plain."""

from __future__ import annotations

from typing import Any

import pytest

from podium.errors import PlanError
from podium.plans.model import Check
from podium.plans.schema import build, describe, located_value, owner
from podium.plans.yamlpos import load_yaml


def built(text: str, default_agent: str | None = None) -> Any:
    data, pos = load_yaml(text, "plan.yaml")
    return build(data, pos, default_agent, "fallback").plan


def refused(text: str) -> list[str]:
    with pytest.raises(PlanError) as info:
        built(text)
    return list(info.value.errors)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "nothing"),
        (False, "false"),
        (3, "the number 3"),
        (2.5, "the number 2.5"),
        ("four", "text 'four'"),
        ("x" * 50, "text '" + "x" * 37 + "...'"),
        ([1], "a list"),
        ({"a": 1}, "a mapping"),
        (b"raw", "a bytes"),
    ],
)
def test_describe_says_what_a_yaml_value_is(value: object, words: str) -> None:
    assert describe(value) == words


DATA = {"tasks": [{"id": "api", "checks": [{"command": 1}]}, {"goal": "no id"}]}


def test_messages_name_items_by_their_id_else_by_index() -> None:
    assert owner(("tasks", 0), DATA) == "task 'api'"
    assert owner(("tasks", 0, "checks", 0), DATA) == "task 'api' checks[0]"
    assert owner(("tasks", 1), DATA) == "tasks[1]"
    assert owner((), DATA) == "the plan"
    assert located_value(("tasks", 0, "priority"), DATA) == "task 'api': priority"
    assert located_value(("max_parallel",), DATA) == "max_parallel"


def test_the_command_line_agents_replace_the_plans_and_name_falls_back() -> None:
    plan = built(
        "agent: claude\ntasks:\n  - {id: a, goal: x}\n  - {id: b, goal: y, agent: codex}\n",
        "gemini",
    )
    assert plan.name == "fallback"
    assert [(t.id, t.agent) for t in plan.tasks] == [("a", "gemini"), ("b", "codex")]


def test_a_command_written_as_one_line_is_split_into_argv() -> None:
    plan = built(
        "tasks:\n  - id: a\n    goal: x\n    agent: command\n"
        '    command: python tools/edit.py {worktree} "{prompt file}"\n'
    )
    assert plan.tasks[0].command == ("python", "tools/edit.py", "{worktree}", "{prompt file}")


def test_each_check_kind_becomes_its_check() -> None:
    plan = built(
        "tasks:\n  - id: a\n    goal: x\n    checks:\n"
        "      - path_exists: out.txt\n      - glob_exists: 'src/*.py'\n"
        "      - file_contains: {path: README.md, text: usage}\n      - command: make test\n"
    )
    assert plan.tasks[0].checks == (
        Check("path_exists", path="out.txt"),
        Check("glob_exists", path="src/*.py"),
        Check("file_contains", path="README.md", text="usage"),
        Check("command", run="make test"),
    )


def test_an_unsplittable_command_is_located() -> None:
    assert refused('tasks:\n  - id: a\n    goal: x\n    command: "edit \'open"\n') == [
        "plan.yaml:4:14: task 'a': command: cannot split the command line: No closing quotation"
    ]


def test_booleans_are_not_numbers_and_problems_come_in_file_order() -> None:
    assert refused("tasks:\n  - {id: a, goal: x, priority: true}\nmax_parallel: yes\n") == [
        "plan.yaml:2:32: task 'a': priority must be a whole number, got true",
        "plan.yaml:3:15: max_parallel must be a whole number, got true",
    ]


def test_key_aliases_from_other_tools_point_to_podiums_words() -> None:
    assert refused("tasks:\n  - {id: a, title: x}\n") == [
        "plan.yaml:2:5: missing key 'goal' in task 'a'",
        "plan.yaml:2:13: unknown key 'title' in task 'a' (did you mean 'goal'?)",
    ]
