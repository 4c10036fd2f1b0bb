"""aider driven by podium against the scripted server: an edit lands, faults end."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
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

AGENT = "aider"
FEATURE = "def feature() -> int:\n    return 42\n"
FAULTS = "max_attempts = 1\n"
WRITE = {"write_file": {"path": "src/feature.py", "content": FEATURE}}


def task(id: str, tag: str, reply: Any, **extra: Any) -> dict[str, Any]:
    goal = scripted_goal(id, tag, reply)
    return {"id": id, "goal": goal, "files": ["src/app.py", "src/feature.py"], **extra}


def side_task(id: str, tag: str, reply: Any) -> dict[str, Any]:
    """A task that owns a file of its own, so it runs beside the others."""
    return {**task(id, tag, reply), "files": [f"src/{id}.py"]}


def rate_limits(repo: Path) -> list[tuple[str, dict[str, Any]]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT task_id, data FROM events WHERE kind='agent.rate_limit' ORDER BY id")
    found = [(task_id, json.loads(data)) for task_id, data in rows]
    db.close()
    return found


def test_edit_is_merged_with_exact_tokens_and_aider_s_own_cost(tmp_path: Path) -> None:
    check = {"file_contains": {"path": "src/feature.py", "text": "return 42"}}
    with ScriptedServer() as server:
        run = run_agent_plan(
            tmp_path, AGENT, server, [task("feature", "f1", WRITE, checks=[check])]
        )
        served = server.usage()["by_tag"]["f1"]
        request = server.requests[-1]
    feature = run.task("feature")
    assert feature["state"] == "merged", feature["reason"]
    assert (run.repo / "src/feature.py").read_text() == FEATURE
    checks = run.events("task.checks")[-1]
    assert (
        checks["ok"]
        and {"name": "file_contains src/feature.py", "ok": True, "detail": ""} in (checks["checks"])
    )
    assert served["requests"] == 1  # aider has no tools: one answer with the edit block
    attempt = feature["attempt_list"][-1]
    # --no-stream and the analytics log on stdout: aider's message_send carries the API's own
    # counts (its text line says "2.1k sent").
    assert (attempt["input_tokens"], attempt["output_tokens"]) == (
        served["input_tokens"],
        served["output_tokens"],
    )
    # aider prices them with the metadata podium gave it: gpt-5.5 at $1.25 / $10 per M.
    expected = (served["input_tokens"] * 1.25 + served["output_tokens"] * 10) / 1e6
    assert attempt["cost_usd"] == pytest.approx(expected)
    assert attempt["model"] == "gpt-5.5"
    assert (request.model, request.stream) == ("gpt-5.5", False)
    assert not list(run.repo.glob(".aider*"))  # chat history and caches stay in its HOME
    assert "[user]" not in (run.repo / ".git" / "config").read_text()  # the user's config untouched


def test_api_errors_end_the_attempt_even_though_aider_exits_0(tmp_path: Path) -> None:
    # aider retries 429 and 5xx for ~90 s, so podium's wall timeout ends those attempts; a 429
    # that passes is retried through, and a 400 ends aider at once (with exit status 0).
    # (litellm retries twice without a word, so the third 429 is the first aider reports.)
    limited = {"error": {"status": 429, "retry_after": 1, "message": "Rate limit reached"}}
    script = [{"match": {"tag": "rl-once"}, "reply": limited, "times": 3}]
    tasks = [
        task("recovers", "rl-once", WRITE),
        side_task("limited", "rl", limited),
        side_task("broken", "e500", {"error": 500}),
        side_task("refused", "e400", {"error": {"status": 400, "message": "bad request body"}}),
    ]
    with ScriptedServer(script=script) as server:
        toml = FAULTS + podium_toml(AGENT, server, wall=30)
        run = run_agent_plan(tmp_path, AGENT, server, tasks, toml)
    assert run.seconds < 50
    recovers = run.task("recovers")
    assert recovers["state"] == "merged", recovers["reason"]
    for name in ("limited", "broken"):
        assert run.task(name)["state"] == "failed"
        assert run.task(name)["reason"] == "agent killed: wall-clock timeout"
    refused = run.task("refused")
    assert refused["state"] == "failed"
    assert refused["attempt_list"][0]["exit_code"] == 0
    assert refused["reason"].startswith("aider: litellm.BadRequestError:"), refused["reason"]
    assert "bad request body" in refused["reason"]
    # aider's message names no reset time: the rate limits are recorded without one.
    limits = rate_limits(run.repo)
    assert all(e["reset_at"] is None and "RateLimitError" in e["text"] for _, e in limits)
    counts = Counter(task_id for task_id, _ in limits)
    assert counts["recovers"] == 1 and counts["limited"] >= 3, counts


def test_endpoint_down_is_bounded_by_the_wall_timeout(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        toml = FAULTS + podium_toml(AGENT, server, wall=15)
        toml = toml.replace(server.url, f"http://127.0.0.1:{closed_port()}")
        run = run_agent_plan(tmp_path, AGENT, server, [task("feature", "down", WRITE)], toml)
    feature = run.task("feature")
    assert feature["state"] == "failed"
    assert feature["reason"] == "agent killed: wall-clock timeout", feature["reason"]
    assert leftover_processes(str(run.repo)) == []
    assert run.seconds < 40
