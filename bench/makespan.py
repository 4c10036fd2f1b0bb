"""Makespan bench: how close podium gets a DAG of sleeping agents to the best possible time.

Run: .venv/bin/python bench/makespan.py   (exit 1 when makespan / lower bound is over target)

24 tasks, seeded random dependencies, disjoint files, each agent sleeps 1-3 s (seeded) and
writes its file; max_parallel 4, no gates. Each task's plan carries `estimated_minutes` equal
to its sleep, so the scheduler knows what the bound assumes it knows.

g, the bare git work of one task (worktree add, commit, merge-tree, commit-tree, update-ref,
worktree remove, as in overhead.py), is measured in the same run, before and after podium,
and averaged. Lower bound = max(critical path of (sleep + g), total (sleep + g) / 4).
The figure is the wall time of `podium run`, start-up included, over that bound.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from _common import (
    QUICK,
    SLEEP_WRITE,
    finish,
    git,
    landed,
    make_repo,
    run_git_ops,
    run_podium,
    sandbox,
    write_plan,
)

TASKS = 6 if QUICK else 24
PARALLEL = 4
FILES = 200
# Chosen so both bounds bite (critical path ~ work / 4) and yet the bound is reachable: with
# no overhead, longest-chain-first meets it exactly, while starting ready tasks in plan order
# would take ~9% longer. So the figure is podium's own cost, and a scheduler that ignores
# the critical path fails it.
SEED = 2003
GIT_SAMPLES = 4  # tasks' worth of git work measured before podium, and again after
TARGET = 1.10


def dag(seed: int = SEED) -> tuple[dict[str, tuple[str, ...]], dict[str, float]]:
    """Task id -> dependencies (0-2 earlier tasks), and task id -> sleep seconds."""
    rng = random.Random(seed)
    deps: dict[str, tuple[str, ...]] = {}
    sleep: dict[str, float] = {}
    for i in range(TASKS):
        k = min(i, rng.choice((0, 0, 1, 1, 2)))
        deps[f"t{i:02d}"] = tuple(sorted(f"t{j:02d}" for j in rng.sample(range(i), k)))
        sleep[f"t{i:02d}"] = round(rng.uniform(1.0, 3.0), 1)
    return deps, sleep


def critical_path(deps: dict[str, tuple[str, ...]], weight: dict[str, float]) -> float:
    finish_at: dict[str, float] = {}
    for t in deps:  # plan order is a topological order: deps are earlier tasks
        finish_at[t] = weight[t] + max((finish_at[d] for d in deps[t]), default=0.0)
    return max(finish_at.values())


def list_schedule(
    deps: dict[str, tuple[str, ...]], weight: dict[str, float], by_chain: bool = True
) -> float:
    """Makespan of greedy list scheduling on PARALLEL lanes with no overhead, ready tasks
    taken longest-remaining-chain first (or in plan order): what the policy alone costs."""
    chain: dict[str, float] = {}
    for t in reversed(list(deps)):
        after = [u for u in deps if t in deps[u]]
        chain[t] = weight[t] + max((chain[u] for u in after), default=0.0)
    rank = {t: (-chain[t] if by_chain else 0.0, i) for i, t in enumerate(deps)}
    done: dict[str, float] = {}
    running: list[tuple[float, str]] = []
    now = 0.0
    while len(done) < len(deps):
        busy = {t for _, t in running}
        ready = [
            t
            for t in deps
            if t not in done
            and t not in busy
            and all(d in done and done[d] <= now for d in deps[t])
        ]
        for t in sorted(ready, key=rank.__getitem__)[: PARALLEL - len(running)]:
            running.append((now + weight[t], t))
        running.sort()
        now, t = running.pop(0)
        done[t] = now
    return now


def plan(deps: dict[str, tuple[str, ...]], sleep: dict[str, float]) -> dict[str, Any]:
    tasks = [
        {
            "id": t,
            "goal": f"sleep {sleep[t]} s",
            "agent": "command",
            "files": [f"{t}.txt"],
            "after": list(deps[t]),
            "estimated_minutes": sleep[t],
            "command": [
                "sh",
                "-c",
                SLEEP_WRITE,
                "agent",
                "{worktree}/" + f"{t}.txt",
                "hi",
                str(sleep[t]),
            ],
        }
        for t in deps
    ]
    return {
        "name": "makespan",
        "agent": "command",
        "gates": [],
        "max_parallel": PARALLEL,
        "tasks": tasks,
    }


def git_per_task(root: Path, env: dict[str, str], name: str) -> float:
    repo = make_repo(root / name, env, FILES)
    (root / f"{name}-wt").mkdir()
    tasks = [(f"{name}{i}", f"{name}{i}.txt") for i in range(GIT_SAMPLES)]
    return run_git_ops(repo, env, root / f"{name}-wt", tasks) / GIT_SAMPLES


def spans(repo: Path) -> dict[str, tuple[float, float]]:
    """Task id -> (went running, merged), from podium's own event log."""
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    out: dict[str, list[float]] = {}
    for task, at, data in db.execute(
        "SELECT task_id, at, data FROM events WHERE kind='task.state' ORDER BY id"
    ):
        to = json.loads(data)["to"]
        if to == "running":
            out[task] = [at, at]
        elif to == "merged":
            out[task][1] = at
    db.close()
    return {t: (a, b) for t, (a, b) in out.items()}


