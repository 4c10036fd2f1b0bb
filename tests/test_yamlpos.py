"""Where things sit in a YAML file: the positions every plan message is located by."""

from __future__ import annotations

import pytest

from podium.errors import PlanError
from podium.plans.yamlpos import Pos, load_yaml, plan_error

PLAN = """\
name: demo
tasks:
  - id: api
    goal: Build the API
    files: [src/api/**, src/app.py]
"""


def test_values_and_keys_are_found_by_their_path() -> None:
    data, pos = load_yaml(PLAN, "plan.yaml")
    assert data["tasks"][0]["files"][1] == "src/app.py"
    assert str(pos.at(("tasks", 0, "goal"))) == "plan.yaml:4:11"
    assert str(pos.at(("tasks", 0, "goal"), key=True)) == "plan.yaml:4:5"
    assert str(pos.at(("tasks", 0, "files", 1))) == "plan.yaml:5:25"
    assert pos.has(("tasks", 0, "id")) and not pos.has(("tasks", 0, "after"))


def test_a_missing_path_points_at_the_nearest_value_that_exists() -> None:
    _, pos = load_yaml(PLAN, "plan.yaml")
    assert pos.at(("tasks", 0, "after", 2)) == Pos("plan.yaml", 3, 5)  # the task itself
    assert pos.at(("tasks", 7, "goal")) == pos.at(("tasks",))
    assert pos.at(("tasks", 0, "after"), key=True) == Pos("plan.yaml", 3, 5)


def test_an_empty_document_is_nothing_at_line_one() -> None:
    data, pos = load_yaml("# only a comment\n", "empty.yaml")
    assert data is None
    assert str(pos.at(("tasks",))) == "empty.yaml:1:1"


def test_the_same_key_in_two_mappings_is_fine_but_twice_in_one_is_not() -> None:
    load_yaml("a: {id: x}\nb: {id: x}\n", "ok.yaml")
    with pytest.raises(PlanError) as info:
        load_yaml("id: x\nname: n\nid: y\nname: m\n", "dup.yaml")
    assert info.value.errors == [
        "dup.yaml:3:1: key 'id' repeated (first on line 1)",
        "dup.yaml:4:1: key 'name' repeated (first on line 2)",
    ]


def test_merge_keys_and_aliases_are_resolved_in_the_data() -> None:
    text = "base: &b {goal: shared goal}\ntask:\n  <<: *b\n  id: a\n"
    data, pos = load_yaml(text, "plan.yaml")
    assert data["task"] == {"goal": "shared goal", "id": "a"}
    assert str(pos.at(("task", "id"))) == "plan.yaml:4:7"


def test_a_recursive_alias_does_not_hang_the_index() -> None:
    data, pos = load_yaml("loop: &x [1, *x]\n", "plan.yaml")
    assert data["loop"][1] is data["loop"]
    assert str(pos.at(("loop", 1, 1, 1))) == "plan.yaml:1:7"


def test_a_syntax_error_on_one_line_has_no_context_line() -> None:
    with pytest.raises(PlanError) as info:
        load_yaml("tasks: [a, b\n", "plan.yaml")
    (message,) = info.value.errors
    assert message.startswith("plan.yaml:2:1: invalid YAML: expected ',' or ']'")
    assert "at line 1, column 8" in message


def test_tabs_for_indentation_are_a_located_error() -> None:
    with pytest.raises(PlanError, match=r"^plan\.yaml:2:1: invalid YAML: found character '\\t'"):
        load_yaml("tasks:\n\t- id: a\n", "plan.yaml")


def test_plan_error_shows_at_most_the_first_problems_and_keeps_all() -> None:
    problems = [f"plan.yaml:{i}:1: problem {i}" for i in range(1, 6)]
    exc = plan_error(problems, shown=3)
    assert str(exc).splitlines() == [*problems[:3], "... and 2 more problems"]
    assert exc.errors == problems
    assert str(plan_error(problems[:1])) == "plan.yaml:1:1: problem 1"
