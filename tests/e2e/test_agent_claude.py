"""Claude Code driven by podium against the scripted server: a real edit lands, faults end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from podium.agents.base import Availability
from podium.agents.claude import ClaudeAdapter
from podium.config import AgentConfig
from podium.testing import ScriptedServer

from agentkit import (
    TOOLS_BIN,
    closed_port,
    podium_toml,
    run_agent_plan,
    scripted_goal,
)

AGENT = "claude"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"
RETRIES_1 = 'env = { CLAUDE_CODE_MAX_RETRIES = "1" }\n'


def task(id: str, tag: str, reply: Any, **extra: Any) -> dict[str, Any]:
    goal = scripted_goal(id, tag, reply)
    return {"id": id, "goal": goal, "files": [f"src/{id}*"], **extra}  # apart: in parallel


def test_edit_is_merged_with_exact_tokens_and_claude_s_own_cost(tmp_path: Path) -> None:
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
    assert served["requests"] == 2  # the Write call, then the final text; no side requests
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    # Claude Code prices claude-sonnet-4-5 itself: $3 / $15 per million tokens.
    expected = (served["input_tokens"] * 3 + served["output_tokens"] * 15) / 1e6
    assert attempt["cost_usd"] == pytest.approx(expected)
    assert attempt["model"] == "claude-sonnet-4-5"


def test_rate_limit_is_waited_out_and_its_reset_time_recorded(tmp_path: Path) -> None:
    """A 429 with retry-after 2 s: Claude Code retries after 2 s and the task still lands."""
    limited = {"error": {"status": 429, "retry_after": 2, "message": "Slow down"}}
    reply = {"write_file": {"path": "src/feature.py", "content": FEATURE}}
    script = [{"match": {"tag": "rl"}, "reply": limited, "times": 1}]
    with ScriptedServer(script=script) as server:
        toml = FAULTS + podium_toml(AGENT, server, RETRIES_1)
        run = run_agent_plan(tmp_path, AGENT, server, [task("feature", "rl", reply)], toml)
        first = next(r for r in server.requests if r.status == 429)
        served = server.usage()["by_tag"]["rl"]
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    assert feature["attempts"] == 1  # recovered inside the attempt
    (event,) = run.events("agent.rate_limit")
    assert abs(event["reset_at"] - (first.time + 2)) < 1.5  # the server's retry-after
    attempt = feature["attempt_list"][0]
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )


def test_lasting_rate_limit_and_server_error_fail_fast_with_reasons(tmp_path: Path) -> None:
    limited = {"error": {"status": 429, "retry_after": 2, "message": "Slow down"}}
    tasks = [task("limited", "rl", limited), task("broken", "e500", {"error": 500})]
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, RETRIES_1)
        run = run_agent_plan(tmp_path, AGENT, server, tasks, toml)
        served = server.usage()["by_tag"]
    limited_task, broken = run.task("limited"), run.task("broken")
    assert limited_task["state"] == "failed" and broken["state"] == "failed"
    # The reset time is the retry delay Claude Code announced (the server's retry-after).
    assert limited_task["reason"].startswith("claude: rate limited until "), limited_task
    assert limited_task["attempt_list"][0]["outcome"] == "rate_limited"
    assert broken["reason"] == "claude: API error 500: Internal Server Error (scripted error 500)."
    assert broken["attempt_list"][0]["exit_code"] == 1
    assert served["rl"]["requests"] == served["e500"]["requests"] == 2  # one retry each
    assert run.seconds < 45


def test_endpoint_down_fails_fast(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, RETRIES_1)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}")
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "down", {"text": "hi"})], toml
        )
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert "Unable to connect to API" in feature["reason"], feature["reason"]
    assert run.seconds < 45


def test_available_reports_the_pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_TEST_KEY", "k")
    config = AgentConfig(bin=str(TOOLS_BIN / AGENT), api_key_env="PODIUM_TEST_KEY")
    assert ClaudeAdapter().available(config) == Availability(True, "2.1.197")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    why = ClaudeAdapter().available(AgentConfig(bin=str(TOOLS_BIN / AGENT))).why
    assert why == "not authenticated: set ANTHROPIC_API_KEY or [agents.claude] api_key_env"
