"""`remove-tests` (it runs the tests' collection) is judged on the tree the merge queue is about
to land, once a batch, not in each attempt's checks: a dependent may already start on the
attempt. When the tree would lose tests, the attempt that loses them never lands (found alone,
by bisection) and a dependent started on it is thrown away and never merged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from conftest import PYTHON, agent, git, make_repo

GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"
# Collection takes a while, so the dependent's start cannot miss the window.
CONFTEST = "import time\n\ntime.sleep(1.5)\n"
TESTS = "def test_one():\n    assert True\n\n\ndef test_two():\n    assert True\n"


def setup(tmp_path: Path, dep_ops: list[str]) -> Path:
    files = {
        "tests/conftest.py": CONFTEST,
        "tests/test_core.py": TESTS,
        "out/.keep": "",
        "podium.toml": f'gates = ["{GATE}"]\nmax_attempts = 1\n[merge]\nspeculate = "verified"\n',
    }
    repo = make_repo(tmp_path / "repo", files)
    tasks = [
        {"id": "dep", "goal": "dep", "files": ["tests/test_core.py"], "command": dep_ops},
        {
            "id": "child",
            "goal": "child",
            "after": ["dep"],
            "files": ["out/child.txt"],
            "command": agent("sleep", "1", "write", "out/child.txt", "ok"),
        },
    ]
    plan = {"name": "slow", "agent": "command", "max_parallel": 2, "tasks": tasks}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return repo


def run(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )


def events(repo: Path, kind: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT id, task_id, data FROM events WHERE kind=? ORDER BY id", (kind,))
    return [{"id": i, "task": t, **json.loads(d)} for i, t, d in rows]


def outcomes(repo: Path, task: str) -> list[str]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT outcome FROM attempts WHERE task_id=? ORDER BY n", (task,))
    return [r[0] for r in rows]


def test_a_dependency_refused_while_queued_takes_its_speculative_dependent_with_it(
    tmp_path: Path,
) -> None:
    dropped = TESTS[: TESTS.index("\n\n\ndef test_two")] + "\n"
    repo = setup(tmp_path, agent("write", "tests/test_core.py", dropped))
    base = git(repo, "rev-parse", "main")
    proc = run(repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    status = {t["id"]: t for t in json.loads(proc.stdout)["tasks"]}
    assert status["dep"]["state"] == "failed"
    assert status["dep"]["reason"].startswith("evasions: remove-tests: tests/test_core.py")
    assert status["child"]["state"] == "blocked"
    states = events(repo, "task.state")
    queued = next(e for e in states if e["task"] == "dep" and e["to"] == "merging")
    start = next(e for e in states if e["task"] == "child" and e["to"] == "running")
    refused = next(e for e in states if e["task"] == "dep" and e["to"] == "failed")
    # dep's own checks passed and it queued; the child started on it; then the queue's
    # collection of the tree about to land found the removed test, and dep was refused.
    assert queued["id"] < start["id"] < refused["id"]
    assert start["on"] == [{"task": "dep", "attempt": 1}]
    assert outcomes(repo, "dep") == ["checks_failed"]
    assert outcomes(repo, "child") == ["discarded"]
    assert [c["ok"] for c in events(repo, "task.checks") if c["task"] == "dep"] == [True]
    (merge,) = [e for e in events(repo, "task.merge") if e["task"] == "dep"]
    assert merge["status"] == "gates_failed" and merge["gates"][0]["name"] == "evasions"
    assert git(repo, "rev-parse", "main") == base, "nothing landed"


def test_a_dependency_whose_slow_checks_pass_lands_and_so_does_its_dependent(
    tmp_path: Path,
) -> None:
    more = TESTS + "\n\ndef test_three():\n    assert True\n"
    repo = setup(tmp_path, agent("write", "tests/test_core.py", more))
    base = git(repo, "rev-parse", "main")
    proc = run(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = {t["id"]: t["state"] for t in json.loads(proc.stdout)["tasks"]}
    assert status == {"dep": "merged", "child": "merged"}
    states = events(repo, "task.state")
    start = next(e for e in states if e["task"] == "child" and e["to"] == "running")
    landed = next(e for e in states if e["task"] == "dep" and e["to"] == "merged")
    assert start["on"] == [{"task": "dep", "attempt": 1}] and start["id"] < landed["id"]
    log = git(
        repo, "log", "--reverse", "--format=%(trailers:key=Podium-Task,valueonly)", f"{base}..main"
    )
    assert [line.split("/")[1] for line in log.split()] == ["dep", "child"]
