"""The merge queue on real repositories: batches, bisection, the baseline, escalation."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from conftest import PYTHON, agent, git, make_repo

COUNT_GATE = """
import pathlib, sys
with open(sys.argv[1], "a") as f:
    f.write("run\\n")
bad = [p.name for p in pathlib.Path("out").glob("*.txt") if p.read_text().strip() != "ok"]
sys.exit(f"bad output: {bad}" if bad else 0)
"""


def repo_with_gate(tmp_path: Path, toml: str = "") -> tuple[Path, Path]:
    counter = tmp_path / "gate-runs.txt"
    repo = make_repo(tmp_path / "repo", {"gate.py": COUNT_GATE, "out/.keep": ""})
    (repo / "podium.toml").write_text(f'gates = ["{PYTHON} gate.py {counter}"]\n{toml}')
    return repo, counter


def plan_of(repo: Path, tasks: list[dict[str, Any]], **top: Any) -> None:
    plan = {"name": "q", "agent": "command", "tasks": tasks, **top}
    (repo / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))


def writer(id: str, text: str = "ok", **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "goal": id,
        "files": [f"out/{id}.txt"],
        "command": agent("write", f"out/{id}.txt", text),
        **extra,
    }


def run(repo: Path) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def events(repo: Path, kind: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT task_id, data FROM events WHERE kind=? ORDER BY id", (kind,))
    return [{"task": t, **json.loads(d)} for t, d in rows]


def gates_pass_at_every_commit(repo: Path, base: str) -> None:
    check = repo.parent / "check"
    git(repo, "worktree", "add", "-q", "--detach", str(check), base)
    for commit in git(repo, "rev-list", f"{base}..main").split():
        git(check, "checkout", "-q", "--detach", commit)
        gate = subprocess.run([PYTHON, "gate.py", str(repo.parent / "x")], cwd=check)
        assert gate.returncode == 0, commit


def test_four_good_tasks_land_with_one_gate_run(tmp_path: Path) -> None:
    repo, counter = repo_with_gate(tmp_path, "[merge]\nbatch = 8\nwait = 5\n")
    # The queue waits for a batch only while another task is being verified: slow checks
    # keep the others verifying when the first is queued.
    slow = [{"command": f"{PYTHON} -c 'import time; time.sleep(3)'"}]
    plan_of(repo, [writer(f"t{i}", checks=slow) for i in range(4)], max_parallel=4)
    code, _ = run(repo)
    assert code == 0
    batches = events(repo, "merge.batch")
    assert [len(b["tasks"]) for b in batches] == [4] and batches[0]["status"] == "merged"
    assert counter.read_text().count("run") == 2  # the baseline, then the one batch
    landed = git(repo, "log", "--format=%(trailers:key=Podium-Task,valueonly)", "main").split()
    assert sorted(landed) == [f"r1/t{i}" for i in range(4)]


def test_one_bad_task_in_a_batch_is_isolated_and_the_rest_land(tmp_path: Path) -> None:
    repo, _ = repo_with_gate(tmp_path, "max_attempts = 1\n[merge]\nbatch = 8\nwait = 5\n")
    base = git(repo, "rev-parse", "main")
    slow = [{"command": f"{PYTHON} -c 'import time; time.sleep(3)'"}]  # to batch, as above
    tasks = [
        writer("t0", checks=slow),
        writer("t1", checks=slow),
        writer("bad", "broken", checks=slow),
        writer("t3", checks=slow),
        {**writer("after-bad"), "after": ["bad"]},
    ]
    plan_of(repo, tasks, max_parallel=4)
    code, status = run(repo)
    assert code == 1
    states = {t["id"]: t["state"] for t in status["tasks"]}
    assert states == {
        "t0": "merged",
        "t1": "merged",
        "t3": "merged",
        "bad": "failed",
        "after-bad": "blocked",
    }
    bad = next(t for t in status["tasks"] if t["id"] == "bad")
    assert "bad output: ['bad.txt']" in bad["reason"]
    after = next(t for t in status["tasks"] if t["id"] == "after-bad")
    assert "depends on 'bad', which failed" in after["reason"]
    statuses = [b["status"] for b in events(repo, "merge.batch")]
    assert statuses[0] == "gates_failed" and statuses.count("merged") >= 1
    gates_pass_at_every_commit(repo, base)


def test_a_failing_batch_is_bisected_down_to_the_culprit(tmp_path: Path) -> None:
    """Tasks gated together, one bad: the failing batch is halved, never retried one by one.

    How many tasks the first batch holds depends on when their checks end (the queue waits
    only while more verified work is on its way); whatever it holds, m tasks, bisection takes
    ⌈log2 m⌉ + 1 failing gate runs (m, m/2, ..., the culprit alone) and one passing run for each
    good sibling half, where one task at a time would need m + 1.
    """
    n = 8
    toml = f"max_attempts = 1\n[merge]\nbatch = {n}\nwait = 120\n"
    repo, counter = repo_with_gate(tmp_path, toml)
    slow = [{"command": f"{PYTHON} -c 'import time; time.sleep(4)'"}]  # to batch, as above
    tasks = [writer(f"t{i}", checks=slow) for i in range(n - 1)]
    tasks += [writer("bad", "broken", checks=slow)]
    plan_of(repo, tasks, max_parallel=n)
    code, status = run(repo)
    assert code == 1
    assert {t["id"]: t["state"] for t in status["tasks"]} == {
        **{f"t{i}": "merged" for i in range(n - 1)},
        "bad": "failed",
    }
    batches = [(b["tasks"], b["status"]) for b in events(repo, "merge.batch")]
    culprit = [tasks for tasks, _ in batches if "r1/bad" in tasks]
    sizes = [len(t) for t in culprit]
    assert sizes[0] >= 3 and sizes[-1] == 1, batches  # a real batch formed, and was cut down
    assert all(b in (a // 2, (a + 1) // 2) for a, b in pairwise(sizes)), batches  # halved
    assert len(sizes) == math.ceil(math.log2(sizes[0])) + 1, batches
    assert all(status == "gates_failed" for tasks, status in batches if "r1/bad" in tasks)
    assert all(set(inner) < set(outer) for outer, inner in pairwise(culprit))
    # each good sibling half of a failed batch is gated once, and lands whole
    merged = [sorted(t) for t, s in batches if "r1/bad" not in t and s == "merged"]
    halves = [sorted(set(outer) - set(inner)) for outer, inner in pairwise(culprit)]
    assert all(half in merged for half in halves), batches
    assert all(s == "merged" for t, s in batches if "r1/bad" not in t), batches
    assert counter.read_text().count("run") == 1 + len(batches)  # the baseline, then each batch


PYTEST_GATE = f"{PYTHON} -m pytest -q -p no:cacheprovider"


def test_failing_baseline_does_not_block_but_a_new_failure_does(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
            "tests/test_old.py": "def test_known_broken():\n    assert False\n",
            "tests/test_ok.py": "def test_fine():\n    assert True\n",
        },
    )
    (repo / "podium.toml").write_text(f'gates = ["{PYTEST_GATE}"]\nmax_attempts = 1\n')
    plan_of(
        repo,
        [
            {
                "id": "adds",
                "goal": "adds",
                "files": ["tests/test_new.py"],
                "command": agent("write", "tests/test_new.py", "def test_new():\\n    assert 1\\n"),
            },
            {
                "id": "breaks",
                "goal": "breaks",
                "files": ["tests/test_ok.py"],
                "command": agent("replace", "tests/test_ok.py", "True", "False"),
            },
        ],
        max_parallel=1,
    )
    _, status = run(repo)
    states = {t["id"]: (t["state"], t["reason"]) for t in status["tasks"]}
    assert states["adds"][0] == "merged"
    assert states["breaks"][0] == "failed"
    assert "new failures: tests.test_ok::test_fine" in states["breaks"][1]
    assert "test_known_broken" not in states["breaks"][1]


EXIT_GATE = """
import pathlib, sys
if pathlib.Path("crash.txt").exists():
    sys.exit(3)
