"""`podium mcp` through the official SDK's client, over stdio and streamable HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import yaml
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from podium.store import AttemptRow
from podium.ui.mcp.server import is_loopback
from podium.ui.mcp.tools import cost_summary, tail

from conftest import agent, git

TOOLS = {"run_plan", "status", "wait", "cost", "logs", "cancel", "plan_goal"}
Scenario = Callable[[Client], Awaitable[None]]


@dataclass
class Served:
    url: str
    said: str  # what it said about the token

    @property
    def token(self) -> str:
        return self.said.split("bearer token: ")[1].strip()


@contextlib.contextmanager
def http_server(repo: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`podium mcp --http` on a free port, as it announces itself on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "podium", "mcp", "--http", "--port", "0", *args],
        cwd=repo,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        first = proc.stderr.readline()
        found = re.search(r" at (http://\S+)", first)
        assert found, f"no URL in {first!r} (exit {proc.poll()})"
        yield Served(found.group(1), proc.stderr.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()


@contextlib.asynccontextmanager
async def over_http(url: str, token: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


async def tool_names(url: str, token: str) -> set[str]:
    async with over_http(url, token) as client:
        return {t.name for t in (await client.list_tools()).tools}


@contextlib.asynccontextmanager
async def connect(transport: str, repo: Path) -> AsyncIterator[Client]:
    if transport == "stdio":
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "podium", "mcp"], cwd=repo, env=dict(os.environ)
        )
        async with Client(params) as client:
            yield client
        return
    with http_server(repo) as served:
        async with over_http(served.url, served.token) as client:
            yield client


def drive(transport: str, repo: Path, scenario: Scenario) -> None:
    async def main() -> None:
        async with connect(transport, repo) as client:
            await scenario(client)

    anyio.run(main)


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, text
    assert result.structured_content is not None
    return result.structured_content


async def error(client: Client, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, result.structured_content
    text = " ".join(getattr(c, "text", "") for c in result.content)
    assert "Traceback" not in text
    return text


def write_plan(repo: Path, tasks: list[dict[str, Any]], **top: Any) -> None:
    plan = {"name": "p", "agent": "command", "gates": [], "tasks": tasks, **top}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))


def silence_after(repo: Path, seconds: int) -> None:
    (repo / "podium.toml").write_text(f"[timeouts]\nsilence = {seconds}\n")
    git(repo, "add", "podium.toml")
    git(repo, "commit", "-qm", "config")


def agent_pid(repo: Path) -> int | None:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    try:
        row = db.execute("SELECT pid FROM attempts WHERE pid IS NOT NULL").fetchone()
    finally:
        db.close()
    return int(row[0]) if row else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_plan_runs_in_the_background_and_wait_reports_progress(
    calc_repo: Path, transport: str
) -> None:
    silence_after(calc_repo, 2)
    say = ["say", "hello from a", "say", "second line"]
    slow = ["sleep", "1", "say", ".", "sleep", "1", "say", ".", "sleep", "1"]  # not silent
    write_plan(
        calc_repo,
        [
            {"id": "a", "goal": "a", "command": agent(*say, "write", "a.txt", "A\\n")},
            {"id": "b", "goal": "b", "command": agent(*slow, "write", "b.txt", "B\\n")},
            {"id": "c", "goal": "c", "command": agent("first-attempt-hang", "write", "c.txt", "C")},
        ],
        max_parallel=3,
    )
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async def scenario(client: Client) -> None:
        listed = await client.list_tools()
        assert {t.name for t in listed.tools} == TOOLS
        schema = next(t for t in listed.tools if t.name == "run_plan").input_schema
        assert {"plan_path", "plan_yaml", "target", "max_parallel"} <= set(schema["properties"])
        started = await call(client, "run_plan", plan_path="plan.yaml")
        assert started["run"] == "r1" and started["tasks"] == ["a", "b", "c"]
        assert (await call(client, "status"))["status"] == "running"  # it returned at once
        result = await client.call_tool("wait", {"timeout_s": 120}, progress_callback=on_progress)
        assert not result.is_error, result.content
        final = result.structured_content
        assert final is not None and final["waited"] == "ended"
        assert final["status"] == "finished" and final["counts"] == {"merged": 3}
        assert progress and progress[-1] == (3, 3)
        assert [p[0] for p in progress] == sorted({p[0] for p in progress})  # only rising
        cost = await call(client, "cost", run_id="r1")
        assert cost["by_task"]["c"]["attempts"] == 2  # the hung first attempt counts
        assert cost["by_agent"]["command"]["attempts"] == 4 == cost["total"]["attempts"]
        logs = await call(client, "logs", task="a")
        assert logs["text"] == "hello from a\nsecond line\n" and logs["attempt"] == 1
        cut = await call(client, "logs", task="a", tail_lines=1)
        assert cut["text"].endswith("\nsecond line\n") and "hello" not in cut["text"]
        assert f"the last 1 of 2 lines; the full log is {cut['path']}" in cut["text"]
        assert Path(cut["path"]).read_text() == "hello from a\nsecond line\n"

    drive(transport, calc_repo, scenario)
    assert git(calc_repo, "show", "main:a.txt") == "A"
    assert git(calc_repo, "show", "main:c.txt") == "C"


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_second_run_with_a_hanging_task_is_cancelled(calc_repo: Path, transport: str) -> None:
    write_plan(calc_repo, [{"id": "quick", "goal": "q", "command": agent("write", "q.txt", "q")}])
    hang = {"name": "h", "agent": "command", "gates": [], "max_parallel": 2}
    hang["tasks"] = [
        {"id": "stuck", "goal": "s", "files": ["s.txt"], "command": agent("hang")},
        {"id": "frozen", "goal": "f", "files": ["f.txt"], "command": agent("hang")},
    ]

    async def until(client: Client, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        with anyio.fail_after(60):
            while not check(data := await call(client, "status")):
                await anyio.sleep(0.2)
        return data

    async def scenario(client: Client) -> None:
        await call(client, "run_plan", plan_path="plan.yaml")
        assert (await call(client, "wait", timeout_s=60))["status"] == "finished"
        second = await call(client, "run_plan", plan_yaml=yaml.safe_dump(hang))
        assert second["run"] == "r2"
        await until(client, lambda d: d["counts"].get("running") == 2)
        bounded = await call(client, "wait", timeout_s=0.5)
        assert bounded["waited"] == "still running after 0.5s: call wait again"
        refused = await error(client, "run_plan", plan_path="plan.yaml")
        assert "run r2 is active" in refused
        one = await call(client, "cancel", task="stuck")
        assert one["task"] == "stuck" and "cancel task 'stuck'" in one["message"]
        states = await until(client, lambda d: d["counts"].get("cancelled") == 1)
        assert {t["id"]: t["state"] for t in states["tasks"]} == {
            "stuck": "cancelled",
            "frozen": "running",
        }
        whole = await call(client, "cancel", run_id="r2")
        assert "podium resume" in whole["message"]
        over = await call(client, "wait", run_id="r2", timeout_s=5)
        assert over["status"] == "cancelled" and over["counts"] == {"cancelled": 2}
        again = await error(client, "cancel", run_id="r2")
        assert "run r2 is cancelled: there is nothing to cancel" in again

    drive(transport, calc_repo, scenario)
    db = sqlite3.connect(calc_repo / ".podium" / "podium.db")
    rows = db.execute("SELECT pid FROM attempts WHERE run_id='r2'").fetchall()
    db.close()
    assert len(rows) == 2 and not [pid for (pid,) in rows if pid and alive(pid)]


def test_wait_says_when_the_run_s_process_died(calc_repo: Path) -> None:
    write_plan(calc_repo, [{"id": "stuck", "goal": "s", "command": agent("hang")}])

    async def scenario(client: Client) -> None:
        await call(client, "run_plan", plan_path="plan.yaml")
        with anyio.fail_after(60):
            while (await call(client, "status"))["counts"].get("running") != 1:
                await anyio.sleep(0.2)
            while not agent_pid(calc_repo):  # running, and its agent spawned
                await anyio.sleep(0.1)
        coordinator = int((calc_repo / ".podium" / "lock").read_text().split()[0])
        os.kill(coordinator, signal.SIGKILL)
        died = await call(client, "wait", timeout_s=30)
        assert died["status"] == "interrupted"  # the store still says running; it is not
        assert died["waited"].startswith("podium run stopped before the end (exit -9)")
        assert "`podium resume` carries the run on" in died["waited"]

    drive("stdio", calc_repo, scenario)
    db = sqlite3.connect(calc_repo / ".podium" / "podium.db")
    [(pid,)] = db.execute("SELECT pid FROM attempts").fetchall()
    db.close()
    deadline = time.monotonic() + 30
    while alive(pid) and time.monotonic() < deadline:  # the reaper ends the orphaned agent
        time.sleep(0.1)
    assert not alive(pid)


def test_bad_input_is_a_tool_error_that_says_what_is_wrong(calc_repo: Path) -> None:
    async def scenario(client: Client) -> None:
        assert "no runs yet" in await error(client, "status")
        missing = await error(client, "run_plan", plan_path="plan.yml")
        assert f"{calc_repo}/plan.yml: no such plan file" in missing
        both = await error(client, "run_plan", plan_path="a.yaml", plan_yaml="name: x")
        assert "exactly one of plan_path" in both
        bad = "name: p\nagent: command\ntasks:\n  - id: a\n    goal: a\n    after: [zz]\n"
        assert "plan_yaml:" in await error(client, "run_plan", plan_yaml=bad)
        assert "max_parallel" in await error(client, "run_plan", plan_path="p", max_parallel=0)
        assert "timeout_s" in await error(client, "wait", timeout_s=601)
        assert not (calc_repo / ".podium" / "mcp").exists()  # nothing left behind by refusals
        model = await error(client, "plan_goal", goal="add a CLI", agent="command")
        assert "runs a program, not a model" in model
        write_plan(calc_repo, [{"id": "a", "goal": "a", "command": agent("write", "a", "a")}])
        await call(client, "run_plan", plan_path="plan.yaml")
        await call(client, "wait")
        assert "no run 'r7' (known: r1)" in await error(client, "status", run_id="r7")
        assert "no run 'r7'" in await error(client, "cost", run_id="r7")
        assert "no task 'zz' in run r1 (tasks: a)" in await error(client, "logs", task="zz")
        assert "has no attempt 4 (attempts: 1)" in await error(client, "logs", task="a", attempt=4)
        assert "nothing to cancel" in await error(client, "cancel")

    drive("stdio", calc_repo, scenario)


def test_http_wants_the_bearer_token(calc_repo: Path) -> None:
    with http_server(calc_repo) as served:
        assert len(served.token) >= 32
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": served.token}):
            refused = httpx2.post(served.url, json=ping, headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "bearer token" in refused.json()["error"]
        assert anyio.run(tool_names, served.url, served.token) == TOOLS
        with pytest.raises(ExceptionGroup) as refused_by_client:
            anyio.run(tool_names, served.url, "wrong")
        assert refused_by_client.group_contains(MCPError)


def test_http_takes_the_token_from_the_environment(calc_repo: Path) -> None:
    with http_server(calc_repo, env={"PODIUM_MCP_TOKEN": "s3cret-token"}) as served:
        assert "the one in PODIUM_MCP_TOKEN" in served.said and "s3cret" not in served.said
        assert anyio.run(tool_names, served.url, "s3cret-token") == TOOLS


def test_only_loopback_unless_told(calc_repo: Path) -> None:
    def podium(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "podium", "mcp", *args]
        return subprocess.run(argv, cwd=calc_repo, capture_output=True, text=True, timeout=60)

    remote = podium("--http", "--host", "0.0.0.0", "--port", "0")
    assert remote.returncode == 2
    assert "not a loopback address" in remote.stderr and "--allow-remote" in remote.stderr
    assert podium("--port", "9").returncode == 2  # --port without --http
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


def test_tail_keeps_the_end_within_bounds() -> None:
    text = "".join(f"line {i}\n" for i in range(10))
    assert tail(text, 3) == ("line 7\nline 8\nline 9\n", 3, 10)
    assert tail(text, 100) == (text, 10, 10)
    assert tail(text, 5, chars=14) == ("line 8\nline 9\n", 2, 10)
    assert tail("x" * 50, 1, chars=10) == ("x" * 10, 1, 1)


def test_cost_adds_up_per_task_agent_and_model() -> None:
    def attempt(task: str, n: int, agent: str, model: str | None, cost: float) -> AttemptRow:
        return AttemptRow(
            "r1", task, n, agent, model, "b", "w", "base", None, None, None,
            time.time(), None, 0, "ok", "", 100 * n, 10 * n, cost,
        )  # fmt: skip

    summary = cost_summary(
        [
            attempt("api", 1, "claude", "sonnet", 0.25),
            attempt("api", 2, "codex", "gpt", 0.5),
            attempt("docs", 1, "claude", None, 0.125),
        ]
    )
    assert summary["by_task"]["api"] == {
        "attempts": 2,
        "input_tokens": 300,
        "output_tokens": 30,
        "cost_usd": 0.75,
    }
    assert summary["by_agent"]["claude"]["cost_usd"] == 0.375
    assert set(summary["by_model"]) == {"sonnet", "gpt", "(default)"}
    assert summary["total"] == {
        "attempts": 3,
        "input_tokens": 400,
        "output_tokens": 40,
        "cost_usd": 0.875,
    }
