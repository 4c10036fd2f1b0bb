"""Copilot CLI (BYOK) driven by podium against the scripted server: an edit lands, faults end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from podium.testing import ScriptedServer

from agentkit import (
    closed_port,
    podium_toml,
    run_agent_plan,
    scripted_goal,
)

AGENT = "copilot"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"


def task(id: str, tag: str, reply: Any, **extra: Any) -> dict[str, Any]:
    goal = scripted_goal(id, tag, reply)
    return {"id": id, "goal": goal, "files": ["src/**"], **extra}


def test_edit_is_merged_with_exact_tokens_from_the_session_log(tmp_path: Path) -> None:
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
    assert served["requests"] == 2  # the create call, then the final text
    # Copilot's JSON output has no tokens: they come from its session log through the relay.
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    # BYOK records say cost 0, so podium prices the tokens: gpt-4.1 at $2 / $8 per M.
    expected = (served["input_tokens"] * 2 + served["output_tokens"] * 8) / 1e6
    assert attempt["cost_usd"] == pytest.approx(expected)
    assert attempt["model"] == "gpt-4.1"
    # The per-attempt HOME stays small: Copilot's 235 MB package is unpacked once, elsewhere.
    homes = run.repo / ".podium" / "homes"
    assert sum(p.stat().st_size for p in homes.rglob("*") if p.is_file()) < 20_000_000


def test_rate_limit_and_server_error_reasons(tmp_path: Path) -> None:
    # Copilot retries 5 times (obeying the 1 s retry-after; a 500 backs off ~16 s in all) and
    # does not show the 429's headers, so the rate limit has no reset time.
    limited = {"error": {"status": 429, "retry_after": 1, "message": "Slow down"}}
    # Apart (own files), so the 500 does not wait for the rate-limited agent's rest.
    tasks = [
        task("limited", "rl", limited, files=["src/limited.py"]),
        task("broken", "e500", {"error": 500}, files=["src/broken.py"]),
    ]
    with ScriptedServer() as server:
        run = run_agent_plan(tmp_path, AGENT, server, tasks, FAULTS + podium_toml(AGENT, server))
        served = server.usage()["by_tag"]
    assert run.seconds < 60
    assert run.proc.returncode == 1
    limited_task, broken_task = run.task("limited"), run.task("broken")
    assert limited_task["state"] == "failed" and broken_task["state"] == "failed"
    assert limited_task["reason"].startswith("copilot: rate limited: "), limited_task
    assert limited_task["reason"].endswith("API error 429: Slow down (after 5 retries)")
    assert broken_task["reason"] == (
        "copilot: API error 500: Internal Server Error (scripted error 500) (after 5 retries)"
    )
    assert served["rl"]["requests"] == 6 and served["e500"]["requests"] == 6
    (event,) = run.events("agent.rate_limit")
    assert event["reset_at"] is None and "429" in event["text"]


def test_endpoint_down_fails_by_itself(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}")
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "down", {"text": "hi"})], toml
        )
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert "Could not connect to local model provider" in feature["reason"], feature["reason"]
    assert run.seconds < 45  # Copilot gives up after ~25 s of retries
