"""The planner's pure parts and its edges: the repository map, the prompt, reading answers,
determinism, the cost estimate, the scratch worktree and the command line's guard rails.
The planning call itself runs real agent CLIs in tests/e2e/test_planner_agents.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.config import Config
from podium.errors import PlanError
from podium.planning import estimate, planner, repomap
from podium.planning import prompt as planprompt
from podium.plans.checks import slug
from podium.plans.loading import parse_plan
from podium.plans.model import dump_plan
from podium.ui import render

from conftest import agent, git, make_repo

ANSWER: dict[str, Any] = {
    "name": "greeting",
    "description": "",
    "constraints": [],
    "tasks": [
        {
            "id": "module",
            "goal": "Add src/greet.py",
            "description": "",
            "files": ["src/greet.py"],
            "after": [],
            "priority": 1,
            "role": "backend",
            "complexity": "low",
            "estimated_minutes": None,
            "checks": [{"file_contains": {"path": "src/greet.py", "text": "GREETING"}}],
        },
        {
            "id": "docs",
            "goal": "Document it",
            "description": "A page in docs/.",
            "files": ["docs/**"],
            "after": ["module"],
            "priority": 2,
            "role": "docs",
            "complexity": "medium",
            "estimated_minutes": 15,
            "checks": [],
        },
    ],
}


# --- the repository map ----------------------------------------------------------------


def test_map_lists_files_with_sizes_key_files_and_gates(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "README.md": "# Greeter\nSays hello.\n",
            "README.rst": "Greeter, again\n",
            "pyproject.toml": '[project]\nname = "greeter"\n',
            "src/greet.py": "x" * 1500,
            "notes.txt": "not a key file\n",
        },
    )
    (repo / "untracked.py").write_text("left out: not at HEAD\n")
    text = repomap.repo_map(repo, ["python -m pytest -q"])
    assert "### Files (5 files, 1.6K in all)" in text
    assert "src/greet.py  1.5K" in text and "README.md  22" in text
    assert "untracked.py" not in text
    assert "### README.md\n\n```\n# Greeter\nSays hello.\n```" in text
    assert '### pyproject.toml\n\n```\n[project]\nname = "greeter"\n```' in text
    assert "### notes.txt" not in text and "### README.rst" not in text  # one README
    assert text.endswith("### Gates (commands every merge must pass)\n\n- `python -m pytest -q`")
    assert repomap.repo_map(repo, []).endswith("none configured")


def test_a_big_repository_is_summarised_by_folder_within_caps() -> None:
    files = [(f"d{i}/sub{j}/f{k}.py", 100) for i in range(40) for j in range(10) for k in (1, 2)]
    files += [("setup.py", 10)]
    caps = repomap.Caps(files=300, lines=250)
    text = repomap.render_map(sorted(files), [], [], caps)
    assert "### Files (801 files, 80.0K in all, summarised by folder)" in text
    assert "\nd0/  (20 files, 2.0K)\nd1/  (20 files, 2.0K)\n" in text  # 400 sub-folders: too many
    assert "setup.py  10" in text and "sub" not in text
    deeper = repomap.render_map(sorted(files), [], [], repomap.Caps(files=300, lines=410))
    assert "d0/sub0/  (2 files, 200)" in deeper and "f1.py" not in deeper
    flat = [(f"f{i:03}.py", 1) for i in range(400)]
    capped = repomap.render_map(flat, [], [], repomap.Caps(files=300, lines=20))
    assert "f019.py  1\n... and 380 more folders and files" in capped
    assert len(capped.splitlines()) < 30


def test_key_files_are_cut_to_their_head() -> None:
    readme = "\n".join(f"line {i}" for i in range(100))
    caps = repomap.Caps(head_lines=3, key_files=1)
    text = repomap.render_map([], [("README.md", readme), ("go.mod", "module x")], [], caps)
    assert "line 0\nline 1\nline 2\n[...]" in text and "line 3" not in text
    assert "go.mod" not in text  # only one key file allowed
    assert repomap.head("x" * 5000, repomap.Caps()).endswith("x\n[...]")


# --- the prompt and the answer ---------------------------------------------------------


def test_the_repair_prompt_quotes_the_validator_and_the_answer_it_read() -> None:
    errors = ["answer-1.yaml:4:7: dependency cycle: a -> b -> a"]
    prompt = planprompt.build_prompt("Add auth", "MAP", True, errors, "name: x\n")
    assert "- answer-1.yaml:4:7: dependency cycle: a -> b -> a" in prompt
    assert "```yaml\nname: x\n```" in prompt
    assert "## The goal\n\nAdd auth" in prompt and "## The repository\n\nMAP" in prompt
    first = planprompt.build_prompt("Add auth", "MAP", True)
    assert "rejected" not in first and "structured output" in first


def test_without_structured_output_the_prompt_carries_the_schema() -> None:
    prompt = planprompt.build_prompt("Add auth", "MAP", False)
    assert "```json fenced block" in prompt
    assert json.dumps(planprompt.PLAN_SCHEMA, sort_keys=True) in prompt


def test_the_schema_suits_strict_structured_output() -> None:
    def objects(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            found = [node] if node.get("type") == "object" else []
            return found + [o for value in node.values() for o in objects(value)]
        if isinstance(node, list):
            return [o for value in node for o in objects(value)]
        return []

    every = objects(planprompt.PLAN_SCHEMA)
    assert len(every) == 7  # plan, task, four check kinds, file_contains
    for node in every:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Here it is:\n```json\n{"a": 1}\n```\nDone.', {"a": 1}),
        ('```json\n{"a": 1}\n```\nbetter:\n```\n{"a": 2}\n```', {"a": 2}),
        ('Plan: {"a": {"b": [1, 2]}} -- that is all', {"a": {"b": [1, 2]}}),
        ('{"a": 1}', {"a": 1}),
        ('noise {not json} then {"a": 1}', {"a": 1}),
        ("```json\n[1, 2]\n```", None),
        ("no plan at all", None),
    ],
)
def test_json_is_found_in_text_answers(text: str, expected: Any) -> None:
    assert planprompt.extract_json(text) == expected


def test_an_answer_becomes_plan_yaml_without_its_empty_values() -> None:
    text = planprompt.answer_yaml(ANSWER, "codex", "fallback")
    data = yaml.safe_load(text)
    assert list(data) == ["name", "agent", "tasks"] and data["agent"] == "codex"
    assert data["tasks"][0] == {
        "id": "module",
        "goal": "Add src/greet.py",
        "files": ["src/greet.py"],
        "priority": 1,
        "role": "backend",
        "complexity": "low",
        "checks": [{"file_contains": {"path": "src/greet.py", "text": "GREETING"}}],
    }
    unnamed = planprompt.answer_yaml({**ANSWER, "name": ""}, "claude", "add-greeting")
    assert yaml.safe_load(unnamed)["name"] == "add-greeting"
    fenced = f"Sure.\n```json\n{json.dumps(ANSWER)}\n```"
    assert planprompt.answer_yaml(fenced, "codex", "fallback") == text


def test_what_is_not_a_plan_reaches_the_validator_as_it_is() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(planprompt.answer_yaml("I would rather not.", "claude", "x"), "a.yaml")
    assert "a.yaml:1:1: the plan must be a mapping" in str(caught.value)
    with pytest.raises(PlanError) as extra:
        parse_plan(planprompt.answer_yaml({"tasks": [], "steps": 1}, "claude", "x"), "a.yaml")
    assert "unknown key 'steps'" in str(extra.value)


def test_the_same_answer_gives_the_same_bytes_and_schedule(tmp_path: Path) -> None:
    def saved(answer: Any) -> tuple[bytes, str]:
        plan = parse_plan(planprompt.answer_yaml(answer, "claude", "x"), "answer.yaml")
        usage = planner.Usage("claude", "m", 1, 10, 2, 0.5, "agent")
        done = planner.save(tmp_path, plan, usage, tmp_path / "logs", "20260101-000000-x", None)
        return done.path.read_bytes(), render.dry_run_text(done.plan, 4, ())

    first, second = saved(ANSWER), saved(json.loads(json.dumps(ANSWER)))
    assert first == second
    plans = sorted((tmp_path / ".podium" / "plans").iterdir())
    assert [p.name for p in plans] == [
        "20260101-000000-x-2.cost.json",
        "20260101-000000-x-2.yaml",
        "20260101-000000-x.cost.json",
        "20260101-000000-x.yaml",
    ]
    assert first[0].decode() == dump_plan(parse_plan(first[0].decode()))
    cost = json.loads(plans[2].read_text())
    assert cost["input_tokens"] == 10 and cost["plan"] == ".podium/plans/20260101-000000-x.yaml"


def test_slugs() -> None:
    assert planprompt.plan_slug("Add JWT auth (v2)!") == "add-jwt-auth-v2"
    assert planprompt.plan_slug("!!!") == "plan"
    assert len(planprompt.plan_slug("word " * 40)) <= 40


def test_a_goal_with_accents_keeps_its_letters_as_task_ids_do() -> None:
    assert (
        planprompt.plan_slug("Traduire le résumé en français") == "traduire-le-resume-en-francais"
    )
    assert planprompt.plan_slug("Café") == slug("Café") == "cafe"


# --- the estimate ----------------------------------------------------------------------


def test_estimate_goes_complexity_model_price_then_history(calc_repo: Path) -> None:
    answer = {**ANSWER, "tasks": [*ANSWER["tasks"], {"id": "tool", "goal": "Run it"}]}
    answer["tasks"][2] |= {"agent": "command", "command": ["true"]}
    plan = parse_plan(planprompt.answer_yaml(answer, "claude", "x"))
    costs = {c.task: c for c in estimate.estimate(plan, Config(), {})}
    assert costs["module"].model == "claude-haiku-4-5"  # low complexity: the small tier
    assert costs["docs"].model == "claude-sonnet-4-5"
    assert costs["module"].basis == "price table" and 0 < costs["module"].usd < costs["docs"].usd
    assert (costs["tool"].usd, costs["tool"].basis) == (0.0, "no model")
    history = {("claude", "low"): [0.25, 0.75]}
    refined = estimate.estimate(plan, Config(), history)[0]
    assert (refined.usd, refined.basis) == (0.5, "average of 2 past attempts")
    assert "estimated cost: $" in render.estimate_text([refined])


def test_past_costs_come_from_the_store_by_agent_and_complexity(calc_repo: Path) -> None:
    assert estimate.past_costs(calc_repo / ".podium" / "podium.db") == {}
    plan = {
        "name": "p",
        "agent": "command",
        "tasks": [
            {"id": "a", "goal": "a", "complexity": "high", "command": agent("write", "a", "1")},
            {"id": "b", "goal": "b", "command": agent("write", "b", "2")},
        ],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    done = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml"], cwd=calc_repo, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    past = estimate.past_costs(calc_repo / ".podium" / "podium.db")
    assert past == {("command", "high"): [0.0], ("command", "medium"): [0.0]}


# --- edges -----------------------------------------------------------------------------


def test_the_scratch_worktree_is_gone_even_after_an_error(calc_repo: Path) -> None:
    with pytest.raises(RuntimeError), planner.scratch_worktree(calc_repo) as (tree, home):
        assert (tree / "calc" / "core.py").exists() and home.is_dir()
        (tree / "calc" / "core.py").write_text("changed in the scratch tree only\n")
        raise RuntimeError("the agent broke")
    assert not tree.exists() and not tree.parent.exists()
    assert len(git(calc_repo, "worktree", "list").splitlines()) == 1
    assert git(calc_repo, "status", "--porcelain") == ""


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.parent)}
    return subprocess.run(
        [sys.executable, "-m", "podium", *args], cwd=repo, capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--yes"], "--yes and --agent go with -g GOAL"),
        (["-g", "x", "status"], "-g plans and runs a goal; it does not go with 'status'"),
        (["plan", "-g", "x", "--agent", "command"], "--agent command runs a program, not a model"),
        (["plan", "-g", "x", "--agent", "nobody"], "unknown agent 'nobody'"),
        (["plan", "-g", "x"], "cannot plan with claude: not installed"),
        (["plan", "-g", "  "], "-g/--goal: say what the plan should achieve"),
    ],
)
def test_bad_input_is_exit_2_and_leaves_nothing(
    calc_repo: Path, args: list[str], message: str
) -> None:
    done = podium(calc_repo, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (calc_repo / ".podium").exists()


def test_podium_alone_shows_help(calc_repo: Path) -> None:
    done = podium(calc_repo)
    assert done.returncode == 0 and "-g, --goal TEXT" in done.stdout
