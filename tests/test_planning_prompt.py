"""The planner's prompt and the answers it gets back, beyond the cases test_planner.py covers."""

from __future__ import annotations

import yaml

from podium.planning.prompt import answer_yaml, build_prompt, extract_json


def test_an_empty_answer_becomes_a_comment_the_validator_reports_as_empty() -> None:
    assert answer_yaml("   \n", "claude", "x") == "# the planner gave an empty answer\n"


def test_a_json_answer_that_is_not_an_object_is_passed_on_as_yaml() -> None:
    assert yaml.safe_load(answer_yaml(["a", "b"], "claude", "x")) == ["a", "b"]


def test_an_id_or_goal_left_empty_is_kept_for_the_validator_to_name() -> None:
    answer = {"name": None, "tasks": [{"id": "", "goal": "", "role": ""}, "stray text"]}
    plan = yaml.safe_load(answer_yaml(answer, "codex", "fallback"))
    assert plan == {
        "name": "fallback",
        "agent": "codex",
        "tasks": [{"id": "", "goal": ""}, "stray text"],
    }


def test_the_answers_own_agent_wins_over_the_planners() -> None:
    plan = yaml.safe_load(answer_yaml({"agent": "gemini", "tasks": []}, "codex", "x"))
    assert plan["agent"] == "gemini"


def test_a_brace_inside_prose_before_the_plan_is_skipped() -> None:
    text = 'Use {curly} braces sparingly. {"tasks": [{"id": "a"}]} Good luck.'
    assert extract_json(text) == {"tasks": [{"id": "a"}]}


def test_a_fenced_block_that_is_not_json_falls_back_to_the_braces() -> None:
    assert extract_json('```json\nnot json\n```\n{"a": 1}') == {"a": 1}


def test_the_prompt_is_the_same_for_the_same_inputs_and_lists_every_problem() -> None:
    errors = ["answer.yaml:2:1: one", "answer.yaml:3:1: two"]
    first = build_prompt("Add a CLI", "MAP", True, errors, "tasks: []\n")
    assert first == build_prompt("Add a CLI", "MAP", True, errors, "tasks: []\n")
    assert "- answer.yaml:2:1: one\n- answer.yaml:3:1: two" in first
