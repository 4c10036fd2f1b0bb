"""Bernstein plans load unchanged: stages become dependencies, ignored keys become notes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from podium.errors import PlanError
from podium.plans.loading import load_plan, parse_plan
from podium.plans.model import Check, Plan, dump_plan

NOTES_APP = """\
# A plan written the way Bernstein's users write them.
name: "Notes API"
description: >
  A small notes service with tests and docs.

cli: auto
budget: "$12.50"
max_agents: 3
context_files:
  - "docs/spec.md"
constraints:
  - "Python 3.12+"
  - "pytest for tests"

stages:
  - name: "Foundation"
    description: "Skeleton and models"
    steps:
      - title: "Create the app factory"
        role: backend
        scope: small
        complexity: low
        priority: 1
        description: >
          Create app.py with create_app().
        files:
          - "app.py"
        completion_signals:
          - type: path_exists
            path: "app.py"
          - type: file_contains
            path: "app.py"
            contains: "def create_app"

      - title: "Define the Note model"
        role: backend
        scope: small
        complexity: medium
        priority: p0
        files: ["models/note.py"]
        completion_signals:
          - type: glob_exists
            path: "models/*.py"

  - name: "Features"
    depends_on: ["Foundation"]
    steps:
      - title: "Add CRUD endpoints"
        role: backend
        scope: medium
        complexity: high
        priority: 7
        files: ["routes/notes.py"]
        completion_signals:
          - type: command
            run: "python -m compileall -q routes"
          - type: llm_review
            value: "endpoints follow REST conventions"

  - name: "Quality"
    depends_on: ["Features"]
    steps:
      - title: "Write tests"
        role: qa
        scope: medium
        completion_signals:
          - type: test_passes
            command: "pytest tests/ -x -q"
      - goal: "Write the README"
        role: docs
        effort: low
"""


def load(tmp_path: Path, text: str) -> Plan:
    (tmp_path / "plan.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_plan("plan.yaml")


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PlanError) as info:
        load(tmp_path, text)
    return list(info.value.errors)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_a_real_looking_bernstein_plan_loads(tmp_path: Path) -> None:
    plan = load(tmp_path, NOTES_APP)
    assert (plan.name, plan.agent, plan.max_parallel, plan.budget_usd) == (
        "Notes API",
        "auto",  # `cli: auto`: podium picks among the usable CLIs at run time
        3,
        12.5,
    )
    assert plan.description == "A small notes service with tests and docs."
    assert plan.constraints == ("Python 3.12+", "pytest for tests")
    assert [t.id for t in plan.tasks] == [
        "create-the-app-factory",
        "define-the-note-model",
        "add-crud-endpoints",
        "write-tests",
        "write-the-readme",
    ]
    assert plan.deps() == {
        "create-the-app-factory": (),
        "define-the-note-model": (),
        "add-crud-endpoints": ("create-the-app-factory", "define-the-note-model"),
        "write-tests": ("add-crud-endpoints",),
        "write-the-readme": ("add-crud-endpoints",),
    }


def test_steps_keep_their_fields_and_signals_become_checks(tmp_path: Path) -> None:
    plan = load(tmp_path, NOTES_APP)
    first = plan.task("create-the-app-factory")
    assert (first.goal, first.role, first.complexity, first.files) == (
        "Create the app factory",
        "backend",
        "low",
        ("app.py",),
    )
    assert first.description == "Create app.py with create_app().\n\n" + (
        "Stage 'Foundation': Skeleton and models"
    )
    assert first.checks == (
        Check("path_exists", path="app.py"),
        Check("file_contains", path="app.py", text="def create_app"),
    )
    assert plan.task("define-the-note-model").checks == (Check("glob_exists", path="models/*.py"),)
    assert plan.task("add-crud-endpoints").checks == (
        Check("command", run="python -m compileall -q routes"),
    )
    assert plan.task("write-tests").checks == (Check("command", run="pytest tests/ -x -q"),)
    assert plan.task("write-the-readme").goal == "Write the README"


def test_priorities_keep_their_meaning_and_are_clamped(tmp_path: Path) -> None:
    plan = load(tmp_path, NOTES_APP)
    assert [t.priority for t in plan.tasks] == [1, 1, 5, 2, 2]  # 1, p0, 7, default, default


def test_ignored_keys_are_reported_once_each_where_they_first_occur(tmp_path: Path) -> None:
    plan = load(tmp_path, NOTES_APP)
    assert plan.notes == (
        "plan.yaml:9: key 'context_files' is ignored by podium",
        "plan.yaml:21: key 'scope' is ignored by podium (4 places)",
        "plan.yaml:52: priority 7 is outside podium's 1..5; using 5",
        "plan.yaml:57: completion signal type 'llm_review' is ignored by podium",
        "plan.yaml:71: key 'effort' is ignored by podium",
    )


def test_cli_auto_takes_the_default_agent_and_named_clis_map() -> None:
    text = "cli: auto\nstages:\n- name: S\n  steps:\n  - title: T\n"
    assert parse_plan(text, default_agent="codex").tasks[0].agent == "codex"
    assert parse_plan(text.replace("auto", "gemini")).agent == "gemini"
    step_cli = "stages:\n- name: S\n  steps:\n  - {title: T, cli: qwen}\n  - {title: U}\n"
    assert [t.agent for t in parse_plan(step_cli).tasks] == ["qwen", ""]  # "": the default
    assert parse_plan(text).agent == "auto"


def test_same_titles_get_numbered_ids_and_long_titles_are_cut() -> None:
    title = "Implement the login, logout and token refresh endpoints (v2)"
    text = (
        f"stages:\n- name: S\n  steps:\n  - title: Fix it\n  - title: Fix it!\n  - title: {title}\n"
    )
    ids = [t.id for t in parse_plan(text).tasks]
    assert ids == ["fix-it", "fix-it-2", "implement-the-login-logout-and-token-ref"]


def test_an_empty_stage_passes_its_dependencies_on() -> None:
    text = """\
