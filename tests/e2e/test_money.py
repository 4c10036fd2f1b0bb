"""Budgets and rate limits with real agent CLIs against the scripted model server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from podium.testing import ScriptedServer

from agentkit import FAKE_KEY_ENV, TOOLS_BIN, podium_toml, run_agent_plan, script_line


def task(id: str, agent: str, reply: Any, **extra: Any) -> dict[str, Any]:
    goal = f"Do {id}.\nPODIUM-TAG: {id}\n{script_line(reply)}"
    return {"id": id, "goal": goal, "agent": agent, "files": [f"src/{id}.py"], **extra}


def write(id: str) -> list[dict[str, Any]]:
    return [
        {"write_file": {"path": f"src/{id}.py", "content": f"{id.upper()} = 1\n"}},
        {"text": "Done."},
    ]


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-podium-fake",
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_task_budget_stops_the_attempt_as_usage_streams(tmp_path: Path) -> None:
    # opencode reports tokens and dollars after every model call: the second call is slow,
    # and by then the first has already passed the task's budget.
    steps = [
        {"write_file": {"path": "src/a.py", "content": "A = 1\n"}},
        {
            "delay": {
                "seconds": 20,
                "then": {"write_file": {"path": "src/b.py", "content": "B = 1\n"}},
            }
        },
        {"text": "Done."},
    ]
    with ScriptedServer() as server:
        toml = "max_attempts = 1\n" + podium_toml("opencode", server)
        run = run_agent_plan(
            tmp_path,
            "opencode",
            server,
            [task("spend", "opencode", steps, budget_usd=0.0001, files=["src/*.py"])],
            toml,
        )
    spend = run.task("spend")
    assert spend["state"] == "failed"
    assert spend["reason"] == "agent stopped: it passed the task's budget"
    assert spend["attempt_list"][0]["cost_usd"] > 0.0001


def test_run_budget_stops_cleanly_and_resume_raises_it(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        plan_tasks = [task("one", "claude", write("one")), task("two", "claude", write("two"))]
        # Claude Code's own cost for one of these tasks is about $0.26 here (large prompts):
        # $0.30 covers one, and then the estimate for the next no longer fits.
        toml = "max_parallel = 1\n" + podium_toml("claude", server)
        run = run_agent_plan(tmp_path, "claude", server, plan_tasks, toml, budget_usd=0.3)
        assert run.proc.returncode == 1
        assert run.status["status"] == "stopped"
        states = {t["id"]: t["state"] for t in run.status["tasks"]}
        assert sorted(states.values()) == ["merged", "pending"]
        cost = json.loads(podium(run.repo, "cost", "--json").stdout)
        assert cost["budget_usd"] == 0.3 and 0 < cost["total_usd"] <= 0.3
        again = podium(run.repo, "resume", "--budget", "2", "--json")
        assert again.returncode == 0, again.stderr
        assert {t["state"] for t in json.loads(again.stdout)["tasks"]} == {"merged"}


def test_rate_limited_agent_hands_its_tasks_over_and_comes_back(tmp_path: Path) -> None:
    # Claude Code retries once, honouring the retry-after (4 s), which podium reads as the
    # reset time; the second 429 ends the attempt.
    limited = {
        "match": {"api": "anthropic", "tag": "t1"},
        "times": 2,
        "reply": {"error": {"status": 429, "retry_after": 4, "message": "Slow down"}},
    }
    # t2's first answer on gemini comes after claude's rest, so that a task is still left to
    # start when the rest is over, however fast the machine (the reply is the task's own)
    late = {"match": {"api": "gemini", "tag": "t2"}, "reply": {"delay": {"seconds": 5}}, "times": 1}
    with ScriptedServer(script=[limited, late]) as server:
        toml = (
            "cooldown = 4\n"  # the last 429 gives no reset time: rest this long
            + podium_toml("claude", server, 'env = { CLAUDE_CODE_MAX_RETRIES = "1" }\n')
            + f'[agents.gemini]\nbase_url = "{server.url}"\napi_key_env = "{FAKE_KEY_ENV}"\n'
        )
        tasks = [
            task("t1", "claude", write("t1"), agents=["gemini"]),
            task("t2", "claude", write("t2"), agents=["gemini"], after=["t1"]),
            task("t3", "claude", write("t3"), agents=["gemini"], after=["t2"]),
        ]
        run = run_agent_plan(tmp_path, "claude", server, tasks, toml)
    assert run.proc.returncode == 0, run.proc.stderr
    agents = {t["id"]: [a["agent"] for a in t["attempt_list"]] for t in run.status["tasks"]}
    assert agents["t1"] == ["claude", "gemini"]  # the 429, then moved
    limits = run.events("agent.rate_limit")
    assert limits and limits[0]["agent"] == "claude" and limits[0]["reset_at"]
    # While claude rests, work goes to gemini; after the rest, claude takes work again.
    db = sqlite3.connect(run.repo / ".podium" / "podium.db")
    limited_at = db.execute("SELECT MAX(at) FROM events WHERE kind='agent.rate_limit'").fetchone()[
        0
    ]
    starts = [(a["started_at"], a["agent"]) for t in run.status["tasks"] for a in t["attempt_list"]]
    later = sorted(s for s in starts if s[0] > limited_at)
    assert all(agent == "gemini" for at, agent in later if at < limited_at + 4)
    assert any(agent == "claude" for at, agent in later if at >= limited_at + 4), later
    first = run.task("t1")["attempt_list"][0]
    assert first["outcome"] == "rate_limited"
