"""podium's MCP tools used by real agents: Claude Code calls them, and they run Claude Code.

Everything talks to the scripted model server on 127.0.0.1: the MCP client's model is told by
a `PODIUM-SCRIPT:` line which podium tools to call, each task's agent by its goal.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from podium.testing import ScriptedServer

from agentkit import (
    FAKE_KEY_ENV,
    TOOLS_BIN,
    leftover_processes,
    podium_toml,
    require_cli,
    script_line,
)
from conftest import agent, git, make_repo

FILES = {"README.md": "# demo\n", "src/app.py": "X = 1\n"}
TOKEN = "podium-e2e-token"


@contextlib.contextmanager
def podium_entry(repo: Path, transport: str) -> Iterator[dict[str, Any]]:
    """podium's entry in an `mcpServers` config: a command (stdio) or a URL with a token."""
    podium = [sys.executable, "-m", "podium", "mcp", "--repo", str(repo)]
    if transport == "stdio":
        yield {"type": "stdio", "command": podium[0], "args": podium[1:]}
        return
    env = {**os.environ, "PODIUM_MCP_TOKEN": TOKEN}
    proc = subprocess.Popen([*podium, "--http", "--port", "0"], env=env, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    try:
        url = proc.stderr.readline().decode().rsplit(" at ", 1)[1].strip()
        yield {"type": "http", "url": url, "headers": {"Authorization": f"Bearer {TOKEN}"}}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()


def claude_with_podium(
    repo: Path, home: Path, server: ScriptedServer, prompt: str, transport: str
) -> list[Any]:
    """`claude -p PROMPT` with podium as its only MCP server; its stream-json events."""
    with podium_entry(repo, transport) as entry:
        config = home / "mcp.json"
        config.write_text(json.dumps({"mcpServers": {"podium": entry}}))
        return run_claude(repo, home, server, prompt, config)


def run_claude(
    repo: Path, home: Path, server: ScriptedServer, prompt: str, config: Path
) -> list[Any]:
    env = {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": server.url,
        "ANTHROPIC_API_KEY": "sk-ant-fake",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_MAX_RETRIES": "1",
        # `claude -p` starts its first turn without waiting for MCP servers unless told to.
        "MCP_CONNECTION_NONBLOCKING": "0",
        "MCP_CONNECT_TIMEOUT_MS": "60000",
    }
    argv = [str(require_cli("claude")), "-p", prompt, "--output-format", "stream-json"]
    argv += ["--verbose", "--model", "claude-sonnet-4-5", "--mcp-config", str(config)]
    argv += ["--strict-mcp-config", "--allowedTools", "mcp__podium"]
    proc = subprocess.run(
        argv,
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:] or proc.stdout[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def tool_results(events: list[Any]) -> list[dict[str, Any]]:
    """What each MCP tool call answered Claude Code, in order (podium answers JSON)."""
    out = []
    for event in events:
        if event.get("type") != "user":
            continue
        for block in event["message"]["content"]:
            if block.get("type") == "tool_result":
                text = block["content"]
                text = text if isinstance(text, str) else "".join(c["text"] for c in text)
                assert not block.get("is_error"), text
                out.append(json.loads(text))
    return out


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_claude_code_runs_a_plan_through_podium_s_mcp_tools(tmp_path: Path, transport: str) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    tasks = [
        {"id": "one", "goal": "one", "command": agent("write", "one.txt", "1\\n")},
        {"id": "two", "goal": "two", "command": agent("sleep", "1", "write", "two.txt", "2\\n")},
    ]
    plan = {"name": "via-mcp", "agent": "command", "gates": [], "tasks": tasks}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    steps = [
        {"tool": {"name": "mcp__podium__run_plan", "args": {"plan_path": "plan.yaml"}}},
        {"tool": {"name": "mcp__podium__wait", "args": {"timeout_s": 120}}},
        {"tool": {"name": "mcp__podium__status", "args": {"run_id": "r1"}}},
        {"text": "The plan ran: both tasks merged."},
    ]
    home = tmp_path / "claude-home"
    home.mkdir()
    with ScriptedServer() as server:
        prompt = f"Run plan.yaml with podium and tell me how it went.\n{script_line(steps)}"
        events = claude_with_podium(repo, home, server, prompt, transport)
        replies = [r.reply for r in server.requests]
    init = next(e for e in events if e.get("subtype") == "init")
    offered = {t for t in init["tools"] if t.startswith("mcp__podium__")}
    assert {"mcp__podium__run_plan", "mcp__podium__wait", "mcp__podium__cost"} <= offered
    assert replies == [
        "tool:mcp__podium__run_plan",
        "tool:mcp__podium__wait",
        "tool:mcp__podium__status",
        "text",
    ]
    started, waited, status = tool_results(events)
    assert started["run"] == "r1" and started["tasks"] == ["one", "two"]
    assert waited["waited"] == "ended" and status["counts"] == {"merged": 2}
    result = events[-1]
    assert result["type"] == "result" and not result["is_error"]
    assert result["result"] == "The plan ran: both tasks merged."
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    assert db.execute("SELECT status FROM runs WHERE id='r1'").fetchone() == ("finished",)
    states = db.execute("SELECT task_id, state FROM tasks WHERE run_id='r1' ORDER BY task_id")
    assert states.fetchall() == [("one", "merged"), ("two", "merged")]
    db.close()
    assert git(repo, "show", "main:two.txt") == "2"
    assert leftover_processes(str(repo)) == []


def planned_task(name: str) -> dict[str, Any]:
    """A task as the planner's schema has it, whose worker (Claude Code) writes src/NAME.py."""
    reply = {"write_file": {"path": f"src/{name}.py", "content": f"N = '{name}'\n"}}
    return {
        "id": name,
        "goal": f"Write src/{name}.py.\nPODIUM-TAG: {name}\n{script_line(reply)}",
        "description": "",
        "files": [f"src/{name}.py"],
        "after": [],
        "priority": 2,
        "role": "",
        "complexity": "low",
        "estimated_minutes": None,
        "checks": [],
    }


def test_a_goal_becomes_a_plan_that_claude_code_carries_out_and_is_costed(
    tmp_path: Path,
) -> None:
    require_cli("claude")
    repo = make_repo(tmp_path / "repo", FILES)
    plan = {"name": "names", "description": "", "constraints": []}
    plan["tasks"] = [planned_task("alpha"), planned_task("beta")]
    planner = {"match": {"any_user": "You are the planner of podium"}}
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    podium = StdioServerParameters(
        command=sys.executable, args=["-m", "podium", "mcp"], cwd=repo, env=env
    )
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
        result = await client.call_tool(tool, args, progress_callback=on_progress)
        assert not result.is_error and result.structured_content is not None, result.content
        return result.structured_content

    async def session() -> tuple[dict[str, Any], dict[str, Any]]:
        async with Client(podium) as client:
            planned = await call(client, "plan_goal", goal="Add the alpha and beta modules.")
            assert planned["tasks"] == ["alpha", "beta"]
            assert planned["usage"]["agent"] == "claude" and planned["usage"]["calls"] == 1
            started = await call(client, "run_plan", plan_path=planned["plan_path"])
            assert started["run"] == "r1"
            waited = await call(client, "wait", timeout_s=300)
            assert waited["counts"] == {"merged": 2}, waited["tasks"]
            return planned, await call(client, "cost", run_id="r1")

    with ScriptedServer([{**planner, "reply": {"json": {"value": plan}}}]) as server:
        (repo / "podium.toml").write_text(podium_toml("claude", server))
        git(repo, "add", "podium.toml")
        git(repo, "commit", "-qm", "point claude at the scripted server")
        planned, cost = anyio.run(session)
        served = server.usage()["by_tag"]
    assert (repo / planned["plan_path"]).read_text() == planned["plan_yaml"]
    assert progress[-1] == 2
    assert (repo / "src" / "beta.py").read_text() == "N = 'beta'\n"
    for name in ("alpha", "beta"):
        mine = cost["by_task"][name]
        assert (mine["input_tokens"], mine["output_tokens"]) == (
            served[name]["input_tokens"],
            served[name]["output_tokens"],
        )
        assert mine["cost_usd"] > 0
    both = sum(served[name]["input_tokens"] for name in ("alpha", "beta"))
    assert sum(m["input_tokens"] for m in cost["by_model"].values()) == both
    assert cost["total"]["cost_usd"] == cost["by_agent"]["claude"]["cost_usd"]
    assert leftover_processes(str(repo)) == []
