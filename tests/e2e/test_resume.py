"""Stopping and carrying on: a frozen agent, cancel then resume, one coordinator, gc."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from agentkit import leftover_processes
from conftest import agent, git


def podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )


def start(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(predicate: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def running_pids(repo: Path) -> list[int]:
    path = repo / ".podium" / "podium.db"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT pid FROM attempts WHERE pid IS NOT NULL AND finished_at IS NULL")
        return [r[0] for r in rows]
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def has_commit(repo: Path, branch: str, base: str) -> bool:
    res = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", branch], cwd=repo, capture_output=True, text=True
    )
    return res.returncode == 0 and res.stdout.strip() != base


def write_plan(repo: Path, tasks: list[dict[str, Any]], **top: Any) -> None:
    plan = {"name": "p", "agent": "command", "gates": [], "tasks": tasks, **top}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))


def test_frozen_agent_is_killed_and_retried_and_its_branch_never_lands(calc_repo: Path) -> None:
    (calc_repo / "podium.toml").write_text("[timeouts]\nsilence = 2\n")
    git(calc_repo, "add", "podium.toml")
    git(calc_repo, "commit", "-qm", "config")
    ops = [
        "say",
        "working",
        "write",
        "z.txt",
        "stale\\n",
        "commit",
        "stale work",
        "first-attempt-hang",
        "write",
        "z.txt",
        "fresh\\n",
    ]
    write_plan(calc_repo, [{"id": "z", "goal": "z", "command": agent(*ops)}])
    proc = start(calc_repo, "run", "plan.yaml", "--json")
    pid = wait_for(lambda: running_pids(calc_repo))[0]
    base = git(calc_repo, "rev-parse", "main")
    wait_for(lambda: has_commit(calc_repo, "podium/r1/z/a1", base))  # it did some work...
    os.killpg(
        pid, signal.SIGSTOP
    )  # ...then froze: no output, no progress, no exit  # frozen: no output, no progress, no exit
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    task = json.loads(out)["tasks"][0]
    assert task["state"] == "merged" and task["attempts"] == 2
    first = task["attempt_list"][0]
    assert first["outcome"] == "agent_failed" and "silence" in first["reason"]
    assert (calc_repo / "z.txt").read_text() == "fresh\n"
    stale = git(calc_repo, "rev-parse", "podium/r1/z/a1")
    assert git(calc_repo, "show", f"{stale}:z.txt") == "stale"
    assert (
        subprocess.run(
            ["git", "merge-base", "--is-ancestor", stale, "main"], cwd=calc_repo
        ).returncode
        == 1
    )
    assert leftover_processes(str(calc_repo)) == []


def test_cancel_stops_agents_and_resume_finishes(calc_repo: Path) -> None:
    tasks = [
        {
            "id": f"t{i}",
            "goal": f"t{i}",
            "files": [f"out/t{i}.txt"],
            "command": agent("first-attempt-hang", "write", f"out/t{i}.txt", "x"),
        }
        for i in range(3)
    ]
    tasks.append(
        {
            "id": "quick",
            "goal": "quick",
            "files": ["out/q.txt"],
            "priority": 1,
            "command": agent("write", "out/q.txt", "q"),
        }
    )
    write_plan(calc_repo, tasks, max_parallel=4)
    proc = start(calc_repo, "run", "plan.yaml")
    wait_for(lambda: len(running_pids(calc_repo)) >= 3)
    second = podium(calc_repo, "run", "plan.yaml")
    assert second.returncode == 2
    assert "run r1 is active" in second.stderr and "podium cancel" in second.stderr
    cancel = podium(calc_repo, "cancel")
    assert cancel.returncode == 0, cancel.stderr
    proc.communicate(timeout=60)
    assert proc.returncode == 1
    status = json.loads(podium(calc_repo, "status", "--json").stdout)
    assert status["status"] == "cancelled"
    assert {t["state"] for t in status["tasks"] if t["id"] != "quick"} == {"cancelled"}
    assert leftover_processes(str(calc_repo)) == []
    # The cancelled attempts are run again (their second attempts do not hang).
    resumed = podium(calc_repo, "resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert {t["state"] for t in json.loads(resumed.stdout)["tasks"]} == {"merged"}
    landed = git(calc_repo, "log", "--format=%(trailers:key=Podium-Task,valueonly)", "main")
    assert sorted(landed.split()) == ["r1/quick", "r1/t0", "r1/t1", "r1/t2"]


def test_gc_removes_merged_branches_and_keeps_failed_work(calc_repo: Path) -> None:
    write_plan(
        calc_repo,
        [
            {"id": "good", "goal": "g", "command": agent("write", "g.txt", "g")},
            {"id": "bad", "goal": "b", "command": agent("exit", "3")},
        ],
    )
    (calc_repo / "podium.toml").write_text("max_attempts = 1\n")
    assert podium(calc_repo, "run", "plan.yaml").returncode == 1
    gc = podium(calc_repo, "gc")
    assert gc.returncode == 0, gc.stderr
    assert "1 merged branch" in gc.stdout
    branches = git(calc_repo, "branch", "--list", "podium/*")
    assert "podium/r1/bad/a1" in branches and "podium/r1/good/a1" not in branches
