"""`podium -g` and `podium plan -g` with Claude Code and Codex as the planner, for real.

The scripted model server answers the planning call (it is the only request whose prompt
says "You are the planner of podium") with a plan; the plan's task goals carry
`PODIUM-SCRIPT:` lines, so the same server then makes the worker agents write files.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.testing import ScriptedServer

from agentkit import FAKE_KEY_ENV, TOOLS_BIN, podium_toml, require_cli, script_line
from conftest import git, make_repo

AGENTS = ["claude", "codex"]
PLANNER = {"any_user": "You are the planner of podium"}
REPAIR = {"any_user": "Your previous answer was rejected"}
GOAL = "Add a greeting module and document it.\nPODIUM-TAG: planner"


def task(id: str, goal: str, **extra: Any) -> dict[str, Any]:
    """A task as the plan schema wants it: every key present (null or empty when unused)."""
    full = {
        "id": id,
        "goal": goal,
        "description": "",
        "files": [],
        "after": [],
        "priority": 2,
        "role": "",
        "complexity": "low",
        "estimated_minutes": None,
        "checks": [],
    }
    return {**full, **extra}


def writes(id: str, path: str, content: str, **extra: Any) -> dict[str, Any]:
    """A task whose worker (the same scripted server) writes `path`."""
    reply = {"write_file": {"path": path, "content": content}}
    goal = f"Write {path}.\nPODIUM-TAG: w-{id}\n{script_line(reply)}"
    check = {"file_contains": {"path": path, "text": content.strip()}}
    return task(id, goal, files=[path], checks=[check], **extra)


def plan(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {"name": "greeting", "description": "", "constraints": [], "tasks": list(tasks)}


GOOD = plan(
    writes("module", "src/greet.py", "GREETING = 'hi'\n", role="backend"),
    writes("docs", "docs/greet.md", "# Greeting\n", after=["module"], role="docs"),
)
CYCLE = plan(
    writes("module", "src/greet.py", "GREETING = 'hi'\n", after=["docs"]),
    writes("docs", "docs/greet.md", "# Greeting\n", after=["module"]),
)
BAD_IDS = plan(task("Greeting Module", "Add it", after=["api"]))


def answer(value: dict[str, Any]) -> dict[str, Any]:
    return {"json": {"value": value}}


def make(tmp_path: Path, agent: str, server: ScriptedServer) -> Path:
    require_cli(agent)
    repo = make_repo(tmp_path / "repo", {"README.md": "# greet\n", "src/app.py": "X = 1\n"})
    (repo / "podium.toml").write_text(podium_toml(agent, server))
    git(repo, "add", "podium.toml")
    git(repo, "commit", "-qm", "podium.toml")
    return repo


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def events(repo: Path, kind: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT data FROM events WHERE kind=? ORDER BY id", (kind,)).fetchall()
    db.close()
    return [json.loads(r[0]) for r in rows]


def status(repo: Path) -> dict[str, Any]:
    done = podium(repo, "status", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def saved_plans(repo: Path) -> list[Path]:
    return sorted((repo / ".podium" / "plans").glob("*.yaml"))


def assert_clean(repo: Path) -> None:
    """No worktree but the main one, no branch but main, no plan, no run."""
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    assert git(repo, "branch", "--format=%(refname:short)").split() == ["main"]
    assert saved_plans(repo) == []
    assert not (repo / ".podium" / "podium.db").exists()
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("agent", AGENTS)
def test_good_plan_runs_to_completion(tmp_path: Path, agent: str) -> None:
    with ScriptedServer([{"match": PLANNER, "reply": answer(GOOD)}]) as server:
        repo = make(tmp_path, agent, server)
        done = podium(repo, "-g", GOAL, "--yes", "--agent", agent)
        planning = server.usage()["by_tag"]["planner"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "src/greet.py").read_text() == "GREETING = 'hi'\n"
    assert (repo / "docs/greet.md").read_text() == "# Greeting\n"
    assert {t["id"]: t["state"] for t in status(repo)["tasks"]} == {
        "module": "merged",
        "docs": "merged",
    }
    [path] = saved_plans(repo)
    assert f"saved to .podium/plans/{path.name}" in done.stdout
    cost = json.loads(path.with_suffix(".cost.json").read_text())
    [coordination] = events(repo, "run.coordination")
    assert coordination["calls"] == cost["calls"] == 1
    assert (coordination["input_tokens"], coordination["output_tokens"]) == (
        planning["input_tokens"],
        planning["output_tokens"],
    )
    assert coordination["cost_usd"] == pytest.approx(cost["cost_usd"]) and cost["cost_usd"] > 0
    assert coordination["cost_source"] == ("agent" if agent == "claude" else "price table")
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # the planner's is gone too


@pytest.mark.parametrize("agent", AGENTS)
def test_cycle_is_repaired_then_runs(tmp_path: Path, agent: str) -> None:
    script = [
        {"match": REPAIR, "reply": answer(GOOD)},
        {"match": PLANNER, "reply": answer(CYCLE)},
    ]
    with ScriptedServer(script) as server:
        repo = make(tmp_path, agent, server)
        done = podium(repo, "-g", GOAL, "--yes", "--agent", agent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 calls (one repair round)" in done.stdout
    assert (repo / "docs/greet.md").exists()
    [logs] = (repo / ".podium" / "logs" / "plans").iterdir()
    repair_prompt = (logs / "prompt-2.md").read_text()
    assert "dependency cycle: module -> docs -> module" in repair_prompt
    assert "after:\n  - docs" in repair_prompt  # the rejected answer, as podium read it
    assert events(repo, "run.coordination")[0]["calls"] == 2


@pytest.mark.parametrize("agent", AGENTS)
def test_garbage_twice_is_exit_2_and_leaves_nothing(tmp_path: Path, agent: str) -> None:
    script = [
        {"match": REPAIR, "reply": answer(BAD_IDS)},
        {"match": PLANNER, "reply": {"text": "I would rather not plan today."}},
    ]
    with ScriptedServer(script) as server:
        repo = make(tmp_path, agent, server)
        done = podium(repo, "-g", GOAL, "--yes", "--agent", agent)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"the planner ({agent}) gave no valid plan, even after a repair round" in done.stderr
    assert "answer-2.yaml:4:7: task id 'Greeting Module' must be lowercase" in done.stderr
    assert "depends on unknown task 'api'" in done.stderr
    [logs] = (repo / ".podium" / "logs" / "plans").iterdir()
    assert "the plan must be a mapping" in (logs / "prompt-2.md").read_text()
    assert_clean(repo)


@pytest.mark.parametrize("agent", AGENTS)
def test_same_answer_same_plan_and_schedule(tmp_path: Path, agent: str) -> None:
    with ScriptedServer([{"match": PLANNER, "reply": answer(GOOD)}]) as server:
        repo = make(tmp_path, agent, server)
        first = podium(repo, "plan", "-g", GOAL, "--agent", agent, "--dry-run", "-o", "a.yaml")
        second = podium(repo, "plan", "-g", GOAL, "--agent", agent, "--dry-run")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    one, two = saved_plans(repo)
    assert one != two and one.read_bytes() == two.read_bytes()
    assert (repo / "a.yaml").read_bytes() == one.read_bytes()
    assert schedule(first.stdout) == schedule(second.stdout)
    assert "wave 1: module\n  wave 2: docs" in schedule(first.stdout)
    assert "estimated cost: $" in schedule(first.stdout)
    assert not (repo / ".podium" / "podium.db").exists()  # planning alone runs nothing


def schedule(stdout: str) -> str:
    return stdout[stdout.index("plan 'greeting'") : stdout.index("run it:")]


def test_without_a_terminal_or_yes_it_saves_and_runs_nothing(tmp_path: Path) -> None:
    with ScriptedServer([{"match": PLANNER, "reply": answer(GOOD)}]) as server:
        repo = make(tmp_path, "claude", server)
        done = podium(repo, "-g", GOAL)  # claude plans by default; stdin is not a terminal
    assert done.returncode == 0, done.stderr
    [path] = saved_plans(repo)
    assert f"nothing run. Run the plan with:\n  podium run .podium/plans/{path.name}\n" in (
        done.stdout
    )
    assert "wave 1: module" in done.stdout and "estimated cost: $" in done.stdout
    assert not (repo / ".podium" / "podium.db").exists()
    assert not (repo / "src/greet.py").exists()


def test_a_cli_without_structured_output_answers_in_a_fenced_block(tmp_path: Path) -> None:
    text = f"Here is the plan.\n```json\n{json.dumps(GOOD)}\n```\n"
    with ScriptedServer([{"match": PLANNER, "reply": {"text": text}}]) as server:
        repo = make(tmp_path, "gemini", server)
        done = podium(repo, "plan", "-g", GOAL, "--agent", "gemini")
    assert done.returncode == 0, done.stdout + done.stderr
    [path] = saved_plans(repo)
    [logs] = (repo / ".podium" / "logs" / "plans").iterdir()
    assert "```json fenced block" in (logs / "prompt-1.md").read_text()
    saved = yaml.safe_load(path.read_text())
    assert saved["agent"] == "gemini" and [t["id"] for t in saved["tasks"]] == ["module", "docs"]
