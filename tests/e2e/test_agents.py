"""Each agent CLI driven by podium against the scripted server: an edit lands with exact
tokens and cost, rate limits are waited out or recorded, faults end with reasons, a silent
agent is killed with its group. What differs per CLI is a row in `agentcases.AGENTS`."""

from __future__ import annotations

import time
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from podium.agents import registry
from podium.agents.base import Availability
from podium.config import AgentConfig
from podium.testing import ScriptedServer

from agentcases import AGENTS, WRITE, Agent, Ending
from agentkit import (
    TOOLS_BIN,
    AgentRun,
    closed_port,
    leftover_processes,
    podium_toml,
    run_agent_plan,
    scripted_goal,
)

REPO = {"README.md": "# demo\n", "src/app.py": "X = 1\n"}
EDIT_FILES = ["src/app.py", "src/feature.py"]
each_agent = pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)


def task(id: str, tag: str, reply: Any, files: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": id, "goal": scripted_goal(id, tag, reply), "files": files, **extra}


def fault_run(
    tmp_path: Path,
    agent: Agent,
    server: ScriptedServer,
    tasks: list[dict[str, Any]],
    attempts: int = 1,
    wall: float = 120,
) -> AgentRun:
    """A run with the row's settings for faults: its own retries cut short."""
    toml = f"max_attempts = {attempts}\n" + podium_toml(agent.name, server, agent.quiet, wall)
    files = {**REPO, **agent.repo}
    return run_agent_plan(tmp_path, agent.name, server, tasks, toml, files=files)


def assert_ends(task: dict[str, Any], served: dict[str, Any], ends: Ending) -> None:
    assert task["state"] == "failed"
    assert fnmatchcase(task["reason"], ends.reason), task["reason"]
    first = task["attempt_list"][0]
    if ends.outcome is not None:
        assert first["outcome"] == ends.outcome
    if ends.exit_code is not None:
        assert first["exit_code"] == ends.exit_code
    if ends.requests is not None:
        least, most = ends.requests
        assert least <= served["requests"] <= (most or served["requests"]), served


def assert_tokens(attempt: dict[str, Any], served: dict[str, Any]) -> None:
    got = (attempt["input_tokens"], attempt["output_tokens"])
    assert got == (served["input_tokens"], served["output_tokens"])


def assert_resets(
    agent: Agent, events: list[dict[str, Any]], server: ScriptedServer, tag: str, **at: Any
) -> None:
    """Each rate-limit event's reset time is where this CLI shows it."""
    limit = agent.rate_limit
    first = next(r for r in server.requests if r.status == 429 and r.tag == tag)
    for event in events:
        assert limit.text in event["text"]
        if limit.reset == "none":
            assert event["reset_at"] is None
        elif limit.reset == "retry-after":  # the server's retry-after
            assert abs(event["reset_at"] - (first.time + limit.sent.retry_after)) < 1.5
        elif limit.reset == "body":
            assert event["reset_at"] == at["named"]
        else:  # headers, counted from the 429's Date header
            started, took = at["started"], at["seconds"]
            low, high = started + limit.reset_in - 2, started + took + limit.reset_in + 1
            assert low <= event["reset_at"] <= high


@each_agent
def test_edit_is_merged_with_exact_tokens_and_cost(tmp_path: Path, agent: Agent) -> None:
    check = {"file_contains": {"path": "src/feature.py", "text": "return 42"}}
    with ScriptedServer() as server:
        feature = task("feature", "f1", WRITE, EDIT_FILES, checks=[check])
        run = run_agent_plan(tmp_path, agent.name, server, [feature])
    served = server.usage()["by_tag"]["f1"]
    requests = [r for r in server.requests if r.tag == "f1"]
    done = run.task("feature")
    assert done["state"] == "merged", done["reason"]
    assert (run.repo / "src/feature.py").read_text() == WRITE["write_file"]["content"]
    checks = run.events("task.checks")[-1]
    assert checks["ok"]
    assert {"name": "file_contains src/feature.py", "ok": True, "detail": ""} in checks["checks"]
    assert requests[0].reply == agent.tool
    if agent.edit_requests is not None:
        assert served["requests"] == agent.edit_requests
    assert {(r.model, r.stream) for r in requests} == {(agent.model, agent.streams)}
    attempt = done["attempt_list"][-1]
    assert_tokens(attempt, served)
    per_input, per_output = agent.price
    expected = (served["input_tokens"] * per_input + served["output_tokens"] * per_output) / 1e6
    if agent.prices_itself:
        assert attempt["cost_usd"] == pytest.approx(expected)
    else:
        assert abs(attempt["cost_usd"] - expected) < 1e-9
    assert attempt["model"] == agent.model
    assert not (agent.litter and list(run.repo.glob(agent.litter)))
    assert "[user]" not in (run.repo / ".git" / "config").read_text()  # the user's own config
    homes = run.repo / ".podium" / "homes"
    # The per-attempt HOME stays small (Copilot's 235 MB package is unpacked once, elsewhere)
    # and holds no error report.
    assert sum(p.stat().st_size for p in homes.rglob("*") if p.is_file()) < 20_000_000
    assert not (agent.error_reports and list(homes.rglob(agent.error_reports)))


@pytest.mark.parametrize("agent", [a for a in AGENTS if a.rate_limit.passes], ids=lambda a: a.name)
def test_passing_rate_limit_is_waited_out(tmp_path: Path, agent: Agent) -> None:
    """A 429 that passes: retried inside the attempt, or podium holds the task until the
    reset the CLI names and the next attempt lands."""
    limit, passes = agent.rate_limit, agent.rate_limit.passes
    assert passes is not None
    named = (int(time.time()) + 10) // 60 * 60 + 60  # a whole minute, 10-70 s away
    script = [{"match": {"tag": "rl"}, "reply": limit.sent.reply(named), "times": passes.times}]
    with ScriptedServer(script=script) as server:
        tasks = [task("feature", "rl", WRITE, EDIT_FILES)]
        run = fault_run(tmp_path, agent, server, tasks, attempts=1 if passes.inside else 2)
    served = server.usage()["by_tag"]["rl"]
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    assert served["errors"] == passes.times
    if agent.edit_requests is not None:
        assert served["requests"] == passes.times + agent.edit_requests
    events = run.events("agent.rate_limit")
    assert len(events) == (1 if limit.recorded else 0)
    assert_resets(agent, events, server, "rl", named=named)
    if passes.inside:
        assert feature["attempts"] == 1
        assert_tokens(feature["attempt_list"][0], served)
    else:
        limited, second = feature["attempt_list"]
        assert limited["outcome"] == "rate_limited"
        assert limited["reason"].startswith(f"{agent.name}: rate limited until "), limited
        if passes.exit_code is not None:
            assert limited["exit_code"] == passes.exit_code
        assert second["started_at"] >= events[0]["reset_at"]
    if agent.error_reports:  # it writes one on every API error: into the attempt's TMPDIR
        assert list((run.repo / ".podium" / "homes").rglob(agent.error_reports))


@each_agent
def test_faults_fail_fast_with_reasons(tmp_path: Path, agent: Agent) -> None:
    """A 429 that never passes, a 500 and the row's other faults, side by side (own files)."""
    broken = ("broken", "e500", agent.faults.sent500, agent.faults.broken)
    faults = [broken, *((f.id, f.id, f.reply, f.ends) for f in agent.faults.more)]
    limit = agent.rate_limit
    if limit.lasting is not None:
        faults.insert(0, ("limited", "rl", limit.sent.reply(0), limit.lasting))
    tasks = [task(id, tag, reply, [f"src/{id}.py"]) for id, tag, reply, _ in faults]
    with ScriptedServer() as server:
        run = fault_run(tmp_path, agent, server, tasks, wall=agent.faults.wall)
    served = server.usage()["by_tag"]
    assert run.proc.returncode == 1
    for id, tag, _, ends in faults:
        assert_ends(run.task(id), served.get(tag, {"requests": 0}), ends)
    limits = run.task_events("agent.rate_limit")
    assert {task_id for task_id, _ in limits} <= {"limited"}
    if limit.lasting_events is not None:
        least, most = limit.lasting_events
        assert least <= len(limits) <= (most or len(limits)), limits
        started = run.task("limited")["attempt_list"][0]["started_at"]
        events = [event for _, event in limits]
        assert_resets(agent, events, server, "rl", started=started, seconds=run.seconds)
    assert leftover_processes(str(run.repo)) == []


@each_agent
def test_endpoint_down_ends_the_attempt(tmp_path: Path, agent: Agent) -> None:
    down = agent.down
    with ScriptedServer() as server:
        tasks = [task("feature", "down", {"text": "hi"}, EDIT_FILES)]
        url = f"http://127.0.0.1:{closed_port()}{agent.base_path}"
        toml = "max_attempts = 1\n" + podium_toml(agent.name, server, agent.quiet, down.wall)
        toml = toml.replace(server.url, url)
        files = {**REPO, **agent.repo}
        run = run_agent_plan(tmp_path, agent.name, server, tasks, toml, files=files)
    assert_ends(run.task("feature"), {}, down.ends)
    assert leftover_processes(str(run.repo)) == []


@each_agent
def test_silent_agent_is_killed_with_its_group(tmp_path: Path, agent: Agent) -> None:
    silence = agent.silence
    with ScriptedServer() as server:
        toml = "max_attempts = 1\n" + podium_toml(agent.name, server, silence=silence)
        tasks = [task("feature", "hang", {"hang": True}, EDIT_FILES)]
        run = run_agent_plan(tmp_path, agent.name, server, tasks, toml)
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert "silence" in feature["reason"], feature["reason"]
    assert leftover_processes(str(run.repo)) == []


@each_agent
def test_available_reports_the_pinned_version(
    monkeypatch: pytest.MonkeyPatch, agent: Agent
) -> None:
    monkeypatch.setenv("PODIUM_TEST_KEY", "k")
    adapter, path = registry.get(agent.name), str(TOOLS_BIN / agent.name)
    config = AgentConfig(bin=path, api_key_env="PODIUM_TEST_KEY")
    assert adapter.available(config) == Availability(True, agent.version)
    for key in agent.key_vars:
        monkeypatch.delenv(key, raising=False)
    assert adapter.available(AgentConfig(bin=path)).why == agent.why_unauthenticated()
