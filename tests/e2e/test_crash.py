"""The kill battery: podium is SIGKILLed at many points of a run, then `podium resume`
finishes it. Every task lands exactly once, the gates pass, nothing is left behind.

`linger`'s first agent outlives any kill (it hangs until its silence timeout), so a
coordinator that dies while it runs leaves it behind unless orphans are killed; `broken`'s
agent always fails, so resume must count its failed attempts rather than run it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from podium.runs.faults import POINTS
from podium.runs.reaper import start_time

from conftest import PYTHON, agent, git, make_repo

GATE_SCRIPT = """
import pathlib, sys
bad = [p.name for p in pathlib.Path("out").glob("*.txt") if "ok" not in p.read_text()]
sys.exit(f"bad output: {bad}" if bad else 0)
"""
GATE = f"{PYTHON} gate.py"
GOOD = ["a", "b", "c", "d", "e", "f", "g", "h", "clash-1", "clash-2", "linger"]


def plan() -> dict[str, Any]:
    def t(id: str, after: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        ops = extra.pop("ops", ["sleep", "0.2", "write", f"out/{id}.txt", "ok\\n"])
        files = extra.pop("files", [f"out/{id}.txt"])
        return {
            "id": id,
            "goal": f"make {id}",
            "after": after or [],
            "files": files,
            "command": agent(*ops),
            **extra,
        }

    return {
        "name": "battery",
        "agent": "command",
        "max_parallel": 4,
        "gates": [GATE],
        "tasks": [
            t(
                "linger",
                ops=["first-attempt-hang", "write", "out/linger.txt", "ok\\n"],
                priority=1,  # first of all: it is running at most kill points
            ),
            t("clash-1", ops=["write", "shared.txt", "one\\n"], files=[], priority=1),
            t(
                "clash-2",
                ops=["sleep", "0.6", "write", "shared.txt", "two\\n"],
                files=[],
                priority=1,
            ),
            t("a"),
            t("b"),
            t("c", ["a"]),
            t("d", ["a", "b"]),
            t("e", ["c"]),
            t("f", ["d"]),
            t("g", ["e", "f"]),
            t("h"),
            t("bad", ops=["write", "out/bad.txt", "wrong\\n"]),
            t("after-bad", ["bad"]),
            t("broken", ops=["write", "out/broken.txt", "ok\\n", "exit", "3"]),
        ],
    }


def podium(repo: Path, *args: str, fault: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PODIUM_FAULT": fault}
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def leftover_processes(root: Path) -> list[str]:
    """Live processes of the run: by command line or cwd under `root` (agents, gates, the
    reaper), or in the process group or session of an agent the store recorded."""
    groups = attempt_groups(root / "repo")
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        state, pgid, sid = stat[0], int(stat[2]), int(stat[3])
        grouped = any(g in groups for g in (pgid, sid))
        if state != "Z" and (str(root) in cmd or cwd.startswith(str(root)) or grouped):
            found.append(f"{pid}: {cmd[:200]} (cwd {cwd})")
    return found


def attempt_groups(repo: Path) -> set[int]:
    """The process groups of the run's agents that still are theirs: a group's id is not
    handed out again while any member lives, but once the group is empty and its leader dead
    the number may lead someone else's process, which then starts at another time."""
    path = repo / ".podium" / "podium.db"
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT pid, pid_start FROM attempts WHERE pid IS NOT NULL").fetchall()
    finally:
        db.close()
    return {pid for pid, started in rows if start_time(pid) in (None, started)}


def none_left(root: Path, polls: int = 300) -> list[str]:
    """Leftovers still there after a while (polled: the reaper needs a moment)."""
    for _ in range(polls):
        left = leftover_processes(root)
        if not left:
            return []
        time.sleep(0.1)
    return left


def check_finished(repo: Path, base: str) -> None:
    landed = git(repo, "log", "--format=%(trailers:key=Podium-Task,valueonly)", f"{base}..main")
    tasks = sorted(line.split("/")[1] for line in landed.split())
    assert tasks == sorted(GOOD), "each good task must land exactly once"
    assert subprocess.run(GATE.split(), cwd=repo).returncode == 0
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    states = dict(db.execute("SELECT task_id, state FROM tasks"))
    assert states == {
        **{t: "merged" for t in GOOD},
        "bad": "failed",
        "after-bad": "blocked",
        "broken": "failed",
    }
    broken = [o for (o,) in db.execute("SELECT outcome FROM attempts WHERE task_id='broken'")]
    assert [o for o in broken if o != "lost"] == ["agent_failed", "agent_failed"], broken
    versions = dict(db.execute("SELECT task_id, version FROM tasks"))
    events = dict(
        db.execute("SELECT task_id, COUNT(*) FROM events WHERE kind='task.state' GROUP BY task_id")
    )
    assert versions == events
    trees = [line for line in git(repo, "worktree", "list").splitlines() if ".podium" in line]
    kept = ("/bad-a", "/broken-a")  # only the failed attempts are kept
    assert all(any(k in line for k in kept) for line in trees), trees
    assert none_left(repo.parent) == []


@pytest.fixture
def battery_repo(tmp_path: Path) -> Iterator[Path]:
    repo = make_repo(
        tmp_path / "repo", {"gate.py": GATE_SCRIPT, "shared.txt": "base\n", "out/.keep": ""}
    )
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan(), sort_keys=False))
    (repo / "podium.toml").write_text("[timeouts]\nsilence = 5\n")
    git(repo, "add", "podium.toml")
    git(repo, "commit", "-qm", "silence timeout")
    yield repo
    for line in leftover_processes(tmp_path):  # a failed test leaves no hanging agent behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)


# resume-reconciled: tested below; speculation-discarded: a discard is not certain to happen
# in this plan, so tests/e2e/test_speculation.py kills there in a plan where it is.
KILL_POINTS = [p for p in POINTS if p not in ("resume-reconciled", "speculation-discarded")] + [
    "agent-spawned:4",
    "merging:3",
    "ref-updated:5",
    "checks-run:6",
]


@pytest.mark.slow
@pytest.mark.parametrize("fault", KILL_POINTS)
def test_kill_then_resume(battery_repo: Path, fault: str) -> None:
    base = git(battery_repo, "rev-parse", "main")
    first = podium(battery_repo, "run", "plan.yaml", fault=fault)
    assert first.returncode == -signal.SIGKILL, f"fault point {fault} was never reached"
    assert none_left(battery_repo.parent) == [], "the dead coordinator's processes live on"
    again = podium(battery_repo, "resume")
    assert again.returncode == 1, again.stdout + again.stderr  # 'bad' fails, by design
    check_finished(battery_repo, base)


@pytest.mark.slow
def test_kill_during_resume_then_resume_again(battery_repo: Path) -> None:
    base = git(battery_repo, "rev-parse", "main")
    assert podium(battery_repo, "run", "plan.yaml", fault="merging:2").returncode == -9
    assert podium(battery_repo, "resume", fault="resume-reconciled").returncode == -9
    assert podium(battery_repo, "resume", fault="ref-updated:2").returncode == -9
    assert podium(battery_repo, "resume").returncode == 1
    check_finished(battery_repo, base)


def test_uninterrupted_run_for_reference(battery_repo: Path) -> None:
    base = git(battery_repo, "rev-parse", "main")
    assert podium(battery_repo, "run", "plan.yaml").returncode == 1
    check_finished(battery_repo, base)
