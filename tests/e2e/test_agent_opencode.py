"""opencode driven by podium against the scripted server: a real edit lands, faults end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from podium.testing import ScriptedServer

from agentkit import (
    closed_port,
    leftover_processes,
    podium_toml,
    run_agent_plan,
    scripted_goal,
)

AGENT = "opencode"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"


def task(id: str, tag: str, reply: Any, **extra: Any) -> dict[str, Any]:
    goal = scripted_goal(id, tag, reply)
    return {"id": id, "goal": goal, "files": ["src/**"], **extra}


def test_edit_is_merged_with_exact_tokens_and_opencode_s_own_cost(tmp_path: Path) -> None:
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
    # The write call, then the final text: podium turns opencode's title request off, so
    # every request the server served is one opencode counts in its step_finish events.
    assert served["requests"] == 2
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    # opencode prices the tokens with the cost podium configured: gpt-5.5, $1.25 / $10 per M.
    expected = (served["input_tokens"] * 1.25 + served["output_tokens"] * 10) / 1e6
    assert attempt["cost_usd"] == pytest.approx(expected)
    assert attempt["model"] == "gpt-5.5"


def test_rate_limit_reset_and_server_error_reasons(tmp_path: Path) -> None:
    # A 429 whose quota returns in 90 s (retry-after 1 s, so opencode's 5 retries are quick),
    # and a 500 with a short retry-after-ms (opencode obeys it; without it its backoff takes
    # ~60 s, as a dead endpoint does below).
    limited = {
        "error": {
            "status": 429,
            "retry_after": 1,
            "message": "Rate limit reached for requests",
            "headers": {"x-ratelimit-reset-requests": "1m30s"},
        }
    }
    broken = {"error": {"status": 500, "message": "boom", "headers": {"retry-after-ms": "200"}}}
    # Apart (own files), so the 500 does not wait for the rate-limited agent's rest.
    tasks = [
        task("limited", "rl", limited, files=["src/limited.py"]),
        task("broken", "e500", broken, files=["src/broken.py"]),
    ]
    with ScriptedServer() as server:
        run = run_agent_plan(tmp_path, AGENT, server, tasks, FAULTS + podium_toml(AGENT, server))
        served = server.usage()["by_tag"]
    assert run.seconds < 60
    assert run.proc.returncode == 1
    limited_task, broken_task = run.task("limited"), run.task("broken")
    assert limited_task["state"] == "failed" and broken_task["state"] == "failed"
    assert limited_task["reason"].startswith("opencode: rate limited until "), limited_task
    assert broken_task["reason"].startswith("opencode: APIError 500: boom"), broken_task
    assert served["rl"]["requests"] == 6 and served["e500"]["requests"] == 6  # 5 retries each
    # The reset time comes from the 429's headers, counted from its Date header.
    (event,) = run.events("agent.rate_limit")
    started = limited_task["attempt_list"][0]["started_at"]
    assert started + 90 - 2 <= event["reset_at"] <= started + run.seconds + 90 + 1


def test_endpoint_down_is_bounded_by_the_wall_timeout(tmp_path: Path) -> None:
    # opencode retries a refused connection for ~67 s by itself; podium stops it first.
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, wall=15)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}")
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "down", {"text": "hi"})], toml
        )
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert feature["reason"] == "agent killed: wall-clock timeout", feature["reason"]
    assert leftover_processes(str(run.repo)) == []
    assert run.seconds < 40
