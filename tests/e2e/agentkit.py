"""Running real agent CLIs through podium against the scripted model server.

The CLIs come from `.tools/bin` (scripts/install-agents). scripts/test runs the suite inside
a network namespace with only loopback up, so anything that tries to leave 127.0.0.1 fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.testing import ScriptedServer

from conftest import make_repo

TOOLS_BIN = Path(__file__).resolve().parents[2] / ".tools" / "bin"
FAKE_KEY_ENV = "PODIUM_FAKE_KEY"


def require_cli(name: str) -> Path:
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {TOOLS_BIN}: run scripts/install-agents")
    return path


@dataclass
class AgentRun:
    proc: subprocess.CompletedProcess[str]
    repo: Path
    status: dict[str, Any]
    seconds: float

    def task(self, task_id: str) -> dict[str, Any]:
        return next(t for t in self.status["tasks"] if t["id"] == task_id)

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [data for _, data in self.task_events(kind)]

    def task_events(self, kind: str) -> list[tuple[str | None, dict[str, Any]]]:
        """Each event of `kind`, oldest first, with the id of its task (None: the run's)."""
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.repo / ".podium" / "podium.db")) as db:
            sql = "SELECT task_id, data FROM events WHERE kind=? ORDER BY id"
            return [(task_id, json.loads(data)) for task_id, data in db.execute(sql, (kind,))]


def podium_toml(
    agent: str, server: ScriptedServer, extra: str = "", wall: float = 120, silence: float = 60
) -> str:
    return (
        "gates = []\n"
        f"[timeouts]\nwall = {wall}\nsilence = {silence}\n"
        f'[agents.{agent}]\nbase_url = "{server.url}"\napi_key_env = "{FAKE_KEY_ENV}"\n' + extra
    )


def run_agent_plan(
    tmp_path: Path,
    agent: str,
    server: ScriptedServer,
    tasks: list[dict[str, Any]],
    toml: str | None = None,
    files: dict[str, str] | None = None,
    **plan_keys: Any,
) -> AgentRun:
    """Make a repository, run `podium run` on a plan of `tasks` with `agent`, return the result
    (`agent=""`: the plan names none, podium.toml's `[roles]` and the usable CLIs decide)."""
    if agent not in ("", "auto"):
        require_cli(agent)
    top = {"agent": agent} if agent else {}
    repo = make_repo(tmp_path / "repo", files or {"README.md": "# demo\n", "src/app.py": "X = 1\n"})
    (repo / "podium.toml").write_text(toml or podium_toml(agent, server))
    (repo / "plan.yaml").write_text(
        yaml.safe_dump({"name": "agents", **top, **plan_keys, "tasks": tasks}, sort_keys=False)
    )
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    took = time.monotonic() - start
    try:
        status = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"podium printed no status (exit {proc.returncode}): {proc.stderr}")
    return AgentRun(proc, repo, status, took)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: an endpoint that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scripted_goal(id: str, tag: str, reply: Any) -> str:
    """A task goal the scripted server answers with `reply`, its usage counted under `tag`."""
    return f"Do {id}.\nPODIUM-TAG: {tag}\n{script_line(reply)}"


def script_line(reply: Any) -> str:
    """A prompt line that tells the scripted server what this conversation's model does."""
    return "PODIUM-SCRIPT: " + json.dumps(reply)


def leftover_processes(marker: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if (marker in cmd or cwd.startswith(marker)) and state != "Z":
            found.append(f"{pid}: {cmd[:200]}")
    return found