sys.exit(0 if pathlib.Path("fixed.txt").exists() else 1)
"""


def exit_gate_tasks(repo: Path, toml: str) -> dict[str, tuple[str, str]]:
    """A gate compared by exit status that fails (exit 1) on the baseline, and three tasks."""
    repo = make_repo(repo, {"gate.py": EXIT_GATE})
    (repo / "podium.toml").write_text(f'gates = ["{PYTHON} gate.py"]\nmax_attempts = 1\n{toml}')
    plan_of(
        repo,
        [
            {"id": "other", "goal": "other", "command": agent("write", "other.txt", "1")},
            {"id": "crash", "goal": "crash", "command": agent("write", "crash.txt", "1")},
            {
                "id": "fix",
                "goal": "fix",
                "after": ["other"],
                "command": agent("write", "fixed.txt", "1"),
            },
        ],
        max_parallel=1,
    )
    _, status = run(repo)
    return {t["id"]: (t["state"], t["reason"]) for t in status["tasks"]}


def test_a_gate_failing_on_the_baseline_by_exit_status_is_reported_unverified(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    states = exit_gate_tasks(repo, "")
    assert states["other"][0] == "merged" and states["fix"][0] == "merged"
    assert states["crash"][0] == "failed" and "exit 3" in states["crash"][1]
    merges = {e["task"]: e for e in events(repo, "task.merge") if e["status"] == "merged"}
    gate = f"gate `{PYTHON} gate.py`"
    # the merge it let through with the same failure says so, in the event and its gates
    other = merges["other"]
    assert other["detail"] == f"{gate} not verified (failing on the baseline)"
    assert other["gates"] == [
        {
            "name": gate,
            "ok": True,
            "detail": "not verified (failing on the baseline): exit 1, as on the baseline",
        }
    ]
    # once the gate passes on the merged tree, the merge is verified and says nothing
    assert merges["fix"]["detail"] == "" and merges["fix"]["gates"][0]["detail"] == ""
    # and `podium status` says it, on the task and for the run
    shown = subprocess.run(
        [sys.executable, "-m", "podium", "status"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert f"warning: {gate} not verified (failing on the baseline)" in shown
    assert "note: 1 merge(s) passed a gate that fails on the baseline too" in shown


def test_strict_baseline_refuses_what_a_failing_gate_cannot_verify(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    states = exit_gate_tasks(repo, 'baseline = "strict"\n')
    assert states["other"][0] == "failed" and "exit 1" in states["other"][1]
    assert states["crash"][0] == "failed" and "exit 3" in states["crash"][1]
    assert states["fix"][0] == "blocked"  # it comes after `other`


def test_escalation_ladder_is_followed_and_dependents_blocked(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "x\n"})
    (repo / "podium.toml").write_text(
        'max_attempts = 3\n[retries]\nladder = ["command:medium", "command:large"]\n'
    )
    plan_of(
        repo,
        [
            {
                "id": "hard",
                "goal": "hard",
                "command": agent("need-model", "large", "write", "h", "1"),
            },
            {
                "id": "harder",
                "goal": "harder",
                "command": agent("need-model", "huge", "write", "x", "1"),
            },
            {
                "id": "needs-harder",
                "goal": "n",
                "after": ["harder"],
                "command": agent("write", "n", "1"),
            },
        ],
    )
    code, status = run(repo)
    assert code == 1
    starts = [e for e in events(repo, "task.state") if e["to"] == "running"]
    ladder = {
        t: [(e["agent"], e["model"]) for e in starts if e["task"] == t] for t in ("hard", "harder")
    }
    assert ladder["hard"] == [("command", None), ("command", "medium"), ("command", "large")]
    assert ladder["harder"] == [("command", None), ("command", "medium"), ("command", "large")]
    states = {t["id"]: (t["state"], t["reason"]) for t in status["tasks"]}
    assert states["hard"][0] == "merged" and states["harder"][0] == "failed"
    assert states["needs-harder"] == ("blocked", "blocked: depends on 'harder', which failed")
    prompt = (repo / ".podium/logs/r1/harder/a2.prompt.md").read_text()
    assert "the previous attempt did not land" in prompt and "command exited" in prompt
