"""Codex CLI driven by podium against the scripted server: a real edit lands, faults end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from podium.agents.base import Availability
from podium.agents.codex import CodexAdapter
from podium.config import AgentConfig
from podium.testing import ScriptedServer

from agentkit import (
    TOOLS_BIN,
    closed_port,
    leftover_processes,
    podium_toml,
    run_agent_plan,
    scripted_goal,
)

AGENT = "codex"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"
RETRY_ONCE = "max_attempts = 2\n"  # a rate-limited attempt counts against it too
ONE_RETRY = (
    'args = ["-c", "model_providers.podium.request_max_retries=1",'
    ' "-c", "model_providers.podium.stream_max_retries=1"]\n'
)


def task(id: str, tag: str, reply: Any, **extra: Any) -> dict[str, Any]:
    goal = scripted_goal(id, tag, reply)
    return {"id": id, "goal": goal, "files": [f"src/{id}*"], **extra}  # apart: in parallel


def test_edit_is_merged_with_exact_tokens(tmp_path: Path) -> None:
    reply = {"write_file": {"path": "src/feature.py", "content": FEATURE}}
    check = {"file_contains": {"path": "src/feature.py", "text": "return 42"}}
    with ScriptedServer() as server:
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "f1", reply, checks=[check])]
        )
        served = server.usage()["by_tag"]["f1"]
        replies = [r.reply for r in server.requests if r.tag == "f1"]
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    assert (run.repo / "src/feature.py").read_text() == FEATURE
    assert replies[0] == "tool:apply_patch"  # gpt-5.5 is a slug Codex knows
    checks = run.events("task.checks")[-1]
    assert (
        checks["ok"]
        and {"name": "file_contains src/feature.py", "ok": True, "detail": ""} in (checks["checks"])
    )
    attempt = feature["attempt_list"][-1]
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    # Codex reports no cost: podium prices gpt-5.5 from its table ($1.25 / $10 per million).
    expected = (served["input_tokens"] * 1.25 + served["output_tokens"] * 10) / 1e6
    assert abs(attempt["cost_usd"] - expected) < 1e-9
    assert attempt["model"] == "gpt-5.5"


def test_usage_limit_waits_until_the_reset_codex_names(tmp_path: Path) -> None:
    """Codex gives up on a usage limit at once and prints the reset to the minute
    ("try again at 9:06 AM"); podium holds the task until then, and the next attempt lands.
    A plain 429 names no reset time (Codex drops the headers): see the unit tests."""
    reset = (int(time.time()) + 10) // 60 * 60 + 60  # a whole minute, 10-70 s away
    body = {"error": {"type": "usage_limit_reached", "message": "limit", "resets_at": reset}}
    script = [
        {"match": {"tag": "rl"}, "reply": {"error": {"status": 429, "body": body}}, "times": 1}
    ]
    reply = {"write_file": {"path": "src/feature.py", "content": FEATURE}}
    with ScriptedServer(script=script) as server:
        run = run_agent_plan(
            tmp_path,
            AGENT,
            server,
            [task("feature", "rl", reply)],
            RETRY_ONCE + podium_toml(AGENT, server),
        )
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    first, second = feature["attempt_list"]
    assert first["outcome"] == "rate_limited"
    assert first["reason"].startswith("codex: rate limited until "), first["reason"]
    assert [e["reset_at"] for e in run.events("agent.rate_limit")] == [reset]
    assert second["started_at"] >= reset


def test_server_error_fails_fast(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, ONE_RETRY)
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("broken", "e500", {"error": 500})], toml
        )
        served = server.usage()["by_tag"]["e500"]
    broken = run.task("broken")
    assert broken["state"] == "failed"
    # Codex puts its own words on a 5xx: the server's message and status are not shown.
    assert broken["reason"] == (
        "codex: We’re currently experiencing high demand, which may cause temporary errors."
    )
    assert 2 <= served["requests"] <= 4  # request and stream retries, one each
    assert run.seconds < 45


def test_endpoint_down_is_ended_by_the_wall_clock(tmp_path: Path) -> None:
    """Codex never gives up on a dead endpoint ("Reconnecting... waiting for network")."""
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, wall=15)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}/v1")
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "down", {"text": "hi"})], toml
        )
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert "wall-clock timeout" in feature["reason"], feature["reason"]
    assert leftover_processes(str(run.repo)) == []
    assert run.seconds < 45


def test_available_reports_the_pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_TEST_KEY", "k")
    config = AgentConfig(bin=str(TOOLS_BIN / AGENT), api_key_env="PODIUM_TEST_KEY")
    assert CodexAdapter().available(config) == Availability(True, "0.169.0")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    why = CodexAdapter().available(AgentConfig(bin=str(TOOLS_BIN / AGENT))).why
    assert why == "not authenticated: set OPENAI_API_KEY or [agents.codex] api_key_env"
