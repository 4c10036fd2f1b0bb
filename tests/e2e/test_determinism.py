"""Same plan, same outcomes: the same decisions, byte for byte, on two fresh repositories."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import CALC, agent, make_repo


def plan() -> dict[str, object]:
    def t(
        id: str, after: list[str], prio: int, minutes: int, files: list[str]
    ) -> dict[str, object]:
        return {
            "id": id,
            "goal": id,
            "after": after,
            "priority": prio,
            "files": files,
            "estimated_minutes": minutes,
            "command": agent("write", f"out/{id}.txt", id),
        }

    return {
        "name": "det",
        "agent": "command",
        "max_parallel": 1,
        "gates": [],
        "tasks": [
            t("a", [], 2, 10, ["out/a.txt"]),
            t("b", [], 2, 30, ["out/b.txt"]),
            t("c", ["b"], 2, 30, ["out/c.txt"]),
            t("d", [], 1, 5, ["out/d.txt"]),
            t("e", ["a"], 3, 5, ["out/e.txt"]),
            t("f", ["c", "e"], 2, 5, ["out/f.txt"]),
        ],
    }


def decisions(repo: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT task_id, data FROM events WHERE kind='task.state' ORDER BY id")
    return [(task, json.loads(data)["to"]) for task, data in rows]


def test_same_plan_same_decisions(tmp_path: Path) -> None:
    logs = []
    for name in ("one", "two"):
        repo = make_repo(tmp_path / name, CALC)
        (repo / "plan.yaml").write_text(yaml.safe_dump(plan()))
        proc = subprocess.run(
            [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        logs.append(decisions(repo))
    assert logs[0] == logs[1]
    starts = [task for task, to in logs[0] if to == "running"]
    # priority first (d), then the longest chain behind (b -> c -> f), then plan order.
    assert starts == ["d", "b", "c", "a", "e", "f"]


GATE_SCRIPT = """
import pathlib, sys
bad = [p.name for p in pathlib.Path("out").glob("*.txt") if p.read_text().strip() != "ok"]
sys.exit(f"bad output: {bad}" if bad else 0)
"""


def busy_plan() -> dict[str, object]:
    """Three at a time, eight tasks tied on priority and chain, an agent that fails and a
    task the gate rejects: the decisions still depend on nothing but the plan and outcomes."""

    def t(id: str, *ops: str, after: tuple[str, ...] = ()) -> dict[str, object]:
        ops = ops or ("write", f"out/{id}.txt", "ok")
        return {"id": id, "goal": id, "after": list(after), "files": [f"out/{id}.txt"],
                "command": agent(*ops)}  # fmt: skip

    return {
        "name": "busy",
        "agent": "command",
        "max_parallel": 3,
        "gates": [f"{sys.executable} gate.py"],
        "tasks": [
            *(t(f"tie{i}") for i in range(6)),
            t("rejected", "write", "out/rejected.txt", "wrong"),
            t("fails", "write", "out/fails.txt", "ok", "exit", "1"),
            t("after-fails", after=("fails",)),
        ],
    }


def canonical_log(repo: Path) -> dict[str, object]:
    """What was decided, with the wall clock and the order of parallel outcomes taken out:
    the first wave of starts, each task's own transitions and attempts, the landed tree."""
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT task_id, data FROM events WHERE kind='task.state' ORDER BY id")
    steps = [(task, json.loads(data)["to"]) for task, data in rows]
    first_wave = [task for task, to in steps if to == "running"][:3]
    per_task: dict[str, list[str]] = {}
    for task, to in steps:
        per_task.setdefault(task, []).append(to)
    attempts = db.execute(
        "SELECT task_id, n, agent, model, outcome FROM attempts ORDER BY task_id, n"
    ).fetchall()
    tree = subprocess.run(
        ["git", "rev-parse", "main^{tree}"], cwd=repo, capture_output=True, text=True
    ).stdout
    return {"first": sorted(first_wave), "tasks": per_task, "attempts": attempts, "tree": tree}


def test_parallel_run_with_ties_failures_and_gates_decides_alike_in_two_processes(
    tmp_path: Path,
) -> None:
    logs = []
    for seed in ("0", "1"):  # another hash seed per process: no decision may hang on it
        repo = make_repo(tmp_path / f"seed{seed}", {"gate.py": GATE_SCRIPT, "out/.keep": ""})
        (repo / "plan.yaml").write_text(yaml.safe_dump(busy_plan(), sort_keys=False))
        proc = subprocess.run(
            [sys.executable, "-m", "podium", "run", "plan.yaml", "--json"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 1, proc.stderr  # 'rejected' and 'fails' fail, by design
        logs.append(canonical_log(repo))
    assert logs[0] == logs[1]
    log = logs[0]
    assert log["first"] == ["fails", "tie0", "tie1"]  # longest chain first, then plan order
    tasks = log["tasks"]
    assert isinstance(tasks, dict)
    assert tasks["after-fails"] == ["blocked"]
    assert tasks["fails"][-1] == "failed" and tasks["rejected"][-1] == "failed"
    assert tasks["rejected"].count("merging") == 2  # gated, retried, gated again


REPLAY = """
from podium.scheduling.scheduler import Block, SchedState, TaskView, decide

tasks = tuple(
    [TaskView(f"tie{i}", (), (f"src/{i % 3}/*",)) for i in range(9)]
    + [TaskView("x", (), ("src/0/*",), 1), TaskView("y", ("x",), ()), TaskView("z", ("y",), ())]
    + [TaskView(f"free{i}", ("tie0",) if i % 2 else (), ()) for i in range(6)]
)
states = {t.id: "pending" for t in tasks}
queue = []
outcome = {"x": "failed", "tie4": "failed"}
while True:
    for action in decide(SchedState(tasks, dict(states), 4)):
        print(action)
        if isinstance(action, Block):
            states[action.task] = "blocked"
        else:
            states[action.task] = "running"
            queue.append(action.task)
    if not queue:
        break
    done = queue.pop(0)
    states[done] = outcome.get(done, "merged")
    print("done", done, states[done])
"""


def test_the_scheduler_replays_byte_for_byte_in_separate_processes() -> None:
    """Ties, overlapping files, failures and four slots, replayed under three hash seeds."""
    outs = [
        subprocess.run(
            [sys.executable, "-c", REPLAY],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "2")
    ]
    assert outs[0] == outs[1] == outs[2]
    assert "Block(task='y', by='x')" in outs[0] and outs[0].count("done") == 16
