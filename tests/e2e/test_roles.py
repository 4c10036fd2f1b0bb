"""Agents by role and `agent: auto`, with Claude Code and Gemini CLI against the scripted
server: `[roles]` sends a task to the agent its role names, `agent: auto` uses the agent CLIs
that are usable here, and `podium run --dry-run` says which agent each task gets and why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from podium.testing import ScriptedServer

from agentkit import FAKE_KEY_ENV, TOOLS_BIN, run_agent_plan, scripted_goal

KEYS = ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY", "COPILOT_PROVIDER_API_KEY")


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the agents podium.toml gives the fake key are usable."""
    for var in KEYS:
        monkeypatch.delenv(var, raising=False)


def toml(server: ScriptedServer, agents: tuple[str, ...], extra: str = "") -> str:
    text = "gates = []\n[timeouts]\nwall = 120\nsilence = 60\n"
    for agent in agents:
        text += f'[agents.{agent}]\nbase_url = "{server.url}"\napi_key_env = "{FAKE_KEY_ENV}"\n'
    return text + extra


def write(id: str, path: str, role: str = "") -> dict[str, Any]:
    reply = {"write_file": {"path": path, "content": f"# {id}\n"}}
    return {"id": id, "goal": scripted_goal(id, id, reply), "files": [path], "role": role}


def apis(server: ScriptedServer, tag: str) -> set[str]:
    return {r.api for r in server.requests if r.tag == tag}


def test_roles_send_the_docs_task_to_gemini_and_the_rest_to_claude(tmp_path: Path) -> None:
    tasks = [
        write("guide", "docs/guide.md", role="documentation writer"),
        write("feature", "src/feature.py", role="backend"),
    ]
    with ScriptedServer() as server:
        config = toml(server, ("claude", "gemini"), '[roles]\ndocs = "gemini"\n')
        run = run_agent_plan(tmp_path, "", server, tasks, config)
    assert run.task("guide")["state"] == "merged", run.task("guide")["reason"]
    assert run.task("feature")["state"] == "merged", run.task("feature")["reason"]
    assert run.task("guide")["agent"] == "gemini" and apis(server, "guide") == {"gemini"}
    assert run.task("feature")["agent"] == "claude" and apis(server, "feature") == {"anthropic"}
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}:{os.environ['PATH']}",
    }
    dry = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--dry-run"],
        cwd=run.repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "guide                  gemini ([roles] docs)" in dry.stdout, dry.stdout
    assert "feature                claude (the default: the first usable agent CLI found)" in (
        dry.stdout
    )


def test_agent_auto_with_only_gemini_usable_runs_everything_on_gemini(tmp_path: Path) -> None:
    tasks = [write("one", "src/one.py"), write("two", "src/two.py")]
    with ScriptedServer() as server:
        run = run_agent_plan(tmp_path, "auto", server, tasks, toml(server, ("gemini",)))
    for task in ("one", "two"):
        assert run.task(task)["state"] == "merged", run.task(task)["reason"]
        assert run.task(task)["agent"] == "gemini" and apis(server, task) == {"gemini"}
