"""Overhead bench: podium's cost per task over the bare git work a task needs.

Run: .venv/bin/python bench/overhead.py   (exit 1 when the ratio is over the target)

30 no-op tasks (each writes one distinct file, no gates) on a repository of 2,000 files, run
by `podium run --max-parallel 1`, against a generated bash script that does the same git work
per task serially: worktree add -b, write the file (the same `sh -c` podium's agent runs), add +
commit, merge-tree --write-tree, commit-tree, update-ref, worktree remove.

Why max_parallel 1: the baseline is serial, and on a 2-core machine four lanes of podium would
overlap its own latencies with other tasks' git work (or fight over the cores), so the ratio
would measure concurrency, not overhead. One lane on both sides compares the same operations
in the same order; the --max-parallel 4 time is printed for information only.

Both sides land on a branch that is not checked out (`land`), so neither has to update a
working tree on each merge: the operation list above is the whole of the git work.
Each round runs both, back to back, on fresh identical repositories; the figure is the median
over rounds of the per-round ratio, which cancels most of the load other processes put on.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from _common import (
    QUICK,
    finish,
    git,
    landed,
    make_repo,
    run_git_ops,
    run_podium,
    sandbox,
    write_plan,
    write_task,
)

TASKS = 5 if QUICK else 30
FILES = 200 if QUICK else 2_000
ROUNDS = 1 if QUICK else 3
TARGET = 1.5


def tasks() -> list[tuple[str, str]]:
    return [(f"t{i:02d}", f"noop-t{i:02d}.txt") for i in range(TASKS)]


def fresh_repo(root: Path, env: dict[str, str], name: str) -> Path:
    repo = make_repo(root / name, env, FILES)
    git(repo, env, "branch", "land")
    return repo


def podium_once(root: Path, env: dict[str, str], name: str, parallel: int) -> float:
    repo = fresh_repo(root, env, name)
    plan = {
        "name": "noop",
        "agent": "command",
        "gates": [],
        "tasks": [write_task(t, f) for t, f in tasks()],
    }
    path = write_plan(root / f"{name}.yaml", plan)
    t0 = time.perf_counter()
    run_podium(repo, env, "run", str(path), "--max-parallel", str(parallel), "--target", "land")
    spent = time.perf_counter() - t0
    count = landed(repo, env, "main", "land")
    assert count == TASKS, f"podium landed {count} tasks, expected {TASKS}"
    return spent


def baseline_once(root: Path, env: dict[str, str], name: str) -> float:
    repo = fresh_repo(root, env, name)
    (root / f"{name}-wt").mkdir()
    spent = run_git_ops(repo, env, root / f"{name}-wt", tasks(), target="land")
    assert git(repo, env, "rev-list", "--count", "main..land") == str(TASKS)
    return spent


def main() -> None:
    base_s: list[float] = []
    pod_s: list[float] = []
    t0 = time.perf_counter()
    with sandbox("overhead") as (root, env):
        for r in range(ROUNDS):
            # Alternate who goes first, so a load that rises or falls hits both sides alike.
            if r % 2 == 0:
                base_s.append(baseline_once(root, env, f"base{r}"))
                pod_s.append(podium_once(root, env, f"podium{r}", 1))
            else:
                pod_s.append(podium_once(root, env, f"podium{r}", 1))
                base_s.append(baseline_once(root, env, f"base{r}"))
            print(
                f"round {r + 1}: git script {base_s[-1]:.2f} s, podium {pod_s[-1]:.2f} s, "
                f"ratio {pod_s[-1] / base_s[-1]:.2f}"
            )
        wide = None
        if not QUICK and time.perf_counter() - t0 < 100:
            wide = podium_once(root, env, "podium-p4", 4)
    ratio = statistics.median(p / b for p, b in zip(pod_s, base_s, strict=True))
    base, pod = min(base_s), min(pod_s)
    print(f"git script (serial), best : {base:.2f} s  ({base / TASKS * 1000:.0f} ms/task)")
    print(
        f"podium -p 1, best         : {pod:.2f} s  ({pod / TASKS * 1000:.0f} ms/task, "
        f"{(pod - base) / TASKS * 1000:+.0f} ms/task over git; best-vs-best ratio "
        f"{pod / base:.2f})"
    )
    if wide is not None:
        print(f"podium -p 4               : {wide:.2f} s  (information only, 2 cores)")
    print("figure: median over rounds of podium / git script, each round's pair run back to back")
    finish("overhead", ratio, TARGET, "x")


if __name__ == "__main__":
    main()
