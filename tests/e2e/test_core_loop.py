"""A plan of ten tasks on a real repository: only verified work lands, the rest says why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from conftest import PYTHON, agent, git

GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"


def task(id: str, ops: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": id, "goal": f"do {id}", "agent": "command", "command": agent(*ops), **extra}


def mixed_plan() -> dict[str, Any]:
    mul = "def mul(a, b):\\n    return a * b\\n"
    mul_test = "from calc.mul import mul\\n\\n\\ndef test_mul():\\n    assert mul(2, 3) == 6\\n"
    sub = "def sub(a, b):\\n    return a - b\\n"
    return {
        "name": "mixed",
        "agent": "command",
        "max_parallel": 4,
        "gates": [GATE],
        "tasks": [
            task("conflict-1", ["write", "settings.py", 'MODE = "one"\\n'], priority=1),
            task(
                "conflict-2",
                ["sleep", "0.8", "write", "settings.py", 'MODE = "two"\\n'],
                priority=1,
            ),
            task(
                "mul",
                ["write", "calc/mul.py", mul, "write", "tests/test_mul.py", mul_test],
                files=["calc/mul.py", "tests/test_mul.py"],
                checks=[{"path_exists": "calc/mul.py"}],
            ),
            task(
                "sub",
                ["write", "calc/sub.py", sub, "commit", "add sub"],
                files=["calc/sub.py"],
                checks=[{"command": f"{PYTHON} -c 'import calc.sub'"}],
            ),
            task(
                "docs",
                ["write", "docs/usage.md", "mul and sub\\n"],
                files=["docs/**"],
                after=["mul", "sub"],
                checks=[{"file_contains": {"path": "docs/usage.md", "text": "mul"}}],
            ),
            task("notes-a", ["sleep", "0.5", "write", "notes/a.md", "a\\n"], files=["notes/**"]),
            task("notes-b", ["sleep", "0.5", "write", "notes/b.md", "b\\n"], files=["notes/b.md"]),
            task("breaker", ["replace", "calc/core.py", "a + b", "a - b"], files=["calc/core.py"]),
            task(
                "after-breaker",
                ["write", "calc/extra.py", "X = 1\\n"],
                files=["calc/extra.py"],
                after=["breaker"],
            ),
            task(
                "stray",
                ["write", "calc/div.py", "D = 1\\n", "write", "README.md", "hacked\\n"],
                files=["calc/div.py"],
            ),
        ],
    }


def run_podium(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )


def state_intervals(repo: Path, run_id: str) -> dict[str, tuple[float, float]]:
    import sqlite3

    db = sqlite3.connect(repo / ".podium" / "podium.db")
    spans: dict[str, list[float]] = {}
    for task_id, at, data in db.execute(
        "SELECT task_id, at, data FROM events WHERE run_id=? AND kind='task.state' ORDER BY id",
        (run_id,),
    ):
        to = json.loads(data)["to"]
        if to == "running":
            spans.setdefault(task_id, [at, at])
        if to in ("merged", "failed", "pending") and task_id in spans:
            spans[task_id][1] = at
    return {t: (a, b) for t, (a, b) in spans.items()}


def started_on_landed_work(repo: Path, run_id: str, task_id: str) -> set[str]:
    """The tasks whose landed work the task's last attempt started on: landed before it
    started, or named in its start event (`on`) by the attempt that then landed."""
    import sqlite3

    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = [
        (i, t, json.loads(d))
        for i, t, d in db.execute(
            "SELECT id, task_id, data FROM events WHERE run_id=? AND kind='task.state' ORDER BY id",
            (run_id,),
        )
    ]
    merged_attempt = dict(
        db.execute("SELECT task_id, n FROM attempts WHERE run_id=? AND outcome='merged'", (run_id,))
    )
    start_id, start = [(i, d) for i, t, d in rows if t == task_id and d["to"] == "running"][-1]
    on = {o["task"] for o in start.get("on", []) if merged_attempt[o["task"]] == o["attempt"]}
    landed = {t for i, t, d in rows if i < start_id and d["to"] == "merged"}
    return (on | landed) & set(plan_after(task_id))


def plan_after(task_id: str) -> list[str]:
    return next(t.get("after", []) for t in mixed_plan()["tasks"] if t["id"] == task_id)


def landing_commits(repo: Path, base: str) -> dict[str, str]:
    """Each landed task's commit on the target (a batch lands several in one)."""
    log = git(
        repo,
        "log",
        "--format=%H %(trailers:key=Podium-Task,valueonly,separator=%x20)",
        f"{base}..main",
    )
    return {t.split("/")[1]: line.split()[0] for line in log.splitlines() for t in line.split()[1:]}