def run_marks(repo: Path) -> dict[str, float]:
    """Run-level event kind -> time, from podium's event log."""
    db = sqlite3.connect(repo / ".podium" / "podium.db")
    rows = db.execute("SELECT kind, at FROM events WHERE task_id IS NULL").fetchall()
    db.close()
    return dict(rows)


def main() -> None:
    deps, sleep = dag()
    with sandbox("makespan") as (root, env):
        g_before = git_per_task(root, env, "gitA")
        repo = make_repo(root / "repo", env, FILES)
        base = git(repo, env, "rev-parse", "main")
        path = write_plan(root / "plan.yaml", plan(deps, sleep))
        t0, wall0 = time.perf_counter(), time.time()
        run_podium(repo, env, "run", str(path))
        makespan = time.perf_counter() - t0
        wall1 = time.time()
        count = landed(repo, env, base)
        assert count == TASKS, f"{count} tasks landed on main, expected {TASKS}"
        seen = spans(repo)
        marks = run_marks(repo)
        g_after = git_per_task(root, env, "gitB")
    g = (g_before + g_after) / 2
    weight = {t: s + g for t, s in sleep.items()}
    cp, work = critical_path(deps, weight), sum(weight.values()) / PARALLEL
    bound = max(cp, work)
    policy = list_schedule(deps, weight)
    inner = max(b for _, b in seen.values()) - min(a for a, _ in seen.values())
    per_task = statistics.mean(b - a - sleep[t] for t, (a, b) in seen.items())
    print(
        f"tasks {TASKS}, edges {sum(map(len, deps.values()))}, sleep total "
        f"{sum(sleep.values()):.1f} s, max_parallel {PARALLEL}"
    )
    print(f"git work per task g : {g:.3f} s (before {g_before:.3f}, after {g_after:.3f})")
    print(f"critical path       : {cp:.2f} s    total work / {PARALLEL}: {work:.2f} s")
    print(f"lower bound         : {bound:.2f} s")
    fifo = list_schedule(deps, weight, by_chain=False)
    print(
        f"policy alone        : {policy:.2f} s ({policy / bound:.3f}x: longest-chain-first "
        f"list scheduling, zero overhead; plan order would be {fifo / bound:.3f}x)"
    )
    print(f"podium run, wall    : {makespan:.2f} s (first start to last merge {inner:.2f} s)")
    first, last = min(a for a, _ in seen.values()), max(b for _, b in seen.values())
    print(
        f"  start-up: process start -> run created {marks['run.created'] - wall0:.2f} s, "
        f"-> first task running {first - wall0:.2f} s"
    )
    print(
        f"  wind-down: last merge -> run finished {marks['run.finished'] - last:.2f} s, "
        f"-> process exit {wall1 - last:.2f} s"
    )
    print(f"per task, running->merged minus sleep: {per_task:.3f} s (g = {g:.3f} s)")
    finish("makespan", makespan / bound, TARGET, "x")


if __name__ == "__main__":
    main()
