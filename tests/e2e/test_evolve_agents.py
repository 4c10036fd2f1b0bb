"""`podium evolve` on a history made by real agent CLIs against the scripted model server.

Docs tasks in plans that name no agent go where `[roles]` sends them: to Gemini CLI, whose
answers change nothing (the scripted server says so for the Gemini API), and from there, by the
retry ladder, to Claude Code, which writes the file. Two runs, three tasks: evolve's minimum
(2 runs, 6 decided attempts, 3 per arm). evolve proposes `[roles] docs = "claude"`; applied,
the next docs task runs on Claude Code alone, and a later evolve reports the change's effect.
`--agent` words the prompt lesson ("changed no files") in one call: Gemini's answer is no JSON
(the fixed sentence stays), Claude Code's is (its sentence goes into the template and the next
prompt); both calls are recorded as coordination.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.evolve.wording import HEADING
from podium.testing import ScriptedServer

from agentkit import FAKE_KEY_ENV, TOOLS_BIN, require_cli, scripted_goal
from conftest import git, make_repo

KEYS = ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY", "COPILOT_PROVIDER_API_KEY")
WORDED = (
    "Write the file your task names before you stop: an attempt that changes no file is refused."
)
SCRIPT = [
    {"match": {"api": "gemini"}, "reply": {"text": "Nothing to change."}},
    {
        "match": {"any_user": HEADING, "has_tool": "StructuredOutput"},
        "reply": {"json": {"value": {"lessons": {"prompt.no-changes": WORDED}}}},
    },
]
FIXED = "An attempt that changes no files is refused: make the change in the working tree"


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the agents podium.toml gives the fake key are usable."""
    for var in KEYS:
        monkeypatch.delenv(var, raising=False)


def settings(server: ScriptedServer) -> str:
    text = "gates = []\nmax_attempts = 2\n[timeouts]\nwall = 120\nsilence = 60\n"
    for name in ("claude", "gemini"):
        text += f'[agents.{name}]\nbase_url = "{server.url}"\napi_key_env = "{FAKE_KEY_ENV}"\n'
    return text + '[retries]\nladder = ["claude"]\n\n[roles]\ndocs = "gemini"\n'


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
        capture_output=True,
        text=True,
        timeout=600,
    )


def docs_task(id: str) -> dict[str, Any]:
    path = f"docs/{id}.md"
    reply = {"write_file": {"path": path, "content": f"# {id}\n"}}
    return {"id": id, "goal": scripted_goal(id, id, reply), "role": "docs", "files": [path]}


def run_docs(repo: Path, name: str, *ids: str) -> dict[str, Any]:
    """`podium run` of a plan that names no agent, one docs task per id."""
    plan = {"name": name, "max_parallel": 2, "tasks": [docs_task(i) for i in ids]}
    (repo / f"{name}.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"plan {name}")
    proc = podium(repo, "run", f"{name}.yaml", "--json")
    assert proc.returncode in (0, 1), proc.stderr
    status: dict[str, Any] = json.loads(proc.stdout)
    return status


def evolve_json(repo: Path, *args: str) -> dict[str, Any]:
    proc = podium(repo, "evolve", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def apis(server: ScriptedServer, tag: str) -> set[str]:
    return {r.api for r in server.requests if r.tag == tag}


def test_docs_that_gemini_fails_and_claude_lands_move_to_claude(tmp_path: Path) -> None:
    for cli in ("claude", "gemini"):
        require_cli(cli)
    with ScriptedServer(script=SCRIPT) as server:
        repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
        (repo / "podium.toml").write_text(settings(server))
        for status in (run_docs(repo, "docs1", "guide", "faq"), run_docs(repo, "docs2", "howto")):
            assert {t["state"] for t in status["tasks"]} == {"merged"}, status
        assert apis(server, "guide") == {"gemini", "anthropic"}

        data = evolve_json(repo)
        (role,) = [p for p in data["proposals"] if p["key"] == "roles.docs"]
        assert role["setting"] == ["roles", "docs", "claude"]
        assert role["evidence"][0].startswith("claude: 3/3 docs attempts merged (100%)")
        assert role["evidence"][1].startswith("gemini: 0/3 docs attempts merged (0%)")
        assert '-docs = "gemini"\n+docs = "claude"\n' in data["files"][0]["diff"]

        fallback = podium(repo, "evolve", "--agent", "gemini")  # answers no JSON
        assert "wording: gemini worded 0 lesson(s), 1 call, " in fallback.stdout
        assert "the answer worded no lesson; the fixed sentences stay" in fallback.stdout
        assert f"+- {FIXED}" in fallback.stdout

        applied = podium(repo, "evolve", "--apply", "--agent", "claude")
        assert applied.returncode == 0, applied.stderr
        assert "wording: claude worded 1 lesson(s), 1 call, " in applied.stdout
        assert (repo / "podium-prompt.md").read_text().endswith(f"- {WORDED}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "podium evolve")
        status = run_docs(repo, "docs3", "api")
        assert status["tasks"][0]["state"] == "merged" and status["tasks"][0]["agent"] == "claude"
        assert apis(server, "api") == {"anthropic"}
        explained = podium(repo, "explain", "api").stdout
        assert "[roles] docs = 'claude'" in explained, explained
        prompt = repo / ".podium" / "logs" / status["run"] / "api" / "a1.prompt.md"
        assert prompt.read_text().endswith(
            f"Lessons from earlier runs (podium evolve):\n- {WORDED}\n"
        )

        later = evolve_json(repo)
    (effect,) = [e for e in later["effects"] if e["key"] == "roles.docs"]
    assert effect["before"] == [3, 6] and effect["after"] == [1, 1]
    assert not [p for p in later["proposals"] if p["key"] in ("roles.docs", "prompt.no-changes")]
    wordings = [d for task, d in events(repo, "run.coordination") if task is None]
    assert [(d["what"], d["agent"], d["calls"]) for d in wordings] == [
        ("evolve wording", "gemini", 1),
        ("evolve wording", "claude", 1),
    ]
    assert all(d["input_tokens"] > 0 for d in wordings)


def events(repo: Path, kind: str) -> list[tuple[str | None, dict[str, Any]]]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(repo / ".podium" / "podium.db")) as db:
        sql = "SELECT task_id, data FROM events WHERE kind=? ORDER BY id"
        return [(task, json.loads(data)) for task, data in db.execute(sql, (kind,))]
