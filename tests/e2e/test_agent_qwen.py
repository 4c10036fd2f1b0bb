"""Qwen Code driven by podium against the scripted server: a real edit lands, faults end.

Qwen exits 0 on API errors; podium must still fail those attempts (the closed-port test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from podium.agents.base import Availability
from podium.agents.qwen import QwenAdapter
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

AGENT = "qwen"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"


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
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    assert (run.repo / "src/feature.py").read_text() == FEATURE
    checks = run.events("task.checks")[-1]
    assert (
        checks["ok"]
        and {"name": "file_contains src/feature.py", "ok": True, "detail": ""} in (checks["checks"])
    )
    attempt = feature["attempt_list"][-1]
    assert served["requests"] == 2  # the write_file call, then the final text
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    # Qwen reports no cost and qwen3-coder-plus is not in podium's table: the default price.
    expected = (served["input_tokens"] * 3 + served["output_tokens"] * 15) / 1e6
    assert abs(attempt["cost_usd"] - expected) < 1e-9
    assert attempt["model"] == "qwen3-coder-plus"


def test_transient_rate_limit_is_retried_inside_the_attempt(tmp_path: Path) -> None:
    """Qwen retries two 429s by itself (1.5 s, then 3 s) and prints nothing about them, so
    podium records no rate limit; a 429 that outlasts its 7 attempts (about 75 s) ends as
    `[API Error: 429 ...]` with exit 0, a rate-limit failure (see the unit tests)."""
    limited = {"error": {"status": 429, "retry_after": 1, "message": "Slow down"}}
    script = [{"match": {"tag": "rl"}, "reply": limited, "times": 2}]
    reply = {"write_file": {"path": "src/feature.py", "content": FEATURE}}
    with ScriptedServer(script=script) as server:
        toml = FAULTS + podium_toml(AGENT, server)
        run = run_agent_plan(tmp_path, AGENT, server, [task("feature", "rl", reply)], toml)
        served = server.usage()["by_tag"]["rl"]
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    assert served["errors"] == 2 and served["requests"] == 4
    attempt = feature["attempt_list"][0]
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    assert run.events("agent.rate_limit") == []


def test_server_error_is_ended_by_the_wall_clock(tmp_path: Path) -> None:
    """Qwen's 7 attempts at a 5xx take about 75 s and cannot be shortened: podium's wall
    clock bounds them."""
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, wall=20)
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("broken", "e500", {"error": 500})], toml
        )
        served = server.usage()["by_tag"]["e500"]
    broken = run.task("broken")
    assert broken["state"] == "failed"
    assert "wall-clock timeout" in broken["reason"], broken["reason"]
    assert served["requests"] >= 3  # retrying, one request per attempt (SDK retries off)
    assert leftover_processes(str(run.repo)) == []
    assert run.seconds < 45


def test_endpoint_down_fails_fast(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}/v1")
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "down", {"text": "hi"})], toml
        )
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert feature["attempt_list"][0]["exit_code"] == 0
    assert feature["reason"].startswith("qwen: API error: Connection error."), feature["reason"]
    assert run.seconds < 45


def test_available_reports_the_pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_TEST_KEY", "k")
    config = AgentConfig(bin=str(TOOLS_BIN / AGENT), api_key_env="PODIUM_TEST_KEY")
    assert QwenAdapter().available(config) == Availability(True, "0.15.10")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    why = QwenAdapter().available(AgentConfig(bin=str(TOOLS_BIN / AGENT))).why
    assert why == "not authenticated: set OPENAI_API_KEY or [agents.qwen] api_key_env"
