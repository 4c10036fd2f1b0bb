"""Speculative dependents on real repositories: a dependent starts on the tree the merge queue
is about to land; if that tree does not land, the dependent is thrown away and runs again, and
nothing lands that was not verified on the real target."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from conftest import PYTHON, agent, git, make_repo

# Slow enough that a dependent starts while its dependency's merged tree is being gated.
GATE = """
import pathlib, sys, time
time.sleep(1.0)
bad = [p.name for p in pathlib.Path("out").glob("*.txt") if p.read_text().strip() != "ok"]
sys.exit(f"bad output: {bad}" if bad else 0)
"""
# Writes "broken" on its first attempt, "ok" on later ones.
FLAKY = 'if [ "$PODIUM_ATTEMPT" = 1 ]; then echo broken; else echo ok; fi > "$1/out/dep.txt"'


def setup(tmp_path: Path, speculate: str, dep: list[str]) -> Path:
    repo = make_repo(tmp_path / "repo", {"gate.py": GATE, "out/.keep": ""})
    (repo / "podium.toml").write_text(
        f'gates = ["{PYTHON} gate.py"]\nmax_attempts = 2\n[merge]\nspeculate = "{speculate}"\n'
    )
    tasks = [
        {"id": "dep", "goal": "dep", "files": ["out/dep.txt"], "command": dep},
        {
            "id": "child",
            "goal": "child",
            "after": ["dep"],
            "files": ["out/child.txt"],
            "command": agent("sleep", "2", "write", "out/child.txt", "ok"),
        },
    ]
    plan = {"name": "spec", "agent": "command", "max_parallel": 2, "tasks": tasks}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return repo


def podium(repo: Path, *args: str, fault: str = "") -> subprocess.CompletedProcess[str]:
    """podium in `repo`; `fault` kills it at that point (PODIUM_FAULT, runs/faults.py)."""
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        env={**os.environ, "PODIUM_FAULT": fault},
        capture_output=True,
        text=True,
        timeout=300,
    )


def run(repo: Path) -> dict[str, Any]:
    proc = podium(repo, "run", "plan.yaml", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dict(json.loads(proc.stdout))


def report_data(repo: Path) -> dict[str, Any]:
    """What `podium report` draws: the JSON inlined in its page."""
    page = repo.parent / "report.html"
    assert podium(repo, "report", "-o", str(page)).returncode == 0
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', page.read_text())
    assert found is not None
    return dict(json.loads(found.group(1).replace("<\\/", "</")))


def state_events(repo: Path) -> list[dict[str, Any]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT id, task_id, data FROM events WHERE kind='task.state' ORDER BY id")
    return [{"id": i, "task": t, **json.loads(d)} for i, t, d in rows]


def outcomes(repo: Path, task: str) -> list[str]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT outcome FROM attempts WHERE task_id=? ORDER BY n", (task,))
    return [r[0] for r in rows]


def landed_in_order(repo: Path, base: str) -> list[str]:
    text = git(repo, "log", "--reverse", "--format=%(trailers:key=Podium-Task,valueonly)", base)
    return [line.split("/")[1] for line in text.split() if line]


def every_commit_passes(repo: Path, base: str) -> None:
    """Each commit podium added holds only verified work: the gate passes on it."""
    check = repo.parent / "check"
    git(repo, "worktree", "add", "-q", "--detach", str(check), base)
    for commit in git(repo, "rev-list", f"{base}..main").split():
        git(check, "checkout", "-q", "--detach", commit)
        assert subprocess.run([PYTHON, "gate.py"], cwd=check).returncode == 0, commit


def test_a_dependent_starts_before_its_dependency_lands(tmp_path: Path) -> None:
    repo = setup(tmp_path, "verified", agent("write", "out/dep.txt", "ok"))
    base = git(repo, "rev-parse", "main")
    status = run(repo)
    assert {t["id"]: t["state"] for t in status["tasks"]} == {"dep": "merged", "child": "merged"}
    events = state_events(repo)
    start = next(e for e in events if e["task"] == "child" and e["to"] == "running")
    landed = next(e for e in events if e["task"] == "dep" and e["to"] == "merged")
    assert start["on"] == [{"task": "dep", "attempt": 1}]
    assert start["id"] < landed["id"], "the child started while dep was being gated"
    assert landed_in_order(repo, f"{base}..main") == ["dep", "child"]
    every_commit_passes(repo, base)


def test_a_dependent_whose_dependency_fails_to_land_is_thrown_away_and_run_again(
    tmp_path: Path,
) -> None:
    repo = setup(tmp_path, "verified", ["sh", "-c", FLAKY, "agent", "{worktree}"])
    base = git(repo, "rev-parse", "main")
    status = run(repo)
    assert {t["id"]: t["state"] for t in status["tasks"]} == {"dep": "merged", "child": "merged"}
    assert outcomes(repo, "dep") == ["gates_failed", "merged"]
    child = outcomes(repo, "child")
    assert child[0] == "discarded" and child[-1] == "merged"
    starts = [e for e in state_events(repo) if e["task"] == "child" and e["to"] == "running"]
    assert starts[0]["on"] == [{"task": "dep", "attempt": 1}]
    assert all(s.get("on") != [{"task": "dep", "attempt": 1}] for s in starts[1:])
    assert landed_in_order(repo, f"{base}..main") == ["dep", "child"]
    for commit in git(repo, "rev-list", f"{base}..main").split():
        assert "broken" not in git(repo, "show", f"{commit}:out/dep.txt")
    every_commit_passes(repo, base)
    # The status and the report show the speculative start and the attempt thrown away.
    on = len([s for s in starts if "on" in s])  # the second may start on dep's second too
    speculation = {"tasks": 1, "attempts": on, "discarded": 1}
    assert status["speculation"] == speculation
    text = podium(repo, "status").stdout
    assert "a1" in text and "discarded (started on dep a1, about to land)" in text
    summary = f"speculation: 1 task(s) started on work about to land ({on} attempt(s)), "
    assert summary + "1 attempt(s) thrown away" in text
    data = report_data(repo)
    assert data["speculation"] == speculation
    child_attempts = next(t for t in data["tasks"] if t["id"] == "child")["attempts"]
    assert child_attempts[0]["on"] == [{"task": "dep", "attempt": 1}]
    assert child_attempts[0]["result"] == "discarded"


def test_killed_as_a_speculative_attempt_is_thrown_away_then_resumed(tmp_path: Path) -> None:
    """Killed right after the child's attempt on dep's failed attempt was thrown away:
    resume lands dep once (its second attempt) and then the child, each exactly once."""
    repo = setup(tmp_path, "verified", ["sh", "-c", FLAKY, "agent", "{worktree}"])
    base = git(repo, "rev-parse", "main")
    first = podium(repo, "run", "plan.yaml", fault="speculation-discarded")
    assert first.returncode == -signal.SIGKILL, "no speculative attempt was thrown away"
    assert outcomes(repo, "child") == ["discarded"]
    again = podium(repo, "resume", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    states = {t["id"]: t["state"] for t in json.loads(again.stdout)["tasks"]}
    assert states == {"dep": "merged", "child": "merged"}
    # dep's second attempt was under way when podium died: lost, and run again.
    assert [o for o in outcomes(repo, "dep") if o != "lost"] == ["gates_failed", "merged"]
    assert outcomes(repo, "child")[0] == "discarded"
    assert outcomes(repo, "child")[-1] == "merged"
    assert landed_in_order(repo, f"{base}..main") == ["dep", "child"]
    every_commit_passes(repo, base)


def test_with_speculation_off_a_dependent_waits_for_its_dependency_to_land(
    tmp_path: Path,
) -> None:
    repo = setup(tmp_path, "off", agent("write", "out/dep.txt", "ok"))
    status = run(repo)
    assert {t["id"]: t["state"] for t in status["tasks"]} == {"dep": "merged", "child": "merged"}
    events = state_events(repo)
    start = next(e for e in events if e["task"] == "child" and e["to"] == "running")
    landed = next(e for e in events if e["task"] == "dep" and e["to"] == "merged")
    assert "on" not in start and landed["id"] < start["id"]
    assert outcomes(repo, "child") == ["merged"]
