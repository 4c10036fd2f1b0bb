"""Gemini CLI driven by podium against the scripted server: a real edit lands, faults end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podium.agents.base import Availability
from podium.agents.gemini import GeminiAdapter
from podium.config import AgentConfig
from podium.testing import ScriptedServer

from agentkit import (
    TOOLS_BIN,
    closed_port,
    podium_toml,
    run_agent_plan,
    scripted_goal,
)

AGENT = "gemini"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"
REPO = {"README.md": "# demo\n", "src/app.py": "X = 1\n"}
# The repository's own Gemini settings win over podium's: one attempt per model request.
ONE_ATTEMPT = {**REPO, ".gemini/settings.json": json.dumps({"general": {"maxAttempts": 1}})}


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
    # Gemini reports no cost: podium prices gemini-2.5-pro from its table ($1.25 / $10 per M).
    expected = (served["input_tokens"] * 1.25 + served["output_tokens"] * 10) / 1e6
    assert abs(attempt["cost_usd"] - expected) < 1e-9
    assert attempt["model"] == "gemini-2.5-pro"
    leftovers = list((run.repo / ".podium" / "homes").rglob("gemini-client-error-*.json"))
    assert leftovers == []


def test_rate_limit_waits_until_the_suggested_retry(tmp_path: Path) -> None:
    """With one attempt per request, Gemini fails on a 429 with "Suggested retry after 10s.";
    podium holds the task until then, and the next attempt lands."""
    limited = {"error": {"status": 429, "retry_after": 10, "message": "Quota exceeded"}}
    script = [{"match": {"tag": "rl"}, "reply": limited, "times": 1}]
    reply = {"write_file": {"path": "src/feature.py", "content": FEATURE}}
    with ScriptedServer(script=script) as server:
        toml = "max_attempts = 2\n" + podium_toml(AGENT, server)
        tasks = [task("feature", "rl", reply)]
        run = run_agent_plan(tmp_path, AGENT, server, tasks, toml, files=ONE_ATTEMPT)
        first = next(r for r in server.requests if r.status == 429)
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    limited_attempt, second = feature["attempt_list"]
    assert limited_attempt["outcome"] == "rate_limited"
    assert limited_attempt["exit_code"] == 429 % 256
    assert limited_attempt["reason"].startswith("gemini: rate limited until "), limited_attempt
    (event,) = run.events("agent.rate_limit")
    assert abs(event["reset_at"] - (first.time + 10)) < 1.5
    assert second["started_at"] >= event["reset_at"]
    # Gemini writes an error report on every API error: into the attempt's own TMPDIR.
    assert list((run.repo / ".podium" / "homes").rglob("gemini-client-error-*.json"))


def test_server_error_fails_fast(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server)
        tasks = [task("broken", "e500", {"error": 500})]
        run = run_agent_plan(tmp_path, AGENT, server, tasks, toml, files=ONE_ATTEMPT)
        served = server.usage()["by_tag"]["e500"]
    broken = run.task("broken")
    assert broken["state"] == "failed"
    assert broken["reason"] == "gemini: API error 500: Internal Server Error (scripted error 500)"
    assert broken["attempt_list"][0]["exit_code"] == 500 % 256
    assert served["requests"] == 1  # the repository's settings: one attempt per request
    assert run.seconds < 45


def test_endpoint_down_fails_fast(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}")
        tasks = [task("feature", "down", {"text": "hi"})]
        run = run_agent_plan(tmp_path, AGENT, server, tasks, toml, files=ONE_ATTEMPT)
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert "fetch failed" in feature["reason"], feature["reason"]
    assert run.seconds < 45


def test_available_reports_the_pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_TEST_KEY", "k")
    config = AgentConfig(bin=str(TOOLS_BIN / AGENT), api_key_env="PODIUM_TEST_KEY")
    assert GeminiAdapter().available(config) == Availability(True, "0.61.0")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    why = GeminiAdapter().available(AgentConfig(bin=str(TOOLS_BIN / AGENT))).why
    assert why == "not authenticated: set GEMINI_API_KEY or [agents.gemini] api_key_env"