stages:
- name: A
  steps: [{title: a}]
- name: Review
  depends_on: [A]
- name: C
  depends_on: [Review]
  steps: [{title: c}]
"""
    plan = parse_plan(text)
    assert plan.deps() == {"a": (), "c": ("a",)}
    assert plan.notes == ("<string>:4: stage 'Review' has no steps",)


def test_a_bernstein_plan_dumps_to_podium_format() -> None:
    text = "cli: codex\nbudget: 5\nstages:\n- name: S\n  steps:\n  - {title: T, files: [a.py]}\n"
    plan = parse_plan(text)
    again = parse_plan(dump_plan(plan))
    assert again.tasks == plan.tasks and again.agent == "codex" and again.budget_usd == 5


def test_unknown_stage_in_depends_on_lists_known_stages(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        stages:
          - name: Foundation
            steps: [{title: a}]
          - name: Features
            depends_on: [Foundation, Fundament]
            steps: [{title: b}]
        """,
    )
    assert got == [
        "plan.yaml:5:30: stage 'Features' depends on unknown stage 'Fundament' "
        "(known: Foundation, Features)"
    ]


def test_stage_cycle(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        stages:
          - name: One
            depends_on: [Two]
            steps: [{title: a}]
          - name: Two
            depends_on: [One]
            steps: [{title: b}]
        """,
    )
    assert got == ["plan.yaml:3:17: stage dependency cycle: One -> Two -> One"]


def test_duplicate_stage_names_both_lines(tmp_path: Path) -> None:
    text = "stages:\n  - name: One\n    steps: [{title: a}]\n  - name: One\n    steps: []\n"
    assert errors(tmp_path, text) == ["plan.yaml:4:11: duplicate stage 'One' (first on line 2)"]


def test_step_problems_are_located_in_the_bernstein_file(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        cli: cursor
        stages:
          - name: Build
            steps:
              - role: backend
              - title: Add auth
                files: ["/etc/auth"]
                complexity: critical
                completion_signals:
                  - type: smoke_test
                  - type: path_exists
        """,
    )
    assert got == [
        "plan.yaml:1:6: cli 'cursor' has no podium agent "
        "(podium runs: auto, claude, codex, gemini, aider, opencode, qwen, copilot)",
        "plan.yaml:5:9: stage 'Build' step 1 needs a 'title' (or 'goal')",
        "plan.yaml:10:19: completion signal type 'smoke_test' is unknown "
        "(known: path_exists, glob_exists, file_contains, command, test_passes)",
        "plan.yaml:8:21: task 'add-auth' has complexity 'critical'; use low, medium or high",
        "plan.yaml:7:17: task 'add-auth' has a bad files entry: "
        "'/etc/auth' is absolute: write it relative to the repository root",
        "plan.yaml:11:13: task 'add-auth' has a bad check: path_exists needs a path",
    ]


def test_wrong_types_name_the_stage_and_step(tmp_path: Path) -> None:
    got = errors(
        tmp_path,
        """\
        budget: lots
        stages:
          - name: Build
            steps:
              - title: Add auth
                priority: urgent
        """,
    )
    assert got == [
        "plan.yaml:1:9: budget: expected an amount like \"$15\" or 15, got 'lots'",
        "plan.yaml:6:19: stage 'Build' step 'Add auth': priority must be a whole number, "
        "got text 'urgent'",
    ]


def test_no_steps_at_all_is_an_empty_plan(tmp_path: Path) -> None:
    assert errors(tmp_path, "stages: []\n") == [
        "plan.yaml:1:9: the plan has no tasks; add at least one under 'tasks'"
    ]