def test_mixed_plan_lands_only_verified_work(calc_repo: Path) -> None:
    base = git(calc_repo, "rev-parse", "main")
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(mixed_plan(), sort_keys=False))
    proc = run_podium(calc_repo, "run", "plan.yaml", "--json")
    assert proc.returncode == 1, proc.stderr
    status = json.loads(proc.stdout)
    states = {t["id"]: t["state"] for t in status["tasks"]}
    reasons = {t["id"]: t["reason"] for t in status["tasks"]}
    assert states == {
        "conflict-1": "merged",
        "conflict-2": "merged",
        "mul": "merged",
        "sub": "merged",
        "docs": "merged",
        "notes-a": "merged",
        "notes-b": "merged",
        "breaker": "failed",
        "after-breaker": "blocked",
        "stray": "failed",
    }
    assert "gate" in reasons["breaker"] and "test_add" in reasons["breaker"]
    assert "blocked" in reasons["after-breaker"] and "'breaker'" in reasons["after-breaker"]
    assert "outside its `files`" in reasons["stray"] and "README.md" in reasons["stray"]
    attempts = {t["id"]: t["attempts"] for t in status["tasks"]}
    assert attempts["conflict-2"] == 2 and attempts["conflict-1"] == 1

    # The target holds exactly the good tasks' changes.
    assert (calc_repo / "settings.py").read_text() == 'MODE = "two"\n'
    assert (calc_repo / "calc/core.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert (calc_repo / "README.md").read_text() == "# calc\n"
    assert not (calc_repo / "calc/div.py").exists()
    assert not (calc_repo / "calc/extra.py").exists()
    for path in ("calc/mul.py", "calc/sub.py", "docs/usage.md", "notes/a.md", "notes/b.md"):
        assert (calc_repo / path).exists(), path
    assert git(calc_repo, "status", "--porcelain", "--untracked-files=no") == ""

    # Each merged task's trailer exactly once, and the tests pass at every commit podium added.
    commits = git(calc_repo, "rev-list", "--reverse", f"{base}..main").split()
    assert 1 <= len(commits) <= 7  # verified tasks may land together, as one batch
    trailers = git(
        calc_repo, "log", "--format=%(trailers:key=Podium-Task,valueonly)", f"{base}..main"
    ).split()
    assert sorted(t.split("/")[1] for t in trailers) == sorted(
        t for t, s in states.items() if s == "merged"
    )
    check = calc_repo.parent / "check"
    git(calc_repo, "worktree", "add", "-q", "--detach", str(check), base)
    for commit in commits:
        git(check, "checkout", "-q", "--detach", commit)
        gate = subprocess.run(GATE.split(), cwd=check, capture_output=True, text=True)
        assert gate.returncode == 0, (commit, gate.stdout)

    # The overlapping tasks never ran at the same time; docs started on its dependencies'
    # work (landed, or the attempts that then landed: `[merge] speculate`) and landed after.
    spans = state_intervals(calc_repo, status["run"])
    a, b = spans["notes-a"], spans["notes-b"]
    assert a[1] <= b[0] or b[1] <= a[0], (a, b)
    assert started_on_landed_work(calc_repo, status["run"], "docs") == {"mul", "sub"}
    landed_at = landing_commits(calc_repo, base)
    for dep in ("mul", "sub"):
        is_ancestor = ["merge-base", "--is-ancestor", landed_at[dep], landed_at["docs"]]
        assert subprocess.run(["git", *is_ancestor], cwd=calc_repo).returncode == 0, dep
    # Failed attempts keep their worktree for inspection; merged ones are removed.
    kept = {p.name for p in (calc_repo / ".podium/worktrees" / status["run"]).iterdir()}
    assert {"breaker-a1", "stray-a1"} <= kept
    assert not any(name.startswith("mul-") for name in kept)


def test_status_and_logs_after_a_run(calc_repo: Path) -> None:
    plan = {
        "name": "one",
        "agent": "command",
        "tasks": [task("hello", ["say", "hi there", "write", "h.txt", "h"])],
    }
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    assert run_podium(calc_repo, "run", "plan.yaml").returncode == 0
    status = run_podium(calc_repo, "status")
    assert status.returncode == 0
    assert "hello" in status.stdout and "merged" in status.stdout
    logs = run_podium(calc_repo, "logs", "hello")
    assert logs.stdout == "hi there\n"


def test_dirty_target_is_never_touched(calc_repo: Path) -> None:
    (calc_repo / "calc/core.py").write_text("# my unsaved work\n")
    plan = {"name": "one", "agent": "command", "tasks": [task("t", ["write", "x.txt", "x"])]}
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    proc = run_podium(calc_repo, "run", "plan.yaml")
    assert proc.returncode == 0, proc.stderr
    # The work lands on an integration branch, and podium says how to bring it in.
    assert "'main' has uncommitted changes (calc/core.py)" in proc.stderr
    assert "git merge podium/land/main" in proc.stderr
    assert git(calc_repo, "show", "podium/land/main:x.txt") == "x"
    assert (calc_repo / "calc/core.py").read_text() == "# my unsaved work\n"
    assert not (calc_repo / "x.txt").exists()
    assert git(calc_repo, "log", "-1", "--format=%s", "main") == "initial"
    # An explicit --target is used as given, and the dirty checkout is still left alone.
    git(calc_repo, "branch", "integration")
    plan["tasks"] = [task("u", ["write", "y.txt", "y"])]
    (calc_repo / "plan.yaml").write_text(yaml.safe_dump(plan))
    proc = run_podium(calc_repo, "run", "plan.yaml", "--target", "integration")
    assert proc.returncode == 0, proc.stderr
    assert git(calc_repo, "show", "integration:y.txt") == "y"
    assert (calc_repo / "calc/core.py").read_text() == "# my unsaved work\n"
